/**
 * CPython 3.13's run_in_executor scenarios (test_events.py test_run_in_executor /
 * test_run_in_executor_cancel, test_base_events.py test_set_default_executor /
 * test_set_default_executor_error, and shutdown_default_executor), restated for
 * `loop.runInExecutor`. The default executor is toThread's worker threads, so these use real
 * workers and generous bounds. Expected values are what CPython 3.13.0 gave.
 */
import {
  CancelledError,
  Future,
  RuntimeError,
  Task,
  getRunningLoop,
  run,
  sleep,
  toThread,
  type EventLoop,
  type Executor,
} from '@duet/asyncio';

/** Blocks the worker thread for `ms` milliseconds (self-contained: it is sent as source). */
const block = (ms: number): string => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return `slept ${ms}`;
};

/** An executor that runs the function at once on the loop's thread, recording each call. */
function inlineExecutor(log: unknown[]): Executor {
  return {
    submit: (fn, ...args) => {
      log.push(['submit', ...args]);
      return (fn as (...a: unknown[]) => unknown)(...args);
    },
    shutdown: () => void log.push('shutdown'),
  };
}

describe('CPython test_events: runInExecutor', () => {
  test('test_run_in_executor: null is the default executor (worker threads); the result is a Future', async () => {
    const got = await run(async () => {
      const fut = getRunningLoop().runInExecutor(null, (a: number, b: number) => a + b, 1, 2);
      return [fut instanceof Future, await fut];
    });
    expect(got).toEqual([true, 3]);
  });

  test('undefined is the default executor too; an error in the thread is the Future’s error', async () => {
    const err = await run(() =>
      getRunningLoop()
        .runInExecutor(undefined, () => {
          throw new RangeError('in thread');
        })
        .then(
          () => null,
          (e: unknown) => e,
        ),
    );
    expect([(err as Error).name, (err as Error).message]).toEqual(['RangeError', 'in thread']);
  });

  test('test_run_in_executor_cancel: cancelling the Future of a running call cancels the await', async () => {
    const got = await run(async () => {
      const fut = getRunningLoop().runInExecutor(null, block, 300);
      await sleep(0.05);
      const cancelled = fut.cancel();
      const err = await fut.then(
        () => null,
        (e: unknown) => e,
      );
      return [cancelled, fut.cancelled(), err instanceof CancelledError];
    });
    expect(got).toEqual([true, true, true]);
  });

  test('a custom executor: submit(fn, ...args) is called, its value or Promise is the result', async () => {
    const log: unknown[] = [];
    const got = await run(async () => {
      const loop = getRunningLoop();
      const ex = inlineExecutor(log);
      const a = await loop.runInExecutor(ex, (x: number) => x * 2, 21);
      const b = await loop.runInExecutor(ex, async (s: string) => `${s}!`, 'hi');
      return [a, b];
    });
    expect(got).toEqual([42, 'hi!']);
    expect(log).toEqual([
      ['submit', 21],
      ['submit', 'hi'],
    ]);
  });

  test('an executor without submit: the Future fails with TypeError', async () => {
    const err = await run(() =>
      getRunningLoop()
        .runInExecutor({} as Executor, () => 1)
        .then(
          () => null,
          (e: unknown) => e,
        ),
    );
    expect(err).toBeInstanceOf(TypeError);
  });

  test('no task factory makes its Future (CPython wraps a concurrent future: no task)', async () => {
    let made = 0;
    const got = await run(async () => {
      const loop = getRunningLoop();
      loop.setTaskFactory((l, fn, options) => {
        made++;
        return new Task(fn, { ...options, loop: l });
      });
      return loop.runInExecutor(inlineExecutor([]), () => 5);
    });
    expect([got, made]).toEqual([5, 0]);
  });

  test('on a closed loop: RuntimeError at the call', async () => {
    let loop: EventLoop | undefined;
    await run(() => {
      loop = getRunningLoop();
    });
    expect(() => loop!.runInExecutor(null, () => 1)).toThrow(RuntimeError);
  });
});

describe('CPython test_base_events: the default executor', () => {
  test('test_set_default_executor: runInExecutor(null) uses it; setDefaultExecutor(null) restores the workers', async () => {
    const log: unknown[] = [];
    const got = await run(async () => {
      const loop = getRunningLoop();
      loop.setDefaultExecutor(inlineExecutor(log));
      const a = await loop.runInExecutor(null, (x: number) => x + 1, 1);
      loop.setDefaultExecutor(null);
      const b = await loop.runInExecutor(null, (x: number) => x + 2, 1);
      return [a, b];
    });
    expect(got).toEqual([2, 3]);
    expect(log).toEqual([['submit', 1]]);
  });

  test('test_set_default_executor_error: something with no submit is a TypeError', async () => {
    const err = await run(() => {
      try {
        getRunningLoop().setDefaultExecutor({} as Executor);
        return null;
      } catch (e) {
        return e;
      }
    });
    expect(err).toBeInstanceOf(TypeError);
  });

  test('shutdownDefaultExecutor waits for running calls; then runInExecutor(null) and toThread are RuntimeErrors', async () => {
    const got = await run(async () => {
      const loop = getRunningLoop();
      const fut = loop.runInExecutor(null, block, 150);
      await sleep(0.02); // the call is in its worker
      await loop.shutdownDefaultExecutor();
      const doneAfter = fut.done() && (fut.result() as string);
      const errors = await Promise.all(
        [() => loop.runInExecutor(null, () => 1), () => toThread(() => 1)].map((f) =>
          f().then(
            () => null,
            (e: unknown) => [e instanceof RuntimeError, (e as Error).message],
          ),
        ),
      );
      // An explicit executor still works.
      const explicit = await loop.runInExecutor(inlineExecutor([]), () => 'ok');
      return [doneAfter, errors, explicit];
    });
    expect(got).toEqual([
      'slept 150',
      [
        [true, 'Executor shutdown has been called'],
        [true, 'Executor shutdown has been called'],
      ],
      'ok',
    ]);
  });

  test('shutdownDefaultExecutor of a custom default executor calls (and awaits) its shutdown()', async () => {
    const log: unknown[] = [];
    await run(async () => {
      const loop = getRunningLoop();
      loop.setDefaultExecutor(inlineExecutor(log));
      await loop.shutdownDefaultExecutor();
    });
    expect(log).toEqual(['shutdown']);
  });
});
