/**
 * The errors of asyncio's streams: Python's `ConnectionError` family (from Node's error codes, by
 * {@link toPythonError}), `IncompleteReadError` and `LimitOverrunError`.
 */
import type { NodeBuffer } from '@duet/kernel';

/**
 * Python's `ConnectionError` (an `OSError`): a connection failed or broke. `code` is Node's error
 * code (e.g. `'ECONNREFUSED'`) and `cause` Node's error.
 *
 * @example
 * ```ts
 * try { await openConnection('127.0.0.1', port); } catch (err) { if (err instanceof ConnectionError) retry(); }
 * ```
 */
export class ConnectionError extends Error {
  /** The class name, `'ConnectionError'`. */
  override name = 'ConnectionError';
  /** Node's error code, when there is one. */
  code: string | undefined;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = options?.code;
  }
}

/**
 * Python's `ConnectionRefusedError`: nothing listens at the address (`ECONNREFUSED`).
 *
 * @example
 * ```ts
 * await expect(openConnection('127.0.0.1', closedPort)).rejects.toBeInstanceOf(ConnectionRefusedError);
 * ```
 */
export class ConnectionRefusedError extends ConnectionError {
  /** The class name, `'ConnectionRefusedError'`. */
  override name = 'ConnectionRefusedError';
}

/**
 * Python's `ConnectionResetError`: the peer reset the connection, or it was lost (`drain()` after
 * the connection closed).
 *
 * @example
 * ```ts
 * try { await writer.drain(); } catch (err) { if (err instanceof ConnectionResetError) return; }
 * ```
 */
export class ConnectionResetError extends ConnectionError {
  /** The class name, `'ConnectionResetError'`. */
  override name = 'ConnectionResetError';
}

/**
 * Python's `BrokenPipeError`: writing to a connection or pipe whose reader has gone (`EPIPE`).
 *
 * @example
 * ```ts
 * try { proc.stdin!.write(data); await proc.stdin!.drain(); } catch (err) { if (err instanceof BrokenPipeError) {} }
 * ```
 */
export class BrokenPipeError extends ConnectionError {
  /** The class name, `'BrokenPipeError'`. */
  override name = 'BrokenPipeError';
}

/**
 * Python's `ProcessLookupError`: a signal sent to a subprocess that has already exited (and
 * been waited for).
 *
 * @example
 * ```ts
 * try { proc.kill(); } catch (err) { if (!(err instanceof ProcessLookupError)) throw err; }
 * ```
 */
export class ProcessLookupError extends Error {
  /** The class name, `'ProcessLookupError'`. */
  override name = 'ProcessLookupError';
}

/** @internal Node's error as the matching Python exception class (other errors pass unchanged). */
export function toPythonError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(message, { cause: err, code });
    case 'ECONNRESET':
      return new ConnectionResetError(message, { cause: err, code });
    case 'EPIPE':
      return new BrokenPipeError(message, { cause: err, code });
    case 'ECONNABORTED':
    case 'ENOTCONN':
      return new ConnectionError(message, { cause: err, code });
    default:
      return err;
  }
}

/**
 * asyncio's `IncompleteReadError`: the stream ended before `readexactly` / `readuntil` got what
 * it needed. `partial` holds the bytes read before the end.
 *
 * @example
 * ```ts
 * try { await reader.readexactly(4); } catch (err) { if (err instanceof IncompleteReadError) err.partial; }
 * ```
 */
export class IncompleteReadError extends Error {
  /** The class name, `'IncompleteReadError'`. */
  override name = 'IncompleteReadError';

  constructor(
    /** The bytes read before the end of the stream. */
    readonly partial: NodeBuffer,
    /** How many bytes were expected (`null` for `readuntil`). */
    readonly expected: number | null,
  ) {
    super(
      `${partial.length} bytes read on a total of ${expected === null ? 'undefined' : expected} expected bytes`,
    );
  }
}

/**
 * asyncio's `LimitOverrunError`: the separator of `readuntil` was not found within the reader's
 * `limit`. The data stays in the buffer; `consumed` says how much to skip.
 *
 * @example
 * ```ts
 * try { await reader.readuntil('\n'); } catch (err) { if (err instanceof LimitOverrunError) await reader.read(err.consumed); }
 * ```
 */
export class LimitOverrunError extends Error {
  /** The class name, `'LimitOverrunError'`. */
  override name = 'LimitOverrunError';

  constructor(
    message: string,
    /** Bytes to consume to get past the overrun. */
    readonly consumed: number,
  ) {
    super(message);
  }
}
