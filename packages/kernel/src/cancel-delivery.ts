/**
 * Cancel delivery: what `Cancelled` a task gets, and how cancellation reaches a parked task (its
 * waitable is asked to abandon the wait). Both kinds of cancellation meet here: a cancel scope in
 * force (level-triggered, Trio) and a pending edge request (`Task.requestCancel`, asyncio).
 */
import { type Cancelled, newCancelled, newEdgeCancelled } from './errors';
import { Abort } from './park';
import type { Task } from './task';
import { wakeWithError } from './waits';

/** Cancellation came into force for `task`: abandon its wait if it is parked. */
export function deliverCancel(task: Task): void {
  if (task.parkedOn !== null) attemptAbort(task);
}

/** Asks the waitable of a parked task to abandon the wait; wakes it with `Cancelled` if so. */
export function attemptAbort(task: Task): void {
  const on = task.parkedOn!;
  let answer: Abort;
  try {
    answer = on.abortWait(task);
  } catch (err) {
    if (task.parkedOn === on) {
      wakeWithError(task, err);
      task.wokenFrom = null;
    }
    return;
  }
  if (answer === Abort.SUCCEEDED && task.parkedOn === on) {
    wakeWithError(task, takeCancellation(task) ?? newCancelled());
    task.wokenFrom = null; // woken by its cancel: there is no wake-up to take back
  }
}

/** The `Cancelled` to abort `task`'s foreign work with, leaving an edge request pending. */
export function cancellationReason(task: Task): Cancelled {
  return task.edgePending
    ? newEdgeCancelled(task.edgeMessage)
    : task.scope.newCancellation();
}

/** The `Cancelled` to raise in `task` now, consuming an edge request; or null. */
export function takeCancellation(task: Task): Cancelled | null {
  let cancelled: Cancelled | null = null;
  if (task.edgePending) {
    task.edgePending = false;
    cancelled = newEdgeCancelled(task.edgeMessage);
  } else if (task.scope.effective) {
    cancelled = task.scope.newCancellation();
  }
  const debug = task.runner.debug;
  if (cancelled !== null && debug !== null) debug.cancelDeliveredTo(task);
  return cancelled;
}
