/**
 * The error classes shared by every part of Duet.
 *
 * Python names are kept where a Python programmer would look for them:
 * `RuntimeError` for misuse of an API, `ValueError` for a bad argument value.
 */

/** Raised for a call that is not allowed in the current state (Python's `RuntimeError`). */
export class RuntimeError extends Error {
  /** The class name, `'RuntimeError'`. */
  override name = 'RuntimeError';
}

/**
 * Raised for an argument of the right type but a bad value (Python's `ValueError`).
 * It extends `RangeError`, so JavaScript code that checks for `RangeError` also catches it.
 */
export class ValueError extends RangeError {
  /** The class name, `'ValueError'`. */
  override name = 'ValueError';
}

/** Raised when a lookup finds nothing, such as a `RunVar` without a value (Python's `LookupError`). */
export class LookupError extends Error {
  /** The class name, `'LookupError'`. */
  override name = 'LookupError';
}

/**
 * The one cancellation exception of Duet. Trio's `Cancelled` and asyncio's `CancelledError`
 * are this class, so `instanceof` works in mixed code.
 *
 * Never create one yourself to cancel something: cancel a scope or a task instead.
 * Catching it and carrying on is allowed, but in a cancelled scope the next checkpoint raises again.
 */
export class Cancelled extends Error {
  /** @internal True when this exception delivers an edge-triggered request (`Task.requestCancel`). */
  declare _edge: boolean;
  /**
   * What cancelled (Trio 0.31's `Cancelled.source`): the innermost cancelled scope's
   * `cancelReason` (`'explicit'`, `'deadline'`, `'nursery'`, `'signal'`), or `'unknown'` (a task's
   * edge-triggered request, say).
   */
  declare readonly source: CancelSource;
  /** The message given to `cancel()` (Trio's `reason`), or `null`. */
  declare readonly reason: string | null;
}
// On the prototype, not per instance: cancelling 100,000 tasks makes 100,000 of these.
Cancelled.prototype.name = 'Cancelled';
Cancelled.prototype._edge = false;
(Cancelled.prototype as { source: CancelSource }).source = 'unknown';
(Cancelled.prototype as { reason: string | null }).reason = null;

/** What a {@link Cancelled} came from: a scope's `cancelReason`, or `'unknown'`. */
export type CancelSource = 'explicit' | 'deadline' | 'nursery' | 'signal' | 'unknown';

/**
 * Creates a `Cancelled` without capturing a stack trace: the stack would only show kernel
 * internals, and cancelling 100,000 tasks must stay cheap.
 * @internal
 */
export function newCancelled(message?: string, source?: CancelSource): Cancelled {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let cancelled: Cancelled;
  try {
    cancelled = message === undefined ? new Cancelled() : new Cancelled(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
  // Own properties only when they differ from the prototype's defaults (the common case is cheap).
  if (source !== undefined) (cancelled as { source: CancelSource }).source = source;
  if (message !== undefined) (cancelled as { reason: string | null }).reason = message;
  return cancelled;
}

/** @internal A `Cancelled` that delivers an edge-triggered request (`Task.requestCancel`). */
export function newEdgeCancelled(message: string | undefined): Cancelled {
  const cancelled = newCancelled(message);
  cancelled._edge = true;
  return cancelled;
}

/**
 * A `Cancelled` raised while an `await using` resource was disposed arrives wrapped in a
 * `SuppressedError` (its `error` is the new exception, `suppressed` the one it replaced). Python
 * lets the new exception replace the old one; so does Duet: this returns the `Cancelled` inside.
 * @internal
 */
export function unwrapDisposalCancel(err: unknown): unknown {
  while (
    err instanceof Error &&
    err.name === 'SuppressedError' &&
    (err as Error & { error?: unknown }).error instanceof Cancelled
  ) {
    err = (err as Error & { error: unknown }).error;
  }
  return err;
}

/** How far {@link cancellationOf} follows a `cause` chain (it may be cyclic). */
const MAX_CAUSE_DEPTH = 16;

/**
 * The `Cancelled` that `err` stands for, or `undefined`: `err` itself, or an `AbortError` whose
 * `cause` chain (through further `AbortError`s) reaches a `Cancelled`. Node's APIs reject with an
 * `AbortError` whose `cause` is the signal's reason, and the reason of every Duet signal is a
 * `Cancelled`: such an error is that cancellation. Any other error is a failure even when caused
 * by a cancellation: it converted one on purpose, as asyncio's `TimeoutError` does.
 */
export function cancellationOf(err: unknown): Cancelled | undefined {
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (err instanceof Cancelled) return err;
    if (!isAbortError(err)) return undefined;
    err = (err as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAbortError(err: unknown): boolean {
  return (
    err !== null && typeof err === 'object' && (err as { name?: unknown }).name === 'AbortError'
  );
}

/**
 * True when `err` is a cancellation as opposed to a failure: a `Cancelled`, an error caused by one
 * (Node's `AbortError` from a Duet signal), or an `ExceptionGroup` holding nothing but those (what a
 * nursery raises when it was cancelled from outside while its children waited). Use it in a `catch`
 * that must let cancellation through.
 *
 * @example
 * ```ts
 * try { await attempt(); } catch (err) { if (isCancelled(err)) throw err; log(err); }
 * ```
 */
export function isCancelled(err: unknown): err is Cancelled | ExceptionGroup<Cancelled> {
  if (cancellationOf(err) !== undefined) return true;
  return err instanceof ExceptionGroup && err.split(Cancelled)[1] === null;
}

/**
 * Raised by `run()` when Ctrl-C (SIGINT) cancelled the run, as Python raises `KeyboardInterrupt`
 * once `trio.run` or `asyncio.run` has unwound.
 */
export class KeyboardInterrupt extends Error {
  /** The class name, `'KeyboardInterrupt'`. */
  override name = 'KeyboardInterrupt';
}

/** Raised when a call needs a run that has already finished. */
export class RunFinishedError extends RuntimeError {
  /** The class name, `'RunFinishedError'`. */
  override name = 'RunFinishedError';
}

/** Raised when the kernel finds one of its invariants broken; always a bug, in Duet or in a system task. */
export class KernelInternalError extends Error {
  /** The class name, `'KernelInternalError'`. */
  override name = 'KernelInternalError';
}

/**
 * Raised by a run with hang detection when it can no longer make progress (every task waits for
 * something only another task could do) or passes its real-time limit. The message holds the task
 * tree at that moment.
 */
export class HangError extends Error {
  /** The class name, `'HangError'`. */
  override name = 'HangError';
}

/** A class of errors, or a predicate on errors: what `split` and `subgroup` accept. */
export type ErrorMatcher =
  | (abstract new (...args: never[]) => unknown)
  | ReadonlyArray<abstract new (...args: never[]) => unknown>
  | ((err: unknown) => boolean);

function isErrorClass(fn: unknown): fn is abstract new (...args: never[]) => unknown {
  return (
    typeof fn === 'function' &&
    (fn === Error || (fn.prototype !== undefined && fn.prototype instanceof Error))
  );
}

/** `err` is an instance of `cls`; for `Cancelled` (and subclasses), an error caused by one counts. */
function isInstance(err: unknown, cls: abstract new (...args: never[]) => unknown): boolean {
  if (err instanceof cls) return true;
  return (
    (cls === Cancelled || cls.prototype instanceof Cancelled) && cancellationOf(err) instanceof cls
  );
}

function toPredicate(matcher: ErrorMatcher): (err: unknown) => boolean {
  if (Array.isArray(matcher)) {
    const classes = matcher as ReadonlyArray<abstract new (...args: never[]) => unknown>;
    return (err) => classes.some((cls) => isInstance(err, cls));
  }
  if (isErrorClass(matcher)) return (err) => isInstance(err, matcher);
  if (typeof matcher === 'function') return matcher as (err: unknown) => boolean;
  throw new TypeError('expected an error class, an array of error classes, or a predicate');
}

/** Node's `util.inspect.custom`, by its registered name: no import of `node:util` needed. */
const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/** The `inspect` Node passes to a `[util.inspect.custom]` method (declared here so that the kernel's types need no `@types/node`). */
type InspectFunction = (value: unknown, options: object) => string;

/**
 * Several errors raised together, as Python's `ExceptionGroup`: what a nursery or a task group
 * raises when its children fail. It extends the built-in `AggregateError`, so `errors` holds the
 * same list as `exceptions`.
 *
 * @example
 * ```ts
 * try { await openNursery(...) } catch (eg) {
 *   if (eg instanceof ExceptionGroup) {
 *     const [timeouts, rest] = eg.split(TimeoutError);
 *   }
 * }
 * ```
 */
export class ExceptionGroup<E = unknown> extends AggregateError {
  /** The class name, `'ExceptionGroup'`. */
  override name = 'ExceptionGroup';
  /** The errors of this group, in the order they were raised (nested groups stay groups). */
  declare readonly exceptions: readonly E[];

  /**
   * @param message - what the errors have in common
   * @param exceptions - a non-empty array of errors
   */
  constructor(message: string, exceptions: readonly E[]) {
    if (typeof message !== 'string')
      throw new TypeError(`ExceptionGroup: the message must be a string, got ${typeof message}`);
    if (!Array.isArray(exceptions))
      throw new TypeError('ExceptionGroup expects an array of errors');
    if (exceptions.length === 0) throw new ValueError('ExceptionGroup needs at least one error');
    super(exceptions, message);
    const list = Object.freeze([...exceptions]);
    // Node prints an uncaught error without custom inspection: its stack, then its own keys, and
    // an AggregateError's `errors` in full. Keep the members out of the keys (a hidden
    // `exceptions`, `errors` behind a getter) and let `stack` be the tree with each member's own
    // stack, so each member is printed once; of the group's own frames, only those outside the
    // kernel (where the nursery was opened) are kept.
    Object.defineProperty(this, 'exceptions', { value: list, enumerable: false });
    Object.defineProperty(this, 'errors', { get: () => list, enumerable: false });
    // The group's own frames are formatted only if its stack is read: formatting costs far more
    // than capturing, and a nursery makes many groups that nobody prints.
    const own: { stack?: string } = {};
    Error.captureStackTrace(own, new.target);
    groupFrames.set(this, own);
    let assigned: string | undefined;
    Object.defineProperty(this, 'stack', {
      get: () => assigned ?? groupText(this, errorText),
      set: (value: string) => {
        assigned = value;
      },
      configurable: true,
    });
  }

  /**
   * Splits this group in two by `matcher`, keeping the nesting: `[match, rest]`, each a group or
   * `null`. A class matches errors that are instances of it; a predicate is asked about every
   * leaf and every nested group (a matching group goes whole to `match`).
   */
  split(matcher: ErrorMatcher): [ExceptionGroup<E> | null, ExceptionGroup<E> | null] {
    const pred = toPredicate(matcher);
    if (pred(this)) return [this, null];
    const matched: E[] = [];
    const rest: E[] = [];
    for (const exc of this.exceptions) {
      if (exc instanceof ExceptionGroup) {
        const [m, r] = (exc as ExceptionGroup<E>).split(pred);
        if (m !== null) matched.push(m as E);
        if (r !== null) rest.push(r as E);
      } else if (pred(exc)) {
        matched.push(exc);
      } else {
        rest.push(exc);
      }
    }
    return [this.rebuild(matched), this.rebuild(rest)];
  }

  /** The part of this group that matches `matcher` (see {@link ExceptionGroup.split}), or `null`. */
  subgroup(matcher: ErrorMatcher): ExceptionGroup<E> | null {
    return this.split(matcher)[0];
  }

  /** A group with the same message holding `exceptions`; `split` and `subgroup` build with it. */
  derive<F>(exceptions: readonly F[]): ExceptionGroup<F> {
    return new ExceptionGroup(this.message, exceptions);
  }

  private rebuild(exceptions: E[]): ExceptionGroup<E> | null {
    if (exceptions.length === 0) return null;
    if (
      exceptions.length === this.exceptions.length &&
      exceptions.every((e, i) => e === this.exceptions[i])
    ) {
      return this;
    }
    const group: unknown = this.derive(exceptions);
    if (!(group instanceof ExceptionGroup)) {
      throw new TypeError(`${this.name}.derive must return an ExceptionGroup, got ${typeof group}`);
    }
    if (this.cause !== undefined) group.cause = this.cause;
    if (nonStrictGroups.has(this)) nonStrictGroups.add(group);
    return group as ExceptionGroup<E>;
  }

  /**
   * @internal Trio's collapse of non-strict groups, where a cancel scope has split its
   * `Cancelled`s out: a non-strict group holding one error becomes that error, at any depth.
   */
  collapse(): unknown {
    const parts = this.exceptions.map((e) =>
      e instanceof ExceptionGroup ? (e.collapse() as E) : e,
    );
    return parts.length === 1 && nonStrictGroups.has(this) ? parts[0] : this.rebuild(parts);
  }

  /** The group as an indented tree, one line per error. */
  override toString(): string {
    return describeTree(this, '');
  }

  /**
   * How Node prints the group (`console.error`, `util.inspect`, an uncaught error): the tree once,
   * each member with its own stack, nested groups inside their parents, then the cause. Without
   * it Node would print every member twice (`exceptions` and AggregateError's `errors`) and
   * collapse nested ones to `[Array]`. The group's own stack is left out: it shows where the
   * kernel gathered the errors, not where they happened (it stays in `stack`).
   */
  [inspectCustom](_depth: number, options: object, inspect: InspectFunction): string {
    let text = groupText(this, (exc) => inspect(exc, options));
    if (this.cause !== undefined) {
      text += '\n[cause]: ' + inspect(this.cause, options).split('\n').join('\n    ');
    }
    return text;
  }
}

/**
 * @internal The groups raised by nurseries with `strictExceptionGroups: false`, and the parts split
 * from them: once a cancel scope has taken their `Cancelled`s out, a lone error left is raised as
 * itself ({@link ExceptionGroup.collapse}).
 */
export const nonStrictGroups = new WeakSet<ExceptionGroup>();

function headline(err: unknown): string {
  if (err instanceof ExceptionGroup) {
    const n = err.exceptions.length;
    return `${err.name}: ${err.message} (${n} sub-exception${n === 1 ? '' : 's'})`;
  }
  if (err instanceof Error) return err.message === '' ? err.name : `${err.name}: ${err.message}`;
  return String(err);
}

/** Where this module's code lives (`.../kernel/src/` or `.../kernel/dist/`), to tell kernel frames from the user's. */
const KERNEL_DIR = /\(?((?:file:\/\/)?\/.*\/kernel\/(?:src|dist)\/)/.exec(
  new Error().stack ?? '',
)?.[1];

/** The stack frames of `stack` that are not the kernel's. */
function userFrames(stack: string | undefined): string[] {
  return (stack ?? '')
    .split('\n')
    .filter(
      (line) => /^\s+at /.test(line) && (KERNEL_DIR === undefined || !line.includes(KERNEL_DIR)),
    );
}

/** The frames of each group's own stack that are outside the kernel. */
const groupFrames = new WeakMap<ExceptionGroup, { stack?: string }>();

/** A group printed whole: its headline, its own frames outside the kernel, then each member described. */
function groupText(group: ExceptionGroup, describe: (exc: unknown) => string): string {
  const [head, ...members] = describeTree(group, '', describe).split('\n');
  return [head, ...userFrames(groupFrames.get(group)?.stack), ...members].join('\n');
}

/** An error as Node prints it uncaught: its stack (a group's is its tree), else its text. */
function errorText(err: unknown): string {
  return err instanceof Error && typeof err.stack === 'string' ? err.stack : String(err);
}

/**
 * The tree of `group`, one branch per member: `describe` gives each member's text (its headline
 * by default); a member of several lines keeps them under its branch.
 */
function describeTree(
  group: ExceptionGroup,
  indent: string,
  describe: (exc: unknown) => string = headline,
): string {
  const lines = [headline(group)];
  group.exceptions.forEach((exc, i) => {
    const last = i === group.exceptions.length - 1;
    const childIndent = indent + (last ? '   ' : '│  ');
    const text =
      exc instanceof ExceptionGroup && describe === headline
        ? describeTree(exc, childIndent)
        : describe(exc)
            .split('\n')
            .join('\n' + childIndent);
    lines.push(indent + (last ? '└─ ' : '├─ ') + text);
  });
  return lines.join('\n');
}
