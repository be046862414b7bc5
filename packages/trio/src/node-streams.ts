/**
 * Adapters from Node's `Readable` / `Writable` (and web streams) to Trio's {@link ReceiveStream} and
 * {@link SendStream}.
 *
 * Every wait is a kernel park marked foreign (the OS wakes it, so a `MockClock` does not autojump
 * past it), and every call is a checkpoint. Back-pressure both ways: `sendAll` waits for `'drain'`
 * when Node's write buffer is full, and a receive side pauses its Node stream once it has buffered
 * `receiveBufferSize` bytes nobody asked for yet.
 */
import { Readable, Writable } from 'node:stream';
import {
  HostWait,
  cancelShieldedCheckpoint,
  cancellationPending,
  checkMethods,
  checkpoint,
  checkpointIfCancelled,
  type NodeReadable,
  type NodeWritable,
} from '@duet/kernel';
import { ConflictDetector } from './conflict';
import { BrokenResourceError, BusyResourceError, ClosedResourceError } from './errors';
import {
  DEFAULT_RECEIVE_BUFFER,
  DEFAULT_RECEIVE_SIZE,
  checkBufferSize,
  toBuffer,
  type Bytes,
  type ReceiveStream,
  type SendStream,
  untilEmpty,
} from './stream-abc';

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
  private readonly receiving = new ConflictDetector(
    'another task is already receiving on this stream',
  );
  /** The `maxBytes` of the receive in progress. */
  private maxBytes = DEFAULT_RECEIVE_SIZE;
  private readonly waiter = new HostWait('receiveSome');

  /** The Node stream read from (made with `Readable.fromWeb` for a web `ReadableStream`). */
  readonly readable: NodeReadable;

  constructor(
    /** A Node `Readable`, or a web `ReadableStream` (cancelled on `aclose`). */
    source: NodeReadable | ReadableStream<Uint8Array>,
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

  receiveSome(maxBytes = DEFAULT_RECEIVE_SIZE): Promise<Uint8Array> {
    try {
      checkBufferSize('receiveSome()', 'maxBytes', maxBytes);
      if (this.closed) throw new ClosedResourceError('this stream was closed');
      this.receiving.enter();
    } catch (err) {
      return Promise.reject(err);
    }
    this.maxBytes = maxBytes;
    // The cancel point of every call: a checkpoint only when cancellation is pending.
    if (cancellationPending())
      return checkpointIfCancelled().then(this.receiveNow, this.receiving.failed);
    return this.receiveNow();
  }

  /** Returns buffered bytes after a schedule point, or waits for some. */
  private readonly receiveNow = (): Promise<Uint8Array> => {
    if (this.nothingToReturn())
      return this.waiter.wait().then(this.receiveWoken, this.receiving.failed);
    if (this.size === 0 && this.error !== undefined)
      return this.receiving.reject(streamFailed(this.error));
    return cancelShieldedCheckpoint(this.take(this.maxBytes)).then(this.receiving.done);
  };

  /** After a wait (it was the schedule point): returns what came, or waits again. */
  private readonly receiveWoken = (): Uint8Array | Promise<Uint8Array> => {
    if (this.nothingToReturn())
      return this.waiter.wait().then(this.receiveWoken, this.receiving.failed);
    this.receiving.leave();
    if (this.size === 0 && this.error !== undefined) throw streamFailed(this.error);
    return this.take(this.maxBytes);
  };

  private nothingToReturn(): boolean {
    return this.size === 0 && !this.eof && this.error === undefined;
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
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return untilEmpty(() => this.receiveSome());
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
  private readonly sending = new ConflictDetector('another task is already sending on this stream');
  private readonly drainWait = new HostWait('sendAll (waiting for drain)');

  /** The Node stream written to (made with `Writable.fromWeb` for a web `WritableStream`). */
  readonly writable: NodeWritable;

  constructor(
    /** A Node `Writable`, or a web `WritableStream` (closed on `aclose`). */
    target: NodeWritable | WritableStream<Uint8Array>,
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
    this.sending.check();
    if (this.ended && api !== 'waitSendAllMightNotBlock')
      throw new ClosedResourceError(`${api}() after sendEof()`);
    this.sending.enter();
  }

  private brokenError(): BrokenResourceError | null {
    if (this.error !== undefined) return streamFailed(this.error);
    if (this.writable.destroyed) return new BrokenResourceError('the stream was destroyed');
    return null;
  }

  sendAll(data: Bytes): Promise<void> {
    let buf: Buffer;
    try {
      buf = toBuffer(data, 'sendAll()');
      this.enter('sendAll');
    } catch (err) {
      return Promise.reject(err);
    }
    // The cancel point of every call: a checkpoint only when cancellation is pending.
    if (cancellationPending())
      return checkpointIfCancelled().then(() => this.write(buf), this.sending.failed);
    return this.write(buf);
  }

  /** Writes `buf`; then a schedule point, or a wait for `'drain'` when Node's buffer is full. */
  private write(buf: Buffer): Promise<void> {
    const broken = this.brokenError();
    if (broken !== null) return this.sending.reject(broken);
    let flowing: boolean;
    try {
      flowing = this.writable.write(buf);
    } catch (err) {
      return this.sending.reject(err);
    }
    if (flowing) return cancelShieldedCheckpoint().then(this.sending.done);
    return this.waitDrain().then(this.drained, this.sending.failed);
  }

  private readonly drained = (): void => {
    this.sending.leave();
    if (this.closed) throw new ClosedResourceError('the stream was closed during sendAll');
    const broken = this.brokenError();
    if (broken !== null) throw broken;
  };

  private async waitDrain(): Promise<void> {
    while (this.writable.writableNeedDrain && !this.writable.destroyed && !this.closed) {
      if (this.error !== undefined) return;
      await this.drainWait.wait();
    }
  }

  async waitSendAllMightNotBlock(): Promise<void> {
    this.enter('waitSendAllMightNotBlock');
    try {
      await checkpointIfCancelled();
      if (this.writable.writableNeedDrain) await this.waitDrain();
      else await cancelShieldedCheckpoint();
    } finally {
      this.sending.leave();
    }
  }

  /** Ends the Node stream (the reader sees end of stream after the data already sent). */
  async sendEof(): Promise<void> {
    if (this.closed) throw new ClosedResourceError('this stream was closed');
    if (this.sending.busy) throw new BusyResourceError('another task is sending on this stream');
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

/** The error a stream operation raises once its Node stream has failed with `err`. */
function streamFailed(err: unknown): BrokenResourceError {
  const message = err instanceof Error ? err.message : String(err);
  return new BrokenResourceError(`the stream failed: ${message}`, { cause: err });
}
