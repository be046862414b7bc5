/**
 * What the facades' test adapters (`trioTest`, `asyncioTest`) share: picking the clock of a test's
 * run and finding the abort signal a test runner hands its test function.
 */
import { MockClock, SystemClock } from './clock';

/**
 * The clock option of a test adapter: a `MockClock` (virtual time), or `'system'` (real time, for
 * tests doing real I/O, where a virtual deadline would expire before any real work could finish).
 */
export type TestClockOption = MockClock | 'system';

/**
 * The hang detection the facades' test adapters turn on unless told otherwise: a deadlock, or 4
 * real seconds (before Jest's 5 s timeout), fails the test with a `HangError` showing the tasks.
 *
 * @example
 * ```ts
 * run({ hangDetection: TEST_HANG_DETECTION, clock }, body);
 * ```
 */
export const TEST_HANG_DETECTION = Object.freeze({
  /** Fail a test whose tasks all wait with nothing scheduled to wake them. */
  deadlock: true,
  /** Fail a test after 4 real seconds. */
  realTimeout: 4,
});

/**
 * The clock a test's run uses: `option` itself, a `SystemClock` for `'system'`, and by default a
 * fresh `MockClock({ autojumpThreshold: 0 })`, so sleeps and timeouts finish at once.
 *
 * @example
 * ```ts
 * const clock = testClock(options.clock);
 * ```
 */
export function testClock(option: TestClockOption | undefined): MockClock | SystemClock {
  if (option === undefined) return new MockClock({ autojumpThreshold: 0 });
  if (option === 'system') return new SystemClock();
  if (option instanceof MockClock) return option;
  throw new TypeError(`clock must be a MockClock or 'system', got ${String(option)}`);
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof AbortSignal === 'function' && value instanceof AbortSignal;
}

/**
 * The abort signal among the arguments a test runner passed: an `AbortSignal` argument, or the
 * `signal` of a context argument (`node:test`'s `t.signal`, Vitest's `context.signal`).
 * `undefined` when there is none (Jest passes no arguments).
 *
 * @example
 * ```ts
 * return (...args) => { const signal = testRunnerSignal(args); ... };
 * ```
 */
export function testRunnerSignal(args: readonly unknown[]): AbortSignal | undefined {
  for (const arg of args) {
    if (isAbortSignal(arg)) return arg;
    if (typeof arg === 'object' && arg !== null) {
      const signal = (arg as { signal?: unknown }).signal;
      if (isAbortSignal(signal)) return signal;
    }
  }
  return undefined;
}

/**
 * Calls `onAbort` once when `signal` aborts (at once if it already has); returns the function that
 * removes the listener, so nothing is left on a long-lived signal after the test.
 *
 * @example
 * ```ts
 * const stop = whenAborted(signal, () => scope.cancel());
 * try { await body(); } finally { stop(); }
 * ```
 */
export function whenAborted(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
