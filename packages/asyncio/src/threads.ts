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
  ParkingLot,
  checkFunctions,
  checkObject,
  checkOptions,
  checkpointIfCancelled,
  RunVar,
  runInWorker,
  workerCall,
} from '@duet/kernel';

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

interface Slots {
  used: number;
  readonly lot: ParkingLot;
}

const slotsOfRun = /* @__PURE__ */ new RunVar<Slots | undefined>(
  'toThread worker slots',
  undefined,
);

function runSlots(): Slots {
  let slots = slotsOfRun.get();
  if (slots === undefined) {
    slots = { used: 0, lot: new ParkingLot('toThread (all workers busy)') };
    slotsOfRun.set(slots);
  }
  return slots;
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
  const slots = runSlots();
  while (slots.used >= MAX_WORKERS) await slots.lot.park();
  try {
    await checkpointIfCancelled();
  } catch (err) {
    slots.lot.unpark(); // pass a wake-up this task will not use on to the next waiter
    throw err;
  }
  slots.used++;
  // From here the call reaches a worker; its slot is freed when it ends there, even if abandoned.
  return (await runInWorker(call, {
    abandonOnCancel: true,
    onSettled: () => {
      slots.used--;
      slots.lot.unpark();
    },
    ...(options.callbacks !== undefined ? { callbacks: options.callbacks } : {}),
  })) as Awaited<R>;
}

/** `toThread` with options first: `toThread.withOptions({ callbacks }, fn, ...args)`. */
toThread.withOptions = withOptions;
