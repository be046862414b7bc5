/**
 * Sleeping: waits that end at a time on the run's clock. Each sleeper is one entry of the run's
 * deadline heap; no host timer is made per sleep.
 */
import { requireTask } from './context';
import type { TimedEntry } from './deadlines';
import { Abort, NEVER, type Waitable } from './park';
import type { Task } from './task';
import { RuntimeError, ValueError } from './errors';
import { checkNumber } from './validate';
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
};

/** Sleeps until `deadline` on the run's clock; a time already past is a plain checkpoint. */
export function sleepUntil(deadline: number): Promise<void> {
  if (Number.isNaN(deadline))
    throw new ValueError('sleepUntil(): deadline must not be NaN, got NaN'); // Trio's words
  checkNumber('sleepUntil()', 'deadline', deadline, { unit: 'seconds' });
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
  // Trio's words for a bad value; the one comparison keeps sleep(0) a fast path.
  if (!(seconds >= 0) && typeof seconds === 'number') {
    throw new ValueError(
      Number.isNaN(seconds)
        ? 'sleep(): `seconds` must not be NaN, got NaN'
        : `sleep(): \`seconds\` must be non-negative, a number of seconds >= 0, got ${seconds}`,
    );
  }
  checkNumber('sleep()', 'seconds', seconds, { min: 0, unit: 'seconds' });
  const task = requireTask('sleep()');
  return sleepUntil(task.runner.clock.currentTime() + seconds);
}

/** Sleeps until cancelled. */
export function sleepForever(): Promise<never> {
  const task = requireTask('sleepForever()');
  // Only a cancellation (or an error outcome) may end it: a plain reschedule is a bug of the caller,
  // a RuntimeError as in Trio, not a silent return from a function typed as never returning.
  return waits.park(task, FOREVER, false).then(() => {
    throw new RuntimeError('sleepForever() was rescheduled: only a cancellation can end it');
  });
}
