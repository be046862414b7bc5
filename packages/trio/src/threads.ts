/**
 * `trio.to_thread` on Node's `worker_threads`: `toThread.runSync` runs a function in a pooled
 * worker thread, limited by a `CapacityLimiter` (40 tokens per run by default, as Trio).
 *
 * **The rule:** Node cannot send a closure to another thread. Pass either a self-contained function
 * (it is sent as source text, `fn.toString()`, and compiled again in the worker: it may use its
 * parameters, globals and `require`, but no variable from the code around it, and no `import`
 * binding of its module), or a `{ module, exportName }` reference to an exported function of an
 * ES or CommonJS module (the worker `import()`s it; pass an absolute path or a `file:` URL).
 * Arguments and the result cross by structured clone.
 *
 * **Calling back (`trio.from_thread`).** The worker cannot see the run's functions, so register
 * them by name in `callbacks`; the worker's global `fromThread` (type {@link FromThread}) calls
 * them: `fromThread.run(name, ...args)` for an async one, `fromThread.runSync(name, ...args)` for
 * a plain one. The worker thread blocks until the callback has run in the task that called
 * `runSync`, under that task's cancel scopes (as in Trio, a cancelled `toThread` call's callbacks
 * raise `Cancelled`, which reaches the worker as an error). Once that task stopped waiting
 * (`abandonOnCancel`) or the call returned, `fromThread` throws in the worker at once. Limits:
 * arguments and results are structured-cloned; callbacks of one call run one at a time.
 */
import {
  checkBoolean,
  checkFunctions,
  checkMethods,
  checkOptions,
  checkpointIfCancelled,
  HostWait,
  RunVar,
  runInWorker,
  workerCall,
} from '@duet/kernel';
import { CapacityLimiter } from './sync';

/**
 * A reference to an exported function of a module, to run in a worker thread.
 *
 * @example
 * ```ts
 * const hash: ModuleRef = { module: new URL('./hash.mjs', import.meta.url), exportName: 'hash' };
 * await toThread.runSync(hash, data);
 * ```
 */
export interface ModuleRef {
  /** An absolute path or a `file:` URL. */
  module: string | URL;
  /** The name of the exported function. */
  exportName: string;
}

/**
 * Options of `toThread.runSync` (see {@link toThread}), passed first: `runSync({ abandonOnCancel: true }, fn, ...args)`.
 *
 * @example
 * ```ts
 * await toThread.runSync({ abandonOnCancel: true, limiter: new CapacityLimiter(2) }, work);
 * ```
 */
export interface RunSyncOptions {
  /**
   * When cancelled, stop waiting at once and raise `Cancelled`; the function keeps running in its
   * worker, its result is dropped, and its limiter token is released when it ends. Without it (the
   * default, as Trio) the call cannot be cancelled: it waits for the function to return.
   */
  abandonOnCancel?: boolean;
  /**
   * The limiter to take a token from; the run's default limiter otherwise. Any object with
   * `acquireOnBehalfOf` and `releaseOnBehalfOf` will do (only those two are called), as in Trio.
   */
  limiter?: ThreadLimiter;
  /** Functions the worker may call back by name with `fromThread.run` / `runSync`. */
  callbacks?: Readonly<Record<string, (...args: never[]) => unknown>>;
}

/**
 * What `toThread.runSync` needs of a limiter: a {@link CapacityLimiter}, or anything with its two
 * borrower methods (`acquireOnBehalfOf` may be async; a `releaseOnBehalfOf` that throws fails
 * the call).
 *
 * @example
 * ```ts
 * const counting: ThreadLimiter = {
 *   async acquireOnBehalfOf() { calls++; },
 *   releaseOnBehalfOf() {},
 * };
 * ```
 */
export interface ThreadLimiter {
  /** Takes a token for `borrower`, waiting if none is free. */
  acquireOnBehalfOf(borrower: object): unknown;
  /** Gives back the token `borrower` took. */
  releaseOnBehalfOf(borrower: object): unknown;
}

const defaultLimiter = /* @__PURE__ */ new RunVar<CapacityLimiter | undefined>(
  'default thread limiter',
  undefined,
);

/**
 * Per run: the `runSync` calls whose worker has not ended yet, and who waits for none to be left
 * (host waits: the workers wake them from outside, so hang detection must not call it a deadlock).
 */
interface ActiveThreads {
  count: number;
  waiters: Set<HostWait>;
}

const activeThreads = /* @__PURE__ */ new RunVar<ActiveThreads | undefined>(
  'active worker threads',
  undefined,
);

function currentActiveThreads(): ActiveThreads {
  let active = activeThreads.get();
  if (active === undefined) {
    active = { count: 0, waiters: new Set() };
    activeThreads.set(active);
  }
  return active;
}

/**
 * `trio.testing.active_thread_count`: how many `toThread.runSync` calls of this run are still going
 * on in their worker, abandoned ones included.
 *
 * @example
 * ```ts
 * expect(activeThreadCount()).toBe(0);
 * ```
 */
export function activeThreadCount(): number {
  return currentActiveThreads().count;
}

/**
 * `trio.testing.wait_all_threads_completed`: waits until every `toThread.runSync` call of this run
 * has ended in its worker, abandoned ones included (returns at once when none is going on).
 *
 * @example
 * ```ts
 * await waitAllThreadsCompleted();
 * ```
 */
export async function waitAllThreadsCompleted(): Promise<void> {
  const active = currentActiveThreads();
  while (active.count !== 0) {
    const wait = new HostWait('all worker threads to complete');
    active.waiters.add(wait);
    try {
      await wait.wait();
    } finally {
      active.waiters.delete(wait);
    }
  }
}

const RUN_SYNC_OPTIONS = ['abandonOnCancel', 'limiter', 'callbacks'] as const;

/** True when the first argument of `runSync` is its options (not the function, a reference or a Promise). */
function isOptions(first: unknown): first is RunSyncOptions {
  return (
    typeof first === 'object' &&
    first !== null &&
    !('module' in first) &&
    typeof (first as PromiseLike<unknown>).then !== 'function'
  );
}

function runSync<A extends unknown[], R>(
  fn: ((...args: A) => R) | ModuleRef,
  ...args: A
): Promise<Awaited<R>>;
function runSync<A extends unknown[], R>(
  options: RunSyncOptions,
  fn: ((...args: A) => R) | ModuleRef,
  ...args: A
): Promise<Awaited<R>>;
async function runSync(first: unknown, ...rest: unknown[]): Promise<unknown> {
  const api = 'toThread.runSync()';
  const [options, target, args] = isOptions(first)
    ? [first, rest[0], rest.slice(1)]
    : [{} as RunSyncOptions, first, rest];
  checkOptions(api, options, RUN_SYNC_OPTIONS);
  checkBoolean(api, 'abandonOnCancel', options.abandonOnCancel, true);
  if (options.limiter !== undefined)
    checkMethods(
      api,
      'limiter',
      options.limiter,
      ['acquireOnBehalfOf', 'releaseOnBehalfOf'],
      'a CapacityLimiter',
    );
  checkFunctions(api, 'callbacks', options.callbacks);
  if (typeof target === 'function' && /^Async/.test(target.constructor.name)) {
    // Trio's rule; a worker would otherwise run it to its first await and return its promise's value.
    throw new TypeError(
      `${api}: expected a sync function, but ${JSON.stringify(target.name)} is asynchronous`,
    );
  }
  const call = workerCall(api, target, args);
  const limiter = options.limiter ?? currentDefaultThreadLimiter();
  const borrower = {};
  await limiter.acquireOnBehalfOf(borrower);
  try {
    await checkpointIfCancelled();
  } catch (err) {
    limiter.releaseOnBehalfOf(borrower);
    throw err;
  }
  // From here the call reaches a worker; the token goes back when it ends there. If the task
  // still waits then, it gives the token back itself, so a failing release reaches the caller (as
  // Trio); after an abandoned wait, the worker's end gives it back.
  let waiting = true;
  let ended = false;
  const active = currentActiveThreads();
  active.count++;
  const onSettled = (): void => {
    ended = true;
    if (--active.count === 0) for (const wait of active.waiters) wait.wake();
    if (!waiting) releaseAbandoned(limiter, borrower);
  };
  try {
    return await runInWorker(call, {
      abandonOnCancel: options.abandonOnCancel === true,
      onSettled,
      ...(options.callbacks !== undefined ? { callbacks: options.callbacks } : {}),
    });
  } finally {
    waiting = false;
    if (ended) limiter.releaseOnBehalfOf(borrower);
  }
}

/** Gives back the token of an abandoned call, from a host callback: a failure can only be reported. */
function releaseAbandoned(limiter: ThreadLimiter, borrower: object): void {
  try {
    limiter.releaseOnBehalfOf(borrower);
  } catch (err) {
    process.emitWarning(
      `toThread.runSync(): the limiter failed to release an abandoned call's token: ${String(err)}`,
      'DuetWarning',
    );
  }
}

/**
 * The run's default limiter of worker threads (`trio.to_thread.current_default_thread_limiter`):
 * 40 tokens; set `totalTokens` to change it.
 *
 * @example
 * ```ts
 * currentDefaultThreadLimiter().totalTokens = 4;
 * ```
 */
export function currentDefaultThreadLimiter(): CapacityLimiter {
  let limiter = defaultLimiter.get();
  if (limiter === undefined) {
    limiter = new CapacityLimiter(40);
    defaultLimiter.set(limiter);
  }
  return limiter;
}

/**
 * `trio.to_thread`: run blocking or CPU-heavy work in a worker thread without blocking the run.
 * See the module notes for what a function sent to a worker may use.
 *
 * @example
 * ```ts
 * // A named function expression may call itself; nothing else from outside.
 * const fib = function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); };
 * const result = await toThread.runSync(fib, 30);
 * await toThread.runSync({ abandonOnCancel: true }, (ms: number) => {
 *   Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
 * }, 1000);
 * ```
 */
export const toThread = Object.freeze({
  /** Runs a function in a worker thread; see {@link RunSyncOptions}. */
  runSync,
  /** The run's default limiter of worker threads (40 tokens). */
  currentDefaultThreadLimiter,
});
