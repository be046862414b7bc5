#!/usr/bin/env node
// One measurement in a fresh process: `node --expose-gc worker.mjs <system> <workload> <params-json>`.
// Loads only the module of <system> (so the raw-Promise system never loads the kernel and its
// AsyncLocalStorage), runs the workload once at a tenth of its size to warm up, then once measured,
// and prints one JSON line: { ms, cpuMs, ops, label, heapPerTask? }.
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
// CPU time of the measured run (every thread: GC helpers included) for comparisons on a busy
// machine, where other processes stretch the wall time but not the work done.
const cpu0 = process.cpuUsage();
const result = await fn(params, performance);
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(JSON.stringify({ ...result, cpuMs, label: impl.label }));
