/**
 * Argument checks shared by every public function of Duet, so that one kind of mistake gives one
 * kind of error in both facades, as in Python: an argument of the wrong type is a `TypeError`, a
 * value of the right type that is out of range a {@link ValueError}. Each check runs before the
 * call changes any state, and its message names the call, the argument and what it accepts.
 */
import { currentTaskOrUndefined } from './context';
import { ValueError } from './errors';

/** How a bad value reads in a message: strings quoted, objects by kind. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof (value as PromiseLike<unknown>).then === 'function') return 'a Promise';
  return 'an object';
}

/** Options of {@link checkNumber}. */
export interface CheckNumberOptions {
  /** The smallest value allowed (inclusive); none by default. */
  min?: number;
  /** The largest value allowed (inclusive); none by default. */
  max?: number;
  /** Only integers are allowed. */
  integer?: boolean;
  /** What the number counts, for the message (`'seconds'`, `'items'`); nothing by default. */
  unit?: string;
}

/**
 * Throws a `TypeError` unless `value` is a number, and a {@link ValueError} if it is NaN, below
 * `min`, above `max`, or not an integer when `integer` is set. `api` names the call and `name`
 * the argument.
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
  const { min, max, integer = false } = options;
  if (typeof value !== 'number') {
    throw new TypeError(`${api}: ${name} must be ${wanted(options)}, got ${show(value)}`);
  }
  if (
    Number.isNaN(value) ||
    (min !== undefined && value < min) ||
    (max !== undefined && value > max) ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ValueError(`${api}: ${name} must be ${wanted(options)}, got ${String(value)}`);
  }
}

/**
 * Checks a duration in seconds, as {@link checkNumber} with `min: 0`, but a NaN or negative value
 * gets Trio's words (`` `seconds` must not be NaN ``, `` `seconds` must be non-negative ``), so a
 * test matching Trio's message matches Duet's. For `sleep` and the timeouts.
 *
 * @example
 * ```ts
 * checkSeconds('sleep()', -1); // ValueError: sleep(): `seconds` must be non-negative, ...
 * ```
 */
export function checkSeconds(api: string, seconds: unknown): asserts seconds is number {
  // One comparison for every good value: sleep(0) is a hot path.
  if (!((seconds as number) >= 0) && typeof seconds === 'number') {
    throw new ValueError(
      Number.isNaN(seconds)
        ? `${api}: \`seconds\` must not be NaN, got NaN`
        : `${api}: \`seconds\` must be non-negative, a number of seconds >= 0, got ${seconds}`,
    );
  }
  checkNumber(api, 'seconds', seconds, { min: 0, unit: 'seconds' });
}

/**
 * Checks a deadline (a time on the run's clock), as {@link checkNumber}, but a NaN gets Trio's
 * words (`deadline must not be NaN`). For `sleepUntil` and the timeouts.
 *
 * @example
 * ```ts
 * checkDeadline('sleepUntil()', NaN); // ValueError: sleepUntil(): deadline must not be NaN, got NaN
 * ```
 */
export function checkDeadline(api: string, deadline: unknown): asserts deadline is number {
  if (Number.isNaN(deadline)) throw new ValueError(`${api}: deadline must not be NaN, got NaN`);
  checkNumber(api, 'deadline', deadline, { unit: 'seconds' });
}

/** What {@link checkNumber} wants, in words: made only for a bad value (sleep(0) is a hot path). */
function wanted({ min, max, integer = false, unit }: CheckNumberOptions): string {
  const range =
    min !== undefined && max !== undefined
      ? ` from ${min} to ${max}`
      : min !== undefined
        ? ` >= ${min}`
        : max !== undefined
          ? ` <= ${max}`
          : '';
  return `${integer ? 'an integer' : 'a number'}${unit === undefined ? '' : ` of ${unit}`}` + range;
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
  checkObject(api, 'options', value);
  if (allowed === undefined) return;
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const known = allowed.length === 0 ? 'none' : allowed.join(', ');
      throw new TypeError(`${api}: unknown option '${key}' (allowed: ${known})`);
    }
  }
}

/**
 * Throws a `TypeError` unless `value` is a plain object: not `null`, an array, a function or a
 * Promise (`undefined` passes too with `optional`).
 *
 * @example
 * ```ts
 * checkObject('openProcess()', 'env', options.env, true); // 'PATH=/bin' -> TypeError
 * ```
 */
export function checkObject(
  api: string,
  name: string,
  value: unknown,
  optional = false,
): asserts value is object | undefined {
  if (optional && value === undefined) return;
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    typeof (value as PromiseLike<unknown>).then === 'function'
  ) {
    throw new TypeError(`${api}: ${name} must be an object, got ${show(value)}`);
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

/**
 * Throws a `TypeError` unless `fn` is a function; `api` names the call in the message. Every API
 * that starts work uses it (principle 3: functions, not started Promises).
 *
 * Given a Promise, the caller already started the work itself: `startSoon(f())`. That Promise gets
 * a rejection handler (its error would otherwise be unhandled and crash Node: the user gets this
 * `TypeError` instead), and a kernel wait it started in the calling task is dropped, so the caller
 * can go on waiting for other things. The dropped work never resumes.
 *
 * @example
 * ```ts
 * checkFunction('retry()', fn); // TypeError: retry() expects a function, got object (...)
 * ```
 */
export function checkFunction(api: string, fn: unknown): void {
  if (typeof fn === 'function') return;
  let hint = '';
  if (
    fn !== null &&
    typeof fn === 'object' &&
    typeof (fn as PromiseLike<unknown>).then === 'function'
  ) {
    hint = ' (pass the function itself, f or () => f(x), not the Promise that f() returned)';
    Promise.resolve(fn).then(undefined, () => {});
    const task = currentTaskOrUndefined();
    if (task !== undefined && !task.runner.finished) task.runner.dropStrayWait(task);
  }
  throw new TypeError(`${api} expects a function, got ${fn === null ? 'null' : typeof fn}${hint}`);
}

/**
 * Throws a `TypeError` unless `value` is a string (`undefined` passes too with `optional`), and a
 * {@link ValueError} if it is empty when `nonEmpty` is set.
 *
 * @example
 * ```ts
 * checkString('openTcpStream()', 'host', host, { nonEmpty: true }); // 80 -> TypeError, '' -> ValueError
 * ```
 */
export function checkString(
  api: string,
  name: string,
  value: unknown,
  options: { nonEmpty?: boolean; optional?: boolean } = {},
): asserts value is string {
  if (options.optional === true && value === undefined) return;
  if (typeof value !== 'string') {
    throw new TypeError(`${api}: ${name} must be a string, got ${show(value)}`);
  }
  if (options.nonEmpty === true && value === '') {
    throw new ValueError(`${api}: ${name} must be a non-empty string`);
  }
}

/**
 * Throws unless `value` is one of `choices`: a value of the type of a choice that is none of them
 * is a {@link ValueError}, a value of another type a `TypeError` (`undefined` passes with
 * `optional`).
 *
 * @example
 * ```ts
 * checkChoice('new TraceRecorder()', 'time', 'wall', ['virtual', 'real']); // ValueError
 * ```
 */
export function checkChoice(
  api: string,
  name: string,
  value: unknown,
  choices: readonly (string | number)[],
  optional = false,
): void {
  if ((optional && value === undefined) || choices.includes(value as string | number)) return;
  const message = `${api}: ${name} must be one of ${choices.map(show).join(', ')}, got ${show(value)}`;
  const types = new Set<string>(choices.map((c) => typeof c));
  throw types.has(typeof value) ? new ValueError(message) : new TypeError(message);
}

/**
 * Throws a `TypeError` unless `value` is bytes (a `Uint8Array`, so a `Buffer` too) or a string
 * (sent as UTF-8): what every send, write and delimiter of Duet's streams accepts.
 *
 * @example
 * ```ts
 * checkBytes('sendAll()', 'data', data); // sendAll(42) -> TypeError
 * ```
 */
export function checkBytes(
  api: string,
  name: string,
  value: unknown,
): asserts value is Uint8Array | string {
  if (typeof value === 'string' || value instanceof Uint8Array) return;
  throw new TypeError(
    `${api}: ${name} must be bytes (a Uint8Array or Buffer) or a string, got ${show(value)}`,
  );
}

/**
 * Throws a `TypeError` unless `value` has every method of `methods` (duck typing, for the
 * interfaces a user may implement, such as a stream); `what` names what is expected.
 *
 * @example
 * ```ts
 * checkMethods('new StapledStream()', 'sendStream', s, ['sendAll', 'aclose'], 'a SendStream');
 * ```
 */
export function checkMethods(
  api: string,
  name: string,
  value: unknown,
  methods: readonly string[],
  what: string,
): void {
  const ok =
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) {
    throw new TypeError(
      `${api}: ${name} must be ${what} (with ${methods.join(', ')}), got ${show(value)}`,
    );
  }
}

/**
 * Throws a `TypeError` unless `value` is `undefined` or an object whose every value is a function
 * (callbacks registered by name).
 *
 * @example
 * ```ts
 * checkFunctions('toThread()', 'callbacks', options.callbacks); // { log: 5 } -> TypeError
 * ```
 */
export function checkFunctions(api: string, name: string, value: unknown): void {
  checkObject(api, name, value, true);
  if (value === undefined) return;
  for (const [key, fn] of Object.entries(value as object)) {
    if (typeof fn !== 'function') {
      throw new TypeError(`${api}: ${name}.${key} must be a function, got ${show(fn)}`);
    }
  }
}

/**
 * Throws a `TypeError` unless `value` is a string, and a {@link ValueError} unless it names a
 * text encoding Node knows (`'utf8'`, `'latin1'`, ...; Python's `LookupError`).
 *
 * @example
 * ```ts
 * checkEncoding('openFile()', 'encoding', 'utf9'); // ValueError
 * ```
 */
export function checkEncoding(api: string, name: string, value: unknown): void {
  checkString(api, name, value);
  // No `asserts value is BufferEncoding`: the kernel's declarations must not need @types/node.
  if (!Buffer.isEncoding(value)) {
    throw new ValueError(
      `${api}: ${name} must be an encoding such as 'utf8', 'latin1' or 'ascii', got ${show(value)}`,
    );
  }
}

/**
 * Throws unless `value` says where a child's standard stream goes: one of `choices` (the
 * facade's tokens, by the names the message shows) or a file descriptor (an integer >= 0). A
 * value of the type of a token or of an fd that is neither is a {@link ValueError}; a value of
 * another type, a `TypeError`.
 *
 * @example
 * ```ts
 * checkStdio('openProcess()', 'stdout', 'pipes', { "'pipe'": 'pipe', "'ignore'": 'ignore' }); // ValueError
 * ```
 */
export function checkStdio(
  api: string,
  name: string,
  value: unknown,
  choices: Readonly<Record<string, string | number>>,
): asserts value is string | number {
  const tokens = Object.values(choices);
  if (tokens.includes(value as string | number)) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return;
  const message = `${api}: ${name} must be ${Object.keys(choices).join(', ')} or a file descriptor (an integer >= 0), got ${show(value)}`;
  // Of the type of a token or of an fd, the value is wrong; of another type, the type is.
  const types = new Set<string>(['number', ...tokens.map((t) => typeof t)]);
  throw types.has(typeof value) ? new ValueError(message) : new TypeError(message);
}

/** What {@link optionsFirst} returns. */
export interface OptionsFirst<O> {
  /** The options, or `{}` when the first argument was the function. */
  options: O;
  /** What should be the function (unchecked). */
  fn: unknown;
  /** The arguments for the function. */
  args: unknown[];
}

/**
 * `[options,] fn, ...args` taken apart (see `runArguments`): a first argument that is neither a
 * function nor an options object (a started Promise, say) is `checkFunction`'s `TypeError`,
 * naming `api`. The caller checks the options and `fn`.
 *
 * @example
 * ```ts
 * const { options, fn, args } = optionsFirst<{ idempotent?: boolean }>('runSyncSoon()', first, rest);
 * ```
 */
export function optionsFirst<O extends object>(
  api: string,
  first: unknown,
  rest: unknown[],
): OptionsFirst<O> {
  if (typeof first === 'function') return { options: {} as O, fn: first, args: rest };
  if (
    first === null ||
    typeof first !== 'object' ||
    typeof (first as PromiseLike<unknown>).then === 'function'
  ) {
    checkFunction(api, first);
  }
  return { options: first as O, fn: rest[0], args: rest.slice(1) };
}
