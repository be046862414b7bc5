#!/usr/bin/env node
// Before/after of a change, paired in one run: `node scripts/bench/ab.mjs <base-dir> [flags]`.
// <base-dir> holds node_modules/@duet/{kernel,trio,asyncio} (package.json + dist) of the code
// before the change, say copied from an untouched build (`node scripts/bench/ab.mjs --snapshot
// <dir>` copies this tree's built dists there). The packages/*/dist of this tree are the "after".
// Each repetition runs, in a rotated order and each in a fresh process, every Duet system on the
// base, the same on this tree, and raw Promises + ALS; the summary gives per workload and system
// the median of (after ÷ before) over repetitions (below 1 is faster), the ratio of the fastest
// repetitions (a load spike only adds time, so on a busy machine that one wobbles least), and both
// sides ÷ raw + ALS.
//
//   --after <dir>     compare with that snapshot instead of this tree's dists
//   --reps N          repetitions (default 5)
//   --runtimes a,b    node20,node22,node24 (the machine's node and cached Node 22 / 24)
//   --systems a,b     Duet systems (default duet-trio,duet-asyncio)
//   --workloads a,b   workload ids of lib.mjs (default w1,w3,w5,fanout,pipeline)
//   --w1 N ...        sizes, as run.mjs takes them
//   --cpu             compare CPU time (all threads of the worker) instead of wall time: on a
//                     machine busy with other work, the work done wobbles far less than the time
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL_SIZES, median, paramsFor } from './lib.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(benchDir, '../..');
const argv = process.argv.slice(2);
function option(name, fallback) {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : argv[i + 1];
}

/** Copies this tree's built dists to `<dir>/node_modules/@duet/<pkg>`. */
function snapshot(dir) {
  for (const pkg of ['kernel', 'trio', 'asyncio']) {
    const from = path.join(rootDir, 'packages', pkg);
    const to = path.join(dir, 'node_modules/@duet', pkg);
    if (!existsSync(path.join(from, 'dist/index.mjs'))) throw new Error(`${pkg} is not built`);
    rmSync(to, { recursive: true, force: true });
    mkdirSync(to, { recursive: true });
    cpSync(path.join(from, 'package.json'), path.join(to, 'package.json'));
    cpSync(path.join(from, 'dist'), path.join(to, 'dist'), { recursive: true });
  }
}

if (argv[0] === '--snapshot') {
  snapshot(path.resolve(argv[1]));
  process.exit(0);
}
const baseDir = argv[0] && !argv[0].startsWith('--') ? path.resolve(argv[0]) : null;
if (baseDir === null || !existsSync(path.join(baseDir, 'node_modules/@duet/kernel'))) {
  console.error('usage: node scripts/bench/ab.mjs <base-dir with node_modules/@duet/*> [flags]');
  process.exit(2);
}
let after = option('after', null);
if (after === null) {
  const own = mkdtempSync(path.join(os.tmpdir(), 'duet-ab-'));
  process.on('exit', () => rmSync(own, { recursive: true, force: true }));
  snapshot(own);
  after = own;
}

const reps = Number(option('reps', 5));
const metric = argv.includes('--cpu') ? 'cpu' : 'wall';
const systems = option('systems', 'duet-trio,duet-asyncio').split(',');
const workloads = option('workloads', 'w1,w3,w5,fanout,pipeline').split(',');
const sizes = { ...FULL_SIZES };
for (const [flag, key] of [
  ['w1', 'w1'],
  ['w3', 'w3'],
  ['w4', 'w4'],
  ['w5', 'w5'],
  ['fanout', 'fanout'],
  ['pipeline', 'pipeline'],
  ['w2-tasks', 'w2Tasks'],
  ['w2-steps', 'w2Steps'],
]) {
  sizes[key] = Number(option(flag, sizes[key]));
}
const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
const here = `node${process.versions.node.split('.')[0]}`;
const runtimes = option('runtimes', 'node20,node24')
  .split(',')
  .map((id) => ({
    id,
    bin: id === here ? process.execPath : path.join(cache, `duet/${id}/bin/node`),
  }))
  .filter((r) => existsSync(r.bin) || console.error(`${r.id}: no binary, skipped`));

function measure(runtime, system, workload, pkgs) {
  const args = ['--expose-gc', path.join(benchDir, 'worker.mjs'), system, workload];
  args.push(JSON.stringify(paramsFor(workload, sizes)));
  const env = { ...process.env, DUET_BENCH_PKGS: path.join(pkgs, 'node_modules') };
  const r = spawnSync(runtime.bin, args, { cwd: benchDir, env, encoding: 'utf8' });
  const out = JSON.parse(r.stdout.trim().split('\n').pop() || 'null');
  if (r.status !== 0 || typeof out?.ms !== 'number') {
    throw new Error(`${system} ${workload} on ${runtime.id} failed: ${r.stderr || r.stdout}`);
  }
  return metric === 'cpu' ? out.cpuMs : out.ms;
}

const rows = [];
for (const runtime of runtimes) {
  for (const workload of workloads) {
    const jobs = [['raw-als', 'raw-als', baseDir]];
    for (const system of systems) jobs.push([system, 'before', baseDir], [system, 'after', after]);
    const ms = new Map(jobs.map(([system, side]) => [`${system}|${side}`, []]));
    for (let rep = 0; rep < reps; rep++) {
      // Rotate the order, so no side always runs first (or right after a warm-up of the other).
      for (let i = 0; i < jobs.length; i++) {
        const [system, side, pkgs] = jobs[(i + rep) % jobs.length];
        ms.get(`${system}|${side}`).push(measure(runtime, system, workload, pkgs));
      }
    }
    const raw = ms.get('raw-als|raw-als');
    for (const system of systems) {
      const [b, a] = [ms.get(`${system}|before`), ms.get(`${system}|after`)];
      rows.push({
        runtime: runtime.id,
        workload,
        system,
        before: median(b),
        after: median(a),
        ratio: median(a.map((v, i) => v / b[i])),
        minRatio: Math.min(...a) / Math.min(...b),
        rawBefore: median(b.map((v, i) => raw[i] / v)),
        rawAfter: median(a.map((v, i) => raw[i] / v)),
      });
      const r = rows.at(-1);
      console.error(`${runtime.id} ${workload} ${system}: after/before ${r.ratio.toFixed(2)}`);
    }
  }
}
console.log(
  `${metric === 'cpu' ? 'CPU' : 'wall'} ms, ${reps} repetitions; "÷" columns are medians of paired ratios (raw + ALS ms ÷ Duet ms); "fastest" divides the fastest repetitions`,
);
console.log('');
console.log(
  '| runtime | workload | system | before ms | after ms | after ÷ before | fastest: after ÷ before | raw+ALS ÷ before | raw+ALS ÷ after |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const cells = [r.runtime, r.workload, r.system, r.before.toFixed(0), r.after.toFixed(0)];
  cells.push(r.ratio.toFixed(2), r.minRatio.toFixed(2));
  cells.push(r.rawBefore.toFixed(2), r.rawAfter.toFixed(2));
  console.log(`| ${cells.join(' | ')} |`);
}
