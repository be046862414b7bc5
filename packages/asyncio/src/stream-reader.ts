/**
 * asyncio's `StreamReader` over a Node `Readable`.
 *
 * Each wait for data parks the task in a foreign kernel wait (the OS wakes it, so a `MockClock`
 * does not autojump past it); cancellation, edge or level, abandons the wait without consuming
 * data. Back-pressure as asyncio: a reader pauses its source once it buffers more than twice its
 * `limit`.
 */
import type { Readable } from 'node:stream';
import { HostWait, checkBytes, checkNumber, type NodeBuffer } from '@duet/kernel';
import { RuntimeError, ValueError } from './errors';
import { getRunningLoop } from './events';
import { IncompleteReadError, LimitOverrunError, toPythonError } from './stream-errors';

/** The default buffer limit of a {@link StreamReader} (64 KiB), as asyncio. */
export const DEFAULT_LIMIT = 2 ** 16;

/** @internal `data` as a Buffer (a string as UTF-8); a `TypeError` for anything else. */
export function bytesOf(data: Uint8Array | string, api: string, name = 'data'): Buffer {
  checkBytes(api, name, data);
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** @internal Checks a reader's buffer limit: an integer >= 1 (CPython: `Limit cannot be <= 0`). */
export function checkLimit(api: string, limit: unknown): void {
  checkNumber(api, 'limit', limit, { integer: true, min: 1 });
}

/** readline()'s separator. */
const NEWLINE: readonly Buffer[] = [Buffer.from('\n')];

/** The separators of readuntil(), shortest first; a `ValueError` for none or an empty one. */
function separatorsOf(separator: Uint8Array | string | readonly (Uint8Array | string)[]): Buffer[] {
  const api = 'readuntil()';
  const list = Array.isArray(separator)
    ? (separator as readonly (Uint8Array | string)[]).map((s) => bytesOf(s, api, 'separator'))
    : [bytesOf(separator as Uint8Array | string, api, 'separator')];
  if (list.length === 0)
    throw new ValueError(`${api}: separator should contain at least one element`);
  list.sort((x, y) => x.length - y.length);
  if (list[0]!.length === 0)
    throw new ValueError(`${api}: separator should be at least one-byte string`);
  return list;
}

/**
 * asyncio's `StreamReader`: a buffer of received bytes with `read`, `readline`, `readexactly`,
 * `readuntil`, and async iteration by line. A cancelled read consumes nothing. One reader at a
 * time: a second concurrent read raises `RuntimeError`, as asyncio.
 *
 * @example
 * ```ts
 * const [reader, writer] = await openConnection('127.0.0.1', port);
 * const line = await reader.readline();
 * for await (const l of reader) console.log(l.toString());
 * ```
 */
export class StreamReader implements AsyncIterable<NodeBuffer> {
  private buffer: Buffer = Buffer.alloc(0);
  private eof = false;
  private error: unknown = null;
  /** Where a read waits for data: one task at a time (`waiting`), made once per reader. */
  private readonly waiter = new HostWait('StreamReader (waiting for incoming data)');
  /** The `n` of the `read(n)` waiting for data. */
  private readSize = 0;
  private sources: Readable[] = [];
  private paused = false;
  /** @internal Buffer everything without pausing (for `communicate`). */
  _unbounded = false;

  constructor(
    /** The buffer limit: `readuntil` fails past it, and the source pauses past twice it. */
    readonly limit = DEFAULT_LIMIT,
  ) {
    checkLimit('new StreamReader()', limit);
  }

  /** @internal Reads `sources` into this reader (pausing them when the buffer is full); EOF once all have ended. */
  _attach(...sources: Readable[]): void {
    this.sources = sources;
    const loop = getRunningLoop();
    const onData = (chunk: Buffer): void => {
      try {
        // The source's chunk is the reader's own: no copy (feedData copies what callers pass).
        this.feed(chunk, !Buffer.isBuffer(chunk));
      } catch (err) {
        // A protocol callback failed (data after a user's feedEof()): as CPython's transports, a
        // fatal error reported to the loop that closes the transport; never a throw inside Node.
        loop.callExceptionHandler({
          message: 'Fatal error: protocol.data_received() call failed.',
          exception: err,
        });
        this.setException(err);
        for (const source of sources) source.destroy();
      }
    };
    let open = sources.length;
    for (const source of sources) {
      let ended = false;
      const onEnd = (): void => {
        if (ended) return;
        ended = true;
        if (--open === 0) this.feedEof();
      };
      source.on('data', onData);
      source.on('end', onEnd);
      source.on('error', (err: unknown) => this.setException(toPythonError(err)));
      source.on('close', onEnd);
      if (source.isPaused()) source.resume();
    }
  }

  /** @internal Buffers everything from now on, without pausing the sources (for `communicate`). */
  _setUnbounded(): void {
    this._unbounded = true;
    if (this.paused) {
      this.paused = false;
      for (const source of this.sources) source.resume();
    }
  }

  /** Appends received bytes (asyncio's protocol side calls this); they are copied, as in CPython. */
  feedData(data: Uint8Array): void {
    this.feed(data, true);
  }

  /** Appends `data`, a copy of it unless the reader owns it (a chunk its source emitted). */
  private feed(data: Uint8Array, copy: boolean): void {
    if (this.eof) throw new RuntimeError('feedData after feedEof');
    if (data.length === 0) return;
    const chunk = copy ? Buffer.from(bytesOf(data, 'feedData()')) : (data as Buffer);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.waiter.wake();
    if (
      this.sources.length !== 0 &&
      !this._unbounded &&
      !this.paused &&
      this.buffer.length > 2 * this.limit
    ) {
      this.paused = true;
      for (const source of this.sources) source.pause();
    }
  }

  /** Marks the end of the stream. */
  feedEof(): void {
    this.eof = true;
    this.waiter.wake();
  }

  /** Makes the waiting and next reads raise `error`. */
  setException(error: unknown): void {
    this.error = error;
    this.waiter.fail(error);
  }

  /** The last exception set, or `null`. */
  exception(): unknown {
    return this.error;
  }

  /** True once the stream ended and the buffer is empty. */
  atEof(): boolean {
    return this.eof && this.buffer.length === 0;
  }

  private maybeResume(): void {
    if (this.paused && this.buffer.length <= this.limit) {
      this.paused = false;
      for (const source of this.sources) source.resume();
    }
  }

  /** Waits until data or EOF arrives (a rejected promise for a second waiter or at EOF). */
  private waitForData(api: string): Promise<unknown> {
    if (this.waiter.waiting) {
      return Promise.reject(
        new RuntimeError(`${api}() called while another task is already waiting for incoming data`),
      );
    }
    if (this.eof) return Promise.reject(new RuntimeError(`${api}() waiting on a stream at EOF`));
    if (this.paused) {
      this.paused = false;
      for (const source of this.sources) source.resume();
    }
    return this.waiter.wait();
  }

  /** The first `n` buffered bytes, taken out (a view: the buffer is never written to). */
  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    this.maybeResume();
    return out;
  }

  /**
   * Reads up to `n` bytes (`n` < 0: until EOF; 0: nothing). Returns an empty Buffer at EOF. With
   * bytes buffered it returns them without yielding, as CPython's.
   */
  read(n = -1): Promise<NodeBuffer> {
    try {
      checkNumber('read()', 'n', n, { integer: true });
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (n === 0) return Promise.resolve(Buffer.alloc(0));
    if (n < 0) return this.readToEof();
    if (this.buffer.length === 0 && !this.eof) {
      this.readSize = n;
      // A promise chain, not an async function: the hot read costs one promise besides the wait.
      return this.waitForData('read').then(this.readWoken);
    }
    return Promise.resolve(this.take(Math.min(n, this.buffer.length)));
  }

  private readonly readWoken = (): NodeBuffer => {
    if (this.error !== null && this.buffer.length === 0) throw this.error;
    return this.take(Math.min(this.readSize, this.buffer.length));
  };

  private async readToEof(): Promise<NodeBuffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const part = await this.read(this.limit);
      if (part.length === 0) break;
      parts.push(part);
    }
    return Buffer.concat(parts);
  }

  /**
   * Reads one line ending in `\n` (kept). At EOF returns the partial last line, then empty. A
   * line longer than `limit` raises `ValueError` (and is dropped, as asyncio).
   */
  async readline(): Promise<NodeBuffer> {
    try {
      return await this.readUntilAny(NEWLINE);
    } catch (err) {
      if (err instanceof IncompleteReadError) return err.partial;
      if (err instanceof LimitOverrunError) {
        // As CPython: the line through its newline goes, or (none found yet) all that is buffered.
        const found = this.buffer[err.consumed] === 10;
        this.take(found ? err.consumed + 1 : this.buffer.length);
        throw new ValueError(err.message);
      }
      throw err;
    }
  }

  /**
   * Reads until `separator` (returned with the data), or until the first of several separators
   * to end in the data (Python 3.13's tuple of separators). At EOF before one:
   * `IncompleteReadError` with what was read (consumed); past `limit` without one:
   * `LimitOverrunError` (kept buffered), whose `consumed` counts the bytes that cannot begin a
   * separator, as CPython's.
   */
  readuntil(
    separator: Uint8Array | string | readonly (Uint8Array | string)[] = '\n',
  ): Promise<NodeBuffer> {
    let separators: Buffer[];
    try {
      separators = separatorsOf(separator);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.readUntilAny(separators);
  }

  /** readuntil() of `separators`, shortest first. */
  private async readUntilAny(separators: readonly Buffer[]): Promise<NodeBuffer> {
    if (this.error !== null) throw this.error;
    const shortest = separators[0]!.length;
    const longest = separators[separators.length - 1]!.length;
    let from = 0;
    for (;;) {
      const buffered = this.buffer.length;
      if (buffered - from >= shortest) {
        let start = -1;
        let end = -1;
        for (const sep of separators) {
          const at = this.buffer.indexOf(sep, from);
          // The match that ends first wins (on a tie, the shorter separator).
          if (at >= 0 && (end < 0 || at + sep.length < end)) {
            start = at;
            end = at + sep.length;
          }
        }
        if (end >= 0) {
          if (start > this.limit) {
            throw new LimitOverrunError(
              'Separator is found, but chunk is longer than limit',
              start,
            );
          }
          return this.take(end);
        }
        // No separator can begin before here: the next search starts here, and the limit counts
        // these bytes.
        from = Math.max(0, buffered + 1 - longest);
        if (from > this.limit) {
          throw new LimitOverrunError('Separator is not found, and chunk exceed the limit', from);
        }
      }
      if (this.eof) {
        const partial = this.take(this.buffer.length);
        throw new IncompleteReadError(partial, null);
      }
      await this.waitForData('readuntil');
      if (this.error !== null) throw this.error;
    }
  }

  /** Reads exactly `n` bytes; `IncompleteReadError` (with the partial bytes, consumed) at EOF first. */
  async readexactly(n: number): Promise<NodeBuffer> {
    checkNumber('readexactly()', 'n', n, { integer: true, min: 0 });
    if (this.error !== null) throw this.error;
    while (this.buffer.length < n) {
      if (this.eof) throw new IncompleteReadError(this.take(this.buffer.length), n);
      await this.waitForData('readexactly');
      if (this.error !== null) throw this.error;
    }
    return this.take(n);
  }

  /**
   * What the reader holds, as CPython's repr: e.g. `<StreamReader 4 bytes eof limit=123>`, with
   * `waiter` while a read waits, `exception=...` and `paused`.
   */
  toString(): string {
    const info = ['StreamReader'];
    if (this.buffer.length !== 0) info.push(`${this.buffer.length} bytes`);
    if (this.eof) info.push('eof');
    if (this.limit !== DEFAULT_LIMIT) info.push(`limit=${this.limit}`);
    if (this.waiter.waiting) info.push('waiter');
    if (this.error !== null) info.push(`exception=${String(this.error)}`);
    if (this.paused) info.push('paused');
    return `<${info.join(' ')}>`;
  }

  /** Iterates over lines (as `readline`) until EOF. */
  async *[Symbol.asyncIterator](): AsyncIterator<NodeBuffer> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }
}
