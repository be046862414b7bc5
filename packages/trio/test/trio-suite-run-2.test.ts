// A fifth sweep over Trio's trio/_core/_tests/test_run.py: the scenarios that trio-suite-run,
// trio-suite-nursery, trio-suite-cancel and trio-suite-lowlevel leave out, written afresh against
// Duet's API (slow aborts under repeated cancels, system tasks failing with a KeyboardInterrupt or
// a group, the run context seen from an abort function, the real clock, a cancel scope's text).
import {
  CancelScope,
  Cancelled,
  ExceptionGroup,
  KeyboardInterrupt,
  TrioInternalError,
  checkpoint,
  currentTask,
  currentTime,
  openNursery,
  run,
  sleepForever,
} from '@duet/trio';
import {
  Abort,
  inTrioRun,
  inTrioTask,
  spawnSystemTask,
  waitTaskRescheduled,
} from '@duet/trio/lowlevel';
import { AsyncLocalStorage } from 'node:async_hooks';
import { waitWithSlowAbort } from './helpers-lowlevel';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

/** Runs `main` and returns the error it fails with (the test fails if it does not). */
async function runFailure(main: () => Promise<void>): Promise<unknown> {
  try {
    await run(main);
  } catch (error) {
    return error;
  }
  throw new Error('the run was expected to fail');
}

describe('slow aborts', () => {
  test(
    'two cancels call a failing abort once; shielding before the reschedule still delivers the Cancelled',
    trioTest(async () => {
      const record: string[] = [];
      const slowAborter = async () => {
        record.push('sleeping');
        const wait = waitWithSlowAbort(() => record.push('abort called'));
        await expect(wait).rejects.toBeInstanceOf(Cancelled);
        record.push('cancelled');
        await checkpoint(); // shielded by now: does not raise
        record.push('done');
      };
      await new CancelScope().run(async (outer1) => {
        await new CancelScope().run(async (outer2) => {
          await openNursery(async (nursery) => {
            nursery.startSoon(slowAborter);
            await waitAllTasksBlocked();
            expect(record).toEqual(['sleeping']);
            outer1.cancel();
            expect(record).toEqual(['sleeping', 'abort called']);
            outer2.cancel(); // already aborting: the abort is not called again
            expect(record).toEqual(['sleeping', 'abort called']);
            nursery.cancelScope.shield = true;
          });
          expect(record).toEqual(['sleeping', 'abort called', 'cancelled', 'done']);
        });
      });
    }),
  );
});

describe('system tasks that crash', () => {
  test('a KeyboardInterrupt from a system task is an internal error caused by it', async () => {
    const ki = new KeyboardInterrupt();
    const error = await runFailure(async () => {
      spawnSystemTask(async () => {
        throw ki;
      });
      await sleepForever();
    });
    expect(error).toBeInstanceOf(TrioInternalError);
    expect((error as Error).cause).toBe(ki);
  });

  test('a system task whose nursery collects two errors: the internal error is caused by that group', async () => {
    const first = new TypeError('first');
    const second = new RangeError('second');
    const error = await runFailure(async () => {
      spawnSystemTask(async () => {
        await openNursery(async (nursery) => {
          nursery.startSoon(async () => {
            throw first;
          });
          nursery.startSoon(async () => {
            throw second;
          });
        });
      });
      await sleepForever();
    });
    expect(error).toBeInstanceOf(TrioInternalError);
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(ExceptionGroup);
    expect((cause as ExceptionGroup).exceptions).toEqual([first, second]);
  });
});

describe('the run context', () => {
  test(
    'an abort function runs in the run and in the task it aborts',
    trioTest(async () => {
      const seen: boolean[] = [];
      const task = currentTask();
      let abortTask: unknown = null;
      await new CancelScope({ deadline: currentTime() - 1 }).run(async () => {
        await expect(
          waitTaskRescheduled(() => {
            seen.push(inTrioRun(), inTrioTask());
            abortTask = currentTask();
            return Abort.SUCCEEDED;
          }),
        ).rejects.toBeInstanceOf(Cancelled);
      });
      expect(seen).toEqual([true, true]);
      expect(abortTask).toBe(task);
    }),
  );

  test(
    'the real clock moves: currentTime() grows while the task spins',
    trioTest(
      async () => {
        const before = currentTime();
        const start = performance.now();
        while (performance.now() - start < 2); // a busy wait of 2 ms, no await
        expect(currentTime()).toBeGreaterThan(before);
      },
      { clock: 'system' },
    ),
  );
});

describe('AsyncLocalStorage (the contextvars of JavaScript)', () => {
  test("children and system tasks see the context run() was called in, not the spawner's (a README difference)", async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen: Record<string, string | undefined> = {};
    await storage.run('run', () =>
      run(async () => {
        seen.root = storage.getStore();
        await openNursery(async (nursery) => {
          storage.run('spawner', () => {
            nursery.startSoon(async () => {
              await checkpoint();
              seen.child = storage.getStore();
            });
            spawnSystemTask(async () => {
              seen.system = storage.getStore();
            });
          });
        });
      }),
    );
    expect(seen).toEqual({ root: 'run', child: 'run', system: 'run' });
  });
});

describe("a cancel scope's description", () => {
  test(
    'toString says unbound, active, the deadline from now or ago, cancelled, exited',
    trioTest(async (clock) => {
      const scope = new CancelScope();
      expect(String(scope)).toBe('<CancelScope unbound>');
      await scope.run(async () => {
        expect(String(scope)).toBe('<CancelScope active>');
        scope.deadline = currentTime() + 10;
        expect(String(scope)).toBe('<CancelScope active, deadline is 10.00 seconds from now>');
        // Time passes the deadline; until the run notices, the text says how long ago it was.
        clock.jump(11);
        expect(String(scope)).toBe('<CancelScope active, deadline is 1.00 seconds ago>');
        scope.cancel();
        expect(String(scope)).toBe('<CancelScope active, cancelled>');
      });
      expect(String(scope)).toBe('<CancelScope exited, cancelled>');
    }),
  );
});
