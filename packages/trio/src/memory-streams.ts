/**
 * Trio's in-memory byte streams for tests (`trio.testing.MemorySendStream`, `MemoryReceiveStream`,
 * `memory_stream_pump`, `memory_stream_one_way_pair`, `memory_stream_pair`): streams with an
 * unbounded buffer whose every step a test can watch, delay or break through hooks.
 */
import { ParkingLot, checkFunction, checkOptions, checkpoint } from '@duet/kernel';
import { ConflictDetector } from './conflict';
import { BrokenResourceError, ClosedResourceError, WouldBlock } from './errors';
import { StapledStream } from './stapled';
import {
  checkBufferSize,
  toBuffer,
  untilEmpty,
  type Bytes,
  type ReceiveStream,
  type SendStream,
} from './stream-abc';

/** A hook a memory stream awaits inside an operation: an async function (or a plain one). */
export type StreamHook = () => unknown;

const EMPTY = Buffer.alloc(0);

function checkMaxBytes(api: string, maxBytes: number | undefined): void {
  if (maxBytes !== undefined) checkBufferSize(api, 'maxBytes', maxBytes);
}

function checkHook(api: string, hook: unknown): void {
  if (hook !== undefined && hook !== null) checkFunction(api, hook);
}

/**
 * @internal An unbounded byte buffer with one reader at a time: the pipe inside a memory stream.
 * Once closed it takes no more data, and a reader gets what is left, then empty chunks.
 */
export class ByteQueue {
  private data: Buffer = EMPTY;
  /** Takes no more data (the send stream was closed, or the receive stream got its end). */
  closed = false;
  private readonly lot = new ParkingLot('data in a memory stream');
  private readonly fetching = new ConflictDetector('another task is already fetching data');

  /** Appends a copy of `data`; `ClosedResourceError` once closed. */
  put(data: Buffer): void {
    if (this.closed) throw new ClosedResourceError('virtual connection closed');
    if (data.length === 0) return;
    this.data = Buffer.concat([this.data, data]);
    this.lot.unparkAll();
  }

  /** Takes no more data; a waiting reader gets what is left (or an empty chunk). */
  close(): void {
    this.closed = true;
    this.lot.unparkAll();
  }

  /** Drops the buffered data and closes. */
  closeAndWipe(): void {
    this.data = EMPTY;
    this.close();
  }

  /** Up to `maxBytes` (default: all) of the buffered data; `WouldBlock` if there is none yet. */
  getNowait(maxBytes?: number): Buffer {
    this.fetching.check();
    if (this.data.length === 0 && !this.closed) throw new WouldBlock();
    return this.take(maxBytes);
  }

  /** As {@link ByteQueue.getNowait}, waiting for data; a checkpoint, and a cancelled call takes nothing. */
  get(maxBytes?: number): Promise<Buffer> {
    return this.fetching.run(async () => {
      if (this.data.length !== 0 || this.closed) await checkpoint();
      while (this.data.length === 0 && !this.closed) await this.lot.park();
      return this.take(maxBytes);
    });
  }

  private take(maxBytes: number | undefined): Buffer {
    const data = this.data;
    if (maxBytes === undefined || maxBytes >= data.length) {
      this.data = EMPTY;
      return data;
    }
    this.data = data.subarray(maxBytes);
    return data.subarray(0, maxBytes);
  }
}

/**
 * A test stream that closes at once: `close()` is synchronous, `aclose()` is `close()`
 * and then a checkpoint, as in Trio's memory and lockstep streams.
 */
export abstract class ClosesAtOnce {
  /** Closes the stream at once, without a checkpoint. */
  abstract close(): void;

  /** `close()`, then a checkpoint. */
  async aclose(): Promise<void> {
    this.close();
    await checkpoint();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/** Options of {@link MemorySendStream}: its hooks (each can also be set later as a property). */
export interface MemorySendStreamOptions {
  /** Awaited at the end of every `sendAll`, after the data is in the buffer. */
  sendAllHook?: StreamHook | null;
  /** Awaited by every `waitSendAllMightNotBlock`. */
  waitSendAllMightNotBlockHook?: StreamHook | null;
  /** Called by `close()` / `aclose()` once the stream is closed. */
  closeHook?: (() => void) | null;
}

/**
 * `trio.testing.MemorySendStream`: a {@link SendStream} that keeps what is sent in an unbounded
 * buffer, which the test reads with {@link MemorySendStream.getData}. `sendAll` checkpoints, then
 * buffers the data, then awaits {@link MemorySendStream.sendAllHook}; a cancelled `sendAll` buffers
 * nothing. After `close()` sending raises `ClosedResourceError`, and `getData` returns what is left,
 * then empty chunks.
 *
 * @example
 * ```ts
 * const stream = new MemorySendStream();
 * await stream.sendAll('hello');
 * stream.getDataNowait(); // the bytes of 'hello'
 * ```
 */
export class MemorySendStream extends ClosesAtOnce implements SendStream {
  /** Awaited at the end of every `sendAll`, after the data is in the buffer. */
  sendAllHook: StreamHook | null;
  /** Awaited by every `waitSendAllMightNotBlock`. */
  waitSendAllMightNotBlockHook: StreamHook | null;
  /** Called by `close()` / `aclose()` once the stream is closed. */
  closeHook: (() => void) | null;
  private readonly outgoing = new ByteQueue();
  private readonly using = new ConflictDetector('another task is using this stream');

  constructor(options: MemorySendStreamOptions = {}) {
    super();
    const api = 'new MemorySendStream()';
    checkOptions(api, options, ['sendAllHook', 'waitSendAllMightNotBlockHook', 'closeHook']);
    checkHook(api, options.sendAllHook);
    checkHook(api, options.waitSendAllMightNotBlockHook);
    checkHook(api, options.closeHook);
    this.sendAllHook = options.sendAllHook ?? null;
    this.waitSendAllMightNotBlockHook = options.waitSendAllMightNotBlockHook ?? null;
    this.closeHook = options.closeHook ?? null;
  }

  /**
   * Checkpoints, buffers a copy of `data`, then awaits the send hook. `ClosedResourceError` once
   * closed; `BusyResourceError` while another task is in `sendAll` or `waitSendAllMightNotBlock`.
   */
  async sendAll(data: Bytes): Promise<void> {
    const bytes = toBuffer(data, 'MemorySendStream.sendAll()');
    await this.using.run(async () => {
      await checkpoint();
      this.outgoing.put(bytes);
      if (this.sendAllHook !== null) await this.sendAllHook();
    });
  }

  /** Checkpoints, then awaits {@link MemorySendStream.waitSendAllMightNotBlockHook}. */
  async waitSendAllMightNotBlock(): Promise<void> {
    await this.using.run(async () => {
      await checkpoint();
      if (this.outgoing.closed) throw new ClosedResourceError('virtual connection closed');
      if (this.waitSendAllMightNotBlockHook !== null) await this.waitSendAllMightNotBlockHook();
    });
  }

  /** Closes the stream at once (no checkpoint), then calls {@link MemorySendStream.closeHook}. */
  close(): void {
    this.outgoing.close();
    if (this.closeHook !== null) this.closeHook();
  }

  /**
   * Takes up to `maxBytes` (default: all) of the sent data out of the buffer, waiting until there
   * is some; an empty chunk once the stream is closed and the buffer empty. One caller at a time.
   */
  async getData(maxBytes?: number): Promise<Uint8Array> {
    checkMaxBytes('MemorySendStream.getData()', maxBytes);
    return this.outgoing.get(maxBytes);
  }

  /** As {@link MemorySendStream.getData} without waiting: `WouldBlock` if nothing was sent yet. */
  getDataNowait(maxBytes?: number): Uint8Array {
    checkMaxBytes('MemorySendStream.getDataNowait()', maxBytes);
    return this.outgoing.getNowait(maxBytes);
  }
}

/** Options of {@link MemoryReceiveStream}: its hooks (each can also be set later as a property). */
export interface MemoryReceiveStreamOptions {
  /** Awaited by every `receiveSome` before it looks at the buffer. */
  receiveSomeHook?: StreamHook | null;
  /** Called by `close()` / `aclose()` once the stream is closed. */
  closeHook?: (() => void) | null;
}

/**
 * `trio.testing.MemoryReceiveStream`: a {@link ReceiveStream} that returns what the test puts in
 * with {@link MemoryReceiveStream.putData}, and an empty chunk after
 * {@link MemoryReceiveStream.putEof}. `receiveSome` checkpoints, awaits
 * {@link MemoryReceiveStream.receiveSomeHook}, then waits for data; a cancelled call takes
 * nothing. `close()` drops the buffered data, and a receive then raises `ClosedResourceError`.
 *
 * @example
 * ```ts
 * const stream = new MemoryReceiveStream();
 * stream.putData('hi');
 * stream.putEof();
 * await stream.receiveSome(); // the bytes of 'hi'
 * await stream.receiveSome(); // empty: end of stream
 * ```
 */
export class MemoryReceiveStream extends ClosesAtOnce implements ReceiveStream {
  /** Awaited by every `receiveSome` before it looks at the buffer. */
  receiveSomeHook: StreamHook | null;
  /** Called by `close()` / `aclose()` once the stream is closed. */
  closeHook: (() => void) | null;
  private readonly incoming = new ByteQueue();
  private readonly using = new ConflictDetector('another task is using this stream');
  private closed = false;

  constructor(options: MemoryReceiveStreamOptions = {}) {
    super();
    const api = 'new MemoryReceiveStream()';
    checkOptions(api, options, ['receiveSomeHook', 'closeHook']);
    checkHook(api, options.receiveSomeHook);
    checkHook(api, options.closeHook);
    this.receiveSomeHook = options.receiveSomeHook ?? null;
    this.closeHook = options.closeHook ?? null;
  }

  /** Up to `maxBytes` (default: all that is buffered) bytes, waiting for some; empty after `putEof()`. */
  async receiveSome(maxBytes?: number): Promise<Uint8Array> {
    checkMaxBytes('MemoryReceiveStream.receiveSome()', maxBytes);
    return this.using.run(async () => {
      await checkpoint();
      if (this.closed) throw new ClosedResourceError();
      if (this.receiveSomeHook !== null) await this.receiveSomeHook();
      const data = await this.incoming.get(maxBytes);
      if (this.closed) throw new ClosedResourceError();
      return data;
    });
  }

  /** Drops the buffered data and closes the stream (no checkpoint), then calls the close hook. */
  close(): void {
    this.closed = true;
    this.incoming.closeAndWipe();
    if (this.closeHook !== null) this.closeHook();
  }

  /** Appends (a copy of) `data` to the buffer; `ClosedResourceError` after `close()` or `putEof()`. */
  putData(data: Bytes): void {
    this.incoming.put(toBuffer(data, 'MemoryReceiveStream.putData()'));
  }

  /** Ends the stream: once the buffer is drained, `receiveSome` returns empty chunks. */
  putEof(): void {
    this.incoming.close();
  }

  /** Iterates with `for await` until the end of the stream. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return untilEmpty(() => this.receiveSome());
  }
}

/**
 * `trio.testing.memory_stream_pump`: moves up to `maxBytes` (default: all) of the data buffered in
 * `sendStream` into `receiveStream`, or the end of stream if `sendStream` is closed and drained.
 * Returns `false` if there was nothing to move. `BrokenResourceError` if `receiveStream` is closed.
 *
 * @example
 * ```ts
 * const send = new MemorySendStream();
 * const receive = new MemoryReceiveStream();
 * await send.sendAll('x');
 * memoryStreamPump(send, receive); // true: 'x' is now in receive's buffer
 * ```
 */
export function memoryStreamPump(
  sendStream: MemorySendStream,
  receiveStream: MemoryReceiveStream,
  options: { maxBytes?: number } = {},
): boolean {
  checkOptions('memoryStreamPump()', options, ['maxBytes']);
  let data: Uint8Array;
  try {
    data = sendStream.getDataNowait(options.maxBytes);
  } catch (err) {
    if (err instanceof WouldBlock) return false;
    throw err;
  }
  try {
    if (data.length === 0) receiveStream.putEof();
    else receiveStream.putData(data);
  } catch (err) {
    if (err instanceof ClosedResourceError) {
      throw new BrokenResourceError('MemoryReceiveStream was closed', { cause: err });
    }
    throw err;
  }
  return true;
}

/**
 * `trio.testing.memory_stream_one_way_pair`: a connected send and receive stream with unbounded
 * buffering: every `sendAll` (and the close) pumps the data across at once. Replace the send
 * stream's hooks to control when data moves ({@link memoryStreamPump}).
 *
 * @example
 * ```ts
 * const [send, receive] = memoryStreamOneWayPair();
 * await send.sendAll('ping');
 * await receive.receiveSome(); // the bytes of 'ping'
 * ```
 */
export function memoryStreamOneWayPair(): [MemorySendStream, MemoryReceiveStream] {
  const send = new MemorySendStream();
  const receive = new MemoryReceiveStream();
  const pump = (): void => {
    memoryStreamPump(send, receive);
  };
  send.sendAllHook = pump;
  send.closeHook = pump;
  return [send, receive];
}

/**
 * `trio.testing.memory_stream_pair`: two connected bidirectional streams, each a
 * {@link StapledStream} of one direction's send stream and the other's receive stream (so
 * `sendEof()` closes that direction).
 *
 * @example
 * ```ts
 * const [client, server] = memoryStreamPair();
 * await client.sendAll('hello');
 * await server.receiveSome(); // the bytes of 'hello'
 * ```
 */
export function memoryStreamPair(): [StapledStream, StapledStream] {
  const [sendA, receiveA] = memoryStreamOneWayPair();
  const [sendB, receiveB] = memoryStreamOneWayPair();
  return [new StapledStream(sendA, receiveB), new StapledStream(sendB, receiveA)];
}
