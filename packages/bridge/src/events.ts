/**
 * A `for await` over a stream of events from an `EventTarget` or an `EventEmitter` (Node's
 * `events.on`, made a cancellable checkpoint with a bounded buffer).
 */
import type { EventEmitter } from 'node:events';
import {
  HostWait,
  RuntimeError,
  cancelShieldedCheckpoint,
  checkChoice,
  checkNumber,
  checkOptions,
  checkpointIfCancelled,
  type NodeEventEmitter,
} from '@duet/kernel';

/** Raised by {@link iterateEvents} when events arrived faster than the loop took them and the buffer was full. */
export class EventOverflowError extends RuntimeError {
  /** The class name, `'EventOverflowError'`. */
  override name = 'EventOverflowError';
}

/** Options of {@link iterateEvents}. */
export interface IterateEventsOptions {
  /** The most events held that the loop has not taken yet (default 1024). */
  bufferSize?: number;
  /**
   * What happens to an event that finds the buffer full, when the source cannot be paused:
   * `'error'` (the default: the loop raises {@link EventOverflowError} after the buffered events),
   * `'dropOldest'` or `'dropNewest'`. A source with `pause()` and `resume()` (a Node stream) is
   * paused instead, until the loop has taken half of the buffer: back-pressure, nothing lost.
   */
  overflow?: 'error' | 'dropOldest' | 'dropNewest';
}

interface Pausable {
  pause(): void;
  resume(): void;
}

function isEventTarget(source: unknown): source is EventTarget {
  return typeof (source as EventTarget | null)?.addEventListener === 'function';
}

class EventIterator<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private failure: { error: unknown } | null = null;
  private ended = false;
  private paused = false;
  private readonly wait: HostWait;
  private readonly detach: () => void;
  private readonly pausable: Pausable | null;
  private readonly size: number;
  private readonly overflow: NonNullable<IterateEventsOptions['overflow']>;

  constructor(
    source: EventTarget | EventEmitter,
    name: string | symbol,
    options: IterateEventsOptions,
  ) {
    checkOptions('iterateEvents()', options, ['bufferSize', 'overflow']);
    this.size = options.bufferSize ?? 1024;
    this.overflow = options.overflow ?? 'error';
    checkNumber('iterateEvents()', 'bufferSize', this.size, { min: 1, integer: true });
    checkChoice('iterateEvents()', 'overflow', this.overflow, [
      'error',
      'dropOldest',
      'dropNewest',
    ]);
    this.wait = new HostWait(`event '${String(name)}'`);
    if (isEventTarget(source)) {
      if (typeof name !== 'string') throw new TypeError('an EventTarget event name is a string');
      const onEvent = (event: Event): void => this.push(event as T);
      source.addEventListener(name, onEvent);
      this.detach = () => source.removeEventListener(name, onEvent);
      this.pausable = null;
    } else if (typeof (source as EventEmitter | null)?.on === 'function') {
      const onEvent = (...args: unknown[]): void => this.push(args as T);
      const onError = (error: unknown): void => this.fail(error);
      source.on(name, onEvent);
      if (name !== 'error') source.on('error', onError);
      this.detach = () => {
        source.off(name, onEvent);
        source.off('error', onError);
      };
      const p = source as unknown as Partial<Pausable>;
      this.pausable =
        typeof p.pause === 'function' && typeof p.resume === 'function' ? (p as Pausable) : null;
    } else {
      throw new TypeError('iterateEvents expects an EventTarget or an EventEmitter');
    }
  }

  private push(item: T): void {
    if (this.ended || this.failure !== null) return;
    if (this.buffer.length >= this.size && this.pausable === null) {
      if (this.overflow === 'dropNewest') return;
      if (this.overflow === 'dropOldest') this.buffer.shift();
      else {
        this.fail(
          new EventOverflowError(`more than ${this.size} events arrived before the loop took them`),
        );
        return;
      }
    }
    this.buffer.push(item);
    if (this.pausable !== null && !this.paused && this.buffer.length >= this.size) {
      this.paused = true;
      this.pausable.pause();
    }
    this.wait.wake();
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    this.detach();
    this.wait.wake();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.buffer.length = 0;
    this.detach();
    if (this.paused) this.pausable!.resume();
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.ended) return { done: true, value: undefined };
    try {
      await checkpointIfCancelled();
      let waited = false;
      while (this.buffer.length === 0 && this.failure === null) {
        await this.wait.wait();
        waited = true;
      }
      if (this.buffer.length === 0) throw this.failure!.error;
      const value = this.buffer.shift()!;
      if (this.paused && this.buffer.length <= this.size / 2) {
        this.paused = false;
        this.pausable!.resume();
      }
      if (!waited) await cancelShieldedCheckpoint();
      return { done: false, value };
    } catch (err) {
      // for await does not call return() when next() throws: stop listening here.
      this.end();
      throw err;
    }
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Iterates the `name` events of an `EventTarget` (yielding each `Event`) or an `EventEmitter`
 * (yielding each event's arguments as an array, as `events.on` does; an `'error'` event ends the
 * loop with that error), from Duet code. It listens from the call on, so call it where the loop
 * starts; each step is a cancellable checkpoint, and leaving the loop (break, error,
 * cancellation) removes the listeners. Events wait in a bounded buffer: see
 * {@link IterateEventsOptions}.
 *
 * @example
 * ```ts
 * await moveOnAfter(10, async () => {
 *   for await (const [message] of iterateEvents(worker, 'message')) handle(message);
 * });
 * ```
 */
export function iterateEvents<E extends Event = Event>(
  target: EventTarget,
  name: string,
  options?: IterateEventsOptions,
): AsyncIterableIterator<E>;
export function iterateEvents(
  emitter: NodeEventEmitter,
  name: string | symbol,
  options?: IterateEventsOptions,
): AsyncIterableIterator<unknown[]>;
export function iterateEvents(
  source: EventTarget | EventEmitter,
  name: string | symbol,
  options: IterateEventsOptions = {},
): AsyncIterableIterator<unknown> {
  return new EventIterator(source, name, options);
}
