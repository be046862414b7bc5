/**
 * Trio's stream abstractions (`trio.abc.AsyncResource`, `SendStream`, `ReceiveStream`, `Stream`,
 * `HalfCloseableStream`), the byte type they carry, and the checks every implementation shares.
 * The implementations: `node-streams.ts` (over Node streams), `stapled.ts`, `buffered.ts`,
 * `socket-stream.ts`.
 */
import { CancelScope, checkBytes, checkMethods, checkNumber } from '@duet/kernel';

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

/** @internal `data` as a Buffer (a string as UTF-8); a `TypeError` for anything else. */
export function toBuffer(data: Bytes, api: string, name = 'data'): Buffer {
  checkBytes(api, name, data);
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * `trio.abc.Listener`: something that accepts connections, each a resource (a stream), such as
 * `SocketListener`. `serveListeners` serves any of them.
 *
 * @example
 * ```ts
 * async function acceptOne(listener: Listener<Stream>) { return listener.accept(); }
 * ```
 */
export interface Listener<S extends AsyncResource = AsyncResource> extends AsyncResource {
  /** Waits for the next connection. A closed listener raises `ClosedResourceError`. */
  accept(): Promise<S>;
}

/** @internal Checks a size in bytes of a buffer or a read: an integer >= 1. */
export function checkBufferSize(api: string, name: string, value: unknown): void {
  checkNumber(api, name, value, { integer: true, min: 1 });
}

/** @internal The methods a {@link SendStream} must have (checked where one is taken). */
export const SEND_STREAM_METHODS = ['sendAll', 'waitSendAllMightNotBlock', 'aclose'];
/** @internal The methods a {@link ReceiveStream} must have. */
export const RECEIVE_STREAM_METHODS = ['receiveSome', 'aclose'];

/**
 * @internal The chunks of `read()` until it returns an empty one (the end): a `for await` over a
 * stream, a file's lines.
 */
export async function* untilEmpty<T extends { length: number }>(
  read: () => Promise<T>,
): AsyncGenerator<T, void, undefined> {
  for (;;) {
    const chunk = await read();
    if (chunk.length === 0) return;
    yield chunk;
  }
}

/**
 * `trio.aclose_forcefully`: closes `resource` as fast as possible, in a cancelled scope, so a
 * resource with a graceful close (a handshake, a flush) skips it. The resource is closed when
 * this returns.
 *
 * @example
 * ```ts
 * await acloseForcefully(stream); // no goodbye, no waiting for the peer
 * ```
 */
export async function acloseForcefully(resource: AsyncResource): Promise<void> {
  checkMethods('acloseForcefully()', 'resource', resource, ['aclose'], 'an AsyncResource');
  const scope = new CancelScope();
  scope.cancel();
  await scope.run(() => resource.aclose());
}
