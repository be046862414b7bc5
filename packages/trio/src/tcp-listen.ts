/**
 * `SocketListener` and `openTcpListeners`: listening TCP sockets (with `allowHalfOpen`, as the
 * streams they accept). Listening and accepting are foreign parks; a failed open closes the
 * listeners already made, so no handle stays open.
 */
import net from 'node:net';
import { promises as dns } from 'node:dns';
import {
  HostWait,
  awaitForeign,
  cancelShieldedCheckpoint,
  checkInstance,
  checkNumber,
  checkOptions,
  checkString,
  checkpoint,
  checkpointIfCancelled,
  hostEvent,
  ValueError,
  type NodeServer,
} from '@duet/kernel';
import { BusyResourceError, ClosedResourceError } from './errors';
import { SocketStream, checkPort, type SocketAddress } from './socket-stream';
import type { Listener } from './stream-abc';

/** Set while {@link openTcpListeners} wraps a server it is about to make listen. */
let aboutToListen = false;

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
export class SocketListener implements Listener<SocketStream> {
  private readonly queue: SocketStream[] = [];
  private readonly waiter = new HostWait('accept');
  private error: unknown = undefined;
  private closed = false;
  private busy = false;
  private listened: boolean;

  constructor(
    /** The Node server, already listening (else a `ValueError`, as in Trio). The listener owns it. */
    readonly server: NodeServer,
  ) {
    checkInstance('new SocketListener()', 'server', server, net.Server, 'a net.Server');
    if (!server.listening && !aboutToListen)
      throw new ValueError('SocketListener requires a listening server: call listen() first');
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
    // Closed underfoot (`server.close()` rather than `aclose()`): accept must not wait forever.
    // Node emits 'close' only once the accepted connections have ended, so `accept` also checks
    // `listening`.
    this.listened = server.listening;
    server.on('listening', () => (this.listened = true));
    server.on('close', () => this.closeNow());
  }

  /** True once the server had been listening and no longer is (closed by someone else). */
  private closedUnderfoot(): boolean {
    if (this.listened && !this.server.listening) this.closeNow();
    return this.closed;
  }

  /** The Node server, under Trio's name (`SocketListener.socket`); the same as `server`. */
  get socket(): NodeServer {
    return this.server;
  }

  /** The address the listener is bound to (read the port of a listener opened on port 0 here). */
  getsockname(): SocketAddress {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new ClosedResourceError('not listening');
    return { address: a.address, port: a.port, family: a.family };
  }

  /** Waits for the next connection. One task at a time: a second caller gets `BusyResourceError`. */
  async accept(): Promise<SocketStream> {
    if (this.closedUnderfoot()) {
      // A checkpoint even so, as every Trio call that may block.
      await checkpoint();
      throw new ClosedResourceError('this listener was closed');
    }
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

/** @internal The option names of {@link openTcpListeners}. */
export const OPEN_TCP_LISTENERS_OPTIONS = ['host', 'backlog'] as const;

/** @internal Checks the listening options (`host`, `backlog`) of `api`. */
export function checkListenOptions(api: string, options: OpenTcpListenersOptions): void {
  checkString(api, 'host', options.host, { nonEmpty: true, optional: true });
  if (options.backlog !== undefined)
    checkNumber(api, 'backlog', options.backlog, { integer: true, min: 0 });
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
      // Wrapped before listen() so that no early connection goes unseen.
      aboutToListen = true;
      let listener: SocketListener;
      try {
        listener = new SocketListener(server);
      } finally {
        aboutToListen = false;
      }
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
