/**
 * `@duet/kernel/lowlevel`: the kernel's contract with facades and bridges. What a facade needs to
 * build its own waits on the kernel's one parking mechanism: park a task on a `Waitable`, wake it
 * with a value or an error, see what it waits on, and read or hand on a pending edge-triggered
 * cancel request. Nothing here is needed by application code; the facades (`@duet/trio`,
 * `@duet/asyncio`) and `@duet/bridge` use only this and the main entry point, never a member the
 * kernel keeps for itself.
 *
 * The rules every caller keeps: a task parks only itself (pass the task running the call), waits
 * for one thing at a time, and is woken only while it is parked on the waitable that wakes it.
 *
 * @example
 * ```ts
 * import { Abort, currentTask } from '@duet/kernel';
 * import { currentWait, parkTask, wake } from '@duet/kernel/lowlevel';
 *
 * const task = currentTask();
 * const waitable = { abortWait: () => Abort.SUCCEEDED };
 * emitter.once('ready', () => {
 *   if (currentWait(task) === waitable) wake(task, 'ready');
 * });
 * const value = await parkTask(task, waitable);
 * ```
 *
 * @packageDocumentation
 * @module @duet/kernel/lowlevel
 */
import { RuntimeError } from './errors';
import type { ParkOptions, Waitable } from './park';
import type { Task, TaskExitWatcher } from './task';
import * as waits from './waits';

export type { TaskExitWatcher } from './task';
export { catchInterrupt } from './interrupt';

/**
 * Parks `task`, which must be the task running this call, on `on` until it is woken with
 * {@link wake} / {@link wakeWithError} or its wait is abandoned for cancellation (then it rejects
 * with `Cancelled`). The same as the main entry point's `park()`, for callers that already hold the
 * current task. A task already in another wait is stopped with a `RuntimeError` (a missing
 * `await`), and the refused wait never settles.
 */
export function parkTask(task: Task, on: Waitable, options: ParkOptions = {}): Promise<unknown> {
  return waits.park(task, on, options.foreign === true);
}

/**
 * `cancellationPending()` for a task the caller already holds: true when `task`'s next checkpoint
 * would raise `Cancelled` (a cancelled scope is in force or an edge request waits). A primitive's
 * hot path reads the current task once and passes it to this, {@link checkpointTask},
 * {@link yieldTask} and {@link parkTask}. Counts as a cancel point (`Task.cancelPoints`).
 */
export function cancellationPendingIn(task: Task): boolean {
  task.cancelPoints++;
  return task.cancelPending;
}

/** `checkpoint()` for `task`, which must be the task running this call. */
export function checkpointTask(task: Task): Promise<void> {
  return waits.yieldTask(task, true);
}

/**
 * `cancelShieldedCheckpoint(value)` for `task`, which must be the task running this call: a
 * schedule point that is never cancelled and resolves with `value`.
 */
export function yieldTask(task: Task): Promise<void>;
export function yieldTask<T>(task: Task, value: T): Promise<T>;
export function yieldTask(task: Task, value?: unknown): Promise<unknown> {
  return waits.yieldTask(task, false, value);
}

/**
 * Wakes `task`, parked (on the caller's waitable), with `value` at the next batch. The wake-up
 * keeps to the waitable's wake-vs-cancel rule (`Waitable.revokeWake`). A task that was stopped
 * meanwhile (see {@link parkTask}) is left alone; one that is not parked is a `RuntimeError`.
 */
export function wake(task: Task, value: unknown): void {
  checkParked('wake()', task);
  waits.wake(task, value);
}

/** As {@link wake}, but the task's wait rejects with `error`. */
export function wakeWithError(task: Task, error: unknown): void {
  checkParked('wakeWithError()', task);
  waits.wakeWithError(task, error);
}

/**
 * Takes the first step of `task`, just spawned (`Nursery.spawn`) and not started yet, now, inside
 * the caller's code, instead of at the next batch: asyncio's eager start. The function runs in
 * `task`'s context (it is the current task) up to its first wait, then the caller goes on while
 * `task` waits as any other task. If the function returns a plain value or throws, `task` has
 * ended when this returns; an async function that returns without waiting ends one microtask
 * later (its promise's settlement cannot be read synchronously), before the caller's next `await`
 * resumes.
 */
export function startEagerly(task: Task): void {
  if (task.started || !task.queued) throw new RuntimeError(`${task} has started`);
  task.runner.scheduler.stepFirstNow(task);
}

/** What `task` is parked on, or `null` when it is not parked (running, ready or done). */
export function currentWait(task: Task): Waitable | null {
  return task.parkedOn;
}

/**
 * `task`'s code went on while it is parked: the Promise of its wait was raced with another one
 * (`Promise.race`, `Promise.all`), a misuse. Ends the wait now, rejecting it with `error`, if its
 * waitable lets it go (`abortWait` answers `Abort.SUCCEEDED`), and counts the task as running again;
 * returns `false`, changing nothing, if the waitable keeps it or the task is not parked.
 */
export function breakWait(task: Task, error: unknown): boolean {
  return waits.breakWait(task, error);
}

/**
 * The message of `task`'s edge-triggered cancel request (`Task.requestCancel(message)`), or
 * `undefined` when it has none or none is pending (see `Task.cancelRequested`). A waitable that hands
 * the request on to what it waits for (as asyncio's `Task.cancel()` cancels the awaited future)
 * reads it here, then calls `Task.discardPendingCancel()`.
 */
export function edgeCancelMessage(task: Task): string | undefined {
  return task.edgePending ? task.edgeMessage : undefined;
}

function checkParked(api: string, task: Task): void {
  if (task.parkedOn === null && !task.done) throw new RuntimeError(`${api}: ${task} is not parked`);
}

/**
 * Tells `watcher` when `task` ends (once; watching twice means two calls). For a primitive that
 * must know when a task leaves while holding it: a lock whose owner exits breaks its lot. An
 * ended task is a `RuntimeError`: it will never end again.
 */
export function watchTaskExit(task: Task, watcher: TaskExitWatcher): void {
  if (task.done) throw new RuntimeError(`${task} has already ended: there is no exit to watch`);
  (task.exitWatchers ??= []).push(watcher);
}

/** Stops one {@link watchTaskExit} of `task` by `watcher`; `false` if there was none. */
export function unwatchTaskExit(task: Task, watcher: TaskExitWatcher): boolean {
  const watchers = task.exitWatchers;
  const i = watchers === null ? -1 : watchers.lastIndexOf(watcher);
  if (i < 0) return false;
  watchers!.splice(i, 1);
  return true;
}
