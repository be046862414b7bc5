/**
 * Worker threads for blocking work, shared by both facades (`toThread.runSync` in Trio style,
 * `toThread` in asyncio style). One process-wide pool: a worker is reused for the next call,
 * holds the process open only while it runs a call, and retires after a while idle.
 *
 * Node cannot send a closure to another thread. A call names its function either by source text
 * (a self-contained function, sent as `fn.toString()` and compiled again in the worker: it may use
 * its parameters, globals and `require`, but no variable captured from the code around it) or by
 * module URL and export name (the worker `import()`s the module). Arguments and results cross by
 * structured clone.
 *
 * Calling back (`fromThread`): the worker cannot see the run's functions either, so a call can
 * register some by name (`callbacks`). In the worker, the global `fromThread` then calls them:
 * `fromThread.run(name, ...args)` posts the request on a `MessagePort` of this call and blocks the
 * worker thread (`Atomics.wait` on a shared flag) until the task waiting for the call has run the
 * callback, in its own context (its cancel scopes apply), and posted the outcome back;
 * `fromThread.callSoon(name, ...args)` does not wait. A request that no task will serve any more
 * (the wait was abandoned on cancellation, or the call has returned) fails in the worker at once.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { requireTask } from './context';
import { checkpointIfCancelled } from './cancel';
import { checkFunction, checkString } from './validate';
import { Abort, NEVER, type Waitable } from './park';
import * as waits from './waits';

/** How long (ms) an idle worker waits for another call before it exits. */
const IDLE_RETIRE_MS = 10_000;

/** What a worker runs: a function's source text, or a module's export. */
export type WorkerCall =
  | {
      /** A function's source text (it must capture nothing). */
      readonly source: string;
      /** Its arguments (structured-cloneable). */
      readonly args: readonly unknown[];
    }
  | {
      /** A module path or URL. */
      readonly module: string;
      /** The name of the function it exports. */
      readonly exportName: string;
      /** Its arguments (structured-cloneable). */
      readonly args: readonly unknown[];
    };

/**
 * The {@link WorkerCall} of what a facade's `toThread` was given: a self-contained function, or a
 * `{ module, exportName }` reference (`module` an absolute path, a `file:` URL or a `URL`). Throws
 * a `TypeError` for anything else, before any state changes: a started Promise (with the hint to
 * pass the function, through {@link checkFunction}), a built-in or bound function (its source
 * cannot be sent), a reference without a string `exportName`.
 *
 * @example
 * ```ts
 * const call = workerCall('toThread()', (n: number) => n * 2, [21]);
 * ```
 */
export function workerCall(api: string, target: unknown, args: readonly unknown[]): WorkerCall {
  if (typeof target === 'object' && target !== null && 'module' in target) {
    const ref = target as { module: unknown; exportName: unknown };
    checkString(api, 'exportName of a { module, exportName } reference', ref.exportName, {
      nonEmpty: true,
    });
    const module = ref.module instanceof URL ? ref.module.href : ref.module;
    checkString(api, 'module of a { module, exportName } reference', module, { nonEmpty: true });
    return { module, exportName: ref.exportName, args };
  }
  if (typeof target !== 'function') {
    // A started Promise: checkFunction gives the hint to pass the function, and defuses it.
    if (typeof (target as PromiseLike<unknown> | null)?.then === 'function')
      checkFunction(api, target);
    throw new TypeError(
      `${api} expects a function or a { module, exportName } reference, got ${target === null ? 'null' : typeof target}`,
    );
  }
  const source = target.toString();
  if (source.includes('[native code]')) {
    throw new TypeError(
      `${api} cannot send a built-in or bound function to a worker: wrap it, (x) => Math.max(x, 1)`,
    );
  }
  return { source, args };
}

/** Options of {@link runInWorker}. */
export interface RunInWorkerOptions {
  /**
   * When cancellation arrives, stop waiting at once (the call goes on in its worker and its result
   * is dropped). Without it, the wait goes on until the call returns, and cancellation is raised at
   * the next checkpoint.
   */
  abandonOnCancel?: boolean;
  /** Called when the call has ended in its worker, even after the wait was abandoned (to release a capacity token then, say). */
  onSettled?: () => void;
  /**
   * Functions the worker may call back by name through its global `fromThread` (see the module
   * notes). They run in the waiting task, one at a time; arguments and results are cloned.
   */
  callbacks?: Readonly<Record<string, (...args: never[]) => unknown>>;
}

/**
 * The global `fromThread` of a worker thread running a call that registered `callbacks`: how the
 * worker's code calls back into the run. Declare it in code sent to a worker:
 * `declare const fromThread: FromThread;`.
 *
 * @example
 * ```ts
 * declare const fromThread: FromThread;
 * const work = (id: number) => fromThread.run('lookup', id); // blocks this worker until done
 * ```
 */
export interface FromThread {
  /** Runs the (async) callback `name` in the waiting task and blocks until it settles; its error is thrown here. */
  run(name: string, ...args: unknown[]): unknown;
  /** Runs the synchronous callback `name` and blocks until it returns. */
  runSync(name: string, ...args: unknown[]): unknown;
  /** Queues a call of callback `name` and returns at once (`loop.call_soon_threadsafe`). */
  callSoon(name: string, ...args: unknown[]): void;
  /**
   * Throws (an `Error` named `Cancelled`) if the task waiting for this call has been cancelled
   * (Trio's `from_thread.check_cancelled`): a call that is not abandoned on cancellation can poll
   * it to stop early, and the task then raises its `Cancelled`; an abandoned one, to stop working
   * for nobody. Needs no `callbacks`.
   */
  checkCancelled(): void;
}

/** What the worker's `fromThread` sends: `run` and `runSync` wait for the outcome, `callSoon` does not. */
interface CallbackRequest {
  kind: 'run' | 'runSync' | 'callSoon';
  name: string;
  args: unknown[];
}

const WORKER_SOURCE = `
'use strict';
const { parentPort, receiveMessageOnPort } = require('node:worker_threads');
globalThis.require = require;
const compiled = new Map();
function bindFromThread(port, flag, cancel) {
  const state = new Int32Array(flag);
  const cancelled = new Int32Array(cancel);
  let open = port !== undefined;
  const call = (kind, name, args) => {
    if (!open) throw new Error('fromThread.' + kind + '(' + JSON.stringify(name) + '): ' + (port === undefined ? 'this call registered no callbacks (pass them as callbacks)' : 'the call has already returned'));
    Atomics.store(state, 0, 0);
    port.postMessage({ kind, name, args });
    if (kind === 'callSoon') return undefined;
    Atomics.wait(state, 0, 0);
    const reply = receiveMessageOnPort(port);
    if (reply === undefined) throw new Error('fromThread: the run sent no reply');
    if (reply.message.ok) return reply.message.value;
    const error = reply.message.error;
    if (error instanceof Error && typeof reply.message.name === 'string') error.name = reply.message.name;
    throw error;
  };
  globalThis.fromThread = Object.freeze({
    run: (name, ...args) => call('run', name, args),
    runSync: (name, ...args) => call('runSync', name, args),
    callSoon: (name, ...args) => call('callSoon', name, args),
    checkCancelled: () => {
      if (Atomics.load(cancelled, 0) === 0) return;
      const error = new Error('fromThread.checkCancelled(): the task waiting for this call was cancelled');
      error.name = 'Cancelled';
      throw error;
    },
  });
  return () => {
    open = false;
    if (port !== undefined) {
      port.postMessage({ kind: 'end' }); // after every request, on the same port: nothing is lost
      port.close();
    }
  };
}
parentPort.on('message', async (job) => {
  let reply;
  const unbind = bindFromThread(job.port, job.flag, job.cancel);
  try {
    let fn;
    if (job.source !== undefined) {
      fn = compiled.get(job.source);
      if (fn === undefined) {
        try {
          fn = (0, eval)('(' + job.source + '\\n)');
        } catch (err) {
          throw new TypeError('the function sent to a worker does not compile on its own (' + err.message + '): pass a function expression or an arrow function that captures nothing');
        }
        compiled.set(job.source, fn);
      }
    } else {
      const mod = await import(job.module);
      fn = mod[job.exportName];
      if (typeof fn !== 'function') throw new TypeError('module ' + job.module + ' has no exported function ' + job.exportName);
    }
    reply = { ok: true, value: await fn(...job.args) };
  } catch (error) {
    if (job.source !== undefined && error instanceof ReferenceError) {
      error.message += ' (the function runs in a worker thread, without its closure: pass what it uses as arguments, or send a { module, exportName } reference)';
    }
    reply = { ok: false, error };
  }
  unbind();
  try {
    parentPort.postMessage(reply);
  } catch (error) {
    parentPort.postMessage({ ok: false, error: new TypeError('the worker could not send its result back: ' + error.message) });
  }
});
`;

interface Reply {
  ok: boolean;
  value?: unknown;
  error?: unknown;
}

type Settle = (reply: Reply) => void;

class PooledWorker {
  readonly worker: Worker;
  settle: Settle | null = null;
  retireTimer: NodeJS.Timeout | null = null;
  dead = false;

  constructor(private readonly pool: WorkerPool) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (reply: Reply) => this.finish(reply, true));
    this.worker.on('error', (error: unknown) => this.fail(error));
    this.worker.on('exit', (code: number) =>
      this.fail(new Error(`the worker thread exited (code ${code}) before its call returned`)),
    );
  }

  run(
    call: WorkerCall,
    settle: Settle,
    port: MessagePort | undefined,
    flag: SharedArrayBuffer,
    cancel: SharedArrayBuffer,
  ): void {
    if (this.retireTimer !== null) clearTimeout(this.retireTimer);
    this.retireTimer = null;
    this.settle = settle;
    this.worker.ref();
    try {
      if (port === undefined) this.worker.postMessage({ ...call, cancel });
      else this.worker.postMessage({ ...call, port, flag, cancel }, [port]);
    } catch (error) {
      // Not sent (an argument that cannot be cloned): the call fails, the worker stays free, and
      // closing the unsent port ends the call's callback channel.
      port?.close();
      this.finish({ ok: false, error }, true);
    }
  }

  private finish(reply: Reply, reusable: boolean): void {
    const settle = this.settle;
    this.settle = null;
    if (reusable && !this.dead) {
      this.worker.unref();
      this.retireTimer = setTimeout(() => this.retire(), IDLE_RETIRE_MS);
      this.retireTimer.unref();
      this.pool.idle.push(this);
    }
    settle?.(reply);
  }

  private fail(error: unknown): void {
    if (this.dead) return;
    this.dead = true;
    this.pool.drop(this);
    if (this.retireTimer !== null) clearTimeout(this.retireTimer);
    this.finish({ ok: false, error }, false);
  }

  retire(): void {
    this.dead = true;
    this.pool.drop(this);
    void this.worker.terminate();
  }
}

class WorkerPool {
  readonly idle: PooledWorker[] = [];
  /** Workers running a call now. */
  busy = 0;

  submit(
    call: WorkerCall,
    settle: Settle,
    callbacks: CallbackPort | null,
    cancel: SharedArrayBuffer,
  ): PooledWorker {
    const worker = this.idle.pop() ?? new PooledWorker(this);
    this.busy++;
    worker.run(
      call,
      (reply) => {
        this.busy--;
        settle(reply);
      },
      callbacks?.workerPort,
      callbacks?.flag ?? NO_FLAG,
      cancel,
    );
    return worker;
  }

  drop(worker: PooledWorker): void {
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

const pool = new WorkerPool();

const NO_FLAG = /* @__PURE__ */ new SharedArrayBuffer(4);

/** The run's end of a call's `fromThread` channel: requests in, outcomes back. */
class CallbackPort {
  readonly flag = new SharedArrayBuffer(4);
  readonly workerPort: MessagePort;
  private readonly port: MessagePort;
  readonly requests: CallbackRequest[] = [];
  /** The worker has sent its last request (or is gone). */
  ended = false;

  constructor(onRequest: () => void, refuse: () => string | null) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.workerPort = port2;
    const end = (): void => {
      if (this.ended) return;
      this.ended = true;
      port1.close();
      onRequest();
    };
    port1.on('close', end);
    port1.on('message', (request: CallbackRequest | { kind: 'end' }) => {
      if (request.kind === 'end') return end();
      const refusal = refuse();
      if (refusal === null) {
        this.requests.push(request);
        onRequest();
      } else if (request.kind !== 'callSoon') {
        this.reply({ ok: false, error: new Error(`fromThread.${request.kind}: ${refusal}`) });
      }
    });
    port1.unref(); // the busy worker holds the process open, not its port
  }

  /** Posts an outcome and wakes the blocked worker thread. */
  reply(reply: Reply): void {
    try {
      // A structured clone keeps only the standard error names: send the name along (`Cancelled`).
      const error = reply.error;
      this.port.postMessage(error instanceof Error ? { ...reply, name: error.name } : reply);
    } catch (error) {
      this.port.postMessage({
        ok: false,
        error: new TypeError(
          `fromThread: the result cannot be sent to the worker (${String(error)})`,
        ),
      });
    }
    const state = new Int32Array(this.flag);
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
  }
}

class WorkerWait implements Waitable {
  abandoned = false;
  /** Set to 1 when the waiting task is cancelled: what the worker's `fromThread.checkCancelled` reads. */
  readonly cancelFlag = new SharedArrayBuffer(4);
  worker: PooledWorker | null = null;
  /** The call's outcome, once it has ended in its worker. */
  outcome: Reply | null = null;

  constructor(private readonly abandonOnCancel: boolean) {}

  abortWait(): Abort {
    Atomics.store(new Int32Array(this.cancelFlag), 0, 1);
    if (!this.abandonOnCancel) return Abort.FAILED;
    this.abandoned = true;
    // Nobody waits for the call any more: it finishes if the process lives on, but does not keep
    // the process alive (as Trio's daemon worker threads).
    this.worker?.worker.unref();
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return 'a worker thread';
  }
}

/**
 * Runs a call in a pooled worker thread and waits for its result, as a checkpoint. The wait is
 * foreign: a `MockClock` does not autojump while it lasts. See {@link WorkerCall} for what can be
 * sent; an error thrown in the worker is raised here (as a structured clone).
 *
 * @example
 * ```ts
 * const n = await runInWorker({ source: ((a: number) => a * 2).toString(), args: [21] });
 * ```
 */
export async function runInWorker(
  call: WorkerCall,
  options: RunInWorkerOptions = {},
): Promise<unknown> {
  const task = requireTask('runInWorker()');
  await checkpointIfCancelled();
  if (!waits.canPark(task, 'runInWorker')) return NEVER;
  const wait = new WorkerWait(options.abandonOnCancel === true);
  const onSettled = options.onSettled;
  let settled: Reply | null = null;
  const wakeUp = (): void => {
    // The outcome counts once the worker's requests are all in (they come on another port).
    if (settled !== null && (port === null || port.ended)) wait.outcome = settled;
    if (!wait.abandoned && task.parkedOn === wait) waits.wake(task, undefined);
  };
  const callbacks = options.callbacks;
  const port =
    callbacks === undefined
      ? null
      : new CallbackPort(wakeUp, () =>
          wait.abandoned
            ? 'the task that called the worker stopped waiting for it (cancelled)'
            : wait.outcome !== null
              ? 'the call has already returned'
              : null,
        );
  wait.worker = pool.submit(
    call,
    (reply) => {
      onSettled?.();
      settled = reply;
      wakeUp();
    },
    port,
    wait.cancelFlag,
  );
  let callSoonError: { error: unknown } | null = null;
  for (;;) {
    const outcome = wait.outcome;
    if (outcome !== null && (port === null || port.requests.length === 0)) {
      if (callSoonError !== null) throw callSoonError.error;
      if (outcome.ok) return outcome.value;
      await checkpointIfCancelled(); // a refused callback or checkCancelled: the cancellation
      throw outcome.error;
    }
    const request = port?.requests.shift();
    if (request === undefined) {
      try {
        await waits.park(task, wait, true);
      } catch (err) {
        // Abandoned: requests already queued get the refusal too, or their worker would block.
        for (const queued of port?.requests.splice(0) ?? []) {
          if (queued.kind !== 'callSoon')
            port!.reply({ ok: false, error: new Error(`fromThread.${queued.kind}: cancelled`) });
        }
        throw err;
      }
      continue;
    }
    try {
      const fn = callbacks![request.name];
      if (typeof fn !== 'function')
        throw new TypeError(`no callback named ${JSON.stringify(request.name)} was registered`);
      const value = (fn as (...args: unknown[]) => unknown)(...request.args);
      if (request.kind === 'runSync' && isThenable(value))
        throw new TypeError(`callback ${request.name} is async: call it with fromThread.run`);
      const result = request.kind === 'run' ? await value : value;
      if (request.kind !== 'callSoon') port!.reply({ ok: true, value: result });
    } catch (error) {
      if (request.kind !== 'callSoon') port!.reply({ ok: false, error });
      else callSoonError ??= { error };
    }
  }
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * How many pooled worker threads are running a call now and how many wait idle (for tests and
 * statistics).
 *
 * @example
 * ```ts
 * const { busy, idle } = workerPoolStatistics();
 * ```
 */
export function workerPoolStatistics(): {
  /** Workers running a call. */
  busy: number;
  /** Workers waiting for one. */
  idle: number;
} {
  return { busy: pool.busy, idle: pool.idle.length };
}
