/**
 * Interop with plain JavaScript: foreign Promises as checkpoints, and the AbortSignal of the
 * current task's cancellation.
 */
import { requireTask } from './context';
import { ValueError, cancellationOf, newCancelled, newEdgeCancelled } from './errors';
import { callAt, type TimerHandle } from './call-at';
import { checkBoolean, checkFunction, checkOptions, checkString } from './validate';
import type { Task } from './task';
import { Abort, NEVER, type Waitable } from './park';
import * as cancelDelivery from './cancel-delivery';
import * as waits from './waits';

class ForeignWait implements Waitable {
  abandoned = false;

  abortWait(): Abort {
    this.abandoned = true;
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return 'a foreign Promise';
  }
}

/** Seconds {@link awaitForeign} waits, by default, for aborted foreign work to settle. */
export const DEFAULT_SETTLE_SECONDS = 5;

/** Options of {@link awaitForeign} with a work function. */
export interface AwaitForeignOptions {
  /**
   * Seconds to wait, once cancellation has aborted the work's signal, for its Promise to settle
   * before giving up on it ({@link DEFAULT_SETTLE_SECONDS} by default). The wait is shielded: later
   * cancellations do not cut it short. `0` abandons the work at once; `Infinity` waits for it
   * however long it takes. Measured on the run's clock.
   */
  settle?: number;
}

/**
 * The wait of {@link awaitForeign} with a work function. On cancellation it aborts the work's own
 * signal and goes on waiting (up to the grace time) for the Promise to settle, so the work has
 * ended, or been given up on, when the task moves on.
 */
class TeardownWait implements Waitable {
  readonly controller = new AbortController();
  private aborted = false;
  private abandoned = false;
  private grace: TimerHandle | null = null;

  constructor(
    private readonly task: Task,
    private readonly settle: number,
  ) {}

  abortWait(): Abort {
    if (this.aborted) return Abort.FAILED;
    this.aborted = true;
    const runner = this.task.runner;
    this.controller.abort(cancelDelivery.cancellationReason(this.task));
    if (this.settle <= 0) {
      this.abandoned = true;
      return Abort.SUCCEEDED;
    }
    if (this.settle !== Infinity) {
      this.grace = callAt(runner, runner.clock.currentTime() + this.settle, () => this.giveUp());
    }
    return Abort.FAILED;
  }

  settled(ok: boolean, outcome: unknown): void {
    if (this.abandoned || this.task.parkedOn !== this) return;
    this.grace?.cancel();
    // A value is kept (Trio's rule: the cancellation lands at the next checkpoint); the rejection
    // the abort caused is delivered as the cancellation itself.
    if (ok) waits.wake(this.task, outcome);
    else if (this.aborted && cancellationOf(outcome) !== undefined)
      waits.wakeWithError(this.task, cancelDelivery.takeCancellation(this.task) ?? outcome);
    else waits.wakeWithError(this.task, outcome);
  }

  private giveUp(): void {
    if (this.task.parkedOn !== this) return;
    this.abandoned = true;
    waits.wakeWithError(
      this.task,
      cancelDelivery.takeCancellation(this.task) ??
        newCancelled(`foreign work did not settle within ${this.settle} s of its abort`),
    );
  }

  describeWait(): string {
    return this.aborted ? 'foreign work to settle after its abort' : 'foreign work';
  }
}

/**
 * Waits for foreign work as a checkpoint. Two forms:
 *
 * - `awaitForeign(promise)`: if cancellation arrives first, the wait is abandoned with `Cancelled`;
 *   the work itself goes on unless it was given {@link currentSignal}.
 * - `awaitForeign((signal) => work(signal), { settle })`: orderly teardown. The work gets a signal
 *   of its own; on cancellation the kernel aborts it, then waits, shielded, up to `settle` seconds
 *   for the work's Promise to settle before raising `Cancelled`, so nothing the task started is
 *   still running when it moves on. A value the work returns anyway is kept, and the cancellation
 *   is raised at the next checkpoint; an error other than the abort's is raised as is.
 *
 * Either way a later rejection is absorbed, never reported as unhandled, and the run's clock does
 * not autojump while a task waits here.
 *
 * @example
 * ```ts
 * const res = await awaitForeign((signal) => fetch(url, { signal }), { settle: 5 });
 * const text = await awaitForeign(fsp.readFile(path, { encoding: 'utf8', signal: currentSignal() }));
 * ```
 */
export function awaitForeign<T>(
  work: (signal: AbortSignal) => PromiseLike<T> | T,
  options?: AwaitForeignOptions,
): Promise<T>;
export function awaitForeign<T>(promise: PromiseLike<T> | T): Promise<T>;
export function awaitForeign<T>(
  work: PromiseLike<T> | T | ((signal: AbortSignal) => PromiseLike<T> | T),
  options?: AwaitForeignOptions,
): Promise<T> {
  const task = requireTask('awaitForeign()');
  if (!waits.canPark(task, 'awaitForeign')) return NEVER;
  if (typeof work === 'function') return teardownWait(task, work as (s: AbortSignal) => T, options);
  if (options !== undefined) {
    throw new TypeError('awaitForeign(promise) takes no options: pass (signal) => work for settle');
  }
  const wait = new ForeignWait();
  Promise.resolve(work).then(
    (value) => {
      if (!wait.abandoned) waits.wake(task, value);
    },
    (error: unknown) => {
      if (!wait.abandoned) waits.wakeWithError(task, error);
    },
  );
  return waits.park(task, wait, true) as Promise<T>;
}

function teardownWait<T>(
  task: Task,
  work: (signal: AbortSignal) => PromiseLike<T> | T,
  options: AwaitForeignOptions = {},
): Promise<T> {
  checkOptions('awaitForeign()', options, ['settle']);
  const settle = options.settle ?? DEFAULT_SETTLE_SECONDS;
  if (typeof settle !== 'number' || Number.isNaN(settle) || settle < 0) {
    throw new ValueError(
      `awaitForeign() settle must be a number of seconds >= 0, got ${String(settle)}`,
    );
  }
  if (task.cancelPending) {
    // Cancelled already: a checkpoint that never starts the work (unless the cancel is withdrawn).
    return waits.yieldTask(task, true).then(() => teardownWait(task, work, options));
  }
  const wait = new TeardownWait(task, settle);
  let promise: PromiseLike<T> | T;
  try {
    promise = work(wait.controller.signal);
  } catch (err) {
    return Promise.reject(err);
  }
  Promise.resolve(promise).then(
    (value) => wait.settled(true, value),
    (error: unknown) => wait.settled(false, error),
  );
  return waits.park(task, wait, true) as Promise<T>;
}

/**
 * The `AbortSignal` to hand to foreign work (`fetch`, `fs.promises`, `timers/promises`, database
 * clients...) started now: it aborts on every kind of cancellation that reaches the current task:
 * a cancelled or expired scope around it (not across a shield), and an edge-triggered request
 * (asyncio's `Task.cancel()`, `timeout()`, `waitFor()`). Its reason is a `Cancelled`, so the
 * `AbortError` the foreign API rejects with counts as that cancellation.
 *
 * @example
 * ```ts
 * const res = await fetch(url, { signal: currentSignal() });
 * ```
 */
export function currentSignal(): AbortSignal {
  const task = requireTask('currentSignal()');
  const scope = task.scope;
  // One signal per task and scope: it aborts when cancellation comes into force in the scope (as
  // `CancelScope.signal`) and on an edge request to the task. A fresh one replaces a signal that
  // an edge request aborted and that was since withdrawn (`uncancel`).
  const signals = (task.signals ??= new Map());
  const known = signals.get(scope);
  if (known !== undefined && (!known.signal.aborted || scope.effective || task.edgePending))
    return known.signal;
  const controller = new AbortController();
  signals.set(scope, controller);
  if (task.edgePending) controller.abort(newEdgeCancelled(task.edgeMessage));
  else if (scope.effective) controller.abort(scope.newCancellation());
  else (scope.signalTasks ??= new Set()).add(task);
  return controller.signal;
}

/** Options of {@link HostWait}. */
export interface HostWaitOptions {
  /** Called when cancellation abandons the wait (to remove listeners, destroy a socket...). */
  onAbort?: () => void;
  /** The wait cannot be abandoned: cancellation waits for the host's callback (brief waits only). */
  uncancellable?: boolean;
}

/**
 * One task waiting for a host callback (a socket's `'data'`, a process's `'exit'`...): the
 * building block of Duet's I/O. The wait is foreign, so the clock never autojumps under it and
 * hang detection does not call it a deadlock. `wake`/`fail` may be called from any Node callback;
 * they do nothing when no task waits (any more).
 *
 * @example
 * ```ts
 * const wait = new HostWait('connect', { onAbort: () => socket.destroy() });
 * socket.once('connect', () => wait.wake());
 * socket.once('error', (err) => wait.fail(err));
 * await wait.wait();
 * ```
 */
export class HostWait implements Waitable {
  private task: Task | null = null;

  constructor(
    private readonly what: string,
    private readonly options: HostWaitOptions = {},
  ) {
    checkString('new HostWait()', 'what', what);
    checkOptions('new HostWait()', options, ['onAbort', 'uncancellable']);
    if (options.onAbort !== undefined) checkFunction('new HostWait(): onAbort', options.onAbort);
    checkBoolean('new HostWait()', 'uncancellable', options.uncancellable, true);
  }

  /** True while a task waits here. */
  get waiting(): boolean {
    return this.task !== null;
  }

  /** Parks the current task until {@link HostWait.wake} or {@link HostWait.fail} (or cancellation). */
  wait(): Promise<unknown> {
    const task = requireTask('HostWait.wait()');
    if (!waits.canPark(task, this)) return NEVER;
    this.task = task;
    return waits.park(task, this, true);
  }

  /** Wakes the waiting task with `value`. */
  wake(value?: unknown): void {
    const task = this.take();
    if (task !== null) waits.wake(task, value);
  }

  /** Wakes the waiting task with `error`. */
  fail(error: unknown): void {
    const task = this.take();
    if (task !== null) waits.wakeWithError(task, error);
  }

  private take(): Task | null {
    const task = this.task;
    this.task = null;
    return task !== null && task.parkedOn === this ? task : null;
  }

  /** Cancellation reached the waiting task: runs `onAbort` and lets it go, unless `uncancellable`. */
  abortWait(): Abort {
    if (this.options.uncancellable === true) return Abort.FAILED;
    this.task = null;
    this.options.onAbort?.();
    return Abort.SUCCEEDED;
  }

  /** What the task waits for, for task-tree dumps. */
  describeWait(): string {
    return this.what;
  }
}

/**
 * What {@link hostEvent} needs of an emitter: a Node `EventEmitter` (a socket, a server, a child
 * process) has it. Structural, so the kernel's types need no `@types/node`.
 */
export interface HostEmitter {
  /** Adds a one-time listener. */
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener. */
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Waits for `emitter` to emit `event` (resolving with its arguments) or `'error'` (raising that
 * error): how I/O waits for a socket to connect, a server to listen, a process to spawn. A host
 * wait like {@link HostWait}'s, with `what` as its description and `options` passed on; the two
 * listeners are removed whichever comes first, and on cancellation.
 *
 * @example
 * ```ts
 * const socket = net.connect(port);
 * await hostEvent(socket, 'connect', `connect(${port})`, { onAbort: () => socket.destroy() });
 * ```
 */
export async function hostEvent(
  emitter: HostEmitter,
  event: string,
  what: string,
  options: HostWaitOptions = {},
): Promise<unknown[]> {
  const wait = new HostWait(what, options);
  const onEvent = (...args: unknown[]): void => wait.wake(args);
  const onError = (error: unknown): void => wait.fail(error);
  emitter.once(event, onEvent);
  emitter.once('error', onError);
  try {
    return (await wait.wait()) as unknown[];
  } finally {
    emitter.off(event, onEvent);
    emitter.off('error', onError);
  }
}
