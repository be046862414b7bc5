/**
 * Argument checks shared by every public function of Duet, so that the same mistake gets the same
 * error class and the same kind of message in both facades.
 */

/**
 * Throws a `TypeError` unless `options` is `undefined` or a plain object whose keys are all in
 * `allowed`; the message names the unknown key and the allowed ones, so a typo is reported.
 *
 * @example
 * ```ts
 * checkOptions('openNursery()', options, ['strictExceptionGroups', 'signal']);
 * ```
 */
export function checkOptions(api: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `${api} expects an options object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const known = allowed.length === 0 ? 'none' : allowed.join(', ');
      throw new TypeError(`${api} got an unknown option '${key}' (allowed: ${known})`);
    }
  }
}

/** Throws a `TypeError` unless `signal` is `undefined` or an `AbortSignal`. */
export function checkSignal(api: string, signal: unknown): void {
  if (signal === undefined || signal instanceof AbortSignal) return;
  throw new TypeError(`${api} option 'signal' must be an AbortSignal, got ${describe(signal)}`);
}

/** A value's kind in words, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name !== undefined && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `${typeof value} ${String(value)}`;
}
