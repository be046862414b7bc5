// What soak.mjs and load.mjs share: flags, the heap after GC, and the parent/child harness that
// runs each facade in a fresh `node --expose-gc` process and measures how long it takes to exit.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const argv = process.argv.slice(2);

/** The value after `--name`, or `fallback`. */
export function flag(name, fallback) {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : argv[i + 1];
}

/** `heapUsed` after two full GCs (the process runs with --expose-gc). */
export function heapAfterGc() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/**
 * As the child (`--child trio|asyncio`): runs that facade's `measure()`, adds the handles it left
 * once the host has freed those closed at the end (the next turn), prints the result and the time.
 * As the parent: runs a child per facade of `--facades`, adds `exitMs` (from the child's run()
 * settling to its exit) and what `summarize` derives, prints everything with the machine and
 * the command, and exits 1 if any facade had errors or left a handle.
 */
export async function harness(scriptUrl, measures, summarize) {
  const facade = flag('child', null);
  if (facade !== null) {
    const before = process.getActiveResourcesInfo();
    const result = await measures[facade]();
    await new Promise((resolve) => setTimeout(resolve, 0));
    result.activeResources = process.getActiveResourcesInfo();
    for (const r of before) result.activeResources.splice(result.activeResources.indexOf(r), 1);
    process.stdout.write(`${JSON.stringify(result)}\n${Date.now()}\n`);
    return;
  }
  const script = fileURLToPath(scriptUrl);
  let failed = false;
  for (const name of flag('facades', 'trio,asyncio').split(',')) {
    const proc = spawn(process.execPath, ['--expose-gc', script, ...argv, '--child', name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const exitedAt = await new Promise((resolve) => proc.on('exit', () => resolve(Date.now())));
    const [json, settledAt] = out.trim().split('\n');
    const result = JSON.parse(json);
    result.exitMs = exitedAt - Number(settledAt);
    summarize(result);
    failed ||= result.errors !== 0 || result.activeResources.length !== 0;
    console.log(`${name}:`, JSON.stringify(result, null, 2));
  }
  const cpu = os.cpus();
  console.log(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`,
  );
  const relative = path.relative(process.cwd(), script);
  console.log(`command: node ${relative} ${argv.join(' ')}`.trim());
  process.exitCode = failed ? 1 : 0;
}
