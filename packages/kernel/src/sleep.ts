/**
 * Sleeping: waits that end at a time on the run's clock. Each sleeper is one entry of the run's
 * deadline heap; no host timer is made per sleep.
 */
import { requireTask } from './context';
import type { TimedEntry } from './deadlines';
import { Abort, NEVER, type Waitable } from './park';
import type { Task } from './task';
import { checkDeadline, checkSeconds } from './validate';
import * as waits from './waits';

class Sleeper implements TimedEntry, Waitable {
  heapIndex = -1;
  seq = 0;

  constructor(
    private readonly task: Task,
    public when: number,
  ) {}

  expire(): void {
    waits.wake(this.task, undefined);
  }

  abortWait(): Abort {
    this.task.runner.deadlines.remove(this);
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return `sleep until t=${this.when.toFixed(3)}`;
  }
}

const FOREVER: Waitable = {
  abortWait: () => Abort.SUCCEEDED,
  describeWait: () => 'sleepForever',
  endsOnlyByCancel: true,
};

/** Sleeps until `deadline` on the run's clock; a time already past is a plain checkpoint. */
export function sleepUntil(deadline: number): Promise<void> {
  checkDeadline('sleepUntil()', deadline);
  const task = requireTask('sleepUntil()');
  const runner = task.runner;
  if (deadline <= runner.clock.currentTime()) return waits.yieldTask(task, true);
  if (deadline === Infinity) return waits.park(task, FOREVER, false) as Promise<void>;
  if (!waits.canPark(task, 'sleep')) return NEVER;
  const sleeper = new Sleeper(task, deadline);
  runner.deadlines.push(sleeper);
  return waits.park(task, sleeper, false) as Promise<void>;
}

/** Sleeps `seconds` (>= 0) on the run's clock; `sleep(0)` is a checkpoint. */
export function sleep(seconds: number): Promise<void> {
  checkSeconds('sleep()', seconds);
  const task = requireTask('sleep()');
  return sleepUntil(task.runner.clock.currentTime() + seconds);
}

/** Sleeps until cancelled. */
export function sleepForever(): Promise<never> {
  const task = requireTask('sleepForever()');
  // Only a cancellation may end it: `reschedule` fails the wait instead (see `endsOnlyByCancel`).
  return waits.park(task, FOREVER, false) as Promise<never>;
}
