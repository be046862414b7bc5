/**
 * Waiting for the run to go idle: `waitAllTasksBlocked` parks its caller until every other task is
 * parked in a kernel wait (the runner's idle check wakes it).
 */
import { requireTask } from './context';
import { ValueError } from './errors';
import { Abort, NEVER, type Waitable } from './park';
import type { Runner } from './runner';
import type { Task } from './task';

/** @internal A task in `waitAllTasksBlocked`, ordered by cushion in the runner's list. */
export class IdleWaiter implements Waitable {
  constructor(
    readonly runner: Runner,
    readonly cushion: number,
    readonly task: Task,
  ) {}

  abortWait(): Abort {
    this.runner.removeIdleWaiter(this);
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return `waitAllTasksBlocked(${this.cushion})`;
  }
}

/**
 * Returns once every other task of the run is parked in a kernel wait and has stayed so for
 * `cushion` real seconds: a way for tests to let everything settle. Callers with the smallest
 * cushion wake first; it takes priority over autojump.
 */
export function waitAllTasksBlocked(cushion = 0): Promise<void> {
  if (typeof cushion !== 'number' || Number.isNaN(cushion) || cushion < 0) {
    throw new ValueError(`cushion must be a number >= 0, got ${String(cushion)}`);
  }
  const task = requireTask('waitAllTasksBlocked()');
  const runner = task.runner;
  if (!runner.canPark(task, 'waitAllTasksBlocked')) return NEVER;
  const waiter = new IdleWaiter(runner, cushion, task);
  runner.addIdleWaiter(waiter);
  return runner.park(task, waiter, false) as Promise<void>;
}
