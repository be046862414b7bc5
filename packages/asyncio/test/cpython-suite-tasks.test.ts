/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_tasks.py (Task cancel / uncancel /
 * cancelling, cancel messages, current task, sleep, ensureFuture), restated for Duet's API.
 * Each case was run on CPython 3.11 (`python3.11`) where 3.11 and 3.13 agree; the comments name
 * the CPython test each one follows.
 */
import {
  CancelledError,
  Future,
  Task,
  TimeoutError,
  createTask,
  currentTask,
  ensureFuture,
  gather,
  getRunningLoop,
  sleep,
} from '@duet/asyncio';
import { vrun } from './helpers';

describe('CPython test_tasks: cancellation', () => {
  // test_task_cancel_message_getter / test_cancel_with_message_then_future_result
  test('the message given to cancel() is the message of the CancelledError raised by await and result()', async () => {
    const out = await vrun(async () => {
      const t = createTask(() => sleep(10));
      await sleep(0);
      t.cancel('my message');
      const raised = await t.then(
        () => 'resolved',
        (err: unknown) => (err instanceof CancelledError ? err.message : 'other'),
      );
      let fromResult = '';
      try {
        t.result();
      } catch (err) {
        fromResult = err instanceof CancelledError ? err.message : 'other';
      }
      return [raised, fromResult, t.cancelled()];
    });
    expect(out).toEqual(['my message', 'my message', true]);
  });

  // test_cancel_with_message_before_starting_task
  test('a message given before the task started reaches result() too', async () => {
    const out = await vrun(async () => {
      let ran = false;
      const t = createTask(async () => {
        ran = true;
        await sleep(10);
      });
      t.cancel('my message');
      await t.then(undefined, () => undefined);
      let message = '';
      try {
        t.result();
      } catch (err) {
        message = (err as Error).message;
      }
      return [ran, message];
    });
    expect(out).toEqual([false, 'my message']);
  });

  // test_cancellation_exception_context
  test('a CancelledError caught from an awaited task carries the message of that task cancel', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const started = new Future<void>();
      const outer = createTask(async () => {
        const inner = createTask(async () => {
          started.setResult();
          await sleep(10);
        });
        await started;
        loop.callSoon(() => inner.cancel('msg'));
        try {
          await inner;
        } catch (err) {
          throw new Error('cancelled', { cause: err });
        }
      });
      try {
        await outer;
        return 'no error';
      } catch (err) {
        const cause = (err as Error).cause;
        return [
          (err as Error).message,
          cause instanceof CancelledError,
          (cause as Error).message,
          outer.cancelled(),
        ];
      }
    });
    expect(out).toEqual(['cancelled', true, 'msg', false]);
  });

  // test_cancel_yield
  test('a task cancelled between two sleep(0) ends cancelled; cancel() is then false', async () => {
    const out = await vrun(async () => {
      const t = createTask(async () => {
        await sleep(0);
        await sleep(0);
        return 12;
      });
      await sleep(0); // t starts and waits in its first sleep(0)
      t.cancel();
      await t.then(undefined, () => undefined);
      return [t.done(), t.cancelled(), t.cancel()];
    });
    expect(out).toEqual([true, true, false]);
  });

  // test_cancel_inner_future / test_cancel_both_task_and_inner_future
  test.each([
    ['the future', false],
    ['both the task and the future', true],
  ])('cancelling %s a task waits on ends the task cancelled', async (_, alsoTask) => {
    const out = await vrun(async () => {
      const fut = new Future<number>();
      const t = createTask(async () => {
        await fut;
        return 12;
      });
      await sleep(0);
      fut.cancel();
      if (alsoTask) t.cancel();
      await t.then(undefined, () => undefined);
      return [fut.cancelled(), t.done(), t.cancelled()];
    });
    expect(out).toEqual([true, true, true]);
  });

  // test_cancel_task_ignoring
  test('a task that ignores a cancel goes on to the next wait and completes', async () => {
    const out = await vrun(async () => {
      const fut1 = new Future<void>();
      const fut2 = new Future<void>();
      const fut3 = new Future<number>();
      const t = createTask(async () => {
        await fut1;
        try {
          await fut2;
        } catch (err) {
          if (!(err instanceof CancelledError)) throw err;
        }
        return await fut3;
      });
      await sleep(0);
      fut1.setResult();
      await sleep(0);
      t.cancel();
      while (!fut2.done()) await sleep(0);
      fut3.setResult(42);
      return [await t, fut2.cancelled(), fut3.cancelled(), t.cancelled()];
    });
    expect(out).toEqual([42, true, false, false]);
  });

  // test_cancel_current_task
  test('a task that cancels itself is cancelled at its next wait', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      const t: Task<number> = createTask(async () => {
        log.push(`cancel returned ${t.cancel()}`);
        await sleep(100);
        log.push('not reached');
        return 12;
      });
      await t.then(undefined, (err: unknown) => log.push(`raised ${(err as Error).name}`));
      log.push(`done=${t.done()} cancelled=${t.cancelled()} cancel=${t.cancel()}`);
      return log;
    });
    expect(out).toEqual([
      'cancel returned true',
      'raised Cancelled',
      'done=true cancelled=true cancel=false',
    ]);
  });

  // test_cancelling
  test('every cancel() of a pending task returns true and counts', async () => {
    const out = await vrun(async () => {
      const t = createTask(() => sleep(10));
      const before = t.cancelling();
      const first = t.cancel();
      const afterOne = t.cancelling();
      const second = t.cancel();
      const afterTwo = t.cancelling();
      await t.then(undefined, () => undefined);
      return [before, first, afterOne, second, afterTwo, t.cancelled()];
    });
    expect(out).toEqual([0, true, 1, true, 2, true]);
  });

  // test_uncancel_basic
  test('uncancel() in the handler lets the task wait again; a second cancel ends it; uncancel() after the end changes nothing', async () => {
    const out = await vrun(async () => {
      const t = createTask(async () => {
        try {
          await sleep(10);
        } catch (err) {
          if (!(err instanceof CancelledError)) throw err;
          currentTask()!.uncancel();
          await sleep(10);
        }
      });
      await sleep(0.01);
      const log: unknown[] = [t.cancel(), t.cancelling(), t.cancelled()];
      await sleep(0.01);
      log.push(t.cancelling(), t.done());
      log.push(t.cancel(), t.cancelling());
      await t.then(undefined, () => undefined);
      log.push(t.cancelled(), t.done());
      t.uncancel();
      log.push(t.cancelled(), t.done());
      return log;
    });
    expect(out).toEqual([true, 1, false, 0, false, true, 1, true, true, true, true]);
  });

  // test_uncancel_structured_blocks: a hand-written timeout with callLater + uncancel()
  test.each([
    ['times out', 10, 0.1, [true, false, true, 0]],
    ['finishes in time', 0, 10, [false, true, true, 0]],
  ])(
    'a hand-made timeout built on cancel() and uncancel() (%s)',
    async (_, sleepFor, after, expected) => {
      const out = await vrun(async () => {
        const task = currentTask()!;
        let timedOut = false;
        let blockFinished = false;
        const handle = getRunningLoop().callLater(after, () => {
          timedOut = true;
          task.cancel();
        });
        try {
          try {
            await sleep(sleepFor);
            blockFinished = true;
          } catch (err) {
            if (timedOut && task.uncancel() === 0 && err instanceof CancelledError)
              throw new TimeoutError('timeout', { cause: err });
            throw err;
          } finally {
            handle.cancel();
          }
        } catch (err) {
          if (!(err instanceof TimeoutError)) throw err;
        }
        await sleep(0); // the code after the block runs: the task is not cancelled any more
        return [timedOut, blockFinished, true, task.cancelling()];
      });
      expect(out).toEqual(expected);
    },
  );

  // test_cancel_awaited_task (the awaited task is cancelled along with the awaiting one)
  test('cancelling a task that awaits another task cancels both', async () => {
    const out = await vrun(async () => {
      const inner = createTask(() => sleep(10));
      const outer = createTask(() => inner);
      await sleep(0);
      outer.cancel();
      await outer.then(undefined, () => undefined);
      await inner.then(undefined, () => undefined);
      return [outer.cancelled(), inner.cancelled()];
    });
    expect(out).toEqual([true, true]);
  });

  // test_task_cancel_waiter_future
  test('the future a task waits on is cancelled when the task is', async () => {
    const out = await vrun(async () => {
      const fut = new Future<void>();
      const t = createTask(() => fut);
      await sleep(0);
      const cancelReturned = t.cancel();
      await t.then(undefined, () => undefined);
      return [cancelReturned, fut.cancelled(), t.cancelled()];
    });
    expect(out).toEqual([true, true, true]);
  });
});

describe('CPython test_tasks: tasks, sleep, ensureFuture', () => {
  // test_current_task_with_interleaving_tasks
  test('currentTask() is the running task across interleaved waits', async () => {
    const out = await vrun(async () => {
      const fut1 = new Future<void>();
      const fut2 = new Future<void>();
      const seen: boolean[] = [];
      const t1: Task<void> = createTask(async () => {
        seen.push(currentTask() === t1);
        await fut1;
        seen.push(currentTask() === t1);
        fut2.setResult();
      });
      const t2: Task<void> = createTask(async () => {
        seen.push(currentTask() === t2);
        fut1.setResult();
        await fut2;
        seen.push(currentTask() === t2);
      });
      await gather(t1, t2);
      return seen;
    });
    expect(out).toEqual([true, true, true, true]);
  });

  // test_sleep / test_sleep_zero
  test('sleep(delay, result) returns result after delay; sleep(0) and a negative delay return at once', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const t0 = loop.time();
      const a = await sleep(0.1, 'yeah');
      const t1 = loop.time();
      const b = await sleep(0, 'zero');
      const c = await sleep(-1, 'negative');
      return [a, t1 - t0 >= 0.1, b, c, loop.time() === t1];
    });
    expect(out).toEqual(['yeah', true, 'zero', 'negative', true]);
  });

  // test_sleep_cancel
  test('cancelling a sleeping task ends it cancelled, before the sleep would end', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const t = createTask(() => sleep(10, 'yeah'));
      await sleep(0);
      t.cancel();
      await t.then(undefined, () => undefined);
      return [t.cancelled(), loop.time() < 10];
    });
    expect(out).toEqual([true, true]);
  });

  // test_ensure_future_future / test_ensure_future_task
  test('ensureFuture returns a Future or Task as it is and wraps a function in a Task', async () => {
    const out = await vrun(async () => {
      const fut = new Future<number>();
      const task = createTask(async () => 1);
      const wrapped = ensureFuture(async () => 'ok');
      fut.setResult(3);
      return [
        ensureFuture(fut) === fut,
        ensureFuture(task) === task,
        wrapped instanceof Task,
        await wrapped,
      ];
    });
    expect(out).toEqual([true, true, true, 'ok']);
  });

  // test_ensure_future_neither
  test('ensureFuture of something that is neither awaitable nor a function is a TypeError', async () => {
    await vrun(async () => {
      expect(() => ensureFuture('ok' as never)).toThrow(TypeError);
    });
  });

  // test_create_task_with_noncoroutine
  test('createTask of a non-function is a TypeError', async () => {
    await vrun(async () => {
      expect(() => createTask(123 as never)).toThrow(TypeError);
    });
  });
});
