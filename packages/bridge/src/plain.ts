/**
 * Plain JavaScript, both directions: Duet code run from Promise code with an AbortSignal as the
 * outside cancellation, and Promise / EventEmitter / AsyncIterable sources awaited from Duet code
 * as cancellable checkpoints.
 */
import { once, type EventEmitter } from 'node:events';
import { run as aioRun } from '@duet/asyncio';
import {
  CancelScope,
  awaitForeign,
  checkChoice,
  checkFunction,
  checkOptions,
  currentSignal,
  type NodeEventEmitter,
  type Nursery,
} from '@duet/kernel';
import { run as trioRun, type RunOptions as TrioRunOptions } from '@duet/trio';
import { readPump, type ReadSource } from './web';

/** Options of {@link runWithSignal}. */
export interface RunWithSignalOptions {
  /**
   * Which facade's `run` hosts `fn`: `'trio'` (the default: `@duet/trio`'s `run`) or `'asyncio'`
   * (`@duet/asyncio`'s `run`, which cancels leftover tasks at the end as `asyncio.run` does).
   */
  style?: 'trio' | 'asyncio';
  /** Options passed to the Trio-style `run` (clock, instruments, ...). */
  trio?: TrioRunOptions;
}

/**
 * Runs `fn` in a new Duet run from plain Promise code, with `signal` as the outside cancellation:
 * aborting cancels the run's root scope, and the returned Promise then rejects with the signal's
 * `reason`. A signal aborted before the call rejects at once without starting a run.
 *
 * @example
 * ```ts
 * app.get('/report', async (req, res) => {
 *   const ac = new AbortController();
 *   req.on('close', () => ac.abort(new Error('client went away')));
 *   res.json(await runWithSignal(ac.signal, () => buildReport(req.query)));
 * });
 * ```
 */
export function runWithSignal<R>(
  signal: AbortSignal,
  fn: () => Promise<R> | R,
  options: RunWithSignalOptions = {},
): Promise<R> {
  if (!(signal instanceof AbortSignal)) throw new TypeError('runWithSignal expects an AbortSignal');
  checkFunction('runWithSignal()', fn);
  checkOptions('runWithSignal()', options, ['style', 'trio']);
  checkChoice('runWithSignal()', 'style', options.style, ['trio', 'asyncio'], true);
  checkOptions('runWithSignal(): trio', options.trio);
  if (signal.aborted) return Promise.reject(signal.reason);
  const main = async (): Promise<R> => {
    const scope = new CancelScope();
    const onAbort = (): void => scope.cancel('aborted by the AbortSignal');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const value = await scope.run(fn);
      if (scope.cancelledCaught) throw signal.reason;
      return value as R;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
  return options.style === 'asyncio' ? aioRun(main) : trioRun(options.trio ?? {}, main);
}

/**
 * Waits for the next `name` event of an `EventEmitter` or an `EventTarget` as a cancellable
 * checkpoint. An emitter's wait resolves with the event's arguments and an `'error'` event rejects;
 * a target's wait resolves with `[event]`. On cancellation the listener is removed.
 *
 * @example
 * ```ts
 * const [code] = await awaitEvent(child, 'exit');
 * const [event] = await awaitEvent(abortSignal, 'abort');
 * ```
 */
export function awaitEvent<E extends Event = Event>(
  target: EventTarget,
  name: string,
): Promise<[E]>;
export function awaitEvent(emitter: NodeEventEmitter, name: string | symbol): Promise<unknown[]>;
export function awaitEvent(
  source: EventEmitter | EventTarget,
  name: string | symbol,
): Promise<unknown[]> {
  if (
    typeof (source as EventTarget | null)?.addEventListener !== 'function' &&
    typeof (source as EventEmitter | null)?.once !== 'function'
  ) {
    throw new TypeError('awaitEvent expects an EventEmitter or an EventTarget');
  }
  return awaitForeign(once(source as EventEmitter, name, { signal: currentSignal() }));
}

/**
 * Iterates any `AsyncIterable` (a Node stream, an async generator) from Duet code, each step a
 * cancellable checkpoint. Leaving the loop early, by `break`, an error or cancellation, destroys a
 * Node stream (anything with `destroy()`), cancels a web `ReadableStream` and releases its lock
 * (even while a read is pending), or calls the iterator's `return()`.
 *
 * @example
 * ```ts
 * for await (const chunk of iterate(fs.createReadStream(path))) total += chunk.length;
 * ```
 */
export async function* iterate<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  if (source === null || typeof source !== 'object' || !(Symbol.asyncIterator in source)) {
    throw new TypeError('iterate expects an AsyncIterable');
  }
  if (source instanceof ReadableStream) {
    const reader = (source as ReadableStream<T>).getReader();
    try {
      // cancel() also settles a read left pending by a cancellation, so the lock can go.
      yield* foreignSteps<T>(
        () => reader.read(),
        () => reader.cancel().catch(() => undefined),
      );
    } finally {
      reader.releaseLock();
    }
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  yield* foreignSteps(
    () => iterator.next(),
    () => {
      // A stream's iterator finishes return() only after a pending next(): destroy streams directly.
      const stream = source as { destroy?: () => void };
      if (typeof stream.destroy === 'function') stream.destroy();
      else iterator.return?.()?.catch?.(() => undefined);
    },
  );
}

/**
 * Yields the value of each `next()` (awaited as a cancellable checkpoint) until one is done;
 * leaving early (`break`, an error, cancellation) calls `abandon()`.
 */
async function* foreignSteps<T>(
  next: () => PromiseLike<{ done?: false; value: T } | { done: true; value?: unknown }>,
  abandon: () => unknown,
): AsyncGenerator<T, void, undefined> {
  let finished = false;
  try {
    for (;;) {
      const step = await awaitForeign(next());
      if (step.done === true) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    if (!finished) abandon();
  }
}

/** Something values can be received from inside a run: a Trio receive channel, for one. */
export interface Receiver<T> {
  /** Waits for the next value; raises `EndOfChannel` when there are no more. */
  receive(): Promise<T>;
}

/**
 * Exposes a receive channel (or any {@link ReadSource}) to plain code outside the run as an
 * `AsyncIterable`. Call it inside the run; a pump task in `nursery` receives one value per `next()`
 * the plain consumer asks for (so back-pressure holds), and ends when the channel ends, the consumer
 * returns, or the nursery is cancelled (the iteration then ends too).
 *
 * @example
 * ```ts
 * await openNursery(async (n) => {
 *   const items = toAsyncIterable(receiveChannel, n);
 *   handOutToPlainCode(items); // for await (const item of items) ...
 * });
 * ```
 */
export function toAsyncIterable<T>(receiver: ReadSource<T>, nursery: Nursery): AsyncIterable<T> {
  const pump = readPump(receiver, nursery, 'toAsyncIterable');
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => pump.request() as Promise<IteratorResult<T>>,
      return: (): Promise<IteratorResult<T>> => {
        pump.stop();
        return Promise.resolve({ done: true, value: undefined });
      },
    }),
  };
}
