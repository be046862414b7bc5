/**
 * Trio's own error classes. `Cancelled`, `ExceptionGroup`, `RuntimeError`, `ValueError` and
 * `RunFinishedError` are the kernel's and are re-exported from the package entry point.
 */
import { KernelInternalError } from '@duet/kernel';

/**
 * Raised by {@link failAfter} / {@link failAt} when their deadline expired and cancelled the block.
 *
 * @example
 * ```ts
 * try {
 *   await failAfter(1, () => sleep(5));
 * } catch (err) {
 *   if (err instanceof TooSlowError) console.log('gave up after 1 s');
 * }
 * ```
 */
export class TooSlowError extends Error {
  /** The class name, `'TooSlowError'`. */
  override name = 'TooSlowError';
}

/**
 * Raised by a `*Nowait` call (`acquireNowait`, `sendNowait`, `receiveNowait`, ...) when the
 * operation would have to block.
 *
 * @example
 * ```ts
 * try { lock.acquireNowait(); } catch (err) { if (err instanceof WouldBlock) { ... } }
 * ```
 */
export class WouldBlock extends Error {
  /** The class name, `'WouldBlock'`. */
  override name = 'WouldBlock';
}

/**
 * Raised by `receive` when every send handle of a channel is closed and its buffer is empty.
 * Async iteration over a receive channel ends at this point instead.
 *
 * @example
 * ```ts
 * try { await rx.receive(); } catch (err) { if (err instanceof EndOfChannel) return; }
 * ```
 */
export class EndOfChannel extends Error {
  /** The class name, `'EndOfChannel'`. */
  override name = 'EndOfChannel';
}

/**
 * Raised when a handle that this code closed itself is used (for example `send` after `close()`),
 * and in a task blocked on a handle when that handle is closed.
 *
 * @example
 * ```ts
 * tx.close();
 * await tx.send(1); // throws ClosedResourceError
 * ```
 */
export class ClosedResourceError extends Error {
  /** The class name, `'ClosedResourceError'`. */
  override name = 'ClosedResourceError';
}

/**
 * Raised when the other side of a resource has gone away: sending on a memory channel whose
 * receive handles are all closed.
 *
 * @example
 * ```ts
 * rx.close();
 * await tx.send(1); // throws BrokenResourceError
 * ```
 */
export class BrokenResourceError extends Error {
  /** The class name, `'BrokenResourceError'`. */
  override name = 'BrokenResourceError';
}

/**
 * Raised when two tasks use a resource at once that allows one user at a time (Trio raises it
 * from streams). Memory channels allow many senders and receivers and never raise it; the class
 * is exported for libraries building such resources.
 *
 * @example
 * ```ts
 * if (this.busy) throw new BusyResourceError('another task is already receiving');
 * ```
 */
export class BusyResourceError extends Error {
  /** The class name, `'BusyResourceError'`. */
  override name = 'BusyResourceError';
}

/**
 * A bug in Duet (or in a system task) broke the run. `run()` of `@duet/trio` raises this class
 * where the kernel raises a `KernelInternalError`; it extends that class, so either check works.
 *
 * @example
 * ```ts
 * try { await run(main); } catch (err) { if (err instanceof TrioInternalError) report(err.cause); }
 * ```
 */
export class TrioInternalError extends KernelInternalError {
  /** The class name, `'TrioInternalError'`. */
  override name = 'TrioInternalError';
}
