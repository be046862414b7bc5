/** asyncio's `sleep`, on the kernel's deadline heap. */
import { checkNumber, checkpoint, sleep as kernelSleep } from '@duet/kernel';

const SECONDS = { unit: 'seconds' } as const;

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
  try {
    checkNumber('sleep()', 'delay', delay, SECONDS);
  } catch (err) {
    return Promise.reject(err);
  }
  // The kernel's promise itself, with no async wrapper: sleep(0) is on the hot path.
  const done = delay <= 0 ? checkpoint() : kernelSleep(delay);
  return result === undefined ? (done as Promise<T>) : done.then(() => result);
}
