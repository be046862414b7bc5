/**
 * Interop with plain JavaScript: foreign Promises as checkpoints, and the AbortSignal of the
 * current task's cancellation.
 */
import { requireTask } from './context';
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
