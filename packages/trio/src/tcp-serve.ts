/** `serveListeners` and `serveTcp`: accept loops that run a handler task per connection. */
import {
  Nursery,
  TASK_STATUS_IGNORED,
  checkFunction,
  checkInstance,
  checkMethods,
  checkOptions,
  sleep,
  type TaskStatus,
} from '@duet/kernel';
import { openNursery } from './run';
import { checkPort, type SocketStream } from './socket-stream';
import { acloseForcefully, type AsyncResource, type Listener } from './stream-abc';
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
export type StreamHandler<S = SocketStream> = (stream: S) => unknown;

/**
 * Options of {@link serveListeners}.
 *
 * @example
 * ```ts
 * await serveListeners(handler, listeners, { handlerNursery: nursery });
 * ```
 */
export interface ServeListenersOptions<L = SocketListener> {
  /** Where handler tasks run; by default a nursery inside the serving task. */
  handlerNursery?: Nursery;
  /** The status of `nursery.start` (also accepted as the last argument). */
  taskStatus?: TaskStatus<L[]>;
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

function isTaskStatus<L>(value: unknown): value is TaskStatus<L[]> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { started?: unknown }).started === 'function'
  );
}

/** The options and the task status of a serving call, checked (`api` names it for the messages). */
function splitOptions<L, O extends ServeListenersOptions<L>>(
  api: string,
  allowed: readonly string[],
  options: O | TaskStatus<L[]> | undefined,
  taskStatus: TaskStatus<L[]> | undefined,
): [O, TaskStatus<L[]>] {
  if (isTaskStatus<L>(options)) return [{} as O, options];
  checkOptions(api, options, allowed);
  const opts = options ?? ({} as O);
  if (opts.handlerNursery !== undefined)
    checkInstance(api, 'handlerNursery', opts.handlerNursery, Nursery, 'a Nursery');
  const status = taskStatus ?? opts.taskStatus ?? TASK_STATUS_IGNORED;
  if (!isTaskStatus<L>(status)) {
    throw new TypeError(`${api}: taskStatus must be the status nursery.start() passes`);
  }
  return [opts, status];
}

async function runHandler<S extends AsyncResource>(
  handler: StreamHandler<S>,
  stream: S,
): Promise<void> {
  try {
    await handler(stream);
  } finally {
    await acloseForcefully(stream);
  }
}

/** The `code`s of accept errors that mean "out of resources for now": wait and retry (as Trio). */
const ACCEPT_CAPACITY_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOMEM', 'ENOBUFS']);
/** Seconds to wait before accepting again after one of those. */
const ACCEPT_RETRY_DELAY = 0.1;

async function acceptLoop<S extends AsyncResource>(
  listener: Listener<S>,
  handler: StreamHandler<S>,
  handlers: Nursery,
  closing: Set<Listener<S>>,
): Promise<never> {
  closing.add(listener); // this loop closes it
  try {
    for (;;) {
      let stream: S;
      try {
        stream = await listener.accept();
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (typeof code !== 'string' || !ACCEPT_CAPACITY_ERRORS.has(code)) throw err;
        // Trio logs these and keeps serving: the connections wait in the backlog meanwhile.
        process.emitWarning(
          `serveListeners: accept failed with ${code} (${(err as Error).message}); retrying in ${ACCEPT_RETRY_DELAY} seconds`,
          'DuetWarning',
        );
        await sleep(ACCEPT_RETRY_DELAY);
        continue;
      }
      handlers.startSoon(runHandler, handler, stream);
    }
  } finally {
    await acloseForcefully(listener);
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
export async function serveListeners<
  S extends AsyncResource = SocketStream,
  L extends Listener<S> = Listener<S>,
>(
  handler: StreamHandler<S>,
  listeners: readonly L[],
  options?: ServeListenersOptions<L> | TaskStatus<L[]>,
  taskStatus?: TaskStatus<L[]>,
): Promise<never> {
  const api = 'serveListeners()';
  checkFunction(api, handler);
  if (!Array.isArray(listeners)) {
    throw new TypeError(
      `${api}: listeners must be an array of listeners (SocketListener, as openTcpListeners() returns, or any Listener)`,
    );
  }
  listeners.forEach((l, i) =>
    checkMethods(api, `listeners[${i}]`, l, ['accept', 'aclose'], 'a Listener'),
  );
  const [opts, status] = splitOptions<L, ServeListenersOptions<L>>(
    api,
    SERVE_LISTENERS_OPTIONS,
    options,
    taskStatus,
  );
  const closing = new Set<Listener<S>>();
  try {
    await openNursery(async (nursery) => {
      const handlers = opts.handlerNursery ?? nursery;
      for (const listener of listeners)
        nursery.startSoon(acceptLoop, listener, handler, handlers, closing);
      status.started([...listeners]);
    });
  } finally {
    // The accept loops close their listeners; these are the ones whose loop never ran.
    for (const listener of listeners) if (!closing.has(listener)) await acloseForcefully(listener);
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
  const [opts, status] = splitOptions<SocketListener, ServeTcpOptions>(
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
