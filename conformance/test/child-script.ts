// Runs a scenario in a child Node process, for what Jest's sandboxed `process` cannot host: real
// signals (its listeners never receive them) and the way a process ends. The script gets the
// sources of both facades as `t` (@duet/trio) and `a` (@duet/asyncio), and helpers: `raise(name)`
// sends itself a signal and gives it time to arrive, `failure(fn)` is the name and message of
// what `fn` rejects with (a group of one error unwrapped).
import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const source = (pkg: string) => JSON.stringify(path.join(root, `packages/${pkg}/src/index.ts`));

/** How the child ended and what it printed. */
export interface ChildOutcome {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** stdout, trimmed, one entry per line. */
  lines: string[];
}

const PRELUDE = `
const defaultOf = (m) => (m.run ? m : m.default);
const t = defaultOf(await import(${source('trio')}));
const a = defaultOf(await import(${source('asyncio')}));
const raise = async (name) => {
  process.kill(process.pid, name);
  await new Promise((r) => setTimeout(r, 30));
};
const failure = async (fn) => {
  try {
    await fn();
    return 'no error';
  } catch (e) {
    const leaf = e.exceptions?.length === 1 ? e.exceptions[0] : e;
    return leaf.name + ': ' + leaf.message;
  }
};
`;

/** Runs `body` (an ES module body, top-level await allowed) after the prelude, with tsx. */
export function runChildScript(body: string): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', PRELUDE + body],
      { cwd: root, timeout: 30_000 },
      (err, stdout, stderr) => {
        const failed = err as { code?: number; signal?: string } | null;
        resolve({
          code: failed === null ? 0 : (failed.code ?? null),
          signal: failed?.signal ?? null,
          stdout,
          stderr,
          lines: stdout.trim().split('\n'),
        });
      },
    );
  });
}
