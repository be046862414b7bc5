/**
 * TCP in Trio style on Node's `net`: `SocketStream`, `openTcpStream` (with Happy Eyeballs),
 * `SocketListener`, `openTcpListeners`, `serveListeners` and `serveTcp`.
 *
 * Sockets are opened with `allowHalfOpen`, so `sendEof` closes only our direction, and with
 * `noDelay` as Trio does. Every wait (connect, listen, accept, receive, drain) is a foreign park:
 * cancellation abandons it and destroys what was half made, so no handle stays open.
 */
import net from 'node:net';
import { promises as dns } from 'node:dns';
import {
  ExceptionGroup,
  Nursery,
  TASK_STATUS_IGNORED,
  awaitForeign,
  checkFunction,
  checkInstance,
  checkNumber,
  checkOptions,
  checkString,
  cancelShieldedCheckpoint,
  checkpoint,
  checkpointIfCancelled,
  isCancelled,
  type TaskStatus,
  HostWait,
  hostEvent,
} from '@duet/kernel';
import { BusyResourceError, ClosedResourceError } from './errors';
import { openNursery } from './run';
import { ReadableReceiveStream, WritableSendStream, waitStreamClosed } from './node-streams';
import {
  DEFAULT_RECEIVE_BUFFER,
  checkBufferSize,
  type AsyncResource,
  type Bytes,
  type HalfCloseableStream,
} from './stream-abc';
import { Event } from './sync';
import { moveOnAfter } from './timeouts';

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
    readonly socket: net.Socket,
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

// ---- connecting ---------------------------------------------------------------------------------

/**
 * Options of {@link openTcpStream}.
 *
 * @example
 * ```ts
 * await openTcpStream('example.com', 443, { happyEyeballsDelay: 0.1 });
 * ```
 */
export interface OpenTcpStreamOptions {
  /**
   * Seconds to wait for an attempt before starting the next one in parallel (RFC 8305
   * "Happy Eyeballs"); 0.25 by default, as Trio. `Infinity` tries one address at a time.
   */
  happyEyeballsDelay?: number;
  /** The local address to bind before connecting. */
  localAddress?: string;
}

interface Target {
  address: string;
  family: 4 | 6;
}

const OPEN_TCP_STREAM_OPTIONS = ['happyEyeballsDelay', 'localAddress'] as const;
const OPEN_TCP_LISTENERS_OPTIONS = ['host', 'backlog'] as const;
const SERVE_LISTENERS_OPTIONS = ['handlerNursery', 'taskStatus'] as const;

function checkPort(api: string, port: unknown): void {
  checkNumber(api, 'port', port, { integer: true, min: 0, max: 65535 });
}

function checkListenOptions(api: string, options: OpenTcpListenersOptions): void {
  checkString(api, 'host', options.host, { nonEmpty: true, optional: true });
  if (options.backlog !== undefined)
    checkNumber(api, 'backlog', options.backlog, { integer: true, min: 0 });
}

/** Resolves `host`; the families alternate, the first resolved address first (RFC 8305). */
async function resolveTargets(host: string): Promise<Target[]> {
  const literal = net.isIP(host);
  if (literal !== 0) {
    await checkpoint();
    return [{ address: host, family: literal as 4 | 6 }];
  }
  const found = await awaitForeign(dns.lookup(host, { all: true, verbatim: true }));
  const first = found.filter((a) => a.family === found[0]?.family);
  const other = found.filter((a) => a.family !== found[0]?.family);
  const out: Target[] = [];
  for (let i = 0; i < Math.max(first.length, other.length); i++) {
    if (i < first.length) out.push(first[i] as Target);
    if (i < other.length) out.push(other[i] as Target);
  }
  return out;
}

async function connectOne(
  target: Target,
  port: number,
  localAddress?: string,
): Promise<net.Socket> {
  const socket = net.connect({
    host: target.address,
    port,
    family: target.family,
    allowHalfOpen: true,
    ...(localAddress !== undefined ? { localAddress } : {}),
  });
  try {
    await hostEvent(socket, 'connect', `connect(${target.address}:${port})`);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}

/**
 * `trio.open_tcp_stream`: connects to `host:port` and returns a {@link SocketStream}. When `host`
 * resolves to several addresses, attempts start one after the other, `happyEyeballsDelay` apart
 * or as soon as the previous one fails, and the first to connect wins (the others are cancelled).
 * If every attempt fails: the error itself for a single address, else an `Error` whose `cause` is
 * an `ExceptionGroup` of all of them (its `code` is the first one's, e.g. `'ECONNREFUSED'`).
 *
 * @example
 * ```ts
 * const stream = await openTcpStream('localhost', 8080);
 * try { await stream.sendAll('GET / HTTP/1.0\r\n\r\n'); } finally { await stream.aclose(); }
 * ```
 */
export async function openTcpStream(
  host: string,
  port: number,
  options: OpenTcpStreamOptions = {},
): Promise<SocketStream> {
  const api = 'openTcpStream()';
  checkString(api, 'host', host, { nonEmpty: true });
  checkPort(api, port);
  checkOptions(api, options, OPEN_TCP_STREAM_OPTIONS);
  const delay = options.happyEyeballsDelay ?? 0.25;
  checkNumber(api, 'happyEyeballsDelay', delay, { min: 0, unit: 'seconds' });
  checkString(api, 'localAddress', options.localAddress, { nonEmpty: true, optional: true });
  const targets = await resolveTargets(host);
  if (targets.length === 0) throw new Error(`no address found for ${host}`);

  let winner: net.Socket | null = null;
  const errors: unknown[] = [];
  try {
    await openNursery(async (nursery) => {
      const attempt = async (target: Target, failed: Event): Promise<void> => {
        try {
          const socket = await connectOne(target, port, options.localAddress);
          if (winner !== null) {
            socket.destroy();
            return;
          }
          winner = socket;
          nursery.cancelScope.cancel();
        } catch (err) {
          if (isCancelled(err)) throw err;
          errors.push(err);
          failed.set();
        }
      };
      for (const target of targets) {
        const failed = new Event();
        nursery.startSoon(attempt, target, failed);
        await moveOnAfter(delay, () => failed.wait());
      }
    });
  } catch (err) {
    (winner as net.Socket | null)?.destroy();
    throw err;
  }
  if (winner !== null) return new SocketStream(winner);
  if (errors.length === 1) throw errors[0];
  const group = new ExceptionGroup(`connecting to ${host}:${port}`, errors as Error[]);
  const error = new Error(`all ${errors.length} attempts to connect to ${host}:${port} failed`, {
    cause: group,
  });
  Object.assign(error, { code: (errors[0] as { code?: string }).code });
  throw error;
}

// ---- listening ----------------------------------------------------------------------------------

/**
 * `trio.SocketListener`: a listening TCP socket; `accept()` returns the next connection as a
 * {@link SocketStream}. Connections that arrive before anyone calls `accept` wait in a queue.
 *
 * @example
 * ```ts
 * const [listener] = await openTcpListeners(0, { host: '127.0.0.1' });
 * const stream = await listener.accept();
 * ```
 */
export class SocketListener implements AsyncResource {
  private readonly queue: SocketStream[] = [];
  private readonly waiter = new HostWait('accept');
  private error: unknown = undefined;
  private closed = false;
  private busy = false;

  constructor(
    /** The Node server (listening, or about to). The listener owns it. */
    readonly server: net.Server,
  ) {
    checkInstance('new SocketListener()', 'server', server, net.Server, 'a net.Server');
    server.on('connection', (socket: net.Socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.queue.push(new SocketStream(socket));
      this.waiter.wake();
    });
    server.on('error', (err: unknown) => {
      this.error ??= err;
      this.waiter.wake();
    });
  }

  /** The address the listener is bound to (read the port of a listener opened on port 0 here). */
  getsockname(): SocketAddress {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new ClosedResourceError('not listening');
    return { address: a.address, port: a.port, family: a.family };
  }

  /** Waits for the next connection. One task at a time: a second caller gets `BusyResourceError`. */
  async accept(): Promise<SocketStream> {
    if (this.closed) throw new ClosedResourceError('this listener was closed');
    if (this.busy)
      throw new BusyResourceError('another task is already accepting on this listener');
    this.busy = true;
    try {
      await checkpointIfCancelled();
      let waited = false;
      while (this.queue.length === 0) {
        if (this.error !== undefined) throw this.error;
        await this.waiter.wait();
        waited = true;
      }
      const stream = this.queue.shift()!;
      if (!waited) await cancelShieldedCheckpoint();
      return stream;
    } finally {
      this.busy = false;
    }
  }

  /** @internal */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.server.listening) this.server.close();
    for (const stream of this.queue.splice(0)) stream.closeNow();
    this.waiter.fail(new ClosedResourceError('the listener was closed while a task waited on it'));
  }

  /** Stops listening and drops connections not accepted yet. */
  async aclose(): Promise<void> {
    this.closeNow();
    await checkpoint();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/**
 * Options of {@link openTcpListeners}.
 *
 * @example
 * ```ts
 * await openTcpListeners(8080, { host: '127.0.0.1', backlog: 100 });
 * ```
 */
export interface OpenTcpListenersOptions {
  /** The address(es) to bind: a name is resolved and every address gets a listener; by default every interface (one dual-stack listener). */
  host?: string;
  /** The length of the kernel's queue of connections not accepted yet. */
  backlog?: number;
}

async function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  const listening = hostEvent(
    server,
    'listening',
    `listen(${options.host ?? '*'}:${options.port})`,
  );
  server.listen(options);
  await listening;
}

/**
 * `trio.open_tcp_listeners`: listens on `port` (0 picks a free one) and returns one
 * {@link SocketListener} per bound address.
 *
 * @example
 * ```ts
 * const listeners = await openTcpListeners(0, { host: '127.0.0.1' });
 * console.log(listeners[0].getsockname().port);
 * ```
 */
export async function openTcpListeners(
  port: number,
  options: OpenTcpListenersOptions = {},
): Promise<SocketListener[]> {
  checkPort('openTcpListeners()', port);
  checkOptions('openTcpListeners()', options, OPEN_TCP_LISTENERS_OPTIONS);
  checkListenOptions('openTcpListeners()', options);
  const hosts: (string | undefined)[] =
    options.host === undefined
      ? [undefined]
      : net.isIP(options.host) !== 0
        ? [options.host]
        : (await awaitForeign(dns.lookup(options.host, { all: true }))).map((a) => a.address);
  const listeners: SocketListener[] = [];
  try {
    for (const host of hosts) {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
      const listener = new SocketListener(server);
      listeners.push(listener);
      await listen(server, {
        port,
        ...(host !== undefined ? { host } : {}),
        ...(options.backlog !== undefined ? { backlog: options.backlog } : {}),
      });
    }
  } catch (err) {
    for (const l of listeners) l.closeNow();
    throw err;
  }
  return listeners;
}

// ---- serving ------------------------------------------------------------------------------------

/**
 * A connection handler of {@link serveListeners} / {@link serveTcp}; the stream is closed when it returns.
 *
 * @example
 * ```ts
 * const echo: StreamHandler = async (stream) => { for await (const c of stream) await stream.sendAll(c); };
 * ```
 */
export type StreamHandler = (stream: SocketStream) => unknown;

/**
 * Options of {@link serveListeners}.
 *
 * @example
 * ```ts
 * await serveListeners(handler, listeners, { handlerNursery: nursery });
 * ```
 */
export interface ServeListenersOptions {
  /** Where handler tasks run; by default a nursery inside the serving task. */
  handlerNursery?: Nursery;
  /** The status of `nursery.start` (also accepted as the last argument). */
  taskStatus?: TaskStatus<SocketListener[]>;
}

/**
 * Options of {@link serveTcp}.
 *
 * @example
 * ```ts
 * const [listener] = await nursery.start(serveTcp, handler, 0, { host: '127.0.0.1' });
 * ```
 */
export interface ServeTcpOptions extends ServeListenersOptions, OpenTcpListenersOptions {}

function isTaskStatus(value: unknown): value is TaskStatus<SocketListener[]> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { started?: unknown }).started === 'function'
  );
}

/** The options and the task status of a serving call, checked (`api` names it for the messages). */
function splitOptions<O extends ServeListenersOptions>(
  api: string,
  allowed: readonly string[],
  options: O | TaskStatus<SocketListener[]> | undefined,
  taskStatus: TaskStatus<SocketListener[]> | undefined,
): [O, TaskStatus<SocketListener[]>] {
  if (isTaskStatus(options)) return [{} as O, options];
  checkOptions(api, options, allowed);
  const opts = options ?? ({} as O);
  if (opts.handlerNursery !== undefined)
    checkInstance(api, 'handlerNursery', opts.handlerNursery, Nursery, 'a Nursery');
  const status = taskStatus ?? opts.taskStatus ?? TASK_STATUS_IGNORED;
  if (!isTaskStatus(status)) {
    throw new TypeError(`${api}: taskStatus must be the status nursery.start() passes`);
  }
  return [opts, status];
}

async function runHandler(handler: StreamHandler, stream: SocketStream): Promise<void> {
  try {
    await handler(stream);
  } finally {
    await stream.closeAndWait();
  }
}

async function acceptLoop(
  listener: SocketListener,
  handler: StreamHandler,
  handlers: Nursery,
): Promise<never> {
  try {
    for (;;) {
      const stream = await listener.accept();
      handlers.startSoon(runHandler, handler, stream);
    }
  } finally {
    listener.closeNow();
  }
}

/**
 * `trio.serve_listeners`: accepts connections on every listener forever, running
 * `handler(stream)` in a new task for each (the stream is closed when the handler returns).
 * Cancel the surrounding scope to stop: the listeners are closed. With `nursery.start`, it reports
 * the listeners once it is accepting.
 *
 * @example
 * ```ts
 * await openNursery(async (nursery) => {
 *   const listeners = await openTcpListeners(0, { host: '127.0.0.1' });
 *   await nursery.start(serveListeners, echo, listeners);
 * });
 * ```
 */
export async function serveListeners(
  handler: StreamHandler,
  listeners: readonly SocketListener[],
  options?: ServeListenersOptions | TaskStatus<SocketListener[]>,
  taskStatus?: TaskStatus<SocketListener[]>,
): Promise<never> {
  const api = 'serveListeners()';
  checkFunction(api, handler);
  if (!Array.isArray(listeners)) {
    throw new TypeError(
      `${api}: listeners must be an array of SocketListener, as openTcpListeners() returns`,
    );
  }
  listeners.forEach((l, i) =>
    checkInstance(api, `listeners[${i}]`, l, SocketListener, 'a SocketListener'),
  );
  const [opts, status] = splitOptions<ServeListenersOptions>(
    api,
    SERVE_LISTENERS_OPTIONS,
    options,
    taskStatus,
  );
  try {
    await openNursery(async (nursery) => {
      const handlers = opts.handlerNursery ?? nursery;
      for (const listener of listeners) nursery.startSoon(acceptLoop, listener, handler, handlers);
      status.started([...listeners]);
    });
  } finally {
    for (const listener of listeners) listener.closeNow();
  }
  throw new Error('unreachable: serveListeners ended without being cancelled');
}

/**
 * `trio.serve_tcp`: opens TCP listeners on `port` and serves them with {@link serveListeners}.
 * Run it with `nursery.start` to learn the listeners (and so the port, when `port` is 0) once it
 * accepts connections.
 *
 * @example
 * ```ts
 * await openNursery(async (nursery) => {
 *   const [listener] = await nursery.start(serveTcp, echo, 0, { host: '127.0.0.1' });
 *   const port = listener.getsockname().port;
 *   // ... connect to port ...
 *   nursery.cancelScope.cancel();
 * });
 * ```
 */
export async function serveTcp(
  handler: StreamHandler,
  port: number,
  options?: ServeTcpOptions | TaskStatus<SocketListener[]>,
  taskStatus?: TaskStatus<SocketListener[]>,
): Promise<never> {
  // Everything is checked before a listener opens: none is left behind by a bad argument.
  const api = 'serveTcp()';
  checkFunction(api, handler);
  checkPort(api, port);
  const [opts, status] = splitOptions<ServeTcpOptions>(
    api,
    [...SERVE_LISTENERS_OPTIONS, ...OPEN_TCP_LISTENERS_OPTIONS],
    options,
    taskStatus,
  );
  checkListenOptions(api, opts);
  const listenOptions: OpenTcpListenersOptions = {};
  if (opts.host !== undefined) listenOptions.host = opts.host;
  if (opts.backlog !== undefined) listenOptions.backlog = opts.backlog;
  const listeners = await openTcpListeners(port, listenOptions);
  const serveOptions: ServeListenersOptions = {};
  if (opts.handlerNursery !== undefined) serveOptions.handlerNursery = opts.handlerNursery;
  return serveListeners(handler, listeners, serveOptions, status);
}
