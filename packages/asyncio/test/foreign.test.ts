/**
 * Issue 14 for asyncio-style cancellation: `task.cancel()`, `timeout()` and `waitFor()` reach
 * foreign work through `currentSignal()`, and `run(main, { signal })` lets an outside signal in.
 */
import { getEventListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CancelledError,
  TimeoutError,
  awaitForeign,
  createTask,
  currentSignal,
  currentTask,
  getRunningLoop,
  run,
  sleep,
  timeout,
  waitFor,
} from '@duet/asyncio';

/** A plain await of timers/promises with the task's signal; says how it ended. */
async function foreignSleep(ms: number): Promise<string> {
  try {
    await delay(ms, undefined, { signal: currentSignal() });
    return 'slept';
  } catch (err) {
    return (err as Error).name;
  }
}

describe('asyncio cancellation reaches foreign work', () => {
  test('regression: task.cancel() aborts the signal of a plain await', async () => {
    const start = performance.now();
    const outcome = await run(async () => {
      let seen = '';
      const task = createTask(async () => {
        seen = await foreignSleep(5000);
        await sleep(0); // the request is still pending: delivered here
      });
      await sleep(0.02);
      task.cancel('stop');
      const ended = await task.then(
        () => 'finished',
        (e: unknown) => (e instanceof CancelledError ? 'cancelled' : 'failed'),
      );
      return [seen, ended];
    });
    expect(outcome).toEqual(['AbortError', 'cancelled']);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  test('regression: timeout() aborts the signal and raises TimeoutError', async () => {
    const start = performance.now();
    const err = await run(() =>
      timeout(0.05, () => delay(5000, undefined, { signal: currentSignal() })).catch(
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(TimeoutError);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  test('regression: waitFor() expiry aborts the signal of the awaited work', async () => {
    const start = performance.now();
    let inner = '';
    const err = await run(() =>
      waitFor(async () => {
        inner = await foreignSleep(5000);
        await sleep(0);
      }, 0.05).catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(TimeoutError);
    expect(inner).toBe('AbortError');
    expect(performance.now() - start).toBeLessThan(2000);
  });

  test('after uncancel(), a later foreign call does not start pre-aborted', async () => {
    const out = await run(async () => {
      const task = currentTask()!;
      task.cancel();
      const first = currentSignal().aborted;
      task.uncancel();
      const second = currentSignal().aborted;
      return [first, second, await foreignSleep(10)];
    });
    expect(out).toEqual([true, false, 'slept']);
  });

  test('awaitForeign with a work function: cancel aborts the work and waits for it to settle', async () => {
    const log: string[] = [];
    await run(async () => {
      const task = createTask(() =>
        awaitForeign(async (signal) => {
          try {
            await delay(5000, undefined, { signal });
          } finally {
            await delay(30); // cleanup after the abort, which the task must wait for
            log.push('work settled');
          }
        }),
      );
      await sleep(0.02);
      task.cancel();
      await task.then(
        () => log.push('finished'),
        (e: unknown) => log.push(e instanceof CancelledError ? 'cancelled' : 'failed'),
      );
    });
    expect(log).toEqual(['work settled', 'cancelled']);
  });

  test('run(main, { signal }) cancels the main task with the reason as message', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 20);
    const err = await run(() => sleep(10), { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toBe('shutting down');
  });

  test('run(main, { signal }) with a signal already aborted: main is cancelled before it starts', async () => {
    let started = false;
    const signal = AbortSignal.abort('stop');
    const err = await run(
      async () => {
        started = true;
      },
      { signal },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toBe('stop');
    expect(started).toBe(false);
  });

  test('run(main, { signal }) leaves no listener on the signal once main is done', async () => {
    const controller = new AbortController();
    await expect(run(() => sleep(0.001, 'ok'), { signal: controller.signal })).resolves.toBe('ok');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('unknown run() options are a TypeError naming the key', async () => {
    await expect(run(() => 1, { clok: 1 } as never)).rejects.toThrow(
      /unknown option 'clok' \(allowed: debug, clock, hangDetection, signal, handleSigint\)/,
    );
  });
});

describe('loop callbacks during a plain await', () => {
  test('callSoon runs while the only task awaits a Promise the callback resolves', async () => {
    // As CPython's `loop.call_soon(fut.set_result, 'ran'); await fut`; the callback used to wait
    // for the awaiting task's step to end, which here is never (a deadlock HangError).
    const got = await run(async () => {
      const loop = getRunningLoop();
      return await new Promise((resolve) => loop.callSoon(() => resolve('ran')));
    });
    expect(got).toBe('ran');
  });

  test('callSoon runs during a plain await of a timer, not after it', async () => {
    const got = await run(async () => {
      let ran = false;
      getRunningLoop().callSoon(() => {
        ran = true;
      });
      await delay(30);
      return ran;
    });
    expect(got).toBe(true);
  });
});
