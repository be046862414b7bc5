/**
 * Plain JavaScript, both directions: Duet code run from Promise code with an AbortSignal as the
 * outside cancellation, and Promise / EventEmitter / AsyncIterable sources awaited from Duet code
 * as cancellable checkpoints.
 */
import { once, type EventEmitter } from 'node:events';
import { run as aioRun } from '@duet/asyncio';
import {
  CancelScope,
  Cancelled,
  ParkingLot,
  awaitForeign,
  currentSignal,
  type Nursery,
  checkFunction,
} from '@duet/kernel';
import { EndOfChannel, run as trioRun, type RunOptions as TrioRunOptions } from '@duet/trio';

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
 * Waits for the next `name` event of `emitter` as a cancellable checkpoint, and resolves with the
 * event's arguments; an `'error'` event rejects. On cancellation the listener is removed.
 *
 * @example
 * ```ts
 * const [code] = await awaitEvent(child, 'exit');
 * ```
 */
export function awaitEvent(emitter: EventEmitter, name: string | symbol): Promise<unknown[]> {
  return awaitForeign(once(emitter, name, { signal: currentSignal() }));
}

/**
 * Iterates any `AsyncIterable` (a Node stream, an async generator) from Duet code, each step a
 * cancellable checkpoint. Leaving the loop early, by `break`, an error or cancellation, destroys a
 * Node stream (anything with `destroy()`) or calls the iterator's `return()`.
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
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const step = await awaitForeign(iterator.next());
      if (step.done === true) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    if (!finished) {
      // A stream's iterator finishes return() only after a pending next(): destroy streams directly.
      const stream = source as { destroy?: () => void };
      if (typeof stream.destroy === 'function') stream.destroy();
      else iterator.return?.()?.catch?.(() => undefined);
    }
  }
}

/** Something values can be received from inside a run: a Trio receive channel, for one. */
export interface Receiver<T> {
  /** Waits for the next value; raises `EndOfChannel` when there are no more. */
  receive(): Promise<T>;
}

/**
 * Exposes a receive channel to plain code outside the run as an `AsyncIterable`. Call it inside
 * the run; a pump task in `nursery` receives one value per `next()` the plain consumer asks for
 * (so back-pressure holds), and ends when the channel ends, the consumer returns, or the nursery is
 * cancelled (the iteration then ends too).
 *
 * @example
 * ```ts
 * await openNursery(async (n) => {
 *   const items = toAsyncIterable(receiveChannel, n);
 *   handOutToPlainCode(items); // for await (const item of items) ...
 * });
 * ```
 */
export function toAsyncIterable<T>(receiver: Receiver<T>, nursery: Nursery): AsyncIterable<T> {
  const demand = new ParkingLot('toAsyncIterable demand');
  const waiting: Array<{ resolve(r: IteratorResult<T>): void; reject(e: unknown): void }> = [];
  let ended = false;
  let pumpEnded!: () => void;
  const pumpDone = new Promise<void>((resolve) => (pumpEnded = resolve));
  // Level-triggered, so a consumer that stops ends the pump quietly instead of failing the nursery.
  const pumpScope = new CancelScope();
  // Only the pump ends the iteration: a value it received goes to the next() that asked for it.
  const end = (): void => {
    ended = true;
    for (const w of waiting.splice(0)) w.resolve({ done: true, value: undefined });
    pumpEnded();
  };
  const pump = async (): Promise<void> => {
    try {
      await pumpScope.run(async () => {
        for (;;) {
          while (waiting.length === 0) await demand.park();
          let value: T;
          try {
            value = await receiver.receive();
          } catch (err) {
            if (err instanceof EndOfChannel) return;
            if (err instanceof Cancelled) throw err; // the iteration just ends
            waiting.shift()!.reject(err);
            return;
          }
          waiting.shift()!.resolve({ done: false, value });
        }
      });
    } finally {
      end();
    }
  };
  nursery.spawn(pump, [], 'toAsyncIterable pump');
  return {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<T>>((resolve, reject) => {
          if (ended) {
            resolve({ done: true, value: undefined });
            return;
          }
          waiting.push({ resolve, reject });
          demand.unparkAll();
        }),
      // Resolves once the pump has stopped: a next() still pending gets the value the pump was
      // already handed (none is lost), or the end.
      return: async (): Promise<IteratorResult<T>> => {
        pumpScope.cancel('the consumer stopped iterating');
        await pumpDone;
        return { done: true, value: undefined };
      },
    }),
  };
}
