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
 */
import { Worker } from 'node:worker_threads';
import { requireTask } from './context';
import { checkpointIfCancelled } from './cancel';
import { Abort, NEVER, type Waitable } from './park';

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
}

const WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
globalThis.require = require;
const compiled = new Map();
parentPort.on('message', async (job) => {
  let reply;
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

  run(call: WorkerCall, settle: Settle): void {
    if (this.retireTimer !== null) clearTimeout(this.retireTimer);
    this.retireTimer = null;
    this.settle = settle;
    this.worker.ref();
    this.worker.postMessage(call);
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

  submit(call: WorkerCall, settle: Settle): PooledWorker {
    const worker = this.idle.pop() ?? new PooledWorker(this);
    this.busy++;
    worker.run(call, (reply) => {
      this.busy--;
      settle(reply);
    });
    return worker;
  }

  drop(worker: PooledWorker): void {
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

const pool = new WorkerPool();

class WorkerWait implements Waitable {
  abandoned = false;
  worker: PooledWorker | null = null;

  constructor(private readonly abandonOnCancel: boolean) {}

  abortWait(): Abort {
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
  const runner = task.runner;
  await checkpointIfCancelled();
  if (!runner.canPark(task, 'runInWorker')) return NEVER;
  const wait = new WorkerWait(options.abandonOnCancel === true);
  const onSettled = options.onSettled;
  wait.worker = pool.submit(call, (reply) => {
    onSettled?.();
    if (wait.abandoned || task.parkedOn !== wait) return;
    if (reply.ok) runner.wake(task, reply.value);
    else runner.wakeWithError(task, reply.error);
  });
  return runner.park(task, wait, true);
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
