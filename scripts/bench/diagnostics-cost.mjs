#!/usr/bin/env node
// The cost of Duet's diagnostics_channel publishing when nobody subscribes (issue 20), as paired
// ratios. `node scripts/bench/diagnostics-cost.mjs [--reps N] [--workloads w1,w2]` after a build.
//
// Two copies of the built packages: "with" is packages/*/dist as built; "without" is the same
// kernel with the diagnostics taken out by text substitution (the run-start check and the four
// scope/nursery hook points). Each repetition runs every workload once per copy in fresh worker
// processes (Trio style, full sizes), the order alternating; the ratio with/without per repetition,
// then the median, is the overhead. A third copy, "subscribed", has a subscriber on every channel
// (its preload is passed with --import), for information.
//
// --instructions counts instructions instead of timing (`valgrind --tool=callgrind node --jitless`,
// at the sizes of --w1/--w2-tasks/--w2-steps, default 20,000 and 100 x 200): slower, but what
// other sessions run on the machine does not move it, so two repetitions are enough.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL_SIZES, median, paramsFor } from './lib.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(benchDir, '../..');
const argv = process.argv.slice(2);
const option = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? dflt : argv[i + 1];
};
const instructions = argv.includes('--instructions');
const reps = Number(option('reps', instructions ? '2' : '7'));
const sizes = instructions
  ? {
      ...FULL_SIZES,
      w1: Number(option('w1', '20000')),
      w2Tasks: Number(option('w2-tasks', '100')),
      w2Steps: Number(option('w2-steps', '200')),
    }
  : FULL_SIZES;
const workloads = option('workloads', 'w1,w2').split(',');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'duet-diag-cost-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function copyPackages(name) {
  const modules = path.join(tmp, name, 'node_modules');
  for (const pkg of ['kernel', 'trio', 'asyncio']) {
    const to = path.join(modules, '@duet', pkg);
    mkdirSync(to, { recursive: true });
    cpSync(path.join(rootDir, 'packages', pkg, 'package.json'), path.join(to, 'package.json'));
    cpSync(path.join(rootDir, 'packages', pkg, 'dist'), path.join(to, 'dist'), { recursive: true });
  }
  return modules;
}

const withDiag = copyPackages('with');
const withoutDiag = copyPackages('without');
const kernel = path.join(withoutDiag, '@duet/kernel/dist/index.mjs');
let code = readFileSync(kernel, 'utf8');
const strip = (pattern, expected) => {
  const found = code.match(pattern)?.length ?? 0;
  if (found !== expected) {
    console.error(
      `expected ${expected} match(es) of ${pattern} in the built kernel, found ${found}`,
    );
    process.exit(1);
  }
  code = code.replace(pattern, '');
};
strip(/attachDiagnostics\(this\);/g, 1);
strip(
  /if \((runner\.)?instruments\.list\.length !== 0\)\s*(runner\.)?instruments\.call\('(scope|nursery)\w+', task, \w+\);/g,
  4,
);
writeFileSync(kernel, code);

const preload = path.join(tmp, 'subscribe.mjs');
writeFileSync(
  preload,
  "import dc from 'node:diagnostics_channel';\n" +
    "for (const n of ['run:start','run:end','task:spawn','task:park','task:exit','scope:enter','scope:exit','nursery:open','nursery:close']) dc.subscribe('duet:' + n, () => {});\n",
);

function measure(modules, workload, extraArgs = []) {
  const params = paramsFor(workload, sizes);
  const nodeArgs = [
    '--expose-gc',
    ...extraArgs,
    path.join(benchDir, 'worker.mjs'),
    'duet-trio',
    workload,
    JSON.stringify(params),
  ];
  const [bin, args] = instructions
    ? [
        'valgrind',
        [
          '--tool=callgrind',
          '--callgrind-out-file=/dev/null',
          process.execPath,
          '--jitless',
          ...nodeArgs,
        ],
      ]
    : [process.execPath, nodeArgs];
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    env: { ...process.env, DUET_BENCH_PKGS: modules },
  });
  if (r.status !== 0) throw new Error(`worker failed: ${r.stderr}`);
  if (!instructions) return JSON.parse(r.stdout.trim().split('\n').pop()).ms;
  const collected = /Collected : (\d+)/.exec(r.stderr);
  if (collected === null) throw new Error(`no instruction count from valgrind: ${r.stderr}`);
  return Number(collected[1]);
}

const start = Date.now();
for (const workload of workloads) {
  const ratios = [];
  const subscribed = [];
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
    const ms = {}; // milliseconds, or instructions
    for (const which of order)
      ms[which] = measure(which === 'with' ? withDiag : withoutDiag, workload);
    ms.subscribed = measure(withDiag, workload, ['--import', preload]);
    ratios.push(ms.with / ms.without);
    subscribed.push(ms.subscribed / ms.without);
  }
  const fmt = (xs) => xs.map((x) => x.toFixed(3)).join(' ');
  console.log(
    `${workload}: unsubscribed/without median ${median(ratios).toFixed(3)} (${fmt(ratios)}); ` +
      `subscribed/without median ${median(subscribed).toFixed(3)}`,
  );
}
console.log(
  `node ${process.version}, ${reps} repetitions, ${((Date.now() - start) / 1000).toFixed(0)} s`,
);
