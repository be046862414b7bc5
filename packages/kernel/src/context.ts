/**
 * The one use of AsyncLocalStorage in Duet: which task is running. Kept alone in this module so
 * that it can move to TC39 AsyncContext later.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RuntimeError } from './errors';
import type { Task } from './task';

const storage = new AsyncLocalStorage<Task>();

/** The task whose code is running, or `undefined` outside a run (or in a finished run). */
export function currentTaskOrUndefined(): Task | undefined {
  const task = storage.getStore();
  return task === undefined || task.runner.finished ? undefined : task;
}

/** The running task; throws an error naming `api` when called outside a run. */
export function requireTask(api: string): Task {
  const task = storage.getStore();
  if (task === undefined || task.runner.finished) {
    throw new RuntimeError(
      `${api} must be called from code running inside run(); wrap your program in run(async () => { ... })`,
    );
  }
  return task;
}

/** Calls `fn(...args)` with `task` as the current task, for the code it starts and awaits. */
export function runAsTask<A extends unknown[], R>(
  task: Task,
  fn: (...args: A) => R,
  ...args: A
): R {
  return storage.run(task, fn, ...args);
}
