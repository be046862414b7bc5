/**
 * asyncio's `Server` and `asyncio.start_server` on Node's `net`: listening is a foreign kernel
 * wait, each connection runs its callback as a new Task.
 */
import { lstatSync, renameSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import {
  HostWait,
  atRunEnd,
  checkBoolean,
  checkFunction,
  checkNumber,
  checkOptions,
  checkString,
  checkpoint,
  destroyAll,
  hostEvent,
  isCancelled,
  type NodeServer,
} from '@duet/kernel';
import { checkPort } from './connection';
import { CancelledError, RuntimeError } from './errors';
import { getRunningLoop } from './events';
import type { EventLoop } from './loop';
import { toPythonError } from './stream-errors';
import { DEFAULT_LIMIT, checkLimit, type StreamReader } from './stream-reader';
import { streamsFor, type StreamWriter } from './stream-writer';
import type { Task as AsyncioTask } from './tasks';

/** Listens for a held connection's errors, which its callback will not see. */
const ignoreError = (): void => {};

/**
 * The callback of {@link startServer}, run as a new Task for each connection.
 *
 * @example
 * ```ts
 * const handle: ClientConnectedCallback = async (reader, writer) => { writer.write(await reader.read(100)); };
 * ```
 */
export type ClientConnectedCallback = (reader: StreamReader, writer: StreamWriter) => unknown;

/**
 * A listening socket of a {@link Server}, as in `server.sockets`. `Name` is what `getsockname()`
 * gives: `[host, port]` for TCP, the path for a Unix socket ({@link startUnixServer}).
 *
 * @example
 * ```ts
 * const [host, port] = server.sockets[0].getsockname();
 * ```
 */
export interface ServerSocket<Name = [string, number]> {
  /** The bound address: `[host, port]`, or a Unix socket's path. */
  getsockname(): Name;
}

/**
 * Options of {@link startServer}.
 *
 * @example
 * ```ts
 * await startServer(handle, '127.0.0.1', 0, { backlog: 100, startServing: false });
 * ```
 */
export interface StartServerOptions extends Omit<StartUnixServerOptions, 'cleanupSocket'> {
  /** Turn on TCP keep-alive (`SO_KEEPALIVE`) for each accepted connection, as 3.13's `keep_alive`. */
  keepAlive?: boolean;
}

/**
 * Options of {@link startUnixServer} (and, with `keepAlive`, of {@link startServer}).
 *
 * @example
 * ```ts
 * await startUnixServer(handle, '/tmp/app.sock', { limit: 1 << 20 });
 * ```
 */
export interface StartUnixServerOptions {
  /** The readers' buffer limit (64 KiB by default). */
  limit?: number;
  /** The listen backlog. */
  backlog?: number;
  /**
   * Serve at once (the default). With `false` the server is still bound (its port known, a taken
   * address an error at the call) but connections wait until `startServing()` or `serveForever()`.
   */
  startServing?: boolean;
  /**
   * Remove the socket file when the server closes (the default), if it is still the one the
   * server made, as 3.13's `cleanup_socket`; `false` leaves it.
   */
  cleanupSocket?: boolean;
}

/**
 * asyncio's `Server`, from {@link startServer}. `close()` stops listening (connections go on);
 * `waitClosed()` waits until it is closed and its connections have ended; `serveForever()` serves
 * until cancelled, then closes. `await using server = await startServer(...)` closes and waits.
 *
 * @example
 * ```ts
 * await using server = await startServer(handle, '127.0.0.1', 0);
 * const [, port] = server.sockets[0].getsockname();
 * ```
 */
export class Server<Name = [string, number]> implements AsyncDisposable {
  /** Each open connection, with the Task running its callback. */
  private readonly connections = new Map<StreamWriter, AsyncioTask<unknown>>();
  /** Tasks waiting for a change: a connection closed, a callback ended, the server closed. */
  private readonly changeWaiters = new Set<HostWait>();
  private closed = false;
  private serving = false;
  /** Where `serveForever()` waits; `close()` fails it with `CancelledError`, as CPython's. */
  private foreverWait: HostWait | null = null;
  /** The socket file a Unix server made (device and inode), once it listens. */
  private socketFile: { dev: number; ino: number } | null = null;
  /** Connections accepted before serving started, handed to the callback once it does. */
  private held: net.Socket[] = [];

  /** @internal */
  constructor(
    /** The Node server. */
    readonly server: NodeServer,
    private readonly loop: EventLoop,
    private readonly callback: ClientConnectedCallback,
    private readonly limit: number,
    private readonly listenOptions: net.ListenOptions,
    private readonly cleanupSocket = true,
  ) {
    server.on('connection', (socket: net.Socket) => this.accept(socket));
    server.on('error', () => {});
    // Left open at the end of the run, it is closed with its connections: no task is left to serve
    // them (CPython leaves that to the process exit that follows asyncio.run).
    this.forget = atRunEnd(() => {
      const closed = server.listening
        ? new Promise<void>((resolve) => server.once('close', () => resolve()))
        : undefined;
      this.close();
      return Promise.all([
        closed,
        destroyAll([...this.connections.keys()].map((w) => w.transport)),
      ]).then(() => {});
    });
  }

  private readonly forget: () => void;

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (!this.serving) {
      // Node cannot bind without listening: until serving starts, a connection waits (paused,
      // as in a listen backlog); a reset meanwhile must not be an unhandled 'error'.
      socket.on('error', ignoreError);
      this.held.push(socket);
      return;
    }
    socket.setNoDelay(true);
    const [reader, writer] = streamsFor(socket, this.limit);
    const task = this.loop.createTask(() => this.callback(reader, writer));
    this.connections.set(writer, task as AsyncioTask<unknown>);
    socket.on('close', () => {
      this.connections.delete(writer);
      this.changed();
    });
    // As CPython's stream protocol: a callback that fails is reported at once (its error is
    // then retrieved) and its connection closed; so is one that was cancelled.
    task.addDoneCallback(() => {
      if (task.cancelled()) writer.close();
      else if (task.exception() !== null) {
        this.loop.callExceptionHandler({
          message: 'Unhandled exception in client_connected_cb',
          exception: task.exception(),
          transport: socket,
        });
        writer.close();
      }
      this.changed();
    });
  }

  private changed(): void {
    if (this.closed && this.connections.size === 0) this.forget();
    for (const w of this.changeWaiters) w.wake();
    this.changeWaiters.clear();
  }

  /** Waits until `done()` holds, checked at each change. */
  private async waitUntil(what: string, done: () => boolean): Promise<void> {
    while (!done()) {
      const wait = new HostWait(what, { onAbort: () => this.changeWaiters.delete(wait) });
      this.changeWaiters.add(wait);
      await wait.wait();
    }
  }

  /** @internal */
  async _listen(): Promise<void> {
    const listening = hostEvent(this.server, 'listening', 'Server listen', {
      onAbort: () => this.server.close(),
    });
    this.server.listen(this.listenOptions);
    try {
      await listening;
    } catch (error) {
      throw isCancelled(error) ? error : toPythonError(error);
    }
    if (this.listenOptions.path !== undefined) {
      const { dev, ino } = statSync(this.listenOptions.path);
      this.socketFile = { dev, ino };
    }
  }

  /** @internal Starts serving: the connections held until now go to the callback. */
  _serve(): void {
    this.serving = true;
    const held = this.held;
    this.held = [];
    for (const socket of held) {
      socket.off('error', ignoreError);
      if (!socket.destroyed) this.accept(socket);
    }
  }

  /** The listening sockets (empty once closed). */
  get sockets(): ServerSocket<Name>[] {
    const a = this.server.address();
    if (a === null) return [];
    const name = (typeof a === 'string' ? a : [a.address, a.port]) as Name;
    return [{ getsockname: () => name }];
  }

  /** True while it accepts connections. */
  isServing(): boolean {
    return this.serving && !this.closed;
  }

  /** Starts accepting connections (if not already). */
  async startServing(): Promise<void> {
    if (this.closed) throw new RuntimeError(`server ${String(this)} is closed`);
    if (!this.serving) this._serve();
    await checkpoint();
  }

  /**
   * Serves until cancelled, or until `close()` (which makes it raise `CancelledError`, as in
   * CPython); then closes and, before raising, waits for the connections whose callbacks still
   * run. A `RuntimeError` when closed, or while another `serveForever()` runs.
   */
  async serveForever(): Promise<never> {
    if (this.foreverWait !== null)
      throw new RuntimeError(`server ${String(this)} is already being awaited on serveForever()`);
    if (this.closed) throw new RuntimeError(`server ${String(this)} is closed`);
    const wait = new HostWait('Server.serveForever');
    this.foreverWait = wait;
    try {
      await this.startServing();
      if (this.closed) throw new CancelledError();
      await wait.wait();
      throw new RuntimeError('unreachable');
    } catch (err) {
      if (isCancelled(err)) {
        this.close();
        // CPython waits in waitClosed() for every connection; one whose callback has returned
        // would only close when garbage-collected there, so this waits for the callbacks.
        await this.waitUntil('Server.serveForever (closing)', () =>
          [...this.connections.values()].every((task) => task.done()),
        );
      }
      throw err;
    } finally {
      this.foreverWait = null;
    }
  }

  /** Stops listening; open connections are left alone (see `closeClients`). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.serving = false;
    if (this.server.listening) this.closeListener();
    for (const socket of this.held) socket.destroy();
    this.held = [];
    this.foreverWait?.fail(new CancelledError());
    this.changed();
  }

  /**
   * Stops listening. Closing a Unix socket, libuv always removes the file at its path; CPython
   * removes it only if cleanup is on and it is still the server's own (not replaced since). A
   * file to keep is moved aside over the close, which removes the path synchronously, and back.
   */
  private closeListener(): void {
    const path = this.listenOptions.path;
    let file: { dev: number; ino: number } | null = null;
    try {
      if (path !== undefined) file = lstatSync(path);
    } catch {
      // Gone already: nothing to keep.
    }
    const own =
      file !== null &&
      this.socketFile !== null &&
      file.dev === this.socketFile.dev &&
      file.ino === this.socketFile.ino;
    if (file === null || (own && this.cleanupSocket)) {
      this.server.close();
      return;
    }
    const aside = `${path!}.${process.pid}.closing`;
    renameSync(path!, aside);
    try {
      this.server.close();
    } finally {
      renameSync(aside, path!);
    }
  }

  /** Closes every client connection (after flushing). */
  closeClients(): void {
    for (const w of this.connections.keys()) w.close();
  }

  /** Drops every client connection at once. */
  abortClients(): void {
    for (const w of this.connections.keys()) w.transport.destroy();
  }

  /**
   * Waits until the server is closed and all its connections have ended; once they have, it
   * returns without yielding, as CPython's.
   */
  async waitClosed(): Promise<void> {
    await this.waitUntil('Server.waitClosed', () => this.closed && this.connections.size === 0);
  }

  /** `close()`, then `waitClosed()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** `<Server sockets=[host:port]>`, as CPython's repr. */
  toString(): string {
    const names = this.sockets.map((s) => {
      const name: unknown = s.getsockname();
      return Array.isArray(name) ? name.join(':') : String(name);
    });
    return `<Server sockets=[${names.join(', ')}]>`;
  }
}

/**
 * `asyncio.start_server`: listens on `host:port` (port 0 picks a free one) and runs
 * `clientConnected(reader, writer)` as a new Task for each connection.
 *
 * @example
 * ```ts
 * const server = await startServer(async (reader, writer) => {
 *   writer.write(await reader.readline());
 *   await writer.drain();
 *   writer.close();
 * }, '127.0.0.1', 0);
 * await server.serveForever();
 * ```
 */
export async function startServer(
  clientConnected: ClientConnectedCallback,
  host: string | null,
  port: number,
  options: StartServerOptions = {},
): Promise<Server> {
  const api = 'startServer()';
  checkFunction(api, clientConnected);
  if (host !== null) checkString(api, 'host', host, { nonEmpty: true });
  checkPort(api, port);
  checkOptions(api, options, ['limit', 'backlog', 'startServing', 'keepAlive']);
  checkBoolean(api, 'keepAlive', options.keepAlive, true);
  return listenOn(api, clientConnected, { port, ...(host !== null ? { host } : {}) }, options);
}

/**
 * `asyncio.start_unix_server`: listens on the Unix socket at `path` and runs
 * `clientConnected(reader, writer)` as a new Task for each connection. A socket file already at
 * `path` is removed first and the file is removed again when the server closes, unless
 * `cleanupSocket: false` or another socket has replaced it since, as CPython 3.13's
 * `cleanup_socket`; any other file there is an error with `code` `'EADDRINUSE'`.
 * `sockets[0].getsockname()` gives the path.
 *
 * @example
 * ```ts
 * await using server = await startUnixServer(async (reader, writer) => {
 *   writer.write(await reader.readline());
 *   writer.close();
 * }, '/tmp/echo.sock');
 * ```
 */
export async function startUnixServer(
  clientConnected: ClientConnectedCallback,
  path: string,
  options: StartUnixServerOptions = {},
): Promise<Server<string>> {
  const api = 'startUnixServer()';
  checkFunction(api, clientConnected);
  checkString(api, 'path', path, { nonEmpty: true });
  checkOptions(api, options, ['limit', 'backlog', 'startServing', 'cleanupSocket']);
  checkBoolean(api, 'cleanupSocket', options.cleanupSocket, true);
  removeStaleSocket(path);
  return listenOn(api, clientConnected, { path }, options);
}

/** As CPython: a socket file left at `path` (by a server that died) is removed; any other file stays. */
function removeStaleSocket(path: string): void {
  try {
    if (statSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there (or not ours to remove): listening reports what is wrong.
  }
}

/** The server of {@link startServer} / {@link startUnixServer}, on `address`. */
async function listenOn<Name>(
  api: string,
  clientConnected: ClientConnectedCallback,
  address: net.ListenOptions,
  options: StartServerOptions & StartUnixServerOptions,
): Promise<Server<Name>> {
  // Everything is checked before the server exists: a bad limit would otherwise fail in Node's
  // 'connection' event, out of reach of any caller.
  const limit = options.limit ?? DEFAULT_LIMIT;
  checkLimit(api, limit);
  if (options.backlog !== undefined)
    checkNumber(api, 'backlog', options.backlog, { integer: true, min: 0 });
  checkBoolean(api, 'startServing', options.startServing, true);
  const loop = getRunningLoop();
  const server = new Server<Name>(
    net.createServer({
      allowHalfOpen: true,
      pauseOnConnect: true,
      ...(options.keepAlive === true ? { keepAlive: true } : {}),
    }),
    loop,
    clientConnected,
    limit,
    { ...address, ...(options.backlog !== undefined ? { backlog: options.backlog } : {}) },
    options.cleanupSocket !== false,
  );
  // Bound (and listening) at once, as CPython binds: the port is known and a taken address fails
  // here, even when serving starts later.
  await server._listen();
  if (options.startServing !== false) server._serve();
  return server;
}
