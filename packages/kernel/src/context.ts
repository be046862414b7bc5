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

/** Calls `fn(task)` with `task` as the current task, for the code it starts and awaits. */
export function runAsTask<R>(task: Task, fn: (task: Task) => R): R {
  return storage.run(task, fn, task);
}

/** Runs `fn(arg)` with `task` as the current task (no closure needed to pass `arg`). */
export function runInTaskContext<A>(task: Task, fn: (arg: A) => void, arg: A): void {
  storage.run(task, fn, arg);
}

/**
 * The task of the context this code runs in, even in a finished run: for kernel callbacks (promise
 * reactions) made in a task's context, which need its task without a closure per task.
 */
export function contextTask(): Task | undefined {
  return storage.getStore();
}
