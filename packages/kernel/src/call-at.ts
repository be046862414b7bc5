/**
 * Calls at a time on a run's clock (asyncio's `call_at`): an entry of the run's deadline heap
 * that queues its callback when due. A function of its own rather than a `Runner` method, so a
 * program that never schedules such a call does not carry it.
 */
import { ValueError } from './errors';
import type { Runner } from './runner';

/** A pending call made by {@link callAt}; `cancel()` stops it. */
export class TimerHandle {
  // An entry of the deadline heap by shape: its TimedEntry members are internal to the kernel.
  /** @internal Its place in the deadline heap (-1 when not in it). */
  heapIndex = -1;
  /** @internal Its order among deadlines due at the same time (FIFO). */
  seq = 0;
  private cancelled = false;

  /** @internal Made by {@link callAt}. */
  constructor(
    private readonly runner: Runner,
    /** When the call is due, on the run's clock. */
    public when: number,
    private readonly callback: () => void,
  ) {}

  /** @internal The call is due: it runs at the next batch. */
  expire(): void {
    this.runner.callSoon(this.callback);
  }

  /** Stops the call if it has not run yet. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.runner.deadlines.remove(this);
  }

  /** True once `cancel()` was called. */
  get isCancelled(): boolean {
    return this.cancelled;
  }
}

/**
 * Runs `callback` at time `when` on the clock of `runner`, in a batch as {@link Runner.callSoon}
 * does (asyncio's `call_at`).
 *
 * @example
 * ```ts
 * const handle = callAt(currentRunner(), currentTime() + 1, () => scope.cancel());
 * handle.cancel();
 * ```
 */
export function callAt(runner: Runner, when: number, callback: () => void): TimerHandle {
  if (typeof when !== 'number' || Number.isNaN(when))
    throw new ValueError(`callAt needs a time, got ${String(when)}`);
  if (typeof callback !== 'function') throw new TypeError('callAt expects a function');
  const handle = new TimerHandle(runner, when, callback);
  runner.deadlines.push(handle);
  if (!runner.scheduler.hasWork()) runner.idle.schedule();
  return handle;
}
