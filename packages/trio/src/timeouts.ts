/**
 * Timeouts: `moveOnAfter`, `moveOnAt`, `failAfter`, `failAt`, each a `CancelScope` with a
 * deadline. Without a body they return the unentered scope; with one they run it.
 */
import {
  CancelScope,
  ValueError,
  checkOptions,
  checkDeadline as checkKernelDeadline,
  checkSeconds as checkKernelSeconds,
} from '@duet/kernel';
import { TooSlowError } from './errors';

/**
 * Options of the timeout functions: Trio's keyword arguments.
 *
 * @example
 * ```ts
 * await moveOnAfter(5, () => cleanup(), { shield: true });
 * const scope = failAfter(5, { shield: true });
 * ```
 */
export interface TimeoutOptions {
  /** Shield the body from cancellation of outer scopes (the timeout itself still applies). */
  shield?: boolean;
}

/**
 * The body of a timeout: gets the scope, so it can read or move the deadline or cancel.
 *
 * @example
 * ```ts
 * await moveOnAfter(5, async (scope) => {
 *   scope.deadline += 5; // more time
 * });
 * ```
 */
export type TimeoutBody<S extends CancelScope, T> = (scope: S) => Promise<T> | T;

/**
 * A `CancelScope` that raises {@link TooSlowError} on exit when its **deadline** cancelled it and
 * it caught that cancellation. An explicit `cancel()` of this scope moves on quietly, as a plain
 * `CancelScope` does (Duet's rule; older Trio versions raised `TooSlowError` for that too). Made
 * by {@link failAfter} and {@link failAt}.
 *
 * @example
 * ```ts
 * const scope = failAfter(5);
 * await scope.run(async () => { await sleep(10); }); // throws TooSlowError at t = 5
 * ```
 */
export class FailScope extends CancelScope {
  override async run<T>(fn: (scope: this) => Promise<T> | T): Promise<T | undefined> {
    const relative = this.isRelative === true ? this.relativeDeadline : Infinity; // failAfter's seconds
    const value = await super.run(fn);
    if (this.cancelledCaught && this.cancelReason === 'deadline') {
      const after = relative === Infinity ? '' : `${relative} s, `;
      throw new TooSlowError(
        `the deadline of a failAfter/failAt scope expired (${after}deadline t=${Number(this.deadline.toFixed(3))} on the run's clock)`,
      );
    }
    return value;
  }
}

// A non-number is a ValueError here (Trio's timeouts raise one for any bad value); NaN and
// negative values get the kernel's checks, in Trio's words.
function checkSeconds(api: string, seconds: number): void {
  if (typeof seconds !== 'number') {
    throw new ValueError(`${api}: \`seconds\` must be a number, got ${String(seconds)}`);
  }
  checkKernelSeconds(api, seconds);
}

function checkDeadline(api: string, deadline: number): void {
  if (typeof deadline !== 'number') {
    throw new ValueError(
      `${api}: deadline must be a number (a time on the run's clock), got ${String(deadline)}`,
    );
  }
  checkKernelDeadline(api, deadline);
}

const TIMEOUT_KEYS = ['shield'];

function make<S extends CancelScope, T>(
  scope: S,
  fnOrOptions: TimeoutBody<S, T> | TimeoutOptions | undefined,
  options: TimeoutOptions | undefined,
): S | Promise<T | undefined> {
  if (typeof fnOrOptions === 'function') {
    checkOptions('timeout', options, TIMEOUT_KEYS);
    if (options?.shield !== undefined) scope.shield = options.shield;
    return scope.run(fnOrOptions);
  }
  if (fnOrOptions !== undefined && (fnOrOptions === null || typeof fnOrOptions !== 'object')) {
    throw new TypeError('expected a body function or an options object');
  }
  checkOptions('timeout', fnOrOptions, TIMEOUT_KEYS);
  if (fnOrOptions?.shield !== undefined) scope.shield = fnOrOptions.shield;
  return scope;
}

/**
 * `trio.move_on_at`: a cancel scope whose deadline is `deadline` (a time on the run's clock, see
 * `currentTime()`). Without `fn`, returns the unentered scope; with `fn`, runs `fn(scope)` in it and
 * resolves with its value, or `undefined` when the scope was cancelled and caught it.
 *
 * @example
 * ```ts
 * const result = await moveOnAt(currentTime() + 5, async () => fetchSlowly());
 * if (result === undefined) console.log('gave up');
 * ```
 */
export function moveOnAt(deadline: number, options?: TimeoutOptions): CancelScope;
export function moveOnAt<T>(
  deadline: number,
  fn: TimeoutBody<CancelScope, T>,
  options?: TimeoutOptions,
): Promise<T | undefined>;
export function moveOnAt<T>(
  deadline: number,
  fnOrOptions?: TimeoutBody<CancelScope, T> | TimeoutOptions,
  options?: TimeoutOptions,
): CancelScope | Promise<T | undefined> {
  checkDeadline('moveOnAt()', deadline);
  return make(new CancelScope({ deadline }), fnOrOptions, options);
}

/**
 * `trio.move_on_after`: a cancel scope whose deadline is `seconds` (>= 0) after it is entered.
 * Without `fn`, returns the unentered scope (the clock starts when it is entered); with `fn`, runs
 * `fn(scope)` and resolves with its value, or `undefined` when the time ran out.
 *
 * @example
 * ```ts
 * await moveOnAfter(5, async (scope) => {
 *   await sleep(10);
 * });
 * const scope = moveOnAfter(1, { shield: true });
 * await scope.run(() => sleep(2));
 * scope.cancelledCaught; // true
 * ```
 */
export function moveOnAfter(seconds: number, options?: TimeoutOptions): CancelScope;
export function moveOnAfter<T>(
  seconds: number,
  fn: TimeoutBody<CancelScope, T>,
  options?: TimeoutOptions,
): Promise<T | undefined>;
export function moveOnAfter<T>(
  seconds: number,
  fnOrOptions?: TimeoutBody<CancelScope, T> | TimeoutOptions,
  options?: TimeoutOptions,
): CancelScope | Promise<T | undefined> {
  checkSeconds('moveOnAfter()', seconds);
  return make(new CancelScope({ relativeDeadline: seconds }), fnOrOptions, options);
}

/**
 * `trio.fail_at`: like {@link moveOnAt}, but when the deadline cancels the body, raises
 * {@link TooSlowError} instead of moving on. Without `fn`, returns the unentered {@link FailScope}.
 *
 * @example
 * ```ts
 * const page = await failAt(currentTime() + 10, () => download(url)); // TooSlowError at t + 10
 * ```
 */
export function failAt(deadline: number, options?: TimeoutOptions): FailScope;
export function failAt<T>(
  deadline: number,
  fn: TimeoutBody<FailScope, T>,
  options?: TimeoutOptions,
): Promise<T | undefined>;
export function failAt<T>(
  deadline: number,
  fnOrOptions?: TimeoutBody<FailScope, T> | TimeoutOptions,
  options?: TimeoutOptions,
): FailScope | Promise<T | undefined> {
  checkDeadline('failAt()', deadline);
  return make(new FailScope({ deadline }), fnOrOptions, options);
}

/**
 * `trio.fail_after`: like {@link moveOnAfter}, but when the `seconds` run out, raises
 * {@link TooSlowError} instead of moving on. An explicit `scope.cancel()` still moves on quietly
 * (the promise resolves with `undefined`). Without `fn`, returns the unentered {@link FailScope}.
 *
 * @example
 * ```ts
 * try {
 *   await failAfter(5, () => sleep(10));
 * } catch (err) {
 *   if (err instanceof TooSlowError) console.log('timed out');
 * }
 * ```
 */
export function failAfter(seconds: number, options?: TimeoutOptions): FailScope;
export function failAfter<T>(
  seconds: number,
  fn: TimeoutBody<FailScope, T>,
  options?: TimeoutOptions,
): Promise<T | undefined>;
export function failAfter<T>(
  seconds: number,
  fnOrOptions?: TimeoutBody<FailScope, T> | TimeoutOptions,
  options?: TimeoutOptions,
): FailScope | Promise<T | undefined> {
  checkSeconds('failAfter()', seconds);
  return make(new FailScope({ relativeDeadline: seconds }), fnOrOptions, options);
}
