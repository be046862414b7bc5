#!/usr/bin/env node
// One measurement in a fresh process: `node --expose-gc worker.mjs <system> <workload> <params-json>`.
// Loads only the module of <system> (so the raw-Promise system never loads the kernel and its
// AsyncLocalStorage), runs the workload once at a tenth of its size to warm up, then once measured,
// and prints one JSON line: { ms, ops, label, heapPerTask? }.
import { performance } from 'node:perf_hooks';

const [systemName, workload, paramsJson] = process.argv.slice(2);
const params = JSON.parse(paramsJson ?? '{}');

const modules = {
  'duet-trio': './systems/duet-trio.mjs',
  'duet-asyncio': './systems/duet-asyncio.mjs',
  raw: './systems/raw.mjs',
  'raw-als': './systems/raw.mjs',
  effection: './systems/effection.mjs',
};
if (!(systemName in modules)) {
  console.error(`unknown system ${systemName}`);
  process.exit(2);
}
const system = await import(modules[systemName]);
const impl = await system.load({ als: systemName === 'raw-als' });
const fn = impl.workloads[workload];
if (typeof fn !== 'function') {
  console.log(JSON.stringify({ skipped: `${systemName} has no ${workload}` }));
  process.exit(0);
}

const warm = {};
for (const [key, value] of Object.entries(params)) {
  warm[key] = typeof value === 'number' ? Math.max(10, Math.ceil(value / 10)) : value;
}
if (!params.noWarmup) await fn(warm, performance);
if (globalThis.gc) globalThis.gc();
const result = await fn(params, performance);
console.log(JSON.stringify({ ...result, label: impl.label }));
