/**
 * The runner's side of a task's waits: a task parks on a {@link Waitable} (or yields at a
 * checkpoint), is woken with a value or an error, and resumes at the next batch (the scheduler's
 * step). A task waits for one thing at a time; a second wait means a Duet call was not awaited,
 * and the task is stopped with an error naming both ({@link canPark}).
 */
import { RuntimeError } from './errors';
import { Abort, NEVER, type Waitable } from './park';
import type { Task } from './task';

// One executor for every park: it hands the resolvers over through these two variables, so a
// park allocates its Promise and nothing else.
let capturedResolve: ((value: unknown) => void) | null = null;
let capturedReject: ((error: unknown) => void) | null = null;
function captureResolvers(
  resolve: (value: unknown) => void,
  reject: (error: unknown) => void,
): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** The wait `task` is in, in words (a queued wake-up is a checkpoint's), for the misuse errors. */
export function pendingWait(task: Task): string {
  return task.waitingOn ?? 'a checkpoint';
}

/**
 * True when `task` may start a wait now. A task waits for one thing at a time: a second wait means
 * a Duet call was not awaited. Throwing here would reject a Promise that nobody may await (an
 * unhandled rejection), so the task is stopped instead, with an error that names both waits, and
 * the refused wait gets {@link NEVER}.
 */
export function canPark(task: Task, starting: Waitable | string): boolean {
  if (task.done) return false; // leftover code of a task stopped that way
  if (task.parkedOn === null && !task.queued) return true;
  const pending = pendingWait(task);
  const what =
    typeof starting === 'string' ? starting : (starting.describeWait?.() ?? 'a kernel wait');
  if (task.runner.debug !== null) task.runner.debug.neverAwaited(task);
  stopMisusedTask(
    task,
    new RuntimeError(
      `${task} started a wait (${what}) while it was still in another (${pending}): a Duet ` +
        'call was not awaited. Put `await` before every Duet call (openNursery, moveOnAfter, ' +
        'sleep, TaskGroup.run, a lock or channel operation...); a task waits for one thing at ' +
        'a time: to wait for several, start a task for each',
    ),
  );
  return false;
}

/**
 * Ends `task` with `error` while its code is still running: drops its wait, cancels the nurseries
 * it opened (nobody will join them) and reports it to its parent as a failure. Code of the task
 * that runs later gets Promises that never settle.
 */
function stopMisusedTask(task: Task, error: RuntimeError): void {
  const pending = task.parkedOn;
  if (pending !== null) {
    try {
      pending.abortWait(task);
    } catch {
      // the wait is being dropped whatever it says
    }
    unpark(task);
  }
  task.queued = false; // a queued wake-up is skipped: the scheduler's step ignores finished tasks
  task.resolveWake = task.rejectWake = null;
  for (const nursery of task.openNurseries) nursery.cancelScope.cancelFor('nursery');
  // Through the runner: the task's life (task-life.ts) builds on this module.
  task.runner.taskExited(task, true, error);
}

/**
 * Parks `task` on `on`. A `foreign` wait (the host wakes it) counts as blocked for
 * `waitAllTasksBlocked`, as Trio counts a task waiting for I/O, but not for autojump or deadlock
 * detection: the host may wake it at any time.
 */
export function park(task: Task, on: Waitable, foreign: boolean): Promise<unknown> {
  if (!canPark(task, on)) return NEVER;
  task.cancelPoints++;
  const runner = task.runner;
  const scheduler = runner.scheduler;
  if (task.inStep) scheduler.endStep(task);
  if (runner.debug !== null) runner.debug.kernelEntry(task, true);
  const promise = new Promise<unknown>(captureResolvers);
  task.resolveWake = capturedResolve;
  task.rejectWake = capturedReject;
  task.parkedOn = on;
  task.foreignWait = foreign;
  if (foreign) runner.hostWaits++;
  else runner.blockedTasks++;
  if (runner.instruments.list.length !== 0) runner.instruments.call('afterTaskStep', task);
  // Through the runner: cancel delivery (cancel-delivery.ts) builds on this module.
  if (task.cancelPending) runner.attemptAbort(task);
  if (!scheduler.hasWork()) runner.idle.schedule();
  scheduler.stepEnded();
  return promise;
}

/** A schedule point for `task`; with `check`, also a cancel point. Resolves with `value`. */
export function yieldTask(task: Task, check: boolean, value?: unknown): Promise<void> {
  if (!canPark(task, 'a checkpoint')) return NEVER;
  if (check) task.cancelPoints++;
  const runner = task.runner;
  if (task.inStep) runner.scheduler.endStep(task);
  if (runner.debug !== null) runner.debug.kernelEntry(task, true);
  const promise = new Promise<unknown>(captureResolvers) as Promise<void>;
  task.resolveWake = capturedResolve;
  task.rejectWake = capturedReject;
  task.wakeFailed = false;
  task.wakeValue = value;
  task.wakeCheck = check;
  // As Trio: a checkpoint reschedules the task before its step ends (taskScheduled, then afterTaskStep).
  runner.scheduler.enqueue(task);
  if (runner.instruments.list.length !== 0) runner.instruments.call('afterTaskStep', task);
  runner.scheduler.stepEnded();
  return promise;
}

/**
 * Undoes a wait that a started-too-early Promise began in `task`, which is still running its step
 * (see `checkFunction`): the mirror of {@link park} and {@link yieldTask}.
 */
export function dropStrayWait(task: Task): void {
  const scheduler = task.runner.scheduler;
  if (task.parkedOn !== null) {
    if (task.parkedOn.abortWait(task) !== Abort.SUCCEEDED) return;
    unpark(task);
  } else if (!task.queued || !scheduler.unqueue(task)) {
    return;
  }
  task.resolveWake = null;
  task.rejectWake = null;
  if (!task.inStep) scheduler.beginStep(task);
}

/** Wakes a parked task with `value` at the next batch. */
export function wake(task: Task, value: unknown): void {
  if (task.done) return; // a task stopped while its wait was pending (see canPark)
  task.wokenFrom = unpark(task);
  task.wakeFailed = false;
  task.wakeValue = value;
  task.wakeCheck = false;
  task.runner.scheduler.enqueue(task);
}

/** Wakes a parked task with `error` at the next batch. */
export function wakeWithError(task: Task, error: unknown): void {
  if (task.done) return;
  task.wokenFrom = unpark(task);
  task.wakeFailed = true;
  task.wakeValue = error;
  task.wakeCheck = false;
  task.runner.scheduler.enqueue(task);
}

/** Takes `task` out of its wait (the waitable has already let it go); returns what it waited on. */
export function unpark(task: Task): Waitable {
  const on = task.parkedOn;
  if (on === null) throw new task.runner.internalErrorClass(`${task} was woken but is not parked`);
  task.parkedOn = null;
  if (task.foreignWait) task.runner.hostWaits--;
  else task.runner.blockedTasks--;
  task.foreignWait = false;
  return on;
}

/**
 * `task`'s code goes on while it is parked: the promise of its wait was raced with another one
 * (`Promise.race`, `Promise.all`). Ends the wait now with `error` if its waitable lets it go, and
 * counts the task as mid-step again; `false` if the waitable kept it.
 */
export function breakWait(task: Task, error: unknown): boolean {
  const on = task.parkedOn;
  if (on === null || on.abortWait(task) !== Abort.SUCCEEDED || task.parkedOn !== on) return false;
  unpark(task);
  const reject = task.rejectWake!;
  task.resolveWake = null;
  task.rejectWake = null;
  task.runner.scheduler.beginStep(task);
  reject(error);
  return true;
}
