/**
 * Argument checks shared by every public function of Duet, so that one kind of mistake gives one
 * kind of error in both facades, as in Python: an argument of the wrong type is a `TypeError`, a
 * value of the right type that is out of range a {@link ValueError}. Each check runs before the
 * call changes any state, and its message names the call, the argument and what it accepts.
 */
import { ValueError } from './errors';

/** How a bad value reads in a message: strings quoted, objects by kind. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof (value as PromiseLike<unknown>).then === 'function') return 'a Promise';
  return 'an object';
}

/** Options of {@link checkNumber}. */
export interface CheckNumberOptions {
  /** The smallest value allowed (inclusive); none by default. */
  min?: number;
  /** Only integers are allowed. */
  integer?: boolean;
  /** What the number counts, for the message (`'seconds'`, `'items'`); nothing by default. */
  unit?: string;
}

/**
 * Throws a `TypeError` unless `value` is a number, and a {@link ValueError} if it is NaN, below
 * `min`, or not an integer when `integer` is set. `api` names the call and `name` the argument.
 *
 * @example
 * ```ts
 * checkNumber('sleep()', 'seconds', '1', { min: 0, unit: 'seconds' });
 * // TypeError: sleep(): seconds must be a number of seconds >= 0, got "1"
 * ```
 */
export function checkNumber(
  api: string,
  name: string,
  value: unknown,
  options: CheckNumberOptions = {},
): asserts value is number {
  const { min, integer = false } = options;
  if (typeof value !== 'number') {
    throw new TypeError(`${api}: ${name} must be ${wanted(options)}, got ${show(value)}`);
  }
  if (
    Number.isNaN(value) ||
    (min !== undefined && value < min) ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ValueError(`${api}: ${name} must be ${wanted(options)}, got ${String(value)}`);
  }
}

/** What {@link checkNumber} wants, in words: made only for a bad value (sleep(0) is a hot path). */
function wanted({ min, integer = false, unit }: CheckNumberOptions): string {
  return (
    `${integer ? 'an integer' : 'a number'}${unit === undefined ? '' : ` of ${unit}`}` +
    (min === undefined ? '' : ` >= ${min}`)
  );
}

/**
 * Throws a `TypeError` unless `value` is a boolean; with `optional`, `undefined` (an option left
 * out) passes too.
 *
 * @example
 * ```ts
 * checkBoolean('CancelScope()', 'shield', options.shield, true); // 'yes' -> TypeError
 * ```
 */
export function checkBoolean(
  api: string,
  name: string,
  value: unknown,
  optional = false,
): asserts value is boolean | undefined {
  if (typeof value !== 'boolean' && !(optional && value === undefined)) {
    throw new TypeError(`${api}: ${name} must be true or false, got ${show(value)}`);
  }
}

/**
 * Throws a `TypeError` unless `value` is an options object (or `undefined`) and, when `allowed` is
 * given, every key of it is one of `allowed`: the message names the unknown key and the allowed
 * ones, so a typo such as `{ dedline: 5 }` is reported instead of ignored.
 *
 * @example
 * ```ts
 * checkOptions('CancelScope()', options); // CancelScope(5) -> TypeError
 * checkOptions('openNursery()', options, ['strictExceptionGroups', 'signal']);
 * ```
 */
export function checkOptions(
  api: string,
  value: unknown,
  allowed?: readonly string[],
): asserts value is object | undefined {
  if (value === undefined) return;
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    typeof (value as PromiseLike<unknown>).then === 'function'
  ) {
    throw new TypeError(`${api}: options must be an object, got ${show(value)}`);
  }
  if (allowed === undefined) return;
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const known = allowed.length === 0 ? 'none' : allowed.join(', ');
      throw new TypeError(`${api}: unknown option '${key}' (allowed: ${known})`);
    }
  }
}

/** Throws a `TypeError` unless `signal` is `undefined` or an `AbortSignal`. */
export function checkSignal(api: string, signal: unknown): void {
  if (signal === undefined || signal instanceof AbortSignal) return;
  throw new TypeError(`${api}: option 'signal' must be an AbortSignal, got ${show(signal)}`);
}

/**
 * Throws a `TypeError` unless `value` is an instance of `cls` (`what` names it for the message).
 *
 * @example
 * ```ts
 * checkInstance('channelAsQueue()', 'receive', receive, MemoryReceiveChannel, 'the receive end of openMemoryChannel()');
 * ```
 */
export function checkInstance<T>(
  api: string,
  name: string,
  value: unknown,
  cls: abstract new (...args: never[]) => T,
  what: string,
): asserts value is T {
  if (!(value instanceof cls)) {
    throw new TypeError(`${api}: ${name} must be ${what}, got ${show(value)}`);
  }
}
