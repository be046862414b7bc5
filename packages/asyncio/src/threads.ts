/**
 * `asyncio.to_thread` on the kernel's worker-thread pool. As in asyncio, cancelling the await
 * stops waiting, but the function runs on to its end in its worker (its result is dropped).
 *
 * **The rule:** Node cannot send a closure to another thread. Pass either a self-contained function
 * (sent as `fn.toString()` and compiled again in the worker: it may use its parameters, globals and
 * `require`, but no variable from the code around it), or a `{ module, exportName }` reference to
 * an exported function of a module (an absolute path or a `file:` URL). Arguments and the result
 * cross by structured clone. At most `min(32, cpus + 4)` calls of a run use workers at once (the
 * size of asyncio's default executor); more wait their turn.
 *
 * **Calling back into the loop** (`asyncio.run_coroutine_threadsafe(coro, loop).result()` and
 * `loop.call_soon_threadsafe(cb, *args)` from the thread): register the functions by name with
 * `toThread.withOptions({ callbacks }, fn, ...args)`; in the worker, the global `fromThread` (type
 * `FromThread`) calls them: `fromThread.run(name, ...args)` blocks the worker until the coroutine
 * function has run on the loop (in the awaiting task) and returns its result or throws its error;
 * `fromThread.callSoon(name, ...args)` queues a plain callback and returns at once. Once the
 * awaiting task was cancelled (it stops waiting at once, as asyncio's `to_thread`) or the call
 * returned, `fromThread` throws in the worker. Arguments and results are structured-cloned.
 */
import os from 'node:os';
import {
  checkFunctions,
  checkObject,
  checkOptions,
  checkpointIfCancelled,
  RuntimeError,
  checkFunction,
  runInWorker,
  workerCall,
} from '@duet/kernel';
import { getRunningLoop } from './events';
import type { Future } from './futures';
import type { EventLoop } from './loop';

/**
 * A reference to an exported function of a module, for {@link toThread}.
 *
 * @example
 * ```ts
 * await toThread({ module: '/abs/path/work.mjs', exportName: 'crunch' }, input);
 * ```
 */
export interface ThreadModuleRef {
  /** An absolute path or a `file:` URL. */
  module: string | URL;
  /** The exported function's name. */
  exportName: string;
}

const MAX_WORKERS = Math.min(32, (os.availableParallelism?.() ?? os.cpus().length) + 4);

/**
 * A loop's worker slots. Turns are handed out with asyncio Futures rather than a kernel
 * ParkingLot: this module loads lazily, and kernel code only it used would still land in every
 * program's eager bundle (the kernel modules around it are eager).
 */
interface Slots {
  used: number;
  /** Calls waiting for a slot, first come first served. */
  readonly waiting: Future<void>[];
  /** `shutdownDefaultExecutor()` was called: no more calls. */
  shut: boolean;
  /** `shutdownDefaultExecutor()` calls waiting for `used` to reach 0. */
  readonly drained: Future<void>[];
  /** The Futures of `runInExecutor` calls in the default executor that are not done. */
  readonly calls: Set<Future<unknown>>;
}

const slotsOfLoop = new WeakMap<EventLoop, Slots>();

function loopSlots(loop: EventLoop): Slots {
  let slots = slotsOfLoop.get(loop);
  if (slots === undefined) {
    slots = { used: 0, waiting: [], shut: false, drained: [], calls: new Set() };
    slotsOfLoop.set(loop, slots);
  }
  return slots;
}

/** Hands a free slot to the first call still waiting (one whose wait was cancelled is skipped). */
function wakeNext(slots: Slots): void {
  for (let turn; (turn = slots.waiting.shift()) !== undefined;) {
    if (!turn.done()) return turn.setResult();
  }
}

/**
 * `asyncio.to_thread(func, *args)`: runs `fn(...args)` in a worker thread and returns its result.
 *
 * @example
 * ```ts
 * const sum = await toThread((n: number) => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }, 1e7);
 * ```
 */
export async function toThread<A extends unknown[], R>(
  fn: ((...args: A) => R) | ThreadModuleRef,
  ...args: A
): Promise<Awaited<R>> {
  return run('toThread()', {}, fn, args);
}

/**
 * Options of `toThread.withOptions(options, fn, ...args)`.
 *
 * @example
 * ```ts
 * await toThread.withOptions({ callbacks: { progress: (n: number) => console.log(n) } }, work);
 * ```
 */
export interface ToThreadOptions {
  /** Functions the worker may call back by name with `fromThread.run` / `callSoon`. */
  callbacks?: Readonly<Record<string, (...args: never[]) => unknown>>;
}

function withOptions<A extends unknown[], R>(
  options: ToThreadOptions,
  fn: ((...args: A) => R) | ThreadModuleRef,
  ...args: A
): Promise<Awaited<R>> {
  return run('toThread.withOptions()', options, fn, args);
}

async function run<A extends unknown[], R>(
  api: string,
  options: ToThreadOptions,
  fn: ((...args: A) => R) | ThreadModuleRef,
  args: A,
): Promise<Awaited<R>> {
  checkObject(api, 'options', options);
  checkOptions(api, options, ['callbacks']);
  checkFunctions(api, 'callbacks', options.callbacks);
  const call = workerCall(api, fn, args);
  const loop = getRunningLoop();
  const slots = loopSlots(loop);
  checkNotShut(slots);
  while (slots.used >= MAX_WORKERS) {
    const turn = loop.createFuture<void>();
    slots.waiting.push(turn);
    try {
      await turn;
    } catch (err) {
      if (!turn.cancelled()) wakeNext(slots); // a turn given to this task, which will not use it
      throw err;
    }
  }
  try {
    await checkpointIfCancelled();
  } catch (err) {
    wakeNext(slots); // pass a wake-up this task will not use on to the next waiter
    throw err;
  }
  slots.used++;
  // From here the call reaches a worker; its slot is freed when it ends there, even if abandoned.
  return (await runInWorker(call, {
    abandonOnCancel: true,
    onSettled: () => {
      slots.used--;
      wakeNext(slots);
      if (slots.used === 0) for (const f of slots.drained.splice(0)) f.setResult();
    },
    ...(options.callbacks !== undefined ? { callbacks: options.callbacks } : {}),
  })) as Awaited<R>;
}

/** `toThread` with options first: `toThread.withOptions({ callbacks }, fn, ...args)`. */
toThread.withOptions = withOptions;

function checkNotShut(slots: Slots): void {
  if (slots.shut) throw new RuntimeError('Executor shutdown has been called');
}

/**
 * What `loop.runInExecutor` submits to: an object with `submit(fn, ...args)` that returns the
 * result or a Promise of it (CPython's `executor.submit`), and optionally `shutdown()`, which
 * `loop.shutdownDefaultExecutor()` calls (and awaits) when it is the default executor.
 *
 * @example
 * ```ts
 * const inline: Executor = { submit: (fn, ...args) => fn(...(args as never[])) };
 * await getRunningLoop().runInExecutor(inline, () => 42); // 42, run on the loop's thread
 * ```
 */
export interface Executor {
  /** Runs `fn(...args)` and returns its result, or a Promise of it. */
  submit(fn: (...args: never[]) => unknown, ...args: unknown[]): unknown;
  /** Called by `shutdownDefaultExecutor()`; the loop awaits what it returns. */
  shutdown?(): unknown;
}

/**
 * @internal `loop.runInExecutor`'s work, in the Task it returns (this module loads lazily).
 */
export async function _runInExecutor(
  loop: EventLoop,
  call: Future<unknown>,
  executor: Executor | null | undefined,
  fn: ((...args: never[]) => unknown) | ThreadModuleRef,
  args: unknown[],
): Promise<unknown> {
  if (executor === null || executor === undefined) {
    const slots = loopSlots(loop);
    checkNotShut(slots);
    // shutdownDefaultExecutor() waits for this Future, as CPython's for its executor's threads.
    slots.calls.add(call);
    call.addDoneCallback(() => slots.calls.delete(call));
    executor = loop._executor;
    if (executor === null)
      return run('runInExecutor()', {}, fn as (...args: unknown[]) => unknown, args);
  }
  checkFunction('runInExecutor() (an executor with submit, or null)', executor.submit);
  return await executor.submit(fn as (...args: never[]) => unknown, ...args);
}

/** @internal `loop.shutdownDefaultExecutor()`'s work (this module loads lazily). */
export async function _shutdownDefault(loop: EventLoop): Promise<void> {
  const slots = loopSlots(loop);
  slots.shut = true;
  if (loop._executor !== null) await loop._executor.shutdown?.();
  if (slots.used !== 0) {
    const drained = loop.createFuture<void>();
    slots.drained.push(drained);
    await drained;
  }
  for (const call of [...slots.calls]) {
    // A Future of our own: cancelling this wait must not cancel the call.
    const ended = loop.createFuture<void>();
    call.addDoneCallback(() => ended.done() || ended.setResult());
    await ended;
  }
}
