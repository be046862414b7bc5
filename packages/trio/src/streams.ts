/**
 * Trio's stream abstractions (`trio.abc.SendStream`, `ReceiveStream`, `Stream`,
 * `HalfCloseableStream`), adapters from Node's `Readable` / `Writable` to them, `StapledStream`,
 * and `BufferedReceiveStream` for record and line reading.
 *
 * Every wait is a kernel park marked foreign (the OS wakes it, so a `MockClock` does not autojump
 * past it), and every call is a checkpoint. Back-pressure both ways: `sendAll` waits for `'drain'`
 * when Node's write buffer is full, and a receive side pauses its Node stream once it has buffered
 * `receiveBufferSize` bytes nobody asked for yet.
 */
import { Readable, Writable } from 'node:stream';
import {
  HostWait,
  ValueError,
  cancelShieldedCheckpoint,
  checkBytes,
  checkMethods,
  checkNumber,
  checkOptions,
  checkpoint,
  checkpointIfCancelled,
} from '@duet/kernel';
import { BrokenResourceError, BusyResourceError, ClosedResourceError } from './errors';

/** What `sendAll` accepts: bytes, or a string sent as UTF-8. */
export type Bytes = Uint8Array | string;

/** The default `maxBytes` of `receiveSome`. */
export const DEFAULT_RECEIVE_SIZE = 65536;
/** The default number of unread bytes a receive side buffers before it pauses its source. */
export const DEFAULT_RECEIVE_BUFFER = 65536;

/**
 * `trio.abc.AsyncResource`: something closed with `aclose()`, also usable with `await using`.
 *
 * @example
 * ```ts
 * await using stream = await openTcpStream('example.com', 80);
 * ```
 */
export interface AsyncResource extends AsyncDisposable {
  /**
   * Closes the resource. Always closes it, even when cancelled (then it raises `Cancelled` after
   * closing); calling it again does nothing but checkpoint.
   */
  aclose(): Promise<void>;
}

/**
 * `trio.abc.SendStream`: a byte stream you write to.
 *
 * @example
 * ```ts
 * async function greet(out: SendStream) { await out.sendAll('hello\n'); }
 * ```
 */
export interface SendStream extends AsyncResource {
  /**
   * Sends all of `data`, waiting while the transport's buffer is full. Two concurrent calls on
   * one stream raise {@link BusyResourceError}. If cancelled, some of the data may have been sent.
   */
  sendAll(data: Bytes): Promise<void>;
  /** Returns once a `sendAll` would probably not block. */
  waitSendAllMightNotBlock(): Promise<void>;
}

/**
 * `trio.abc.ReceiveStream`: a byte stream you read from; async iteration yields chunks until EOF.
 *
 * @example
 * ```ts
 * for await (const chunk of stream) process.stdout.write(chunk);
 * ```
 */
export interface ReceiveStream extends AsyncResource, AsyncIterable<Uint8Array> {
  /**
   * Waits for data and returns between 1 and `maxBytes` bytes (default 64 KiB), or an empty array
   * at end of stream. A cancelled call consumes nothing. Two concurrent calls raise
   * {@link BusyResourceError}.
   */
  receiveSome(maxBytes?: number): Promise<Uint8Array>;
}

/**
 * `trio.abc.Stream`: both directions.
 *
 * @example
 * ```ts
 * async function echo(stream: Stream) { for await (const c of stream) await stream.sendAll(c); }
 * ```
 */
export interface Stream extends SendStream, ReceiveStream {}

/**
 * `trio.abc.HalfCloseableStream`: a {@link Stream} whose sending side can be closed alone.
 *
 * @example
 * ```ts
 * await stream.sendAll(request);
 * await stream.sendEof(); // the peer sees end of stream; we can still receive
 * ```
 */
export interface HalfCloseableStream extends Stream {
  /** Closes the sending direction (the peer's `receiveSome` returns empty); idempotent. */
  sendEof(): Promise<void>;
}

// ---- waiting on Node events ---------------------------------------------------------------------

/** @internal Waits (uncancellably, briefly) until a Node stream has emitted `'close'`. */
export async function waitStreamClosed(stream: Readable | Writable): Promise<void> {
  if (stream.closed) return;
  const wait = new HostWait('the stream to close', { uncancellable: true });
  const onClose = (): void => wait.wake();
  stream.once('close', onClose);
  try {
    await wait.wait();
  } finally {
    stream.off('close', onClose);
  }
}

/** @internal `data` as a Buffer (a string as UTF-8); a `TypeError` for anything else. */
export function toBuffer(data: Bytes, api: string, name = 'data'): Buffer {
  checkBytes(api, name, data);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** @internal Checks a size in bytes of a buffer or a read: an integer >= 1. */
export function checkBufferSize(api: string, name: string, value: unknown): void {
  checkNumber(api, name, value, { integer: true, min: 1 });
}

const SEND_STREAM_METHODS = ['sendAll', 'waitSendAllMightNotBlock', 'aclose'];
const RECEIVE_STREAM_METHODS = ['receiveSome', 'aclose'];

// ---- Node Readable -> ReceiveStream -------------------------------------------------------------

/**
 * A {@link ReceiveStream} over any Node `Readable` (a socket, a child's stdout, a file stream) or
 * web `ReadableStream` (a `fetch` body).
 * It takes the stream over: reads it in flowing mode, buffers at most `bufferSize` bytes beyond
 * what was asked for (then pauses the source until `receiveSome` drains it), and destroys it on
 * `aclose`.
 *
 * @example
 * ```ts
 * const stdout = new ReadableReceiveStream(child.stdout!);
 * const chunk = await stdout.receiveSome();
 * ```
 */
export class ReadableReceiveStream implements ReceiveStream {
  private chunks: Buffer[] = [];
  private size = 0;
  private eof = false;
  private error: unknown = undefined;
  private closed = false;
  private busy = false;
  private readonly waiter = new HostWait('receiveSome');

  /** The Node stream read from (made with `Readable.fromWeb` for a web `ReadableStream`). */
  readonly readable: Readable;

  constructor(
    /** A Node `Readable`, or a web `ReadableStream` (cancelled on `aclose`). */
    source: Readable | ReadableStream<Uint8Array>,
    private readonly bufferSize = DEFAULT_RECEIVE_BUFFER,
  ) {
    if (!(source instanceof ReadableStream))
      checkMethods(
        'new ReadableReceiveStream()',
        'source',
        source,
        ['on', 'pause', 'resume', 'destroy'],
        'a Node Readable or a web ReadableStream',
      );
    checkBufferSize('new ReadableReceiveStream()', 'bufferSize', bufferSize);
    const readable = source instanceof ReadableStream ? Readable.fromWeb(source) : source;
    this.readable = readable;
    readable.on('data', (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      this.chunks.push(buf);
      this.size += buf.length;
      if (this.size >= this.bufferSize) readable.pause();
      this.waiter.wake();
    });
    readable.on('end', () => {
      this.eof = true;
      this.waiter.wake();
    });
    readable.on('error', (err: unknown) => {
      this.error ??= err;
      this.waiter.wake();
    });
    readable.on('close', () => {
      this.eof = true;
      this.waiter.wake();
    });
    if (readable.isPaused()) readable.resume();
  }

  /** Bytes received and not yet returned by `receiveSome`. */
  get bufferedBytes(): number {
    return this.size;
  }

  async receiveSome(maxBytes = DEFAULT_RECEIVE_SIZE): Promise<Uint8Array> {
    checkBufferSize('receiveSome()', 'maxBytes', maxBytes);
    if (this.closed) throw new ClosedResourceError('this stream was closed');
    if (this.busy) throw new BusyResourceError('another task is already receiving on this stream');
    this.busy = true;
    try {
      await checkpointIfCancelled();
      let waited = false;
      while (this.size === 0 && !this.eof && this.error === undefined) {
        await this.waiter.wait();
        waited = true;
      }
      if (this.size === 0 && this.error !== undefined) {
        throw new BrokenResourceError(`the stream failed: ${describe(this.error)}`, {
          cause: this.error,
        });
      }
      const data = this.take(maxBytes);
      if (!waited) await cancelShieldedCheckpoint();
      return data;
    } finally {
      this.busy = false;
    }
  }

  private take(maxBytes: number): Uint8Array {
    if (this.size === 0) return new Uint8Array(0);
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length <= maxBytes && (this.chunks.length === 1 || first.length === maxBytes)) {
      out = first;
      this.chunks.shift();
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, maxBytes);
      const rest = all.subarray(out.length);
      this.chunks = rest.length === 0 ? [] : [rest];
    }
    this.size -= out.length;
    if (this.size < this.bufferSize && this.readable.isPaused() && !this.closed)
      this.readable.resume();
    return out;
  }

  /** @internal Marks the stream closed, wakes a waiting receiver with `ClosedResourceError`. */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks = [];
    this.size = 0;
    this.readable.destroy();
    this.waiter.fail(new ClosedResourceError('the stream was closed while a task waited on it'));
  }

  async aclose(): Promise<void> {
    this.closeNow();
    await waitStreamClosed(this.readable);
    await checkpoint();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates with `for await`. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.receiveSome();
      if (chunk.length === 0) return;
      yield chunk;
    }
  }
}

// ---- Node Writable -> SendStream ----------------------------------------------------------------

/**
 * A {@link SendStream} over any Node `Writable` (a socket, a child's stdin, a file stream) or web
 * `WritableStream`:
 * `sendAll` writes and, when `write()` answers that the buffer is full, waits for `'drain'`, so a
 * slow reader slows the writer down instead of making it buffer without bound.
 *
 * @example
 * ```ts
 * const stdin = new WritableSendStream(child.stdin!);
 * await stdin.sendAll('input\n');
 * await stdin.aclose();
 * ```
 */
export class WritableSendStream implements SendStream {
  private error: unknown = undefined;
  private closed = false;
  private ended = false;
  private busy = false;
  private readonly drainWait = new HostWait('sendAll (waiting for drain)');

  /** The Node stream written to (made with `Writable.fromWeb` for a web `WritableStream`). */
  readonly writable: Writable;

  constructor(
    /** A Node `Writable`, or a web `WritableStream` (closed on `aclose`). */
    target: Writable | WritableStream<Uint8Array>,
    /** @internal What closing does; by default `end()` then wait for `'close'` (flushes). */
    private readonly onClose?: () => void,
  ) {
    if (!(target instanceof WritableStream))
      checkMethods(
        'new WritableSendStream()',
        'target',
        target,
        ['write', 'end', 'on', 'destroy'],
        'a Node Writable or a web WritableStream',
      );
    const writable = target instanceof WritableStream ? Writable.fromWeb(target) : target;
    this.writable = writable;
    writable.on('drain', () => this.drainWait.wake());
    writable.on('error', (err: unknown) => {
      this.error ??= err;
      this.drainWait.wake();
    });
    writable.on('close', () => this.drainWait.wake());
  }

  private enter(api: string): void {
    if (this.closed) throw new ClosedResourceError('this stream was closed');
    if (this.busy) throw new BusyResourceError(`another task is already sending on this stream`);
    if (this.ended && api !== 'waitSendAllMightNotBlock')
      throw new ClosedResourceError(`${api}() after sendEof()`);
  }

  private checkBroken(): void {
    if (this.error !== undefined) {
      throw new BrokenResourceError(`the stream failed: ${describe(this.error)}`, {
        cause: this.error,
      });
    }
    if (this.writable.destroyed) throw new BrokenResourceError('the stream was destroyed');
  }

  async sendAll(data: Bytes): Promise<void> {
    const buf = toBuffer(data, 'sendAll()');
    this.enter('sendAll');
    this.busy = true;
    try {
      await checkpointIfCancelled();
      this.checkBroken();
      const flowing = this.writable.write(buf);
      if (flowing) {
        await cancelShieldedCheckpoint();
      } else {
        await this.waitDrain();
        if (this.closed) throw new ClosedResourceError('the stream was closed during sendAll');
        this.checkBroken();
      }
    } finally {
      this.busy = false;
    }
  }

  private async waitDrain(): Promise<void> {
    while (this.writable.writableNeedDrain && !this.writable.destroyed && !this.closed) {
      if (this.error !== undefined) return;
      await this.drainWait.wait();
    }
  }

  async waitSendAllMightNotBlock(): Promise<void> {
    this.enter('waitSendAllMightNotBlock');
    this.busy = true;
    try {
      await checkpointIfCancelled();
      if (this.writable.writableNeedDrain) await this.waitDrain();
      else await cancelShieldedCheckpoint();
    } finally {
      this.busy = false;
    }
  }

  /** Ends the Node stream (the reader sees end of stream after the data already sent). */
  async sendEof(): Promise<void> {
    if (this.closed) throw new ClosedResourceError('this stream was closed');
    if (this.busy) throw new BusyResourceError('another task is sending on this stream');
    await checkpointIfCancelled();
    if (!this.ended) {
      this.ended = true;
      this.writable.end();
    }
    await cancelShieldedCheckpoint();
  }

  /** @internal */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.onClose !== undefined) this.onClose();
    else if (!this.writable.destroyed) this.writable.destroy();
    this.drainWait.fail(new ClosedResourceError('the stream was closed while a task waited on it'));
  }

  async aclose(): Promise<void> {
    this.closeNow();
    await waitStreamClosed(this.writable);
    await checkpoint();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---- StapledStream ------------------------------------------------------------------------------

/**
 * `trio.StapledStream`: one bidirectional {@link Stream} made of a send stream and a receive
 * stream. `sendEof` ends the send stream (with its own `sendEof` if it has one, else `aclose`).
 *
 * @example
 * ```ts
 * const proc = await openProcess(['cat'], { stdin: 'pipe', stdout: 'pipe' });
 * const stream = new StapledStream(proc.stdin!, proc.stdout!);
 * await stream.sendAll('hi');
 * ```
 */
export class StapledStream implements HalfCloseableStream {
  constructor(
    /** Where `sendAll` goes. */
    readonly sendStream: SendStream,
    /** Where `receiveSome` reads. */
    readonly receiveStream: ReceiveStream,
  ) {
    checkMethods(
      'new StapledStream()',
      'sendStream',
      sendStream,
      SEND_STREAM_METHODS,
      'a SendStream',
    );
    checkMethods(
      'new StapledStream()',
      'receiveStream',
      receiveStream,
      RECEIVE_STREAM_METHODS,
      'a ReceiveStream',
    );
  }

  sendAll(data: Bytes): Promise<void> {
    return this.sendStream.sendAll(data);
  }

  waitSendAllMightNotBlock(): Promise<void> {
    return this.sendStream.waitSendAllMightNotBlock();
  }

  sendEof(): Promise<void> {
    const s = this.sendStream as Partial<HalfCloseableStream> & SendStream;
    return typeof s.sendEof === 'function' ? s.sendEof() : s.aclose();
  }

  receiveSome(maxBytes?: number): Promise<Uint8Array> {
    return this.receiveStream.receiveSome(maxBytes);
  }

  /** Closes both streams (the receive stream even if closing the send stream fails). */
  async aclose(): Promise<void> {
    try {
      await this.sendStream.aclose();
    } finally {
      await this.receiveStream.aclose();
    }
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates with `for await`. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.receiveStream[Symbol.asyncIterator]();
  }
}

// ---- BufferedReceiveStream ----------------------------------------------------------------------

/**
 * Options of {@link BufferedReceiveStream.receiveUntil}.
 *
 * @example
 * ```ts
 * await buffered.receiveUntil('\r\n\r\n', { maxBytes: 16384 });
 * ```
 */
export interface ReceiveUntilOptions {
  /** The longest record accepted (delimiter excluded); a longer one raises `ValueError`. 64 KiB by default. */
  maxBytes?: number;
}

/** The `maxBytes` of {@link ReceiveUntilOptions}, checked. */
function receiveUntilMaxBytes(api: string, options: ReceiveUntilOptions): number {
  checkOptions(api, options, ['maxBytes']);
  const maxBytes = options.maxBytes ?? DEFAULT_RECEIVE_SIZE;
  checkBufferSize(api, 'maxBytes', maxBytes);
  return maxBytes;
}

/**
 * A {@link ReceiveStream} wrapper that buffers, for record-oriented protocols: `receiveUntil`
 * (Trio's proposed `receive_until`), `receiveLine`, `receiveExactly`, and `lines()`. Cancelling
 * any of them loses nothing: the bytes read so far stay in the buffer for the next call.
 *
 * @example
 * ```ts
 * const reader = new BufferedReceiveStream(stream);
 * for await (const line of reader.lines()) console.log(line);
 * ```
 */
export class BufferedReceiveStream implements ReceiveStream {
  private buffer: Buffer = Buffer.alloc(0);
  private eof = false;

  constructor(
    /** The stream read from. */
    readonly stream: ReceiveStream,
  ) {
    checkMethods(
      'new BufferedReceiveStream()',
      'stream',
      stream,
      RECEIVE_STREAM_METHODS,
      'a ReceiveStream',
    );
  }

  /** Bytes read from the stream and not returned yet. */
  get bufferedBytes(): number {
    return this.buffer.length;
  }

  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    const chunk = await this.stream.receiveSome();
    if (chunk.length === 0) {
      this.eof = true;
      return false;
    }
    this.buffer =
      this.buffer.length === 0
        ? toBuffer(chunk, 'receiveSome() of the wrapped stream')
        : Buffer.concat([this.buffer, chunk]);
    return true;
  }

  private takeBytes(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Returns buffered bytes first (up to `maxBytes`), else reads the stream. */
  async receiveSome(maxBytes = DEFAULT_RECEIVE_SIZE): Promise<Uint8Array> {
    checkBufferSize('receiveSome()', 'maxBytes', maxBytes);
    if (this.buffer.length !== 0) {
      await checkpointIfCancelled();
      const out = this.takeBytes(maxBytes);
      await cancelShieldedCheckpoint();
      return out;
    }
    if (this.eof) {
      await checkpoint();
      return new Uint8Array(0);
    }
    return this.stream.receiveSome(maxBytes);
  }

  /**
   * Reads up to `delimiter` and returns what came before it (the delimiter is consumed, not
   * returned). `null` at end of stream with nothing buffered; `BrokenResourceError` when the stream
   * ends in the middle of a record; `ValueError` past `maxBytes` without a delimiter.
   */
  async receiveUntil(
    delimiter: Bytes,
    options: ReceiveUntilOptions = {},
  ): Promise<Uint8Array | null> {
    const delim = toBuffer(delimiter, 'receiveUntil()', 'delimiter');
    if (delim.length === 0)
      throw new ValueError('receiveUntil(): delimiter must be a non-empty string or bytes');
    const maxBytes = receiveUntilMaxBytes('receiveUntil()', options);
    await checkpointIfCancelled();
    let searchFrom = 0;
    let filled = false;
    for (;;) {
      const at = this.buffer.indexOf(delim, searchFrom);
      if (at >= 0 && at <= maxBytes) {
        const out = Buffer.from(this.takeBytes(at));
        this.takeBytes(delim.length);
        if (!filled) await cancelShieldedCheckpoint();
        return out;
      }
      if (at > maxBytes || this.buffer.length > maxBytes + delim.length) {
        throw new ValueError(`no delimiter found within maxBytes (${maxBytes}) bytes`);
      }
      searchFrom = Math.max(0, this.buffer.length - delim.length + 1);
      if (!(await this.fill())) {
        if (!filled) await cancelShieldedCheckpoint();
        if (this.buffer.length === 0) return null;
        throw new BrokenResourceError(
          `the stream ended with ${this.buffer.length} byte(s) and no delimiter`,
        );
      }
      filled = true;
    }
  }

  /**
   * Reads one line and returns it decoded as UTF-8 without its `\n` (nor a `\r` before it). At end
   * of stream: the last line if it had no `\n`, then `null`.
   */
  async receiveLine(options: ReceiveUntilOptions = {}): Promise<string | null> {
    receiveUntilMaxBytes('receiveLine()', options);
    let line: Uint8Array | null;
    try {
      line = await this.receiveUntil('\n', options);
    } catch (err) {
      if (!(err instanceof BrokenResourceError) || !this.eof) throw err;
      line = this.takeBytes(this.buffer.length);
    }
    if (line === null) return null;
    let text = Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return text;
  }

  /** Reads exactly `n` bytes; `BrokenResourceError` if the stream ends first (the bytes stay buffered). */
  async receiveExactly(n: number): Promise<Uint8Array> {
    checkNumber('receiveExactly()', 'n', n, { integer: true, min: 0 });
    await checkpointIfCancelled();
    let filled = false;
    while (this.buffer.length < n) {
      if (!(await this.fill())) {
        throw new BrokenResourceError(
          `the stream ended after ${this.buffer.length} of ${n} byte(s)`,
        );
      }
      filled = true;
    }
    const out = Buffer.from(this.takeBytes(n));
    if (!filled) await cancelShieldedCheckpoint();
    return out;
  }

  /** Async iteration over the lines of the stream (as {@link receiveLine}). */
  lines(options: ReceiveUntilOptions = {}): AsyncGenerator<string, void, undefined> {
    receiveUntilMaxBytes('lines()', options);
    return this.eachLine(options);
  }

  private async *eachLine(options: ReceiveUntilOptions): AsyncGenerator<string, void, undefined> {
    for (;;) {
      const line = await this.receiveLine(options);
      if (line === null) return;
      yield line;
    }
  }

  /** Closes the underlying stream and drops the buffer. */
  async aclose(): Promise<void> {
    this.buffer = Buffer.alloc(0);
    await this.stream.aclose();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates with `for await`. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.receiveSome();
      if (chunk.length === 0) return;
      yield chunk;
    }
  }
}
