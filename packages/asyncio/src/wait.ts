/** asyncio's `wait` and `asCompleted`. */
import { ValueError, checkNumber, checkOptions } from '@duet/kernel';
import { TimeoutError } from './errors';
import { Future, isFuture } from './futures';
import { getRunningLoop } from './events';
import type { TimerHandle } from './loop';
import { Queue } from './queues';
import { ensureFuture, type Awaitable, type AwaitedOf } from './tasks';

/**
 * `wait()` returns when any future finishes or is cancelled.
 *
 * @example
 * ```ts
 * const [done, pending] = await wait(tasks, { returnWhen: FIRST_COMPLETED });
 * ```
 */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/**
 * `wait()` returns when any future finishes by raising an error, or when all finish.
 *
 * @example
 * ```ts
 * const [done, pending] = await wait(tasks, { returnWhen: FIRST_EXCEPTION });
 * ```
 */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/**
 * `wait()` returns when all futures finish or are cancelled (the default).
 *
 * @example
 * ```ts
 * const [done] = await wait(tasks, { returnWhen: ALL_COMPLETED });
 * ```
 */
export const ALL_COMPLETED = 'ALL_COMPLETED';

/**
 * When `wait()` returns: {@link FIRST_COMPLETED}, {@link FIRST_EXCEPTION} or {@link ALL_COMPLETED}.
 *
 * @example
 * ```ts
 * const when: ReturnWhen = FIRST_COMPLETED;
 * ```
 */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/**
 * Options of {@link wait}.
 *
 * @example
 * ```ts
 * await wait(tasks, { timeout: 5, returnWhen: FIRST_EXCEPTION });
 * ```
 */
export interface WaitOptions {
  /** Seconds to wait at most; `null` / absent waits as long as needed. Never raises TimeoutError. */
  timeout?: number | null;
  /** When to return; {@link ALL_COMPLETED} by default. */
  returnWhen?: ReturnWhen;
}

/** A `TypeError` unless `aws` is an iterable (of awaitables), as CPython: `wait(task)` is one. */
function checkAwaitables(api: string, aws: unknown): void {
  if (aws === null || typeof (aws as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(
      `${api} expects an iterable of Futures or Tasks, e.g. [task], got ${aws === null ? 'null' : typeof aws}`,
    );
  }
}

/** Checks a timeout option: `null`/`undefined` (none) or seconds. */
function checkTimeout(api: string, timeout: unknown): void {
  if (timeout !== null && timeout !== undefined)
    checkNumber(api, 'timeout', timeout, { unit: 'seconds' });
}

/**
 * Waits for Futures/Tasks until `returnWhen` is met or `timeout` passes, as asyncio's `wait`, and
 * returns `[done, pending]` sets. It never raises `TimeoutError` and never cancels anything.
 * Pass Tasks or Futures (start functions with `createTask` first).
 *
 * @example
 * ```ts
 * const [done, pending] = await wait([t1, t2], { returnWhen: FIRST_COMPLETED });
 * ```
 */
export async function wait<F extends Future<unknown>>(
  aws: Iterable<F>,
  options: WaitOptions = {},
): Promise<[done: Set<F>, pending: Set<F>]> {
  checkAwaitables('wait()', aws);
  checkOptions('wait()', options, ['timeout', 'returnWhen']);
  checkTimeout('wait()', options.timeout);
  const futs = new Set<F>();
  for (const aw of aws) {
    if (!isFuture(aw)) {
      throw new TypeError(
        'wait() takes Futures or Tasks; start a function with createTask() first',
      );
    }
    futs.add(aw);
  }
  if (futs.size === 0) throw new ValueError('Set of Tasks/Futures is empty.');
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== FIRST_COMPLETED &&
    returnWhen !== FIRST_EXCEPTION &&
    returnWhen !== ALL_COMPLETED
  ) {
    throw new ValueError(`Invalid returnWhen value: ${String(returnWhen)}`);
  }
  const timeoutSeconds = options.timeout ?? null;
  const loop = getRunningLoop();
  const waiter = loop.createFuture<void>();
  let counter = futs.size;
  let handle: TimerHandle | null = null;
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  if (timeoutSeconds !== null) handle = loop.callLater(timeoutSeconds, release);
  const onCompletion = (f: F): void => {
    counter--;
    if (
      counter <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f.exception() !== null)
    ) {
      handle?.cancel();
      release();
    }
  };
  for (const f of futs) f.addDoneCallback(onCompletion);
  try {
    await waiter;
  } finally {
    handle?.cancel();
    for (const f of futs) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<F>();
  const pending = new Set<F>();
  for (const f of futs) (f.done() ? done : pending).add(f);
  return [done, pending];
}

/**
 * Options of {@link asCompleted}.
 *
 * @example
 * ```ts
 * for (const next of asCompleted(tasks, { timeout: 10 })) console.log(await next);
 * ```
 */
export interface AsCompletedOptions {
  /** Seconds after which the next awaitable raises `TimeoutError`; `null` / absent: no limit. */
  timeout?: number | null;
}

/**
 * What {@link asCompleted} returns: iterate it to get one awaitable per input, which resolves in
 * completion order (`for (const next of it) await next`), or use `for await` to get the original
 * Futures/Tasks as they complete (Python 3.13).
 *
 * @example
 * ```ts
 * const it: AsCompletedIterator<number> = asCompleted([t1, t2]);
 * for (const next of it) console.log(await next);
 * ```
 */
export class AsCompletedIterator<T> implements Iterable<PromiseLike<T>>, AsyncIterable<Future<T>> {
  private readonly todo = new Set<Future<T>>();
  // Boxed: a Future is thenable, so a Promise resolved with one would wait for it.
  private readonly doneQueue = new Queue<{ readonly future: Future<T> } | null>();
  private remaining: number;
  private handle: TimerHandle | null = null;
  private readonly timeoutSeconds: number | null;

  /** @internal */
  constructor(aws: Iterable<Awaitable<T>>, options: AsCompletedOptions) {
    const loop = getRunningLoop();
    // Deduplicated before wrapping, as CPython's set(fs): one function given twice is one task.
    for (const aw of new Set(aws)) this.todo.add(ensureFuture(aw));
    this.remaining = this.todo.size;
    const onDone = (f: Future<T>): void => {
      if (!this.todo.delete(f)) return;
      this.doneQueue.putNowait({ future: f });
      if (this.todo.size === 0) this.handle?.cancel();
    };
    for (const f of this.todo) f.addDoneCallback(onDone);
    const timeoutSeconds = (this.timeoutSeconds = options.timeout ?? null);
    if (this.todo.size !== 0 && timeoutSeconds !== null) {
      this.handle = loop.callLater(timeoutSeconds, () => {
        for (const f of this.todo) f.removeDoneCallback(onDone);
        this.todo.clear();
        this.doneQueue.putNowait(null);
      });
    }
  }

  private async next(): Promise<{ readonly future: Future<T> }> {
    const box = await this.doneQueue.get();
    if (box === null) {
      this.doneQueue.putNowait(null); // every later awaitable times out too
      throw new TimeoutError(`asCompleted() timed out after ${this.timeoutSeconds} s`);
    }
    return box;
  }

  /** One awaitable per input; each resolves with the next result in completion order. */
  *[Symbol.iterator](): Iterator<PromiseLike<T>> {
    while (this.remaining > 0) {
      this.remaining--;
      // Lazy: the wait starts when the awaitable is awaited, in the awaiting task.
      yield {
        then: (onF, onR) =>
          this.next()
            .then((box) => box.future.result())
            .then(onF, onR),
      };
    }
  }

  /** The original Futures/Tasks as they complete. */
  [Symbol.asyncIterator](): AsyncIterator<Future<T>> {
    // Written by hand: an async generator would await the yielded Future and yield its value.
    return {
      next: async (): Promise<IteratorResult<Future<T>>> => {
        if (this.remaining <= 0) return { done: true, value: undefined };
        this.remaining--;
        const box = await this.next();
        return { done: false, value: box.future };
      },
    };
  }
}

/**
 * Runs the awaitables concurrently and gives them back in completion order, as asyncio's
 * `as_completed`: iterate for awaitables of the results, or `for await` for the original
 * Futures/Tasks. When `timeout` passes, the next awaitable raises `TimeoutError`.
 *
 * Note: TypeScript types a `for await` variable as the awaited value; with this iterator it is
 * the Future/Task itself at run time, so cast it (`value as unknown as Task<T>`) to use it as one.
 *
 * @example
 * ```ts
 * for (const next of asCompleted([t1, t2])) console.log(await next);
 * for await (const task of asCompleted([t1, t2], { timeout: 5 })) console.log(task.result());
 * ```
 */
export function asCompleted<A extends Awaitable<unknown>>(
  aws: Iterable<A>,
  options: AsCompletedOptions = {},
): AsCompletedIterator<AwaitedOf<A>> {
  checkAwaitables('asCompleted()', aws);
  checkOptions('asCompleted()', options, ['timeout']);
  checkTimeout('asCompleted()', options.timeout);
  return new AsCompletedIterator(aws as Iterable<Awaitable<AwaitedOf<A>>>, options);
}
