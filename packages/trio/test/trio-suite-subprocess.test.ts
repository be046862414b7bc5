// Subprocess behaviours that Trio's own suite checks (trio/_tests/test_subprocess.py: run_process
// in the background with nursery.start, stdin as bytes, pipes only with start, deliver_cancel,
// Process.stdio, signals), written afresh against Duet's API. process.test.ts covers the basics.
import {
  CalledProcessError,
  ExceptionGroup,
  Process,
  ValueError,
  openNursery,
  openProcess,
  run,
  runProcess,
  sleepForever,
} from '@duet/trio';
import { failure, leaves } from './helpers-errors';

const node = process.execPath;
const js = (code: string): string[] => [node, '-e', code];
const SLEEP = js('setTimeout(() => {}, 1e6)');
const COPY_AND_BACKWARD = js(
  'const c = []; process.stdin.on("data", (d) => c.push(d)).on("end", () => {' +
    ' const data = Buffer.concat(c); process.stdout.write(data);' +
    ' process.stderr.write(Buffer.from(data).reverse()); });',
);

describe('runProcess in the background (nursery.start)', () => {
  test('start() returns the Process; its pipes are yours; the nursery waits for it', async () => {
    await run(async () => {
      let proc: Process | undefined;
      await openNursery(async (nursery) => {
        proc = await nursery.start(runProcess, COPY_AND_BACKWARD, {
          stdin: 'pipe',
          stdout: 'pipe',
          stderr: 'pipe',
          check: false,
        });
        expect(proc).toBeInstanceOf(Process);
        const p = proc;
        const read = async (stream: NonNullable<Process['stdout']>, into: Buffer[]) => {
          for await (const chunk of stream) into.push(Buffer.from(chunk));
        };
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        await openNursery(async (inner) => {
          inner.startSoon(read, p.stdout!, out);
          inner.startSoon(read, p.stderr!, err);
          await p.stdin!.sendAll('the quick brown fox');
          await p.stdin!.aclose();
        });
        expect(Buffer.concat(out).toString()).toBe('the quick brown fox');
        expect(Buffer.concat(err).toString()).toBe('xof nworb kciuq eht');
      });
      expect(proc!.returncode).toBe(0);
    });
  });

  test('a failing command started in the background raises CalledProcessError into the nursery', async () => {
    await run(async () => {
      let proc: Process | undefined;
      const err = await failure(
        openNursery(async (nursery) => {
          proc = await nursery.start(runProcess, js('process.exit(1)'));
          expect(proc).toBeInstanceOf(Process);
        }),
      );
      expect(err).toBeInstanceOf(ExceptionGroup);
      expect(leaves(err)).toHaveLength(1);
      expect(leaves(err)[0]).toBeInstanceOf(CalledProcessError);
      expect(proc!.returncode).toBe(1);
    });
  });

  test('Process.stdio: stdin and stdout stapled, with stderr sent to stdout', async () => {
    await run(async () => {
      await openNursery(async (nursery) => {
        const proc = await nursery.start(runProcess, COPY_AND_BACKWARD, {
          stdin: 'pipe',
          stdout: 'pipe',
          stderr: 'stdout',
          check: false,
        });
        expect(proc.stdio).not.toBeNull();
        expect(proc.stderr).toBeNull();
        await proc.stdio!.sendAll('1234');
        await proc.stdio!.sendEof();
        const output: Buffer[] = [];
        for (;;) {
          const chunk = await proc.stdio!.receiveSome(16);
          if (chunk.length === 0) break;
          output.push(Buffer.from(chunk));
        }
        expect(Buffer.concat(output).toString()).toBe('12344321');
      });
      // Without both pipes there is no stdio.
      const proc = await openProcess(js(''), { stdin: 'pipe' });
      expect(proc.stdio).toBeNull();
      await proc.aclose();
    });
  });

  test('cancelling the nursery stops the background process', async () => {
    await run(async () => {
      let proc: Process | undefined;
      await openNursery(async (nursery) => {
        proc = await nursery.start(runProcess, SLEEP, { check: false });
        nursery.cancelScope.cancel();
      });
      expect(proc!.returncode).toBe(-15);
    });
  });
});

describe('runProcess options as Trio', () => {
  test('stdin may be the bytes to feed the child', async () => {
    await run(async () => {
      const data = Buffer.from(Array.from({ length: 1 << 16 }, (_, i) => i % 251));
      const result = await runProcess(COPY_AND_BACKWARD, {
        stdin: data,
        captureStdout: true,
        captureStderr: true,
      });
      expect(result.returncode).toBe(0);
      expect(Buffer.compare(result.stdout!, data)).toBe(0);
      expect(Buffer.compare(result.stderr!, Buffer.from(data).reverse())).toBe(0);
      await expect(runProcess(js(''), { stdin: data, input: data })).rejects.toBeInstanceOf(
        ValueError,
      );
    });
  });

  test("'pipe' without nursery.start is a ValueError: nobody could reach the pipe", async () => {
    await run(async () => {
      for (const name of ['stdin', 'stdout', 'stderr'] as const) {
        const err = await failure(runProcess(js(''), { [name]: 'pipe' }));
        expect(err).toBeInstanceOf(ValueError);
        expect((err as Error).message).toMatch(
          new RegExp(`${name}: 'pipe' is only valid with nursery.start`),
        );
      }
    });
  });

  test('deliverCancel is called on cancellation, and cancelled once the child has exited', async () => {
    await run(async () => {
      let called = false;
      let exitedWhenCancelled: boolean | undefined;
      const deliverCancel = async (proc: Process) => {
        called = true;
        proc.terminate();
        try {
          await sleepForever();
        } finally {
          exitedWhenCancelled = proc.returncode !== null;
        }
      };
      let proc: Process | undefined;
      await openNursery(async (nursery) => {
        // A process wait is not a kernel wait (waitAllTasksBlocked would not return): start()
        // says when the child runs.
        proc = await nursery.start(runProcess, SLEEP, { deliverCancel });
        nursery.cancelScope.cancel();
      });
      expect(called).toBe(true);
      expect(exitedWhenCancelled).toBe(true);
      expect(proc!.returncode).toBe(-15);
    });
  });

  test('a deliverCancel that throws: the error comes out (in groups) and the child is still stopped', async () => {
    const procs: Process[] = [];
    const err = await failure(
      run(() =>
        openNursery(async (nursery) => {
          for (const terminateFirst of [false, true]) {
            procs.push(
              await nursery.start(runProcess, SLEEP, {
                deliverCancel: (p: Process) => {
                  if (terminateFirst) p.terminate();
                  throw new Error('foo');
                },
                terminateGrace: 0.5,
              }),
            );
          }
          nursery.cancelScope.cancel();
        }),
      ),
    );
    // The nursery's group, holding runProcess's own (as Trio: one per nursery).
    expect(err).toBeInstanceOf(ExceptionGroup);
    for (const inner of (err as ExceptionGroup).exceptions)
      expect(inner).toBeInstanceOf(ExceptionGroup);
    expect(leaves(err).map((e) => (e as Error).message)).toEqual(['foo', 'foo']);
    for (const proc of procs) expect(proc.returncode).toBe(-15);
  });
});

describe('signals', () => {
  test('kill, terminate and sendSignal end the child with minus the signal number', async () => {
    await run(async () => {
      const cases: [(p: Process) => void, number][] = [
        [(p) => p.kill(), -9],
        [(p) => p.terminate(), -15],
        // Not SIGUSR1: a Node child that has started up takes it to open its inspector and lives
        // on (the test hung whenever the signal came after that); SIGUSR2 it leaves to the default.
        [(p) => p.sendSignal('SIGUSR2'), -12],
      ];
      for (const [send, code] of cases) {
        await openNursery(async (nursery) => {
          const proc = await nursery.start(runProcess, SLEEP, { check: false });
          send(proc);
          expect(await proc.wait()).toBe(code);
        });
      }
    });
  }, 30_000); // three child processes one after another: slow to start on a loaded CI machine
});
