/** asyncio's `sleep`, on the kernel's deadline heap. */
import { ValueError, checkpoint, sleep as kernelSleep } from '@duet/kernel';

/**
 * Waits `delay` seconds on the loop's clock and returns `result`. `sleep(0)` (or a negative delay)
 * yields exactly one loop iteration. Cancellable, like every wait.
 *
 * @example
 * ```ts
 * const v = await sleep(1, 'done'); // 'done', one second later
 * await sleep(0);                     // let other tasks run
 * ```
 */
export function sleep<T = undefined>(delay: number, result?: T): Promise<T> {
  if (typeof delay !== 'number' || Number.isNaN(delay)) {
    return Promise.reject(
      new ValueError(`sleep() needs a number of seconds, got ${String(delay)}`),
    );
  }
  // The kernel's promise itself, with no async wrapper: sleep(0) is on the hot path.
  const done = delay <= 0 ? checkpoint() : kernelSleep(delay);
  return result === undefined ? (done as Promise<T>) : done.then(() => result);
}
