/**
 * The error classes of `@duet/asyncio`. `CancelledError` is the kernel's one cancellation class and
 * `ExceptionGroup` the kernel's group, so `instanceof` works in code mixing both facades.
 */
import {
  Cancelled,
  ExceptionGroup,
  KeyboardInterrupt,
  RuntimeError,
  ValueError,
} from '@duet/kernel';

/**
 * asyncio's `CancelledError`: the kernel's `Cancelled` under its asyncio name (the same class).
 *
 * @example
 * ```ts
 * try { await sleep(10); } catch (err) { if (err instanceof CancelledError) cleanup(); throw err; }
 * ```
 */
export const CancelledError = Cancelled;
/**
 * The type of {@link CancelledError} instances.
 *
 * @example
 * ```ts
 * function isCancel(err: unknown): err is CancelledError { return err instanceof CancelledError; }
 * ```
 */
export type CancelledError = Cancelled;

export { ExceptionGroup, KeyboardInterrupt, RuntimeError, ValueError };

/**
 * Raised by `timeout()`, `waitFor()` and `asCompleted()` when time runs out; its own class, not
 * related to the cancellation class (as Python's built-in `TimeoutError`).
 *
 * @example
 * ```ts
 * try { await waitFor(work, 1); } catch (err) { if (err instanceof TimeoutError) console.log('too slow'); }
 * ```
 */
export class TimeoutError extends Error {
  /** The class name, `'TimeoutError'`. */
  override name = 'TimeoutError';
}

/**
 * Raised by a `Future` or `Task` method called in the wrong state, e.g. `result()` before it is
 * done or `setResult()` twice.
 *
 * @example
 * ```ts
 * const fut = getRunningLoop().createFuture();
 * fut.result(); // throws InvalidStateError: Result is not set.
 * ```
 */
export class InvalidStateError extends Error {
  /** The class name, `'InvalidStateError'`. */
  override name = 'InvalidStateError';
}

/**
 * Raised by `Queue.getNowait()` on an empty queue.
 *
 * @example
 * ```ts
 * try { q.getNowait(); } catch (err) { if (err instanceof QueueEmpty) idle(); }
 * ```
 */
export class QueueEmpty extends Error {
  /** The class name, `'QueueEmpty'`. */
  override name = 'QueueEmpty';
}

/**
 * Raised by `Queue.putNowait()` on a full queue.
 *
 * @example
 * ```ts
 * try { q.putNowait(item); } catch (err) { if (err instanceof QueueFull) drop(item); }
 * ```
 */
export class QueueFull extends Error {
  /** The class name, `'QueueFull'`. */
  override name = 'QueueFull';
}

/**
 * Raised by `put` on a queue that was shut down, and by `get` on a shut-down queue once it is empty.
 *
 * @example
 * ```ts
 * try { for (;;) handle(await q.get()); } catch (err) { if (!(err instanceof QueueShutDown)) throw err; }
 * ```
 */
export class QueueShutDown extends Error {
  /** The class name, `'QueueShutDown'`. */
  override name = 'QueueShutDown';
}

/**
 * Raised by `Barrier.wait()` when the barrier is aborted or reset while (or before) waiting.
 *
 * @example
 * ```ts
 * try { await barrier.wait(); } catch (err) { if (err instanceof BrokenBarrierError) giveUp(); }
 * ```
 */
export class BrokenBarrierError extends RuntimeError {
  /** The class name, `'BrokenBarrierError'`. */
  override name = 'BrokenBarrierError';
}
