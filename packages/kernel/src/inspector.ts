/**
 * The live inspector: a small web page, served on 127.0.0.1 while a run lasts, that shows the
 * run's task tree (tasks, nurseries, cancel scopes with deadlines and shields, what each task waits
 * on and for how long) and its recent trace as a timeline, refreshed as the run changes.
 *
 * Opt-in: `DUET_INSPECT=1` (a random free port) or `DUET_INSPECT=<port>` for every run of the
 * process, or an {@link Inspector} among a run's instruments. Every request must carry the
 * unguessable token of the printed URL (403 otherwise), so another local user cannot read task
 * names and waits. The server never keeps the process alive and closes when the run ends.
 *
 * A separate entry point (`@duet/kernel/inspector`), loaded only when asked for.
 *
 * @packageDocumentation
 * @module @duet/kernel/inspector
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
// By the package's own name: the build keeps this entry apart from the main one (no shared chunk),
// so a bundle that never inspects carries none of it.
import {
  TraceRecorder,
  checkFunction,
  checkNumber,
  checkOptions,
  taskTree,
  type Instrument,
  type NurseryNode,
  type Runner,
  type Task,
  type TaskNode,
  type TraceEvent,
} from '@duet/kernel';
import { PAGE } from './inspector-page';

/** Options of {@link Inspector}. */
export interface InspectorOptions {
  /** The port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Called with the page's URL (token included) once listening; by default it is printed to stderr. */
  onListening?: (url: string) => void;
  /** How many trace events the timeline keeps (default 2,000). */
  traceLimit?: number;
}

/** A task of the inspector's snapshot: a {@link TaskNode} with how long it has waited. */
export interface InspectedTask extends Omit<TaskNode, 'nurseries'> {
  /** Seconds of real time since the task parked, or `null` when it is not parked. */
  waitingFor: number | null;
  /** The task's nurseries, with their children. */
  nurseries: InspectedNursery[];
}

/** A nursery of the inspector's snapshot. */
export interface InspectedNursery {
  /** The nursery's cancel scope, described. */
  scope: string;
  /** Its child tasks. */
  children: InspectedTask[];
}

/** What the page polls: `GET /state?token=...`. */
export interface InspectorState {
  /** The run's clock time. */
  time: number;
  /** The root task and everything below it. */
  root: InspectedTask;
  /** The run's system tasks. */
  systemTasks: InspectedTask[];
  /** The recent trace, oldest first; times are real seconds since the inspector started. */
  trace: TraceEvent[];
  /** Real seconds since the inspector started. */
  now: number;
}

/**
 * An instrument that serves the live inspector for the run it is installed in.
 *
 * @example
 * ```ts
 * import { Inspector } from '@duet/kernel/inspector';
 * await run({ instruments: [new Inspector({ onListening: (url) => console.log(url) })] }, main);
 * ```
 */
export class Inspector implements Instrument {
  /** The token every request must carry (`?token=`). */
  readonly token = randomBytes(24).toString('base64url');
  private readonly trace: TraceRecorder;
  private readonly parkedSince = new Map<number, number>();
  private readonly sockets = new Set<Socket>();
  private readonly started = performance.now();
  private runner: Runner | null = null;
  private server: Server | null = null;
  private url: string | null = null;

  constructor(private readonly options: InspectorOptions = {}) {
    checkOptions('new Inspector()', options, ['port', 'onListening', 'traceLimit']);
    const { port = 0, onListening, traceLimit = 2000 } = options;
    checkNumber('new Inspector()', 'port', port, { min: 0, max: 65535, integer: true });
    if (onListening !== undefined) checkFunction('new Inspector(): onListening', onListening);
    checkNumber('new Inspector()', 'traceLimit', traceLimit, { min: 1, integer: true });
    this.trace = new TraceRecorder({ time: 'real', limit: traceLimit });
  }

  /** The page's URL with its token, once the server listens (else `null`). */
  get pageUrl(): string | null {
    return this.url;
  }

  /** @internal Starts serving for `runner` (on its root task's spawn, or at once from the environment). */
  attach(runner: Runner): void {
    if (this.runner !== null) return;
    this.runner = runner;
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    server.on('connection', (socket) => {
      socket.unref();
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // A busy port or the like must not fail the run: say so and go on without the inspector.
    server.on('error', (err) => {
      process.emitWarning(`Duet inspector: ${String(err)}`, 'DuetWarning');
      this.close();
    });
    server.listen(this.options.port ?? 0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      this.url = `http://127.0.0.1:${port}/?token=${this.token}`;
      const report =
        this.options.onListening ??
        ((url: string) => process.stderr.write(`Duet inspector: ${url}\n`));
      report(this.url);
    });
    server.unref();
  }

  private close(): void {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    server.close();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private authorized(url: URL): boolean {
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (!this.authorized(url)) {
      res
        .writeHead(403, { ...headers, 'content-type': 'text/plain' })
        .end('forbidden: wrong or missing token\n');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { ...headers, allow: 'GET' }).end();
    } else if (url.pathname === '/') {
      res
        .writeHead(200, {
          ...headers,
          'content-type': 'text/html; charset=utf-8',
          // Nothing but the page itself: no external assets, no framing.
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        })
        .end(PAGE);
    } else if (url.pathname === '/state') {
      res
        .writeHead(200, { ...headers, 'content-type': 'application/json' })
        .end(JSON.stringify(this.state()));
    } else {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  /** A snapshot of the run, as the page shows it. */
  state(): InspectorState {
    const runner = this.runner;
    if (runner === null) throw new Error('the inspector is not attached to a run yet');
    const now = performance.now();
    const tree = taskTree(runner);
    const inspect = (node: TaskNode): InspectedTask => {
      const since = this.parkedSince.get(node.id);
      return {
        ...node,
        waitingFor: since === undefined ? null : (now - since) / 1000,
        nurseries: node.nurseries.map((n: NurseryNode) => ({
          scope: n.scope,
          children: n.children.map(inspect),
        })),
      };
    };
    return {
      time: tree.time,
      root: inspect(tree.root),
      systemTasks: tree.systemTasks.map(inspect),
      trace: this.trace.events.slice(),
      now: (now - this.started) / 1000,
    };
  }

  taskSpawned(task: Task): void {
    this.attach(task.runner);
    this.trace.taskSpawned(task);
  }

  beforeTaskStep(task: Task): void {
    this.parkedSince.delete(task.id);
    this.trace.beforeTaskStep(task);
  }

  afterTaskStep(task: Task): void {
    if (!task.done && task.state === 'parked') this.parkedSince.set(task.id, performance.now());
    this.trace.afterTaskStep(task);
  }

  taskExited(task: Task): void {
    this.parkedSince.delete(task.id);
    this.trace.taskExited(task);
  }

  afterRun(): void {
    this.close();
  }
}

/**
 * @internal Called by a run when `DUET_INSPECT` is set: `1` (or anything not a port number) serves
 * on a random free port, a number on that port.
 */
export function inspectFromEnvironment(runner: Runner, value: string): void {
  const port = /^\d+$/.test(value) && value !== '1' ? Number(value) : 0;
  const inspector = new Inspector({ port });
  runner.addInstrument(inspector);
  inspector.attach(runner);
}
