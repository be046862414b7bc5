/**
 * Nothing lingers after `run()`: for each resource a program can leave open, a child Node process
 * runs the program and must exit on its own soon after `run()` settled, with no handle of ours in
 * `process.getActiveResourcesInfo()`. What happens to each resource is in docs/reliability.md.
 */
import { execFile } from 'node:child_process';
import type net from 'node:net';
import path from 'node:path';
import * as kernel from '@duet/kernel';
import * as trio from '@duet/trio';
import * as aio from '@duet/asyncio';

const root = path.resolve(__dirname, '../..');
const src = (pkg: string) => JSON.stringify(path.join(root, `packages/${pkg}/src/index.ts`));

interface Outcome {
  /** What the script printed after run() settled. */
  report: { resources: string[]; note?: unknown } | null;
  /** Milliseconds from run() settling to the process exiting. */
  exitMs: number;
  code: number | null;
  stderr: string;
}

/**
 * Runs `body` (a module script with `trio`, `aio`, `kernel` and `bridge` in scope, whose last statement
 * awaits a run) in a child process and measures how long the process lives after it.
 */
function runScript(body: string): Promise<Outcome> {
  const script = `
    const load = async (p) => { const m = await import(p); return m.run ? m : m.default; };
    const trio = await load(${src('trio')});
    const aio = await load(${src('asyncio')});
    const kernel = await load(${src('kernel')});
    const bridge = await load(${src('bridge')});
    const NODE = ${JSON.stringify(process.execPath)};
    const before = process.getActiveResourcesInfo();
    let note;
    ${body}
    // What is left that was not there before the run.
    const resources = process.getActiveResourcesInfo();
    for (const r of before) resources.splice(resources.indexOf(r), 1);
    process.stdout.write(JSON.stringify({ resources, note }) + '\\n' + Date.now() + '\\n');
  `;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root, timeout: 20_000 },
      (err, stdout, stderr) => {
        const end = Date.now();
        const [json, at] = stdout.trim().split('\n').slice(-2);
        let report = null;
        try {
          report = JSON.parse(json ?? '') as Outcome['report'];
        } catch {
          // reported below through `report: null`
        }
        resolve({
          report,
          exitMs: at === undefined ? Infinity : end - Number(at),
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stderr,
        });
      },
    );
  });
}

/** A child that would run for 5 s (long enough to see that we do not wait for it). */
const SLOW_CHILD = `[NODE, '-e', 'setTimeout(() => {}, 5000)']`;
/** Its stdio apart from stdout: not ours, or the test would wait for the pipes it inherited. */
const QUIET = `stdin: 'ignore', stderr: 'ignore'`;

const cases: [string, string][] = [
  [
    'an asyncio Server left open (with a client connected and its reader never read)',
    `await aio.run(async () => {
      const server = await aio.startServer(async () => { await aio.sleep(3600); }, '127.0.0.1', 0);
      const [, port] = server.sockets[0].getsockname();
      const [reader, writer] = await aio.openConnection('127.0.0.1', port);
      writer.write('hello');
      await aio.sleep(0.05);
    });`,
  ],
  [
    'an asyncio Server left open, never connected to',
    `await aio.run(async () => { await aio.startServer(async () => {}, '127.0.0.1', 0); });`,
  ],
  [
    'an asyncio Server inside a bridged loop in a Trio run',
    `await trio.run(() => bridge.openAsyncioLoop(async () => {
      await aio.startServer(async () => {}, '127.0.0.1', 0);
    }));`,
  ],
  [
    'an unclosed Trio openProcess (piped stdout)',
    `let pid;
    await trio.run(async () => {
      const proc = await trio.openProcess(${SLOW_CHILD}, { stdout: 'pipe', ${QUIET} });
      pid = proc.pid;
    });
    note = pid;`,
  ],
  [
    'an asyncio Process whose wait() was cancelled',
    `await aio.run(async () => {
      const proc = await aio.createSubprocessExec(...${SLOW_CHILD}, { stdout: aio.PIPE, stdin: aio.DEVNULL, stderr: aio.DEVNULL });
      await aio.waitFor(() => proc.wait(), 0.05).catch(() => {});
    });`,
  ],
  [
    'abandoned toThread work (Trio, abandonOnCancel)',
    `await trio.run(() => trio.moveOnAfter(0.05, () =>
      trio.toThread.runSync({ abandonOnCancel: true }, () => { const end = Date.now() + 3000; while (Date.now() < end); })));`,
  ],
  [
    'abandoned toThread work (asyncio, cancelled)',
    `await aio.run(() => aio.waitFor(() => aio.toThread(() => { const end = Date.now() + 3000; while (Date.now() < end); }), 0.05).catch(() => {}));`,
  ],
];

describe('nothing lingers after run()', () => {
  test.each(cases)(
    '%s: the process exits on its own within a second',
    async (_name, body) => {
      const outcome = await runScript(body);
      expect(outcome.stderr).toBe('');
      expect(outcome.report).not.toBeNull();
      expect(outcome.report!.resources).toEqual([]);
      expect(outcome.code).toBe(0);
      expect(outcome.exitMs).toBeLessThan(1000);
      const pid = outcome.report!.note;
      if (typeof pid === 'number') {
        // A Trio child left open goes on running, as under Trio; the parent just does not wait.
        expect(() => process.kill(pid, 0)).not.toThrow();
        process.kill(pid, 'SIGKILL');
      }
    },
    30_000,
  );
});

describe('what run() does with what is left open (in this process)', () => {
  test('asyncio: a Server is closed and its connections and openConnection sockets dropped', async () => {
    const { server, client } = await aio.run(async () => {
      const server = await aio.startServer(() => aio.sleep(3600), '127.0.0.1', 0);
      const [, port] = server.sockets[0]!.getsockname();
      const [, writer] = await aio.openConnection('127.0.0.1', port as number);
      await aio.sleep(0.05);
      return { server, client: writer.transport as net.Socket };
    });
    expect(server.server.listening).toBe(false);
    expect(server.isServing()).toBe(false);
    expect(client.destroyed).toBe(true);
  });

  test('asyncio: a running subprocess is killed; a finished one is left alone', async () => {
    const [running, finished] = await aio.run(async () => {
      const slow = await aio.createSubprocessExec(
        process.execPath,
        '-e',
        'setTimeout(() => {}, 5000)',
        {
          stdout: aio.PIPE,
        },
      );
      const quick = await aio.createSubprocessExec(process.execPath, '-e', '', {
        stdout: aio.PIPE,
      });
      await quick.wait();
      return [slow, quick];
    });
    if (running.child.exitCode === null && running.child.signalCode === null) {
      await new Promise((resolve) => running.child.once('exit', resolve));
    }
    expect(running.child.signalCode).toBe('SIGKILL');
    expect(finished.returncode).toBe(0);
  });

  test('Trio: an unclosed process runs on, without our ends of its pipes', async () => {
    const proc = await trio.run(() =>
      trio.openProcess([process.execPath, '-e', 'setTimeout(() => {}, 5000)'], { stdout: 'pipe' }),
    );
    try {
      expect(proc.returncode).toBeNull();
      expect(proc.child.stdout!.destroyed).toBe(true);
      expect(() => process.kill(proc.pid, 0)).not.toThrow();
    } finally {
      proc.child.kill('SIGKILL');
      await new Promise((resolve) => proc.child.once('exit', resolve));
    }
  });

  test('a resource closed by its owner is not touched again at the end of the run', async () => {
    const released: string[] = [];
    await kernel.run(() => {
      const forget = kernel.atRunEnd(() => void released.push('closed one'));
      kernel.atRunEnd(() => void released.push('open one'));
      forget();
    });
    expect(released).toEqual(['open one']);
  });

  test('a release that throws does not stop the others', async () => {
    const released: string[] = [];
    await kernel.run(() => {
      kernel.atRunEnd(() => {
        throw new Error('already gone');
      });
      kernel.atRunEnd(() => void released.push('second'));
    });
    expect(released).toEqual(['second']);
  });
});
