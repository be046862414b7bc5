/**
 * `asSafeChannel`: Trio's `trio.as_safe_channel` (0.30). An async generator that yields from inside
 * a nursery or cancel scope breaks structured concurrency, and one abandoned mid-way never runs
 * its cleanup; this runs the generator in a background task of its own nursery and hands the
 * caller's block only the receive end of a rendezvous channel. The generator is asked for a value
 * only when the block asks for one, and is closed (its `finally` blocks run) when the block ends.
 */
import { ExceptionGroup, checkFunction, type TaskStatus } from '@duet/kernel';
import {
  openMemoryChannel,
  receiveUntilEnd,
  type MemoryReceiveChannel,
  type MemorySendChannel,
  type ReceiveChannel,
} from './channel';
import { openNursery } from './run';
import { Semaphore } from './sync';

/** Trio's message when the generator's cleanup and the block both failed. */
const UNWRAP_FAILED =
  'Encountered exception during cleanup of generator object, as well as exception in the contextmanager body - unable to unwrap.';

/** The block of an {@link asSafeChannel} opener: it gets the channel of the generator's values. */
export type SafeChannelBody<T, R> = (channel: ReceiveChannel<T>) => Promise<R> | R;

/**
 * What {@link asSafeChannel} makes of an async generator function: call it with the generator's
 * arguments and then the block, as `async with agen(*args) as channel:`.
 */
export type SafeChannelOpener<A extends unknown[], T> = <R>(
  ...argsAndBody: [...A, SafeChannelBody<T, R>]
) => Promise<R>;

/**
 * The receive end the block gets: each `receive()` first lets the generator produce one value
 * (a permit of `demand`), so the generator runs no further ahead than the block asks.
 */
class SafeReceiveChannel<T> implements ReceiveChannel<T> {
  constructor(
    private readonly channel: MemoryReceiveChannel<T>,
    private readonly demand: Semaphore,
  ) {}

  /** Asks the generator for its next value and receives it; `EndOfChannel` once it has returned. */
  receive(): Promise<T> {
    this.demand.release();
    return this.channel.receive();
  }

  /** Closes the channel: the generator's next value finds nobody to take it. */
  aclose(): Promise<void> {
    return this.channel.aclose();
  }

  /** `await using`: as {@link SafeReceiveChannel.aclose}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Receives until the generator has returned. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return receiveUntilEnd(this);
  }
}

/** The background task: one value from the generator per permit, into the channel. */
async function pump<T>(
  generator: AsyncIterator<T>,
  send: MemorySendChannel<T>,
  demand: Semaphore,
  taskStatus: TaskStatus,
): Promise<void> {
  try {
    try {
      taskStatus.started();
      for (;;) {
        await demand.acquire();
        const step = await generator.next();
        if (step.done === true) return;
        await send.send(step.value);
      }
    } finally {
      // Python's `aclose()`: runs the generator's `finally` blocks if it is suspended at a yield.
      await generator.return?.(undefined);
    }
  } finally {
    // Closed synchronously: an `aclose()` here would checkpoint and could replace the error.
    send.close();
  }
}

/** The generator `fn(...args)` made, or a `TypeError` naming the mistake. */
function startGenerator<A extends unknown[], T>(
  fn: (...args: A) => AsyncIterator<T>,
  args: A,
): AsyncIterator<T> {
  const generator: unknown = fn(...args);
  if (
    generator !== null &&
    typeof generator === 'object' &&
    typeof (generator as AsyncIterator<T>).next === 'function'
  ) {
    return generator as AsyncIterator<T>;
  }
  if (generator instanceof Promise) generator.then(undefined, () => {});
  throw new TypeError(
    `asSafeChannel(): ${fn.name || 'the function'} returned ${generator instanceof Promise ? 'a Promise' : typeof generator}, not an async generator; decorate an async generator function (async function*)`,
  );
}

/**
 * Turns an async generator function into an opener of a channel of its values, as Trio's
 * `@trio.as_safe_channel`. The generator runs in a background task of a nursery that lives as long
 * as the block; the block receives from a rendezvous channel. The generator is asked for its next
 * value only when the block calls `receive()` (or its `for await` loop asks), never ahead.
 *
 * When the block ends, the nursery is cancelled, which closes the generator: its `finally` blocks
 * run, inside a cancelled scope. Errors come out unwrapped when there is one: the block's own, or
 * the generator's. When both fail, an `ExceptionGroup` ("Encountered exception during cleanup of
 * generator object, as well as exception in the contextmanager body - unable to unwrap.") holds
 * the nursery's group of both. Closing the channel early (`aclose()`) is no error: the generator
 * is told nothing until the block ends. A value the block did not ask for is never produced.
 *
 * @param fn - an async generator function (`async function*`); an `async function` is a
 *   `TypeError` here, and a function that returns anything but an async iterator is one when opened
 * @returns a function taking `fn`'s arguments and then the block, resolving with the block's value
 *
 * @example
 * ```ts
 * const ticks = asSafeChannel(async function* (count: number) {
 *   for (let i = 0; i < count; i++) {
 *     await sleep(1);
 *     yield i;
 *   }
 * });
 *
 * await ticks(3, async (channel) => {
 *   for await (const tick of channel) console.log('tick', tick);
 * });
 * ```
 */
export function asSafeChannel<A extends unknown[], T>(
  fn: (...args: A) => AsyncIterator<T>,
): SafeChannelOpener<A, T> {
  checkFunction('asSafeChannel()', fn);
  if (fn.constructor?.name === 'AsyncFunction') {
    throw new TypeError(
      `asSafeChannel(): ${fn.name || 'the function'} is an async function; decorate an async generator function (async function*) that yields the values`,
    );
  }
  const opener = async <R>(...argsAndBody: [...A, SafeChannelBody<T, R>]): Promise<R> => {
    const body = argsAndBody.pop() as SafeChannelBody<T, R>;
    checkFunction(`${opener.name}() (the block, after the generator's arguments)`, body);
    const args = argsAndBody as unknown as A;
    const [send, receive] = openMemoryChannel<T>(0);
    let result: R;
    try {
      await openNursery(
        async (nursery) => {
          const generator = startGenerator(fn, args);
          const demand = new Semaphore(0);
          await nursery.start(pump<T>, generator, send, demand);
          try {
            result = await body(new SafeReceiveChannel(receive, demand));
          } finally {
            receive.close();
          }
          // The block is done: end the generator now, wherever it waits.
          nursery.cancelScope.cancel();
        },
        { strictExceptionGroups: true },
      );
    } catch (err) {
      if (!(err instanceof ExceptionGroup)) throw err;
      if (err.exceptions.length === 1) throw err.exceptions[0];
      throw new ExceptionGroup(UNWRAP_FAILED, [err]);
    }
    return result!;
  };
  Object.defineProperty(opener, 'name', { value: fn.name || 'asSafeChannel' });
  return opener;
}
