/**
 * Scenarios of CPython 3.13's Lib/test/test_asyncio/test_threads.py (to_thread), restated for
 * Duet's API. Not restated: test_to_thread_contextvars (a worker shares no context with the
 * loop: arguments cross by structured clone) and keyword arguments (JavaScript has none).
 */
import { CancelledError, createTask, gather, run, sleep, toThread } from '@duet/asyncio';

describe('CPython test_threads: toThread', () => {
  test('test_to_thread: the function runs with its arguments and its result comes back', async () => {
    const got = await run(() => toThread((a: number, b: string) => `${b}${a * 2}`, 21, 'n='));
    expect(got).toBe('n=42');
  });

  test('test_to_thread_exception: the error raised in the thread is raised by the await', async () => {
    const err = await run(() =>
      toThread(() => {
        throw new RangeError('in thread');
      }).catch((e: unknown) => e),
    );
    // Structured clone remakes the built-in class in the main realm (Jest's test realm differs).
    expect([(err as Error).name, (err as Error).message]).toEqual(['RangeError', 'in thread']);
  });

  test('test_to_thread_once: the function is called exactly once', async () => {
    const calls: number[] = [];
    const got = await run(() =>
      toThread.withOptions({ callbacks: { called: (n: number) => void calls.push(n) } }, () => {
        (
          globalThis as unknown as { fromThread: { callSoon(n: string, v: number): void } }
        ).fromThread.callSoon('called', 1);
        return 'done';
      }),
    );
    expect([got, calls]).toEqual(['done', [1]]);
  });

  test('test_to_thread_concurrent: many calls at once all complete, results in order', async () => {
    const got = await run(() =>
      gather(...Array.from({ length: 10 }, (_, i) => () => toThread((x: number) => x * x, i))),
    );
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
  });

  test('cancelling the awaiting task raises CancelledError in it at once', async () => {
    const got = await run(async () => {
      const t = createTask(() =>
        toThread((ms: number) => {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
          return 'finished';
        }, 200),
      );
      await sleep(0.02);
      t.cancel();
      const err = await t.then(
        () => null,
        (e: unknown) => e,
      );
      return [err instanceof CancelledError, t.cancelled()];
    });
    expect(got).toEqual([true, true]);
    await new Promise((r) => setTimeout(r, 250)); // let the abandoned worker finish
  });
});
