/**
 * Each style inside the other: asyncio-style functions awaited from Trio-style code and the
 * reverse, an asyncio "loop" block inside a Trio nursery, and asyncio futures awaited from Trio code.
 */
import {
  CancelledError,
  RuntimeError,
  Task as AioTask,
  asyncioTaskOf,
  createTask,
  getRunningLoop,
  isFuture,
  runWithTaskNursery,
  type EventLoop,
  type Future,
} from '@duet/asyncio';
import {
  Abort,
  CancelScope,
  currentTask,
  openNursery,
  park,
  type Nursery,
  type Task as KernelTask,
  type Waitable,
  checkFunction,
} from '@duet/kernel';
import { currentWait, wake } from '@duet/kernel/lowlevel';

/** Parks the current kernel task until `future` is done; `onCancel` decides what cancellation does. */
function waitForFuture(
  future: Future<unknown>,
  onCancel: (waiter: KernelTask) => Abort,
  what: string,
): Promise<unknown> {
  const waiter = currentTask();
  let parked = true;
  const onDone = (): void => {
    if (parked && currentWait(waiter) === waitable) {
      parked = false;
      wake(waiter, undefined);
    }
  };
  const waitable: Waitable = {
    abortWait: (task) => {
      const answer = onCancel(task);
      if (answer === Abort.SUCCEEDED) {
        parked = false;
        future.removeDoneCallback(onDone); // an abandoned wait leaves nothing on the future
      }
      return answer;
    },
    describeWait: () => what,
  };
  future.addDoneCallback(onDone);
  return park(waitable);
}

/**
 * Wraps an asyncio-style async function so Trio-style code can await it. Each call runs `fn` as an
 * asyncio {@link AioTask} (so `currentTask()`, `createTask` and `cancelling()` behave as asyncio
 * code expects) whose lifetime is bound to the calling task: a cancellation of the caller's scopes
 * is delivered as `Task.cancel()`, and since the task lives inside the caller's scopes, asyncio code
 * that swallows `CancelledError` and waits again is cancelled again. Results, errors (ExceptionGroups
 * and `TimeoutError` included) pass through unchanged, except a `CancelledError` the asyncio code
 * raised by itself (the caller was not cancelled): that is a failure, a `RuntimeError` whose
 * `cause` is the `CancelledError`, never a silent cancellation of the Trio side.
 *
 * @example
 * ```ts
 * const fetchAll = aioAsTrio(async (urls: string[]) => gather(...urls.map((u) => () => get(u))));
 * await moveOnAfter(5, () => fetchAll(urls)); // Trio-style timeout around asyncio code
 * ```
 */
export function aioAsTrio<A extends unknown[], R>(
  fn: (...args: A) => Promise<R> | R,
): (...args: A) => Promise<R> {
  checkFunction('aioAsTrio()', fn);
  return async (...args: A): Promise<R> => {
    let task: AioTask<R> | undefined;
    let cancelledByCaller = false;
    await openNursery((nursery) =>
      runWithTaskNursery(nursery, async () => {
        task = createTask(() => fn(...args), { name: fn.name || 'aioAsTrio' });
        await waitForFuture(
          task as Future<unknown>,
          () => {
            cancelledByCaller = true;
            task!.cancel();
            return Abort.FAILED; // the task ends on its own (it is inside our scopes); wait for it
          },
          `asyncio task ${task.getName()}`,
        );
      }),
    );
    if (task!.cancelled() && !cancelledByCaller) {
      // Not our cancellation: passing it on would silently cancel the Trio side.
      let cause: unknown;
      try {
        task!.result();
      } catch (err) {
        cause = err;
      }
      throw new RuntimeError(
        `the asyncio code of ${task!.getName()} raised CancelledError by itself ` +
          '(no cancellation came from the Trio side)',
        { cause },
      );
    }
    return task!.result();
  };
}

/**
 * The reverse of {@link aioAsTrio}: wraps a Trio-style async function so asyncio-style code gets a
 * {@link AioTask} from each call. `fn` runs in a Trio context of its own (a cancel scope and a
 * nursery bound to the task): `task.cancel()` cancels that scope (level-triggered, so every
 * checkpoint inside raises until the Trio code unwinds), and the task then ends with
 * `CancelledError`, its `cancelling()` count as asyncio expects.
 *
 * @example
 * ```ts
 * const crawl = trioAsAio(async (root: string) => {
 *   await openNursery(async (n) => { n.startSoon(visit, root); });
 * });
 * const task = crawl('/'); // an asyncio Task
 * task.cancel();
 * ```
 */
export function trioAsAio<A extends unknown[], R>(
  fn: (...args: A) => Promise<R> | R,
): (...args: A) => AioTask<R> {
  checkFunction('trioAsAio()', fn);
  return (...args: A): AioTask<R> =>
    createTask(
      async () => {
        const host = currentTask();
        const scope = new CancelScope();
        let outcome: { ok: true; value: R | undefined } | { ok: false; error: unknown } | undefined;
        let waiting = false;
        await openNursery(async (nursery: Nursery) => {
          nursery.startSoon(async () => {
            try {
              outcome = { ok: true, value: await scope.run(() => fn(...args)) };
            } catch (error) {
              outcome = { ok: false, error };
            }
            if (waiting) wake(host, undefined);
          });
          waiting = true;
          // asyncio's cancel() reaches the host task here: hand it to the Trio scope instead.
          await park({
            abortWait: (task) => {
              scope.cancel('the asyncio task was cancelled');
              task.discardPendingCancel();
              return Abort.FAILED;
            },
            describeWait: () => `Trio code of ${fn.name || 'trioAsAio'}`,
          });
          waiting = false;
        });
        if (scope.cancelledCaught) throw new CancelledError('the asyncio task was cancelled');
        if (!outcome!.ok) throw outcome!.error;
        return outcome!.value as R;
      },
      { name: fn.name || 'trioAsAio' },
    );
}

/**
 * An asyncio "loop" block inside Trio-style code: every asyncio task created inside `body` (and by
 * those tasks) belongs to the block. When the body ends, the tasks still pending are cancelled
 * (`Task.cancel()`) and awaited, and failures nobody retrieved are reported through the loop's
 * exception handler, so unstructured asyncio code becomes structured at the boundary.
 *
 * @example
 * ```ts
 * await openAsyncioLoop(async (loop) => {
 *   createTask(heartbeat);          // cancelled and awaited when the block ends
 *   await sleep(1);
 * });
 * ```
 */
export async function openAsyncioLoop<T>(
  body: (loop: EventLoop) => Promise<T> | T,
): Promise<T | undefined> {
  checkFunction('openAsyncioLoop()', body);
  const loop = getRunningLoop();
  try {
    return await openNursery(
      (nursery) =>
        runWithTaskNursery(nursery, async () => {
          try {
            return await body(loop);
          } finally {
            for (const child of nursery.childTasks) {
              asyncioTaskOf(child)?.cancel('the asyncio loop block ended');
            }
          }
        }),
      { strictExceptionGroups: false },
    );
  } finally {
    loop.reportUnretrievedExceptions();
  }
}

/**
 * Waits for an asyncio Future or Task from Trio-style code as a checkpoint. Cancellation of the
 * caller abandons the wait and leaves the future alone (it is adopted, not owned); use
 * {@link aioAsTrio} to own the work.
 *
 * @example
 * ```ts
 * const value = await awaitFuture(task); // from a Trio-style task
 * ```
 */
export async function awaitFuture<T>(future: Future<T>): Promise<T> {
  if (!isFuture(future)) throw new TypeError('awaitFuture expects an asyncio Future or Task');
  if (!future.done())
    await waitForFuture(future as Future<unknown>, () => Abort.SUCCEEDED, 'an asyncio Future');
  return future.result();
}
