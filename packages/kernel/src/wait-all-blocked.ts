/**
 * `waitAllTasksBlocked`: a task waits until every other task of the run is parked in a kernel
 * wait. Its callers are kept by cushion in a list the run's idle check asks (see idle.ts); the
 * list is made by the first caller.
 */
import { onAllBlocked } from './all-blocked';
import { requireTask } from './context';
import { Abort, NEVER, type Waitable } from './park';
import type { Task } from './task';
import { checkNumber } from './validate';
import * as waits from './waits';

/** @internal A task in `waitAllTasksBlocked`. */
class IdleWaiter implements Waitable {
  constructor(
    private readonly list: IdleWaiters,
    readonly cushion: number,
    readonly task: Task,
  ) {}

  abortWait(): Abort {
    this.list.remove(this);
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return `waitAllTasksBlocked(${this.cushion})`;
  }
}

/** @internal The `waitAllTasksBlocked` callers of a run, ordered by cushion. */
export class IdleWaiters {
  private readonly waiters: IdleWaiter[] = [];

  /** The smallest cushion waited for, or undefined when nobody waits. */
  firstCushion(): number | undefined {
    return this.waiters[0]?.cushion;
  }

  /** Adds a caller, after those with the same or a smaller cushion. */
  add(waiter: IdleWaiter): void {
    let i = this.waiters.length;
    while (i > 0 && this.waiters[i - 1]!.cushion > waiter.cushion) i--;
    this.waiters.splice(i, 0, waiter);
  }

  /** Removes a caller whose wait was aborted. */
  remove(waiter: IdleWaiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** The run stayed idle for the smallest cushion: wakes every caller waiting for it. */
  wakeFirst(): void {
    const cushion = this.waiters[0]!.cushion;
    while (this.waiters.length !== 0 && this.waiters[0]!.cushion === cushion) {
      const waiter = this.waiters.shift()!;
      if (waiter.task.parkedOn === waiter) waits.wake(waiter.task, undefined);
    }
  }
}

/**
 * Returns once every other task of the run is parked in a kernel wait and has stayed so for
 * `cushion` real seconds: a way for tests to let everything settle. Callers with the smallest
 * cushion wake first; while any caller waits, a `MockClock` does not autojump.
 */
export function waitAllTasksBlocked(cushion = 0): Promise<void> {
  checkNumber('waitAllTasksBlocked()', 'cushion', cushion, { min: 0, unit: 'seconds' });
  const task = requireTask('waitAllTasksBlocked()');
  if (!waits.canPark(task, 'waitAllTasksBlocked')) return NEVER;
  const idle = task.runner.idle;
  const list = (idle.waiters ??= new IdleWaiters());
  idle.allBlocked = onAllBlocked;
  const waiter = new IdleWaiter(list, cushion, task);
  list.add(waiter);
  return waits.park(task, waiter, false) as Promise<void>;
}
