/**
 * asyncio's `timeout()` / `timeoutAt()` and `waitFor()`. A Timeout cancels its task (edge-triggered,
 * as `Task.cancel`) when it expires, and at exit turns the `CancelledError` into `TimeoutError`
 * only when `uncancel()` shows that no other cancel request is outstanding: an outer
 * cancellation is never converted.
 */
import {
  RuntimeError,
  cancellationOf,
  currentTaskOrUndefined,
  type Task as KernelTask,
  checkFunction,
} from '@duet/kernel';
import { TimeoutError } from './errors';
import { Future, TASK_KEY, isFuture } from './futures';
import { getRunningLoop } from './events';
import type { EventLoop, Handle } from './loop';
import { ensureFuture, type Awaitable } from './tasks';
import { awaitForeign, checkNumber } from '@duet/kernel';

type TimeoutState = 'created' | 'active' | 'expiring' | 'expired' | 'finished';

/** @internal Cancels a kernel task through its asyncio Task when it has one (keeps the message and counts). */
export function cancelKernelTask(task: KernelTask, msg?: string): boolean {
  const facade = task.getLocal(TASK_KEY) as { cancel(msg?: string): boolean } | undefined;
  return facade !== undefined ? facade.cancel(msg) : task.requestCancel(msg);
}

/**
 * The object of `timeout()` / `timeoutAt()`, as asyncio's `Timeout`. Enter it with `run(fn)`.
 *
 * @example
 * ```ts
 * await timeout(10, async (t) => {
 *   t.reschedule(getRunningLoop().time() + 20); // more time
 *   await longWork();
 * });
 * ```
 */
export class Timeout {
  private state: TimeoutState = 'created';
  private deadline: number | null;
  private handle: Handle | null = null;
  private task: KernelTask | null = null;
  private cancellingAtEntry = 0;
  private loop: EventLoop | null = null;

  /** @internal The delay `timeout()` was given, for the error message. */
  _delay: number | null = null;

  /** @param when - the absolute time (loop clock) of expiry, or `null` for never */
  constructor(when: number | null) {
    checkWhen(when);
    this.deadline = when;
  }

  /** The time of expiry on the loop's clock, or `null` if it never expires. */
  when(): number | null {
    return this.deadline;
  }

  /**
   * Moves the expiry to `when` (earlier, later, or `null` for never); a time already past expires
   * at the next loop iteration. Only while entered.
   */
  reschedule(when: number | null): void {
    checkWhen(when);
    if (this.state !== 'active') {
      if (this.state === 'created') throw new RuntimeError('Timeout has not been entered');
      throw new RuntimeError(`Cannot change state of ${this.state} Timeout`);
    }
    this.deadline = when;
    this.handle?.cancel();
    this.handle = null;
    if (when === null) return;
    const loop = this.loop!;
    this.handle =
      when <= loop.time()
        ? loop.callSoon(() => this.onTimeout())
        : loop.callAt(when, () => this.onTimeout());
  }

  /** True once the timeout has fired (whether or not the block noticed). */
  expired(): boolean {
    return this.state === 'expiring' || this.state === 'expired';
  }

  /**
   * Runs `fn(this)` inside the timeout and resolves with its value; if the timeout fires first,
   * `fn` is cancelled and this rejects with `TimeoutError`. A Timeout can be entered once.
   */
  async run<T>(fn: (timeout: this) => T | PromiseLike<T>): Promise<T> {
    checkFunction('Timeout.run()', fn);
    this.enter();
    let value: T;
    try {
      value = await fn(this);
    } catch (err) {
      this.exit(true, err);
      throw err;
    }
    this.exit(false, undefined);
    return value;
  }

  private enter(): void {
    if (this.state !== 'created') throw new RuntimeError('Timeout has already been entered');
    const task = currentTaskOrUndefined();
    if (task === undefined) throw new RuntimeError('Timeout should be used inside a task');
    this.loop = getRunningLoop();
    this.task = task;
    this.cancellingAtEntry = task.cancelling();
    this.state = 'active';
    this.reschedule(this.deadline);
  }

  /** Throws `TimeoutError` when the error is the cancellation this timeout caused. */
  private exit(failed: boolean, error: unknown): void {
    this.handle?.cancel();
    this.handle = null;
    if (this.state === 'expiring') {
      this.state = 'expired';
      const cancelled = failed ? cancellationOf(error) : undefined;
      if (this.task!.uncancel() <= this.cancellingAtEntry && cancelled !== undefined) {
        const after = this._delay === null ? '' : `${this._delay} s, `;
        throw new TimeoutError(
          `the timeout expired (${after}deadline t=${Number(this.deadline!.toFixed(3))} on the loop's clock)`,
          { cause: cancelled },
        );
      }
    } else if (this.state === 'active') {
      this.state = 'finished';
    }
  }

  private onTimeout(): void {
    if (this.state !== 'active') return;
    cancelKernelTask(this.task!);
    this.state = 'expiring';
    this.handle = null;
  }

  /** A short description, as Python's repr: `<Timeout [active] when=12.5>`, `<Timeout [expired]>`. */
  toString(): string {
    if (this.state !== 'active') return `<Timeout [${this.state}]>`;
    if (this.deadline === null) return '<Timeout [active] when=None>';
    // Python prints the deadline rounded to 3 places, as a float: 10.0, not 10.
    const when = Number(this.deadline.toFixed(3));
    return `<Timeout [active] when=${Number.isInteger(when) ? when.toFixed(1) : when}>`;
  }
}

function checkWhen(when: unknown): void {
  if (when !== null) checkNumber('Timeout', 'when', when, { unit: 'seconds' });
}

/**
 * A Timeout that expires `delay` seconds from now (`null`: never), as asyncio's `timeout()`.
 * With `fn`, runs `fn(timeout)` inside it and resolves with its value (or rejects with
 * `TimeoutError`); without, returns the unentered {@link Timeout}.
 *
 * @example
 * ```ts
 * try {
 *   await timeout(10, async () => { await longRunningTask(); });
 * } catch (err) {
 *   if (err instanceof TimeoutError) console.log('The long operation timed out, but we handled it.');
 * }
 * ```
 */
export function timeout(delay: number | null): Timeout;
export function timeout<T>(
  delay: number | null,
  fn: (timeout: Timeout) => T | PromiseLike<T>,
): Promise<T>;
export function timeout<T>(
  delay: number | null,
  fn?: (timeout: Timeout) => T | PromiseLike<T>,
): Timeout | Promise<T> {
  if (delay !== null) checkNumber('timeout()', 'delay', delay, { unit: 'seconds' });
  const t = new Timeout(delay === null ? null : getRunningLoop().time() + delay);
  t._delay = delay;
  return fn === undefined ? t : t.run(fn);
}

/**
 * A Timeout that expires at time `when` of the loop's clock (`null`: never), as asyncio's
 * `timeout_at()`. With `fn`, runs it inside; without, returns the unentered {@link Timeout}.
 *
 * @example
 * ```ts
 * const deadline = getRunningLoop().time() + 10;
 * await timeoutAt(deadline, async () => { await longRunningTask(); });
 * ```
 */
export function timeoutAt(when: number | null): Timeout;
export function timeoutAt<T>(
  when: number | null,
  fn: (timeout: Timeout) => T | PromiseLike<T>,
): Promise<T>;
export function timeoutAt<T>(
  when: number | null,
  fn?: (timeout: Timeout) => T | PromiseLike<T>,
): Timeout | Promise<T> {
  const t = new Timeout(when);
  return fn === undefined ? t : t.run(fn);
}

/** Cancels `fut` and waits until it is done (the wait itself can be cancelled). */
async function cancelAndWait(fut: Future<unknown>): Promise<void> {
  const waiter = new Future<void>({ loop: fut.getLoop() });
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  fut.addDoneCallback(release);
  try {
    fut.cancel();
    await waiter;
  } finally {
    fut.removeDoneCallback(release);
  }
}

/**
 * Waits for `aw` with a time limit, as asyncio's `wait_for` (3.12+): on timeout the work is
 * cancelled, waited for, and `TimeoutError` is raised. `null` waits forever; `timeout <= 0`
 * returns the result if `aw` is already done, otherwise cancels it and raises `TimeoutError`.
 * A function runs inside the caller's task; a Promise is waited for as a cancellable wait.
 *
 * @example
 * ```ts
 * try {
 *   await waitFor(() => eternity(), 1);
 * } catch (err) {
 *   if (err instanceof TimeoutError) console.log('timeout!');
 * }
 * ```
 */
export async function waitFor<T>(aw: Awaitable<T>, timeoutSeconds: number | null): Promise<T> {
  if (timeoutSeconds !== null)
    checkNumber('waitFor()', 'timeout', timeoutSeconds, { unit: 'seconds' });
  if (
    typeof aw !== 'function' &&
    !isFuture(aw) &&
    typeof (aw as PromiseLike<T> | null)?.then !== 'function'
  ) {
    throw new TypeError(
      `waitFor(): expected a Future, a Task, a Promise or a function to run, got ${aw === null ? 'null' : typeof aw}`,
    );
  }
  if (timeoutSeconds !== null && timeoutSeconds <= 0) {
    const fut = ensureFuture(aw);
    if (fut.done()) return fut.result();
    await cancelAndWait(fut as Future<unknown>);
    try {
      return fut.result();
    } catch (err) {
      const cancelled = cancellationOf(err);
      if (cancelled !== undefined)
        throw new TimeoutError(`waitFor() timed out after ${timeoutSeconds} s`, {
          cause: cancelled,
        });
      throw err;
    }
  }
  return timeout(timeoutSeconds, async () => {
    if (typeof aw === 'function') return await (aw as () => T | PromiseLike<T>)();
    if (isFuture(aw)) return await (aw as Future<T>);
    return await awaitForeign(aw);
  });
}
