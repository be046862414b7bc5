/** `serveListeners` and `serveTcp`: accept loops that run a handler task per connection. */
import {
  Nursery,
  TASK_STATUS_IGNORED,
  checkFunction,
  checkInstance,
  checkOptions,
  type TaskStatus,
} from '@duet/kernel';
import { openNursery } from './run';
import { checkPort, type SocketStream } from './socket-stream';
import {
  OPEN_TCP_LISTENERS_OPTIONS,
  SocketListener,
  checkListenOptions,
  openTcpListeners,
  type OpenTcpListenersOptions,
} from './tcp-listen';

const SERVE_LISTENERS_OPTIONS = ['handlerNursery', 'taskStatus'] as const;

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
