/**
 * A task's life in the runner: spawned into the ready queue, its first step calls its function,
 * and when the function's promise settles the task exits and reports to its nursery. The last task
 * to exit settles the run.
 */
import { takeCancellation } from './cancel-delivery';
import { contextTask, runAsTask } from './context';
import { RuntimeError, cancellationOf } from './errors';
import type { Task } from './task';
import { pendingWait, unpark } from './waits';

/** A new task is ready for its first step. */
export function taskSpawned(task: Task): void {
  const runner = task.runner;
  runner.liveTasks++;
  if (runner.instruments.list.length !== 0) runner.instruments.call('taskSpawned', task);
  runner.scheduler.enqueue(task);
}

/**
 * `task`'s first step: calls its function, unless it was cancelled before it could start. An
 * `eager` step (see `startEagerly`) ends the task at once when the function returns a plain value.
 */
export function startTask(task: Task, eager = false): void {
  task.started = true;
  if (task.edgePending) {
    // As asyncio: a task cancelled before its first step never runs its function.
    task.fn = null;
    task.args = null;
    taskExited(task, true, takeCancellation(task));
    return;
  }
  runAsTask(task, eager ? taskMainEager : taskMain);
}

function taskMainEager(task: Task): void {
  taskMain(task, true);
}

/**
 * Runs a task's function (in the task's context) and reports how it ended. No async frame and no
 * closure per task: one reaction on the function's promise, whose handlers find the task in the
 * context they run in (the task's). As `await fn()`: a synchronous throw ends the task at once, a
 * value or a promise one reaction later; in an `eager` step a value (not a thenable) ends it at
 * once too, so that an eagerly started function that never waits is done when its creator goes on.
 */
function taskMain(task: Task, eager = false): void {
  const fn = task.fn as (...args: unknown[]) => unknown;
  const args = task.args!;
  task.fn = null;
  task.args = null;
  let result: unknown;
  try {
    result = args.length === 0 ? fn() : fn(...args);
  } catch (err) {
    taskExited(task, true, err);
    return;
  }
  if (
    !(result instanceof Promise) &&
    typeof (result as AsyncGenerator | null)?.[Symbol.asyncIterator] === 'function'
  ) {
    // As Trio: an async generator function returns at once with a generator nobody iterates.
    taskExited(task, true, new TypeError('expected an async function but got an async generator'));
    return;
  }
  if (eager && typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
    taskExited(task, false, result);
    return;
  }
  void Promise.resolve(result).then(taskReturned, taskThrew);
}

function taskReturned(value: unknown): void {
  taskExited(contextTask()!, false, value);
}

function taskThrew(error: unknown): void {
  taskExited(contextTask()!, true, error);
}

/** `task`'s function has returned or thrown: the task is done; its nursery hears of it. */
export function taskExited(task: Task, failed: boolean, result: unknown): void {
  if (task.done) return; // its function ended after the task was stopped (see canPark)
  const runner = task.runner;
  if (task.inStep) runner.scheduler.endStep(task);
  if (task.parkedOn !== null || task.queued) {
    // The task returned while a wait it started was never awaited: drop the wait, fail the task.
    const pending = pendingWait(task);
    if (task.parkedOn !== null) {
      if (runner.debug !== null) runner.debug.neverAwaited(task);
      task.parkedOn.abortWait(task);
      unpark(task);
    }
    task.resolveWake = null;
    task.rejectWake = null;
    task.wokenFrom = null;
    failed = true;
    result = new RuntimeError(
      `${task} returned while a wait it started (${pending}) was still pending: a Duet call ` +
        'was not awaited. Put `await` before every Duet call (openNursery, moveOnAfter, sleep...)',
    );
  }
  if (task.sink !== null && !failed && task.edgePending) {
    // Edge-native policy: returned without waiting again after a cancel, it ends cancelled.
    failed = true;
    result = takeCancellation(task);
  }
  // A task that failed with an error caused by a Cancelled (Node's AbortError) was cancelled.
  if (failed) result = cancellationOf(result) ?? result;
  task.done = true;
  task.failed = failed;
  task.result = result;
  if (runner.debug !== null) {
    runner.debug.kernelEntry(task, false);
    runner.debug.cancelPropagated(task);
  }
  runner.liveTasks--;
  const watchers = task.exitWatchers;
  if (watchers !== null) {
    task.exitWatchers = null;
    for (const watcher of watchers) watcher.taskExited(task);
  }
  if (task === runner.rootTask) runner.systemNursery.closeSystem();
  else task.parentNursery!.childFinished(task, failed, result);
  // As Trio: the nursery hears first, then taskExited, then the step's afterTaskStep.
  if (runner.instruments.list.length !== 0) {
    runner.instruments.call('taskExited', task);
    runner.instruments.call('afterTaskStep', task);
  }
  // Calls queued with callSoonHoldingRun still run first; the last of them finishes the run.
  if (runner.liveTasks === 0 && runner.heldCallbacks === 0) runner.finish();
  else if (!runner.scheduler.hasWork()) runner.idle.schedule();
  runner.scheduler.stepEnded();
}
