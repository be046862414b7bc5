/**
 * Interop with plain JavaScript: foreign Promises as checkpoints, and the AbortSignal of the
 * current task's cancellation.
 */
import { requireTask } from './context';
import type { Task } from './task';
import { Abort, type Waitable } from './park';

class ForeignWait implements Waitable {
  abandoned = false;

  abortWait(): Abort {
    this.abandoned = true;
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return 'a foreign Promise';
  }
}

/**
 * Waits for any Promise (or thenable) as a checkpoint: if cancellation arrives first, the wait is
 * abandoned with `Cancelled`, and a later rejection of `promise` is absorbed, never reported as
 * unhandled. The run's clock does not autojump while a task waits here.
 *
 * To stop the foreign work itself, pass it the {@link currentSignal}.
 *
 * @example
 * ```ts
 * const res = await awaitForeign(fetch(url, { signal: currentSignal() }));
 * ```
 */
export function awaitForeign<T>(promise: PromiseLike<T> | T): Promise<T> {
  const task = requireTask('awaitForeign()');
  const runner = task.runner;
  runner.assertCanPark(task);
  const wait = new ForeignWait();
  Promise.resolve(promise).then(
    (value) => {
      if (!wait.abandoned) runner.wake(task, value);
    },
    (error: unknown) => {
      if (!wait.abandoned) runner.wakeWithError(task, error);
    },
  );
  return runner.park(task, wait, true) as Promise<T>;
}

/**
 * The `AbortSignal` of the current task's innermost cancel scope: it aborts when cancellation
 * comes into force for the code running now (edge-triggered `Task.requestCancel` does not abort it).
 */
export function currentSignal(): AbortSignal {
  return requireTask('currentSignal()').scope.signal;
}

/** Options of {@link HostWait}. */
export interface HostWaitOptions {
  /** Called when cancellation abandons the wait (to remove listeners, destroy a socket...). */
  onAbort?: () => void;
  /** The wait cannot be abandoned: cancellation waits for the host's callback (brief waits only). */
  uncancellable?: boolean;
}

/**
 * One task waiting for a host callback (a socket's `'data'`, a process's `'exit'`...): the
 * building block of Duet's I/O. The wait is foreign, so the clock never autojumps under it and
 * hang detection does not call it a deadlock. `wake`/`fail` may be called from any Node callback;
 * they do nothing when no task waits (any more).
 *
 * @example
 * ```ts
 * const wait = new HostWait('connect', { onAbort: () => socket.destroy() });
 * socket.once('connect', () => wait.wake());
 * socket.once('error', (err) => wait.fail(err));
 * await wait.wait();
 * ```
 */
export class HostWait implements Waitable {
  private task: Task | null = null;

  constructor(
    private readonly what: string,
    private readonly options: HostWaitOptions = {},
  ) {}

  /** True while a task waits here. */
  get waiting(): boolean {
    return this.task !== null;
  }

  /** Parks the current task until {@link HostWait.wake} or {@link HostWait.fail} (or cancellation). */
  wait(): Promise<unknown> {
    const task = requireTask('HostWait.wait()');
    task.runner.assertCanPark(task);
    this.task = task;
    return task.runner.park(task, this, true);
  }

  /** Wakes the waiting task with `value`. */
  wake(value?: unknown): void {
    const task = this.take();
    if (task !== null) task.runner.wake(task, value);
  }

  /** Wakes the waiting task with `error`. */
  fail(error: unknown): void {
    const task = this.take();
    if (task !== null) task.runner.wakeWithError(task, error);
  }

  private take(): Task | null {
    const task = this.task;
    this.task = null;
    return task !== null && task.parkedOn === this ? task : null;
  }

  /** @internal */
  abortWait(): Abort {
    if (this.options.uncancellable === true) return Abort.FAILED;
    this.task = null;
    this.options.onAbort?.();
    return Abort.SUCCEEDED;
  }

  /** @internal */
  describeWait(): string {
    return this.what;
  }
}
