/**
 * Future: a result that will be set later, as asyncio's. Awaiting one from a task parks the task
 * in the kernel, so cancelling the awaiting task cancels the future (as asyncio's `Task.cancel`
 * cancels the future the task waits on), and the MockClock sees the task as blocked.
 */
import {
  Abort,
  Cancelled,
  RuntimeError,
  currentTaskOrUndefined,
  type Task as KernelTask,
  type Waitable,
} from '@duet/kernel';
import {
  breakWait,
  currentWait,
  edgeCancelMessage,
  parkTask,
  wake,
  wakeWithError,
} from '@duet/kernel/lowlevel';
import { InvalidStateError } from './errors';
import { getRunningLoop } from './events';
import type { EventLoop } from './loop';

/** @internal The key under which a facade Task is stored on its kernel task. */
export const TASK_KEY = Symbol('@duet/asyncio Task');

// FINISHED with a result, FAILED with an error (asyncio's FINISHED too: see checkPending).
type State = 'PENDING' | 'CANCELLED' | 'FINISHED' | 'FAILED';

/**
 * A done callback: called soon after the future completes, with the future.
 *
 * @example
 * ```ts
 * fut.addDoneCallback((f) => console.log(f.result()));
 * ```
 */
export type DoneCallback<F> = (future: F) => void;

/** Parked here: a task awaiting a future. Cancelling the task cancels the future. */
class AwaitWait implements Waitable {
  retrieve = true;
  /** The task's code went on without this wait (a misuse): drop it without cancelling the future. */
  broken = false;
  /** Parked in the current microtask run (see {@link markFresh}). */
  fresh = false;

  constructor(
    readonly future: Future<unknown>,
    readonly task: KernelTask,
  ) {}

  abortWait(task: KernelTask): Abort {
    if (!this.broken && !this.future.done() && this.future.cancel(edgeCancelMessage(task))) {
      // The request went on to the future: the task wakes when the future completes.
      task.discardPendingCancel();
      return Abort.FAILED;
    }
    this.future._removeWaiter(this);
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return `awaiting ${String(this.future)}`;
  }

  /** A cancel after the future completed wins, as in asyncio; the future keeps its result. */
  revokeWake(): boolean {
    return true;
  }
}

/** A plain Promise subscription (await from outside a task, or from a task already waiting). */
interface PromiseWaiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  retrieve: boolean;
}

type Entry = DoneCallback<never> | AwaitWait | PromiseWaiter;

/**
 * Options of the {@link Future} constructor.
 *
 * @example
 * ```ts
 * const fut = new Future<number>({ loop: getRunningLoop() });
 * ```
 */
export interface FutureOptions {
  /** The loop the future belongs to; the running loop by default. */
  loop?: EventLoop;
}

/**
 * A value that will be set later, as asyncio's `Future`. Awaitable: `await fut` returns the result
 * or raises the error (`CancelledError` if it was cancelled). Done callbacks are scheduled with
 * `callSoon` when it completes, never called inside `setResult`.
 *
 * @example
 * ```ts
 * const fut = new Future<number>();
 * getRunningLoop().callLater(1, () => fut.setResult(42));
 * console.log(await fut); // 42
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  /** @internal */
  _state: State = 'PENDING';
  /**
   * @internal What the future ended with, one field for every state (a field costs every Task 8
   * bytes): FINISHED its result, FAILED its error, CANCELLED the message given to `cancel()` or
   * the `Cancelled` a task ended with (re-raised as is).
   */
  _outcome: unknown = undefined;
  /** @internal True while a stored error has not been retrieved. */
  _logTraceback = false;
  /** @internal */
  readonly _loop: EventLoop;
  // While pending, the callbacks and awaiters; once done, the callbacks scheduled and not yet run,
  // oldest first (one kernel callback each takes the first: see scheduleCallback). Most futures
  // get one callback or awaiter, many none: the first is kept as is, a list is made only for a
  // second.
  private entries: Entry | Entry[] | null = null;

  constructor(options: FutureOptions = {}) {
    this._loop = options.loop ?? getRunningLoop();
  }

  /** The loop this future belongs to. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** True once the future has a result, an error, or was cancelled. */
  done(): boolean {
    return this._state !== 'PENDING';
  }

  /** True if the future was cancelled. */
  cancelled(): boolean {
    return this._state === 'CANCELLED';
  }

  /**
   * The result; throws the stored error, `CancelledError` if cancelled, `InvalidStateError` if not done.
   */
  result(): T {
    if (this._state === 'CANCELLED') throw this._makeCancelledError();
    if (this._state === 'PENDING') throw new InvalidStateError('Result is not set.');
    this._logTraceback = false;
    if (this._state === 'FAILED') throw this._outcome;
    return this._outcome as T;
  }

  /**
   * The stored error, or `null` if it finished with a result; throws `CancelledError` if cancelled,
   * `InvalidStateError` if not done.
   */
  exception(): unknown {
    if (this._state === 'CANCELLED') throw this._makeCancelledError();
    if (this._state === 'PENDING') throw new InvalidStateError('Exception is not set.');
    this._logTraceback = false;
    return this._exceptionValue();
  }

  /** Completes the future with `value`; `InvalidStateError` if it is already done. */
  setResult(value: T): void {
    this.checkPending();
    this._settle('FINISHED', value);
  }

  /**
   * Completes the future with an error; `InvalidStateError` if it is already done. Given an error
   * class, stores a new instance of it (as CPython does with an exception type).
   */
  setException(error: unknown): void {
    this.checkPending();
    if (typeof error === 'function' && error.prototype instanceof Error)
      error = new (error as new () => Error)();
    this._logTraceback = true;
    this._loop._unretrieved.add(this as Future<unknown>);
    this._settle('FAILED', error);
  }

  /** Cancels the future; returns `false` if it is already done. */
  cancel(msg?: string): boolean {
    this._logTraceback = false;
    if (this._state !== 'PENDING') return false;
    this._settle('CANCELLED', msg);
    return true;
  }

  /** Throws `InvalidStateError` unless the future is pending (setting it twice). */
  private checkPending(): void {
    if (this._state === 'PENDING') return;
    // asyncio's word: an error is FINISHED too.
    const state = this._state === 'FAILED' ? 'FINISHED' : this._state;
    throw new InvalidStateError(`${state}: ${String(this)}`);
  }

  /** @internal Completes the pending future: `outcome` as `_outcome` says, then the callbacks. */
  _settle(state: Exclude<State, 'PENDING'>, outcome: unknown): void {
    this._state = state;
    this._outcome = outcome;
    this._scheduleCallbacks();
  }

  /** Calls `callback(this)` soon after the future is done (at once, i.e. at the next iteration, if it is). */
  addDoneCallback(callback: DoneCallback<this>): void {
    if (typeof callback !== 'function') throw new TypeError('addDoneCallback expects a function');
    if (this._state !== 'PENDING') this.scheduleCallback(callback as DoneCallback<never>);
    else this._addEntry(callback as DoneCallback<never>);
  }

  /**
   * @internal Registers `callback` ahead of every callback and awaiter the pending future has: as
   * if it had been added when the future was made (see `TaskGroup`'s sink).
   */
  _addFirstDoneCallback(callback: DoneCallback<this>): void {
    const entries = this.entries;
    const entry = callback as DoneCallback<never>;
    if (entries === null) this.entries = entry;
    else if (Array.isArray(entries)) entries.unshift(entry);
    else this.entries = [entry, entries];
  }

  /** Removes every registration of `callback`; returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<this>): number {
    const entries = this.entries;
    // Once done, the callbacks are scheduled: too late to remove them (as in asyncio).
    if (entries === null || this._state !== 'PENDING') return 0;
    if (!Array.isArray(entries)) {
      if (entries !== (callback as unknown)) return 0;
      this.entries = null;
      return 1;
    }
    this.entries = entries.filter((e) => e !== (callback as unknown));
    return entries.length - this.entries.length;
  }

  /**
   * Makes the future awaitable. Called from a running task (as `await` does), it parks the task
   * until the future is done; cancelling the task meanwhile cancels the future.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return (this._wait(true) as Promise<T>).then(onFulfilled, onRejected);
  }

  /** @internal Waits for the future; `retrieve` marks a stored error as retrieved (as `await` does). */
  _wait(retrieve: boolean): Promise<unknown> {
    if (this._state !== 'PENDING') return this._settled(retrieve);
    const task = currentTaskOrUndefined();
    if (task !== undefined && task.getLocal(TASK_KEY) === this) {
      return Promise.reject(new RuntimeError('Task cannot await on itself'));
    }
    if (task !== undefined && task.runner !== this._loop._runner) {
      return Promise.reject(
        new RuntimeError(`${taskName(task)} got ${String(this)} attached to a different loop`),
      );
    }
    if (task !== undefined && task.state === 'running') {
      const wait = new AwaitWait(this as Future<unknown>, task);
      wait.retrieve = retrieve;
      this._addEntry(wait);
      const parked = parkTask(task, wait);
      markFresh(wait);
      return parked;
    }
    if (task !== undefined) {
      const pending = currentWait(task);
      if (pending instanceof AwaitWait && pending.fresh) return racedAwait(task, pending);
    }
    return new Promise((resolve, reject) => {
      this._addEntry({ resolve, reject, retrieve });
    });
  }

  private _settled(retrieve: boolean): Promise<unknown> {
    if (this._state === 'FINISHED') return Promise.resolve(this._outcome);
    if (retrieve) this._logTraceback = false;
    return Promise.reject(this._errorValue());
  }

  /** @internal The error an awaiter gets: the stored error, or a CancelledError. */
  _errorValue(): unknown {
    return this._state === 'CANCELLED' ? this._makeCancelledError() : this._outcome;
  }

  /** @internal The stored error (`null` if none), without marking it retrieved. */
  _exceptionValue(): unknown {
    return this._state === 'FAILED' ? this._outcome : null;
  }

  /** @internal */
  _makeCancelledError(): Cancelled {
    const outcome = this._outcome as Cancelled | string | undefined;
    if (outcome instanceof Cancelled) return outcome;
    return outcome === undefined ? new Cancelled() : new Cancelled(outcome);
  }

  /** @internal */
  _removeWaiter(wait: AwaitWait): void {
    const entries = this.entries;
    if (entries === wait) this.entries = null;
    else if (Array.isArray(entries)) {
      const i = entries.indexOf(wait);
      if (i >= 0) entries.splice(i, 1);
    }
  }

  private _addEntry(entry: Entry): void {
    const entries = this.entries;
    if (entries === null) this.entries = entry;
    else if (Array.isArray(entries)) entries.push(entry);
    else this.entries = [entries, entry];
  }

  /** @internal Schedules the done callbacks and wakes the awaiting tasks, in registration order. */
  _scheduleCallbacks(): void {
    const entries = this.entries;
    this.entries = null;
    if (entries === null) return;
    const ok = this._state === 'FINISHED';
    if (!Array.isArray(entries)) this._notify(entries, ok);
    else for (const entry of entries) this._notify(entry, ok);
  }

  private _notify(entry: Entry, ok: boolean): void {
    if (entry instanceof AwaitWait) {
      const task = entry.task;
      if (currentWait(task) !== entry) return;
      if (ok) wake(task, this._outcome);
      else {
        if (entry.retrieve) this._logTraceback = false;
        wakeWithError(task, this._errorValue());
      }
    } else if (typeof entry === 'function') {
      this.scheduleCallback(entry as DoneCallback<never>);
    } else if (ok) {
      entry.resolve(this._outcome);
    } else {
      if (entry.retrieve) this._logTraceback = false;
      entry.reject(this._errorValue());
    }
  }

  /**
   * Queues `callback` to run at the next loop iteration. The kernel callback carries only the
   * future, no closure: the ready queue is FIFO, so the n-th of this future's kernel callbacks to
   * run is the one queued n-th, and it takes the oldest callback still queued here.
   */
  private scheduleCallback(callback: DoneCallback<never>): void {
    this._addEntry(callback);
    this._loop._runner.callSoon(runOldestCallback, this as Future<unknown>);
  }

  /** @internal Runs the oldest scheduled callback (see scheduleCallback). */
  _runOldestCallback(): void {
    const entries = this.entries!;
    let callback: Entry;
    if (!Array.isArray(entries)) {
      callback = entries;
      this.entries = null;
    } else {
      callback = entries.shift()!;
    }
    this._loop._runGuarded(callback as DoneCallback<this>, this);
  }

  /**
   * @internal The state for `toString`, as CPython's repr: `pending cb=[f(), g()]` (the done
   * callbacks; past two, the middle ones counted), `cancelled`, `finished result=4` (a long value
   * shortened in the middle, as reprlib), `finished exception=RangeError('bad')`.
   */
  protected _describe(): string {
    if (this._state === 'CANCELLED') return 'cancelled';
    if (this._state === 'FINISHED') return `finished result=${shortRepr(this._outcome)}`;
    if (this._state === 'FAILED') return `finished exception=${errorRepr(this._outcome)}`;
    const cbs = (this.entries === null ? [] : ([] as Entry[]).concat(this.entries))
      .filter((e) => typeof e === 'function')
      .map((f) => `${f.name || 'anonymous'}()`);
    if (cbs.length > 2) cbs.splice(1, cbs.length - 2, `<${cbs.length - 2} more>`);
    return cbs.length === 0 ? 'pending' : `pending cb=[${cbs.join(', ')}]`;
  }

  /** A short description, for logs and debugging: `<Future finished result=4>`. */
  toString(): string {
    return `<Future ${this._describe()}>`;
  }
}

/** A value as a repr shows it: strings quoted, arrays listed, cut to 30 characters as reprlib. */
function shortRepr(value: unknown): string {
  const s =
    typeof value === 'string'
      ? `'${value}'`
      : Array.isArray(value)
        ? `[${value.map(shortRepr).join(', ')}]`
        : errorRepr(value);
  return s.length > 30 ? `${s.slice(0, 13)}...${s.slice(-14)}` : s;
}

/** An error as Python's repr of an exception shows it: `RangeError('bad')`, `RangeError()`. */
function errorRepr(value: unknown): string {
  if (!(value instanceof Error)) return String(value);
  return `${value.name}(${value.message === '' ? '' : `'${value.message}'`})`;
}

// A second await from a task's own code comes from the same microtask run as its first (the
// jobs Promise.race / Promise.all queue together), before anything the kernel runs afterwards: a
// done callback that awaits, running in a parked task's async context, must not be taken for one.
// So a wait is "fresh" until a microtask queued when it parked has run.
let freshWaits: AwaitWait[] = [];
// A reaction on a settled promise runs in the same microtask queue as queueMicrotask, without the
// AsyncResource that queueMicrotask makes per call while async hooks are on (Node 20's ALS).
const SETTLED: Promise<void> = Promise.resolve();
const clearFresh = (): void => {
  for (const wait of freshWaits) wait.fresh = false;
  freshWaits = [];
};

function markFresh(wait: AwaitWait): void {
  wait.fresh = true;
  if (freshWaits.push(wait) === 1) void SETTLED.then(clearFresh);
}

function runOldestCallback(future: Future<unknown>): void {
  future._runOldestCallback();
}

function taskName(task: KernelTask): string {
  const facade = task.getLocal(TASK_KEY);
  return facade !== undefined ? String(facade) : String(task);
}

/**
 * A task awaits a second future while it waits for a first: the futures were given to
 * `Promise.race` / `Promise.all`. Both awaits fail with a RuntimeError that says what to use, and
 * the task leaves the first wait, so the error reaches the task's code (and `run()`'s caller).
 */
function racedAwait(task: KernelTask, first: AwaitWait): Promise<never> {
  const error = new RuntimeError(
    `${taskName(task)} awaited a Future while it was awaiting another one: Futures and Tasks ` +
      'cannot be passed to Promise.race / Promise.all inside a task; use gather(), wait() or asCompleted()',
  );
  first.broken = true;
  breakWait(task, error);
  return Promise.reject(error);
}

/**
 * True when `value` is a {@link Future} (a Task included).
 *
 * @example
 * ```ts
 * isFuture(createTask(work)); // true
 * isFuture(Promise.resolve(1)); // false
 * ```
 */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}
