/**
 * asyncio's streams on Node's `net`: `openConnection` → `[StreamReader, StreamWriter]`,
 * `startServer` → `Server`, and the errors they raise.
 *
 * Each wait (connect, listen, data, drain, close) parks the task in a foreign kernel wait (the OS
 * wakes it, so a `MockClock` does not autojump past it); cancellation, edge or level, abandons the
 * wait without consuming data. Back-pressure as asyncio: a `StreamReader` pauses its socket once
 * it buffers more than twice its `limit`, and `drain()` waits while the write buffer is full.
 */
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import {
  HostWait,
  atRunEnd,
  checkBoolean,
  checkBytes,
  checkFunction,
  checkNumber,
  checkOptions,
  checkString,
  checkpoint,
  destroyAll,
  hostEvent,
  isCancelled,
} from '@duet/kernel';
import { RuntimeError, ValueError } from './errors';
import { getRunningLoop, type EventLoop } from './loop';
import type { Task as AsyncioTask } from './tasks';

/** The default buffer limit of a {@link StreamReader} (64 KiB), as asyncio. */
const DEFAULT_LIMIT = 2 ** 16;

// ---- errors -------------------------------------------------------------------------------------

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
    readonly partial: Buffer,
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

// ---- waiting ------------------------------------------------------------------------------------

function bytesOf(data: Uint8Array | string, api: string, name = 'data'): Buffer {
  checkBytes(api, name, data);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** @internal Checks a reader's buffer limit: an integer >= 1 (CPython: `Limit cannot be <= 0`). */
export function checkLimit(api: string, limit: unknown): void {
  checkNumber(api, 'limit', limit, { integer: true, min: 1 });
}

function checkPort(api: string, port: unknown): void {
  checkNumber(api, 'port', port, { integer: true, min: 0, max: 65535 });
}

// ---- StreamReader -------------------------------------------------------------------------------

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
export class StreamReader implements AsyncIterable<Buffer> {
  private buffer: Buffer = Buffer.alloc(0);
  private eof = false;
  private error: unknown = null;
  private waiter: HostWait | null = null;
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
    let open = sources.length;
    for (const source of sources) {
      let ended = false;
      const onEnd = (): void => {
        if (ended) return;
        ended = true;
        if (--open === 0) this.feedEof();
      };
      source.on('data', (chunk: Buffer) => this.feedData(chunk));
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

  /** Appends received bytes (asyncio's protocol side calls this). */
  feedData(data: Uint8Array): void {
    if (this.eof) throw new RuntimeError('feedData after feedEof');
    if (data.length === 0) return;
    this.buffer =
      this.buffer.length === 0 ? bytesOf(data, 'feedData()') : Buffer.concat([this.buffer, data]);
    this.wakeWaiter();
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
    this.wakeWaiter();
  }

  /** Makes the waiting and next reads raise `error`. */
  setException(error: unknown): void {
    this.error = error;
    const w = this.waiter;
    this.waiter = null;
    w?.fail(error);
  }

  /** The last exception set, or `null`. */
  exception(): unknown {
    return this.error;
  }

  /** True once the stream ended and the buffer is empty. */
  atEof(): boolean {
    return this.eof && this.buffer.length === 0;
  }

  private wakeWaiter(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.wake();
  }

  private maybeResume(): void {
    if (this.paused && this.buffer.length <= this.limit) {
      this.paused = false;
      for (const source of this.sources) source.resume();
    }
  }

  private async waitForData(api: string): Promise<void> {
    if (this.waiter !== null) {
      throw new RuntimeError(
        `${api}() called while another task is already waiting for incoming data`,
      );
    }
    if (this.eof) throw new RuntimeError(`${api}() waiting on a stream at EOF`);
    if (this.paused) {
      this.paused = false;
      for (const source of this.sources) source.resume();
    }
    const wait = new HostWait(`StreamReader.${api}`, {
      onAbort: () => {
        if (this.waiter === wait) this.waiter = null;
      },
    });
    this.waiter = wait;
    await wait.wait();
  }

  private take(n: number): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, n));
    this.buffer = this.buffer.subarray(n);
    this.maybeResume();
    return out;
  }

  /**
   * Reads up to `n` bytes (`n` < 0: until EOF; 0: nothing). Returns an empty Buffer at EOF.
   */
  async read(n = -1): Promise<Buffer> {
    checkNumber('read()', 'n', n, { integer: true });
    if (this.error !== null) throw this.error;
    if (n === 0) return Buffer.alloc(0);
    if (n < 0) {
      const parts: Buffer[] = [];
      for (;;) {
        const part = await this.read(this.limit);
        if (part.length === 0) break;
        parts.push(part);
      }
      return Buffer.concat(parts);
    }
    if (this.buffer.length === 0 && !this.eof) await this.waitForData('read');
    if (this.error !== null && this.buffer.length === 0) throw this.error;
    return this.take(Math.min(n, this.buffer.length));
  }

  /**
   * Reads one line ending in `\n` (kept). At EOF returns the partial last line, then empty. A
   * line longer than `limit` raises `ValueError` (and is dropped, as asyncio).
   */
  async readline(): Promise<Buffer> {
    try {
      return await this.readuntil('\n');
    } catch (err) {
      if (err instanceof IncompleteReadError) return err.partial;
      if (err instanceof LimitOverrunError) {
        const at = this.buffer.indexOf(10, err.consumed);
        this.take(at >= 0 ? at + 1 : this.buffer.length);
        throw new ValueError(err.message);
      }
      throw err;
    }
  }

  /**
   * Reads until `separator` (returned with the data). At EOF before it: `IncompleteReadError`
   * with what was read (consumed); past `limit` without it: `LimitOverrunError` (kept buffered).
   */
  async readuntil(separator: Uint8Array | string = '\n'): Promise<Buffer> {
    const sep = bytesOf(separator, 'readuntil()', 'separator');
    if (sep.length === 0)
      throw new ValueError('readuntil(): separator must be a non-empty string or bytes');
    if (this.error !== null) throw this.error;
    let from = 0;
    for (;;) {
      const at = this.buffer.indexOf(sep, from);
      if (at >= 0) {
        if (at > this.limit) {
          throw new LimitOverrunError('Separator is found, but chunk is longer than limit', at);
        }
        return this.take(at + sep.length);
      }
      if (this.buffer.length > this.limit) {
        throw new LimitOverrunError(
          'Separator is not found, and chunk exceed the limit',
          this.buffer.length,
        );
      }
      if (this.eof) {
        const partial = this.take(this.buffer.length);
        throw new IncompleteReadError(partial, null);
      }
      from = Math.max(0, this.buffer.length + 1 - sep.length);
      await this.waitForData('readuntil');
      if (this.error !== null) throw this.error;
    }
  }

  /** Reads exactly `n` bytes; `IncompleteReadError` (with the partial bytes, consumed) at EOF first. */
  async readexactly(n: number): Promise<Buffer> {
    checkNumber('readexactly()', 'n', n, { integer: true, min: 0 });
    if (this.error !== null) throw this.error;
    while (this.buffer.length < n) {
      if (this.eof) throw new IncompleteReadError(this.take(this.buffer.length), n);
      await this.waitForData('readexactly');
      if (this.error !== null) throw this.error;
    }
    return this.take(n);
  }

  /** Iterates over lines (as `readline`) until EOF. */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }
}

// ---- StreamWriter -------------------------------------------------------------------------------

/**
 * asyncio's `StreamWriter`: `write` buffers at once (no await); `await drain()` waits while the
 * buffer is above its high-water mark, so a writer that drains after each write cannot outrun a
 * slow reader. `close()` flushes and then closes; `await waitClosed()` waits for that.
 *
 * @example
 * ```ts
 * writer.write('hello\n');
 * await writer.drain();
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export class StreamWriter {
  private closing = false;
  private eofWritten = false;
  private error: unknown = null;
  private readonly drainWaiters = new Set<HostWait>();
  private readonly closeWaiters = new Set<HostWait>();

  /** @internal */
  constructor(
    /** The Node stream written to (the socket, or a child's stdin). */
    readonly transport: Writable,
    /** The reader of the same connection, if any. */
    readonly reader: StreamReader | null,
  ) {
    const wakeDrain = (): void => {
      for (const w of this.drainWaiters) w.wake();
      this.drainWaiters.clear();
    };
    transport.on('drain', wakeDrain);
    transport.on('error', (err: unknown) => {
      this.error ??= toPythonError(err);
      wakeDrain();
    });
    transport.on('close', () => {
      wakeDrain();
      for (const w of this.closeWaiters) w.wake();
      this.closeWaiters.clear();
    });
  }

  /** Buffers `data` for sending (UTF-8 for a string). Ignored once closing; `RuntimeError` after `writeEof`. */
  write(data: Uint8Array | string): void {
    const bytes = bytesOf(data, 'write()');
    if (this.eofWritten) throw new RuntimeError('Cannot call write() after write_eof()');
    if (this.closing || this.transport.destroyed) return;
    this.transport.write(bytes);
  }

  /** Writes each item of `data`. */
  writelines(data: Iterable<Uint8Array | string>): void {
    for (const item of data) this.write(item);
  }

  /** Closes the sending direction after the buffered data (the peer reads EOF). */
  writeEof(): void {
    if (this.eofWritten || this.closing) return;
    this.eofWritten = true;
    this.transport.end();
  }

  /** True: TCP sockets and pipes support `writeEof`. */
  canWriteEof(): boolean {
    return true;
  }

  /**
   * Waits until the write buffer is below its high-water mark. Raises the connection's error, or
   * `ConnectionResetError('Connection lost')` once it is closed.
   */
  async drain(): Promise<void> {
    if (this.error !== null) throw this.error;
    if (this.transport.destroyed || this.transport.closed) {
      await checkpoint();
      if (this.error !== null) throw this.error;
      throw new ConnectionResetError('Connection lost');
    }
    // Below the high-water mark there is nothing to wait for: CPython's drain() then returns
    // without yielding (no schedule point, no cancel point), and so does this one.
    if (!this.transport.writableNeedDrain) return;
    while (this.transport.writableNeedDrain && !this.transport.destroyed) {
      const wait = new HostWait('StreamWriter.drain', {
        onAbort: () => this.drainWaiters.delete(wait),
      });
      this.drainWaiters.add(wait);
      await wait.wait();
      if (this.error !== null) throw this.error;
    }
    if (this.transport.destroyed && this.error === null && !this.closing)
      throw new ConnectionResetError('Connection lost');
  }

  /** Starts closing: buffered data is flushed, then the transport is closed. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    const t = this.transport as Writable & { destroySoon?: () => void };
    if (t.writableFinished || this.eofWritten) t.destroy();
    else if (typeof t.destroySoon === 'function') t.destroySoon();
    else t.end(() => t.destroy());
  }

  /** True once `close()` was called or the transport closed. */
  isClosing(): boolean {
    return this.closing || this.transport.destroyed;
  }

  /** Waits until the transport has closed. */
  async waitClosed(): Promise<void> {
    if (this.transport.closed) {
      await checkpoint();
    } else {
      const wait = new HostWait('StreamWriter.waitClosed', {
        onAbort: () => this.closeWaiters.delete(wait),
      });
      this.closeWaiters.add(wait);
      await wait.wait();
    }
    if (this.error !== null && !(this.error instanceof ConnectionResetError)) throw this.error;
  }

  /**
   * Transport information, as asyncio: `'peername'` and `'sockname'` (`[host, port]`), `'socket'`
   * (the Node socket); `defaultValue` otherwise.
   */
  getExtraInfo(name: string, defaultValue: unknown = undefined): unknown {
    const s = this.transport;
    if (!(s instanceof net.Socket)) return defaultValue;
    switch (name) {
      case 'peername':
        return s.remoteAddress === undefined ? defaultValue : [s.remoteAddress, s.remotePort];
      case 'sockname':
        return s.localAddress === undefined ? defaultValue : [s.localAddress, s.localPort];
      case 'socket':
        return s;
      default:
        return defaultValue;
    }
  }
}

/** @internal A reader and writer over one socket. */
export function streamsFor(socket: net.Socket, limit: number): [StreamReader, StreamWriter] {
  const reader = new StreamReader(limit);
  reader._attach(socket);
  return [reader, new StreamWriter(socket, reader)];
}

// ---- openConnection -----------------------------------------------------------------------------

/**
 * Options of {@link openConnection}.
 *
 * @example
 * ```ts
 * await openConnection('127.0.0.1', port, { limit: 1 << 20 });
 * ```
 */
export interface OpenConnectionOptions {
  /** The reader's buffer limit (64 KiB by default). */
  limit?: number;
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
  const limit = options.limit ?? DEFAULT_LIMIT;
  checkLimit(api, limit);
  checkString(api, 'localAddr', options.localAddr, { nonEmpty: true, optional: true });
  const socket = net.connect({
    host,
    port,
    allowHalfOpen: true,
    ...(options.localAddr !== undefined ? { localAddress: options.localAddr } : {}),
  });
  try {
    await hostEvent(socket, 'connect', `openConnection(${host}:${port})`, {
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

// ---- startServer --------------------------------------------------------------------------------

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
 * A listening socket of a {@link Server}, as in `server.sockets`.
 *
 * @example
 * ```ts
 * const [host, port] = server.sockets[0].getsockname();
 * ```
 */
export interface ServerSocket {
  /** `[host, port]` of the bound address. */
  getsockname(): [string, number];
}

/**
 * Options of {@link startServer}.
 *
 * @example
 * ```ts
 * await startServer(handle, '127.0.0.1', 0, { backlog: 100, startServing: false });
 * ```
 */
export interface StartServerOptions {
  /** The readers' buffer limit (64 KiB by default). */
  limit?: number;
  /** The listen backlog. */
  backlog?: number;
  /** Start accepting at once (the default); otherwise call `startServing()` or `serveForever()`. */
  startServing?: boolean;
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
export class Server implements AsyncDisposable {
  private readonly connections = new Set<StreamWriter>();
  private readonly closeWaiters = new Set<HostWait>();
  private closed = false;
  private serving = false;
  private readonly tasks = new Set<AsyncioTask<unknown>>();

  /** @internal */
  constructor(
    /** The Node server. */
    readonly server: net.Server,
    private readonly loop: EventLoop,
    private readonly callback: ClientConnectedCallback,
    private readonly limit: number,
    private readonly listenOptions: net.ListenOptions,
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
      return Promise.all([closed, destroyAll([...this.connections].map((w) => w.transport))]).then(
        () => {},
      );
    });
  }

  private readonly forget: () => void;

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const [reader, writer] = streamsFor(socket, this.limit);
    this.connections.add(writer);
    socket.on('close', () => {
      this.connections.delete(writer);
      this.checkClosed();
    });
    const task = this.loop.createTask(async () => {
      try {
        await this.callback(reader, writer);
      } catch (err) {
        writer.close();
        throw err;
      }
    });
    this.tasks.add(task as AsyncioTask<unknown>);
    task.addDoneCallback(() => this.tasks.delete(task as AsyncioTask<unknown>));
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
    this.serving = true;
  }

  /** The listening sockets (empty once closed). */
  get sockets(): ServerSocket[] {
    const a = this.server.address();
    if (a === null || typeof a === 'string') return [];
    return [{ getsockname: () => [a.address, a.port] }];
  }

  /** True while it accepts connections. */
  isServing(): boolean {
    return this.serving && !this.closed;
  }

  /** Starts accepting connections (if not already). */
  async startServing(): Promise<void> {
    if (this.closed) throw new RuntimeError(`server ${String(this.server.address())} is closed`);
    if (!this.serving) await this._listen();
    else await checkpoint();
  }

  /** Serves until cancelled; then closes and waits for the connections to end. */
  async serveForever(): Promise<never> {
    if (this.closed) throw new RuntimeError('server is closed');
    await this.startServing();
    try {
      const wait = new HostWait('Server.serveForever');
      await wait.wait();
      throw new RuntimeError('unreachable');
    } finally {
      this.close();
    }
  }

  /** Stops listening; open connections are left alone (see `closeClients`). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.serving = false;
    if (this.server.listening) this.server.close();
    this.checkClosed();
  }

  /** Closes every client connection (after flushing). */
  closeClients(): void {
    for (const w of this.connections) w.close();
  }

  /** Drops every client connection at once. */
  abortClients(): void {
    for (const w of this.connections) w.transport.destroy();
  }

  private checkClosed(): void {
    if (!this.closed || this.connections.size !== 0) return;
    this.forget();
    for (const w of this.closeWaiters) w.wake();
    this.closeWaiters.clear();
  }

  /** Waits until the server is closed and all its connections have ended. */
  async waitClosed(): Promise<void> {
    if (this.closed && this.connections.size === 0) {
      await checkpoint();
      return;
    }
    const wait = new HostWait('Server.waitClosed', {
      onAbort: () => this.closeWaiters.delete(wait),
    });
    this.closeWaiters.add(wait);
    await wait.wait();
  }

  /** `close()`, then `waitClosed()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
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
  // Everything is checked before the server exists: a bad limit would otherwise fail in Node's
  // 'connection' event, out of reach of any caller.
  const api = 'startServer()';
  checkFunction(api, clientConnected);
  if (host !== null) checkString(api, 'host', host, { nonEmpty: true });
  checkPort(api, port);
  checkOptions(api, options, ['limit', 'backlog', 'startServing']);
  const limit = options.limit ?? DEFAULT_LIMIT;
  checkLimit(api, limit);
  if (options.backlog !== undefined)
    checkNumber(api, 'backlog', options.backlog, { integer: true, min: 0 });
  checkBoolean(api, 'startServing', options.startServing, true);
  const loop = getRunningLoop();
  const server = new Server(
    net.createServer({ allowHalfOpen: true, pauseOnConnect: true }),
    loop,
    clientConnected,
    limit,
    {
      port,
      ...(host !== null ? { host } : {}),
      ...(options.backlog !== undefined ? { backlog: options.backlog } : {}),
    },
  );
  if (options.startServing !== false) await server._listen();
  else await checkpoint();
  return server;
}
