/**
 * A test helper in the spirit of `IsolatedAsyncioTestCase`: each test body runs in its own loop,
 * in virtual time, and a test that hangs fails with the task tree instead of a bare timeout.
 */
import {
  MockClock,
  SystemClock,
  checkFunction,
  TEST_HANG_DETECTION,
  testClock,
  testRunnerSignal,
  whenAborted,
  type TestClockOption,
} from '@duet/kernel';
import { run, type RunOptions } from './runners';
import { currentTask } from './tasks';

/** Options of {@link asyncioTest}. */
export interface AsyncioTestOptions extends Omit<RunOptions, 'clock'> {
  /**
   * The loop's clock: a fresh `MockClock({ autojumpThreshold: 0 })` by default (virtual time).
   * `'system'` runs on real time, for tests that do real I/O: under a mock clock a
   * `waitFor(..., 1)` around a real 3 s request does not time out, since virtual time only moves
   * when every task waits in the loop. See `docs/testing.md`.
   */
  clock?: TestClockOption;
}

/**
 * The hang detection {@link asyncioTest} turns on unless told otherwise: a deadlock, or 4 real
 * seconds (before Jest's 5 s timeout), fails the test with a `HangError` showing the task tree.
 */
export const ASYNCIO_TEST_HANG_DETECTION = TEST_HANG_DETECTION;

/**
 * A Jest (or any runner's) test function that runs `fn(clock)` with {@link run} on a new loop
 * whose clock is a fresh autojumping `MockClock`, so sleeps and timeouts finish at once in virtual
 * time (`clock: 'system'` runs on real time instead, for tests doing real I/O). `fn` gets the clock,
 * then whatever the runner passes the test function (`node:test`'s `t`, Vitest's context); the
 * runner's abort signal (`t.signal`, `context.signal`) cancels the main task. A test that deadlocks or runs 4 real seconds fails with a `HangError` naming the stuck
 * tasks and what they wait on (turn `deadlock` off with `hangDetection` when something outside
 * the loop, such as a raw `setTimeout`, wakes the test's tasks).
 *
 * @example
 * ```ts
 * test('times out', asyncioTest(async () => {
 *   await expect(waitFor(() => sleep(60), 1)).rejects.toBeInstanceOf(TimeoutError);
 *   expect(getRunningLoop().time()).toBe(1);
 * }));
 * ```
 */
export function asyncioTest<T, A extends unknown[] = []>(
  fn: (clock: MockClock, ...args: A) => Promise<T> | T,
  options?: AsyncioTestOptions & { clock?: MockClock },
): (...args: A) => Promise<T>;
/** With `clock: 'system'`, `fn` gets the loop's real-time `SystemClock`. */
export function asyncioTest<T, A extends unknown[] = []>(
  fn: (clock: SystemClock, ...args: A) => Promise<T> | T,
  options: AsyncioTestOptions & { clock: 'system' },
): (...args: A) => Promise<T>;
export function asyncioTest<T, A extends unknown[]>(
  fn: (clock: never, ...args: A) => Promise<T> | T,
  options: AsyncioTestOptions = {},
): (...args: A) => Promise<T> {
  checkFunction('asyncioTest()', fn);
  // `(...args)` has length 0, so no runner mistakes it for a callback-style (`done`) test.
  return (...args: A) => {
    const clock = testClock(options.clock);
    const signal = testRunnerSignal(args);
    const body = fn as (clock: MockClock | SystemClock, ...args: A) => Promise<T> | T;
    return run(
      async () => {
        // The runner's abort cancels the main task, as `Task.cancel()` would.
        const main = currentTask();
        const stop = whenAborted(signal, () => main?.cancel('the test runner aborted the test'));
        try {
          return await body(clock, ...args);
        } finally {
          stop();
        }
      },
      { hangDetection: ASYNCIO_TEST_HANG_DETECTION, ...options, clock },
    );
  };
}
