/**
 * `assertCheckpoints` / `assertNoCheckpoints`: what a block of the current task did, counted as
 * Trio counts checkpoints.
 */
import { AssertionError } from 'node:assert';
import {
  Cancelled,
  addInstrument,
  currentTask,
  removeInstrument,
  type Instrument,
  type Task,
} from '@duet/kernel';

/**
 * What a block of the current task did, as Trio counts it: schedule points (it yielded to the
 * scheduler) and cancel points (it checked for cancellation). A checkpoint is both; a
 * `cancelShieldedCheckpoint()` or a `checkpointIfCancelled()` that does not raise is only one.
 */
interface Points {
  schedule: number;
  cancel: number;
}

async function countPoints<T>(
  fn: () => Promise<T> | T,
  check: (points: Points) => void,
): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError('expected a function');
  const task: Task = currentTask();
  const cancelBefore = task.cancelPoints;
  let schedule = 0;
  const instrument: Instrument = {
    beforeTaskStep(t: Task): void {
      if (t === task) schedule++;
    },
  };
  addInstrument(instrument);
  let value: T;
  try {
    value = await fn();
  } catch (err) {
    removeInstrument(instrument);
    // A Cancelled can only come from a checkpoint; any other error is reported as it is.
    if (err instanceof Cancelled)
      check({
        schedule: Math.max(schedule, 1),
        cancel: Math.max(task.cancelPoints - cancelBefore, 1),
      });
    throw err;
  }
  removeInstrument(instrument);
  check({ schedule, cancel: task.cancelPoints - cancelBefore });
  return value;
}

/**
 * `trio.testing.assert_checkpoints`: runs `fn` and fails with an `AssertionError` unless the
 * current task hit a checkpoint while `fn` ran: it both yielded to the scheduler and checked for
 * cancellation (a `cancelShieldedCheckpoint()` alone, or a `checkpointIfCancelled()` alone, is
 * not a checkpoint, as in Trio). A `Cancelled` coming out of `fn` counts as a checkpoint; any
 * other error propagates unchanged.
 *
 * @example
 * ```ts
 * await assertCheckpoints(() => lock.acquire()); // even when the lock is free
 * ```
 */
export function assertCheckpoints<T>(fn: () => Promise<T> | T): Promise<T> {
  return countPoints(fn, ({ schedule, cancel }) => {
    if (schedule === 0 || cancel === 0) {
      const missing = schedule === 0 ? 'yield to the scheduler' : 'check for cancellation';
      throw new AssertionError({
        message: `assertCheckpoints: the code did not checkpoint (it did not ${missing})`,
      });
    }
  });
}

/**
 * `trio.testing.assert_no_checkpoints`: runs `fn` and fails with an `AssertionError` if the
 * current task yielded to the scheduler or checked for cancellation while `fn` ran (either half
 * of a checkpoint, as in Trio).
 *
 * @example
 * ```ts
 * await assertNoCheckpoints(() => event.set());
 * ```
 */
export function assertNoCheckpoints<T>(fn: () => Promise<T> | T): Promise<T> {
  return countPoints(fn, ({ schedule, cancel }) => {
    if (schedule !== 0 || cancel !== 0)
      throw new AssertionError({
        message: `assertNoCheckpoints: the code checkpointed (${schedule} schedule point(s), ${cancel} cancel point(s))`,
      });
  });
}
