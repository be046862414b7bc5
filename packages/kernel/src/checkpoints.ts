/** Schedule points: a task lets the others run, and (for `checkpoint`) takes a pending cancellation. */
import { requireTask } from './context';
import * as waits from './waits';

/** Schedule point and cancel point: lets other tasks run, then raises `Cancelled` if cancellation is in force. */
export function checkpoint(): Promise<void> {
  const task = requireTask('checkpoint()');
  return waits.yieldTask(task, true);
}

/**
 * Schedule point only: lets other tasks run, and is never cancelled. Resolves with `value`, so a
 * primitive that already has its result (a received item) needs no extra reaction to return it.
 */
export function cancelShieldedCheckpoint(): Promise<void>;
export function cancelShieldedCheckpoint<T>(value: T): Promise<T>;
export function cancelShieldedCheckpoint(value?: unknown): Promise<unknown> {
  const task = requireTask('cancelShieldedCheckpoint()');
  return waits.yieldTask(task, false, value);
}
