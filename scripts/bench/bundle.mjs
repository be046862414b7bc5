// The bundle-size check: each facade's hello-nursery program bundled with Rollup, node-resolve and
// terser (Node built-ins external), then gzipped. A facade whose dist does not build the program
// (missing, or an export it uses is absent) is reported with the kernel's program in its place.
//
//   node scripts/bench/bundle.mjs [--check]
//
// --check  fail if a program is over its budget (BUDGETS) or its eagerly loaded code holds a part
//          that must load lazily (LAZY_PARTS); CI runs this on the packages' dist.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * min+gzip bytes each program may take: the sizes measured when set, plus about 2 %. Set
 * 2026-12-02 after the issue 17 bundle round (Trio 12,003 B, asyncio 16,666 B, kernel 11,620 B;
 * from 12,639 / 17,178 / 11,897 B): the facades keep their per-run state in maps by runner rather
 * than `RunVar`s, and `callAt`, `currentSignal`'s signals and the `waitAllTasksBlocked` list left
 * the hot classes. Raised the same day by the session's other merges (Trio 12,523 B, asyncio
 * 17,328 B, kernel 12,142 B): what Trio's own tests ask of the kernel (misnested scope exits
 * repaired, non-strict groups collapsed, cancel-point counts, broken lots: ~320 B), one-by-one
 * stepping of a batch's tasks, and `callSoon(fn, arg)` with lazily named tasks. Lowered again
 * once hang detection, the signal dump and the task tree became the lazy watchdog chunk (Trio
 * 12,059 B, asyncio 16,865 B, kernel 11,687 B). Raised by session 17's Trio conformance sweep
 * (h3: Trio 12,603 B, asyncio 17,366 B, kernel 12,252 B, +565 B in the kernel): task names at
 * spawn (`startSoon({ name }, fn)`), instruments in Trio's order with hooks read at add,
 * `eventualParentNursery`, the internal error of `start()`'s own nursery, the async-generator
 * and broken-abort checks, the held calls of `runSyncSoon` (their code is its own module).
 * Raised in session 17 (2026-12-03) to the merged sizes plus 2 % (Trio 13,060 B, asyncio
 * 18,001 B, kernel 12,704 B): Ctrl-C handling in every run (catchInterrupt), host waits counted
 * for waitAllTasksBlocked, and the Trio sweep's named spawns, instrument order and start() errors.
 * asyncio raised in session 18 (h8): 18,326 -> 18,646 B by eager tasks (the kernel's eager first
 * step ~60 B, `setTaskFactory`/`getTaskFactory` and the factory path of every `createTask` ~150 B,
 * `TaskGroup.createTask` handling a task that ended eagerly ~60 B) and `isRunning`/`isClosed` with
 * the closed-loop check (~50 B); the budget is that plus 1 %.
 */
const BUDGETS = { '@duet/trio': 13_320, '@duet/asyncio': 18_830, '@duet/kernel': 12_960 };

/** Text only the lazily loaded chunks may hold, by the part it marks. */
const LAZY_PARTS = {
  'debug mode': 'Duet debug:',
  'the diagnostics publisher': 'runId',
  'hang detection and the task tree': 'task tree at t=',
};

async function sizeOf(entry) {
  const warnings = [];
  const build = await rollup({
    input: path.join(benchDir, 'bundle', entry),
    external: (id) => builtins.has(id),
    plugins: [nodeResolve({ exportConditions: ['import', 'default'], preferBuiltins: true })],
    onwarn: (w) => warnings.push(w),
  });
  const missing = warnings.find((w) => w.code === 'MISSING_EXPORT');
  if (missing) {
    await build.close();
    throw new Error(missing.message);
  }
  const { output } = await build.generate({
    format: 'es',
    plugins: [terser({ module: true, compress: { passes: 2 } })],
  });
  await build.close();
  // The entry chunk and the chunks it imports statically: what loads before the program runs.
  // Chunks reached only by dynamic import() (debug mode, the diagnostics publisher) load lazily.
  const chunks = new Map(output.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]));
  const loaded = new Set();
  const visit = (chunk) => {
    if (loaded.has(chunk)) return;
    loaded.add(chunk);
    for (const name of chunk.imports) if (chunks.has(name)) visit(chunks.get(name));
  };
  visit(output[0]);
  const code = [...loaded].map((c) => c.code).join('\n');
  const lazyCode = [...chunks.values()].filter((c) => !loaded.has(c)).map((c) => c.code);
  return {
    minBytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
    eager: Object.keys(LAZY_PARTS).filter((part) => code.includes(LAZY_PARTS[part])),
    lazy: Object.keys(LAZY_PARTS).filter((part) =>
      lazyCode.some((c) => c.includes(LAZY_PARTS[part])),
    ),
  };
}

export async function bundleSizes() {
  const out = [];
  for (const [facade, entry] of [
    ['@duet/trio', 'hello-trio.mjs'],
    ['@duet/asyncio', 'hello-asyncio.mjs'],
    ['@duet/kernel', 'hello-kernel.mjs'],
  ]) {
    try {
      out.push({ facade, entry, ...(await sizeOf(entry)) });
    } catch (err) {
      if (facade === '@duet/kernel') {
        out.push({ facade, entry, error: String(err.message).split('\n')[0].slice(0, 120) });
        continue;
      }
      const fallback = await sizeOf('hello-kernel.mjs').catch(() => null);
      out.push({
        facade,
        entry: fallback ? 'hello-kernel.mjs (facade not bundleable yet)' : entry,
        ...(fallback ?? { error: String(err.message).split('\n')[0].slice(0, 120) }),
        note: String(err.message).split('\n')[0].slice(0, 160),
      });
    }
  }
  return out;
}

/** The problems `--check` reports: budgets exceeded, lazy parts loaded eagerly or missing. */
export function bundleProblems(sizes) {
  const problems = [];
  for (const b of sizes) {
    if (b.error !== undefined || b.note !== undefined) {
      problems.push(`${b.facade}: not bundleable (${b.note ?? b.error})`);
      continue;
    }
    if (b.gzipBytes > BUDGETS[b.facade])
      problems.push(
        `${b.facade}: ${b.gzipBytes} B min+gzip, over its ${BUDGETS[b.facade]} B budget`,
      );
    for (const part of b.eager) problems.push(`${b.facade}: ${part} is in the eagerly loaded code`);
    for (const part of Object.keys(LAZY_PARTS)) {
      if (!b.lazy.includes(part))
        problems.push(`${b.facade}: no lazily loaded chunk holds ${part}`);
    }
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = await bundleSizes();
  for (const b of sizes) {
    console.log(
      `${b.facade.padEnd(14)} ${b.entry}: ${b.minBytes} B min, ${b.gzipBytes} B min+gzip`,
    );
  }
  if (process.argv.includes('--check')) {
    const problems = bundleProblems(sizes);
    for (const p of problems) console.error(`bundle check: ${p}`);
    if (problems.length !== 0) process.exit(1);
    console.log(
      `bundle check: every program within its budget; lazy: ${Object.keys(LAZY_PARTS).join(', ')}`,
    );
  }
}
