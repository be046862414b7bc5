/**
 * `trio.testing.RaisesGroup` and `trio.testing.Matcher`: say which errors an `ExceptionGroup` must
 * hold, nesting included, and check a group (or the error a body throws) against it.
 */
import { AssertionError } from 'node:assert';
import { ExceptionGroup, ValueError } from '@duet/kernel';

/** A class of errors, `Error` or a subclass of it. */
export type ErrorClass<E extends Error = Error> = abstract new (...args: never[]) => E;

/** What a {@link RaisesGroup} expects in one place of the group. */
export type ExpectedError = ErrorClass | Matcher | RaisesGroup;

/** A text to search for in an error's message: a `RegExp`, or a string taken as one. */
export type MessagePattern = string | RegExp;

/** Options of a {@link Matcher}. */
export interface MatcherOptions<E extends Error = Error> {
  /** Searched for in the error's `message` (Python's `re.search`, not a full match). */
  match?: MessagePattern;
  /** Asked last, with the error: it matches only if this returns true. */
  check?: (error: E) => boolean;
}

/** Options of a {@link RaisesGroup}. */
export interface RaisesGroupOptions {
  /**
   * A bare error (not in a group) matches too, if it matches the one expected error; only with a
   * single expected class or {@link Matcher}. With `flattenSubgroups` this is what `catch` of that
   * error's class would catch.
   */
  allowUnwrapped?: boolean;
  /** Match against the leaves of the group, whatever groups they are nested in. */
  flattenSubgroups?: boolean;
  /** Searched for in the group's own `message` (the sub-exception count is not part of it). */
  match?: MessagePattern;
  /** Asked last, with the group: it matches only if this returns true. */
  check?: (group: ExceptionGroup) => boolean;
}

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && (value === Error || value.prototype instanceof Error);
}

function toRegExp(pattern: MessagePattern | undefined, who: string): RegExp | null {
  if (pattern === undefined) return null;
  if (pattern instanceof RegExp) return pattern;
  if (typeof pattern === 'string') return new RegExp(pattern);
  throw new TypeError(`${who}: match must be a string or a RegExp, got ${typeof pattern}`);
}

function checkCallback(check: unknown, who: string): void {
  if (check !== undefined && typeof check !== 'function')
    throw new TypeError(`${who}: check must be a function, got ${typeof check}`);
}

function describeExpected(expected: ExpectedError): string {
  return isErrorClass(expected) ? expected.name : String(expected);
}

function describeOptions(pattern: RegExp | null, check: unknown): string {
  return (pattern === null ? '' : `, match=${String(pattern)}`) + (check ? ', check=…' : '');
}

/**
 * `trio.testing.Matcher`: one error that is an instance of `errorClass` (if given), whose message
 * contains `match` (if given) and for which `check` returns true (if given). Use it inside a
 * {@link RaisesGroup} to say more about a member than its class.
 *
 * @example
 * ```ts
 * new RaisesGroup(new Matcher(ValueError, { match: /^bad port/ }), TypeError).matches(group);
 * new Matcher({ check: (e) => e instanceof TypeError || e instanceof RangeError });
 * ```
 */
export class Matcher<E extends Error = Error> {
  private readonly errorClass: ErrorClass<E> | null;
  private readonly pattern: RegExp | null;
  private readonly check: ((error: E) => boolean) | undefined;

  /**
   * @param errorClass - the class the error must be an instance of; leave it out (or pass `null`)
   *   to match on the message or `check` alone
   * @param options - `match` and `check`
   * @throws `ValueError` if neither a class nor an option is given; `TypeError` for a class that
   *   is not `Error` or a subclass of it
   */
  constructor(errorClass?: ErrorClass<E> | null, options?: MatcherOptions<E>);
  constructor(options: MatcherOptions<E>);
  constructor(
    errorClassOrOptions?: ErrorClass<E> | MatcherOptions<E> | null,
    options: MatcherOptions<E> = {},
  ) {
    let errorClass: ErrorClass<E> | null = null;
    if (typeof errorClassOrOptions === 'function') {
      if (!isErrorClass(errorClassOrOptions))
        throw new TypeError(
          `Matcher(): ${(errorClassOrOptions as { name: string }).name || 'the function'} is not Error or a subclass of it`,
        );
      errorClass = errorClassOrOptions;
    } else if (errorClassOrOptions !== undefined && errorClassOrOptions !== null) {
      if (typeof errorClassOrOptions !== 'object')
        throw new TypeError(
          `Matcher(): expected an error class or options, got ${typeof errorClassOrOptions}`,
        );
      options = errorClassOrOptions;
    }
    checkCallback(options.check, 'Matcher()');
    this.errorClass = errorClass;
    this.pattern = toRegExp(options.match, 'Matcher()');
    this.check = options.check;
    if (errorClass === null && this.pattern === null && this.check === undefined)
      throw new ValueError('Matcher(): give at least one of an error class, match or check');
  }

  /** Whether `error` is such an error. */
  matches(error: unknown): error is E {
    if (this.errorClass !== null && !(error instanceof this.errorClass)) return false;
    if (!(error instanceof Error)) return false;
    if (this.pattern !== null && !this.pattern.test(error.message)) return false;
    return this.check === undefined || this.check(error as E);
  }

  /** As Trio's repr: `Matcher(ValueError, match=/port/)`. */
  toString(): string {
    const head = this.errorClass === null ? '' : this.errorClass.name;
    const rest = describeOptions(this.pattern, this.check);
    return `Matcher(${head === '' ? rest.slice(2) : head + rest})`;
  }
}

/**
 * `trio.testing.RaisesGroup`: an `ExceptionGroup` that holds exactly the expected errors, in any
 * order: each expected class, {@link Matcher} or nested `RaisesGroup` matched by a different member.
 * A nested group of the raised errors must be matched by a nested `RaisesGroup`, unless
 * `flattenSubgroups` is set. Options come last.
 *
 * @example
 * ```ts
 * const expected = new RaisesGroup(ValueError, new RaisesGroup(TypeError), { match: /^nursery/ });
 * expected.matches(error); // true or false
 * const group = await expected.raises(() => openNursery(async (n) => { ... }));
 * ```
 */
export class RaisesGroup {
  private readonly expected: readonly ExpectedError[];
  private readonly allowUnwrapped: boolean;
  private readonly flattenSubgroups: boolean;
  private readonly pattern: RegExp | null;
  private readonly check: ((group: ExceptionGroup) => boolean) | undefined;

  /**
   * @param first - the first expected error: a class, a {@link Matcher} or a `RaisesGroup`
   * @param rest - more expected errors, and then, optionally, {@link RaisesGroupOptions}
   * @throws `TypeError` for an argument that is none of those; `ValueError` for `allowUnwrapped`
   *   with several expected errors or a nested `RaisesGroup`, and for `flattenSubgroups` with a
   *   nested `RaisesGroup` (it could never match)
   */
  constructor(first: ExpectedError, ...rest: ExpectedError[]);
  constructor(first: ExpectedError, ...rest: [...ExpectedError[], RaisesGroupOptions]);
  constructor(first: ExpectedError, ...rest: unknown[]) {
    const args: unknown[] = [first, ...rest];
    const last = args[args.length - 1];
    const options: RaisesGroupOptions =
      args.length > 1 && typeof last === 'object' && last !== null && !isExpected(last)
        ? (args.pop() as RaisesGroupOptions)
        : {};
    for (const arg of args) {
      if (!isExpected(arg))
        throw new TypeError(
          `RaisesGroup(): ${describeValue(arg)} is not an error class, a Matcher or a RaisesGroup`,
        );
    }
    const expected = args as ExpectedError[];
    const nested = expected.some((e) => e instanceof RaisesGroup);
    this.allowUnwrapped = options.allowUnwrapped === true;
    this.flattenSubgroups = options.flattenSubgroups === true;
    if (this.allowUnwrapped && expected.length > 1)
      throw new ValueError(
        'RaisesGroup(): allowUnwrapped takes a single expected error; to accept one of several ' +
          'classes, use one Matcher with a check',
      );
    if (this.allowUnwrapped && nested)
      throw new ValueError(
        'RaisesGroup(): allowUnwrapped has no effect when the expected error is a RaisesGroup; ' +
          'set it on the inner RaisesGroup, or use flattenSubgroups if the nesting does not matter',
      );
    if (this.flattenSubgroups && nested)
      throw new ValueError(
        'RaisesGroup(): flattenSubgroups with a nested RaisesGroup could never match: the raised ' +
          'groups are flattened before matching',
      );
    checkCallback(options.check, 'RaisesGroup()');
    this.expected = expected;
    this.pattern = toRegExp(options.match, 'RaisesGroup()');
    this.check = options.check;
  }

  /** Whether `error` is a group of the expected errors (or, with `allowUnwrapped`, the one error). */
  matches(error: unknown): boolean {
    if (!(error instanceof ExceptionGroup)) {
      return this.allowUnwrapped && expectedMatches(this.expected[0]!, error);
    }
    if (this.pattern !== null && !this.pattern.test(error.message)) return false;
    if (this.check !== undefined && !this.check(error)) return false;
    const actual = this.flattenSubgroups ? leaves(error) : error.exceptions;
    return actual.length === this.expected.length && pairUp(this.expected, actual);
  }

  /**
   * Runs `body` (Trio's `with RaisesGroup(...)`): returns the error it threw if that matches,
   * throws the error itself if it does not match, and fails with an `AssertionError` if `body`
   * threw nothing.
   */
  async raises(body: () => unknown): Promise<unknown> {
    if (typeof body !== 'function')
      throw new TypeError(`RaisesGroup.raises(): expected a function, got ${typeof body}`);
    try {
      await body();
    } catch (error) {
      if (this.matches(error)) return error;
      throw error;
    }
    throw new AssertionError({ message: `DID NOT RAISE any error, expected ${String(this)}` });
  }

  /** As Trio's repr: `RaisesGroup(ValueError, RaisesGroup(TypeError))`. */
  toString(): string {
    const flags =
      (this.allowUnwrapped ? ', allowUnwrapped' : '') +
      (this.flattenSubgroups ? ', flattenSubgroups' : '');
    return `RaisesGroup(${this.expected.map(describeExpected).join(', ')}${flags}${describeOptions(this.pattern, this.check)})`;
  }
}

function isExpected(value: unknown): value is ExpectedError {
  return isErrorClass(value) || value instanceof Matcher || value instanceof RaisesGroup;
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return value.name || 'an anonymous function';
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}

function expectedMatches(expected: ExpectedError, error: unknown): boolean {
  return isErrorClass(expected) ? error instanceof expected : expected.matches(error);
}

/** The members of `group` that are not groups, depth first. */
function leaves(group: ExceptionGroup): unknown[] {
  return group.exceptions.flatMap((e) => (e instanceof ExceptionGroup ? leaves(e) : [e]));
}

/**
 * Whether each expected error can be given a different actual error that it matches (both lists
 * of the same length). Backtracking: a greedy pass could give a broad expectation (`Error`) the
 * member that only a narrow one matches.
 */
function pairUp(expected: readonly ExpectedError[], actual: readonly unknown[]): boolean {
  const taken = new Array<boolean>(actual.length).fill(false);
  const place = (i: number): boolean => {
    if (i === expected.length) return true;
    for (let j = 0; j < actual.length; j++) {
      if (taken[j] || !expectedMatches(expected[i]!, actual[j])) continue;
      taken[j] = true;
      if (place(i + 1)) return true;
      taken[j] = false;
    }
    return false;
  };
  return place(0);
}
