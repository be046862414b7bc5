/**
 * `SocketStream`: Trio's stream over a connected TCP socket, opened with `noDelay` as Trio does.
 * Every wait (receive, drain) is a foreign park: cancellation abandons it.
 */
import net from 'node:net';
import { Path } from './path';
import {
  checkInstance,
  checkNumber,
  checkOptions,
  checkString,
  checkpoint,
  checkpointIfCancelled,
  hostEvent,
  type NodeSocket,
} from '@duet/kernel';
import { ReadableReceiveStream, WritableSendStream, waitStreamClosed } from './node-streams';
import {
  DEFAULT_RECEIVE_BUFFER,
  checkBufferSize,
  type Bytes,
  type HalfCloseableStream,
} from './stream-abc';

/**
 * An address as `getsockname()` / `getpeername()` return it.
 *
 * @example
 * ```ts
 * const { address, port } = stream.getpeername();
 * ```
 */
export interface SocketAddress {
  /** The IP address, e.g. `'127.0.0.1'` or `'::1'`. */
  address: string;
  /** The port. */
  port: number;
  /** `'IPv4'` or `'IPv6'`. */
  family: string;
}

/**
 * `trio.SocketStream`: a {@link HalfCloseableStream} over a connected TCP socket. `receiveSome`
 * never consumes bytes it does not return; `sendAll` waits for the kernel buffer to drain; closing
 * the stream wakes a task blocked on it with `ClosedResourceError`.
 *
 * @example
 * ```ts
 * await using stream = await openTcpStream('127.0.0.1', port);
 * await stream.sendAll('ping');
 * const reply = await stream.receiveSome();
 * ```
 */
export class SocketStream implements HalfCloseableStream {
  private readonly receiver: ReadableReceiveStream;
  private readonly sender: WritableSendStream;
  private closed = false;

  constructor(
    /** The Node socket (connected). The stream owns it from now on. */
    readonly socket: NodeSocket,
    options: { receiveBufferSize?: number } = {},
  ) {
    checkInstance('new SocketStream()', 'socket', socket, net.Socket, 'a net.Socket');
    checkOptions('new SocketStream()', options, ['receiveBufferSize']);
    const bufferSize = options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER;
    checkBufferSize('new SocketStream()', 'receiveBufferSize', bufferSize);
    socket.setNoDelay(true);
    this.receiver = new ReadableReceiveStream(socket, bufferSize);
    this.sender = new WritableSendStream(socket, () => {});
  }

  sendAll(data: Bytes): Promise<void> {
    return this.sender.sendAll(data);
  }

  waitSendAllMightNotBlock(): Promise<void> {
    return this.sender.waitSendAllMightNotBlock();
  }

  sendEof(): Promise<void> {
    return this.sender.sendEof();
  }

  receiveSome(maxBytes?: number): Promise<Uint8Array> {
    return this.receiver.receiveSome(maxBytes);
  }

  /** The local address of the socket. */
  getsockname(): SocketAddress {
    const s = this.socket;
    return { address: s.localAddress!, port: s.localPort!, family: s.localFamily! };
  }

  /** The address of the peer. */
  getpeername(): SocketAddress {
    const s = this.socket;
    return { address: s.remoteAddress!, port: s.remotePort!, family: s.remoteFamily! };
  }

  /** @internal Closes at once and wakes blocked tasks with `ClosedResourceError`. */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.sender.closeNow();
    this.receiver.closeNow();
    this.socket.destroy();
  }

  /** @internal Closes and waits for the socket's handle to be released, without a checkpoint. */
  async closeAndWait(): Promise<void> {
    this.closeNow();
    await waitStreamClosed(this.socket);
  }

  /** Closes the socket (abortively: unsent data is dropped; use `sendEof` first for a clean end). */
  async aclose(): Promise<void> {
    await this.closeAndWait();
    await checkpoint();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates with `for await`. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.receiver[Symbol.asyncIterator]();
  }
}

/** @internal Checks a TCP port number (0 to 65535). */
export function checkPort(api: string, port: unknown): void {
  checkNumber(api, 'port', port, { integer: true, min: 0, max: 65535 });
}

/**
 * @internal Connects a socket (`allowHalfOpen`, so `sendEof` closes only our direction) and waits
 * for it; a failed or cancelled connect destroys the half-made socket, so no handle stays open.
 */
export async function connectSocket(
  options: net.NetConnectOpts,
  what: string,
): Promise<net.Socket> {
  const socket = net.connect({ ...options, allowHalfOpen: true });
  try {
    await hostEvent(socket, 'connect', what);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}

/**
 * `trio.open_unix_socket`: connects to the Unix domain socket at `path` (a Windows named pipe
 * on Windows) and returns a {@link SocketStream}. A missing socket file raises Node's `ENOENT`
 * error, one nobody listens on `ECONNREFUSED`.
 *
 * @example
 * ```ts
 * await using stream = await openUnixSocket('/run/app.sock');
 * await stream.sendAll('ping\n');
 * ```
 */
export async function openUnixSocket(path: string | Path): Promise<SocketStream> {
  const api = 'openUnixSocket()';
  const name = path instanceof Path ? path.path : path;
  checkString(api, 'path', name, { nonEmpty: true });
  await checkpointIfCancelled();
  return new SocketStream(await connectSocket({ path: name }, `connect(${name})`));
}
