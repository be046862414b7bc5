/**
 * `asyncio.open_connection` on Node's `net`: connects (a foreign kernel wait, abandoned and the
 * socket destroyed when cancelled) and returns `[StreamReader, StreamWriter]`.
 */
import net from 'node:net';
import {
  atRunEnd,
  checkNumber,
  checkOptions,
  checkString,
  destroyAll,
  hostEvent,
  isCancelled,
} from '@duet/kernel';
import { toPythonError } from './stream-errors';
import { DEFAULT_LIMIT, checkLimit, type StreamReader } from './stream-reader';
import { streamsFor, type StreamWriter } from './stream-writer';

/** @internal Checks a TCP port number (0 to 65535). */
export function checkPort(api: string, port: unknown): void {
  checkNumber(api, 'port', port, { integer: true, min: 0, max: 65535 });
}

/**
 * Options of {@link openConnection}.
 *
 * @example
 * ```ts
 * await openConnection('127.0.0.1', port, { limit: 1 << 20 });
 * ```
 */
export interface OpenConnectionOptions extends OpenUnixConnectionOptions {
  /** The local address to bind. */
  localAddr?: string;
}

/**
 * `asyncio.open_connection`: connects to `host:port` and returns `[reader, writer]`. A refused
 * connection raises {@link ConnectionRefusedError}; cancelling destroys the half-open socket.
 *
 * @example
 * ```ts
 * const [reader, writer] = await openConnection('127.0.0.1', 8888);
 * writer.write('ping\n');
 * console.log((await reader.readline()).toString());
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export async function openConnection(
  host: string,
  port: number,
  options: OpenConnectionOptions = {},
): Promise<[StreamReader, StreamWriter]> {
  const api = 'openConnection()';
  checkString(api, 'host', host, { nonEmpty: true });
  checkPort(api, port);
  checkOptions(api, options, ['limit', 'localAddr']);
  checkString(api, 'localAddr', options.localAddr, { nonEmpty: true, optional: true });
  const connect = {
    host,
    port,
    ...(options.localAddr !== undefined ? { localAddress: options.localAddr } : {}),
  };
  return connectStreams(api, connect, `${host}:${port}`, options.limit);
}

/**
 * Options of {@link openUnixConnection}.
 *
 * @example
 * ```ts
 * await openUnixConnection('/tmp/app.sock', { limit: 1 << 20 });
 * ```
 */
export interface OpenUnixConnectionOptions {
  /** The reader's buffer limit (64 KiB by default). */
  limit?: number;
}

/**
 * `asyncio.open_unix_connection`: connects to the Unix socket at `path` and returns
 * `[reader, writer]`. A path nobody listens on raises {@link ConnectionRefusedError} (or a
 * `FileNotFoundError`-like error with `code` `'ENOENT'`); cancelling destroys the half-open socket.
 *
 * @example
 * ```ts
 * const [reader, writer] = await openUnixConnection('/tmp/echo.sock');
 * writer.write('ping\n');
 * console.log((await reader.readline()).toString());
 * ```
 */
export async function openUnixConnection(
  path: string,
  options: OpenUnixConnectionOptions = {},
): Promise<[StreamReader, StreamWriter]> {
  const api = 'openUnixConnection()';
  checkString(api, 'path', path, { nonEmpty: true });
  checkOptions(api, options, ['limit']);
  return connectStreams(api, { path }, path, options.limit);
}

/** Connects to `address` (a foreign wait) and wraps the socket in a reader and a writer. */
async function connectStreams(
  api: string,
  address: net.NetConnectOpts,
  where: string,
  limit: number = DEFAULT_LIMIT,
): Promise<[StreamReader, StreamWriter]> {
  checkLimit(api, limit);
  const socket = net.connect({ ...address, allowHalfOpen: true });
  try {
    await hostEvent(socket, 'connect', `${api.slice(0, -2)}(${where})`, {
      onAbort: () => socket.destroy(),
    });
  } catch (error) {
    if (isCancelled(error)) throw error;
    socket.destroy();
    throw toPythonError(error);
  }
  socket.setNoDelay(true);
  // A connection left open at the end of the run is dropped, as its server's are.
  socket.once(
    'close',
    atRunEnd(() => destroyAll([socket])),
  );
  return streamsFor(socket, limit);
}
