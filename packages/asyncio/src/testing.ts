/**
 * A test helper in the spirit of `IsolatedAsyncioTestCase`: each test body runs in its own loop,
 * in virtual time, and a test that hangs fails with the task tree instead of a bare timeout.
 */
import { MockClock, checkFunction } from '@duet/kernel';
import { run, type RunOptions } from './runners';

/** Options of {@link asyncioTest}. */
export interface AsyncioTestOptions extends Omit<RunOptions, 'clock'> {
  /** The loop's clock; a fresh `MockClock({ autojumpThreshold: 0 })` by default. */
  clock?: MockClock;
}

/**
 * The hang detection {@link asyncioTest} turns on unless told otherwise: a deadlock, or 4 real
 * seconds (before Jest's 5 s timeout), fails the test with a `HangError` showing the task tree.
 */
export const ASYNCIO_TEST_HANG_DETECTION = Object.freeze({
  /** Fail a test whose tasks all wait with nothing scheduled to wake them. */
  deadlock: true,
  /** Fail a test after 4 real seconds. */
  realTimeout: 4,
});

/**
 * A Jest (or any runner's) test function that runs `fn(clock)` with {@link run} on a new loop
 * whose clock is a fresh autojumping `MockClock`, so sleeps and timeouts finish at once in virtual
 * time. A test that deadlocks or runs 4 real seconds fails with a `HangError` naming the stuck
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
export function asyncioTest<T>(
  fn: (clock: MockClock) => Promise<T> | T,
  options: AsyncioTestOptions = {},
): () => Promise<T> {
  checkFunction('asyncioTest()', fn);
  return () => {
    const clock = options.clock ?? new MockClock({ autojumpThreshold: 0 });
    return run(() => fn(clock), { hangDetection: ASYNCIO_TEST_HANG_DETECTION, ...options, clock });
  };
}
