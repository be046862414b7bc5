#!/usr/bin/env node
// Compares bench runs made two ways (say without and with a Node flag), alternated to spread the
// shared machine's drift over both: `node scripts/bench/compare.mjs a1.json b1.json a2.json b2.json`
// (the bench-results/ JSON of `pnpm bench` runs, A and B in turns). Prints a Markdown table: the
// median ms of each system per workload over every repetition of A and of B, and the median of
// (system ms ÷ raw Promises ms) in the same repetition, which cancels much of the machine's drift.
import { readFileSync } from 'node:fs';
import { median } from './lib.mjs';

const files = process.argv.slice(2);
if (files.length < 2 || files.length % 2 !== 0) {
  console.error('usage: node scripts/bench/compare.mjs a1.json b1.json [a2.json b2.json ...]');
  process.exit(2);
}
const sides = [[], []];
files.forEach((file, i) => sides[i % 2].push(JSON.parse(readFileSync(file, 'utf8'))));

/** For one side: per workload and system, every repetition's ms and its ratio to raw Promises. */
function collect(results) {
  const out = new Map();
  for (const result of results) {
    const reps = new Map();
    for (const r of result.runs) {
      if (typeof r.ms !== 'number') continue;
      const key = `${r.workload}|${r.runtime}|${r.rep}`;
      if (!reps.has(key)) reps.set(key, new Map());
      reps.get(key).set(r.system, r.ms);
    }
    for (const [key, bySystem] of reps) {
      const workload = key.split('|')[0];
      for (const [system, ms] of bySystem) {
        const id = `${workload}|${system}`;
        if (!out.has(id)) out.set(id, { ms: [], vsRaw: [] });
        out.get(id).ms.push(ms);
        if (bySystem.has('raw')) out.get(id).vsRaw.push(ms / bySystem.get('raw'));
      }
    }
  }
  return out;
}

const [a, b] = sides.map(collect);
const fmt = (v, digits) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const reps = (side) => Math.max(...[...side.values()].map((v) => v.ms.length));
console.log(
  `A: ${sides[0].length} run(s), ${reps(a)} repetition(s); B: ${sides[1].length}, ${reps(b)}`,
);
console.log('');
console.log('| workload | system | A median ms | B median ms | B ÷ A | A ÷ raw | B ÷ raw |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [id, av] of a) {
  const bv = b.get(id);
  if (bv === undefined) continue;
  const [workload, system] = id.split('|');
  const [am, bm] = [median(av.ms), median(bv.ms)];
  const cells = [
    workload.toUpperCase(),
    system,
    fmt(am, 0),
    fmt(bm, 0),
    fmt(bm / am, 2),
    fmt(av.vsRaw.length ? median(av.vsRaw) : undefined, 2),
    fmt(bv.vsRaw.length ? median(bv.vsRaw) : undefined, 2),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
