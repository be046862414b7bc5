/**
 * Queues and channels across the boundary: an asyncio `Queue` used as a Trio channel pair, and a
 * Trio channel pair used as an asyncio `Queue`. Closing maps to `shutdown`, and `EndOfChannel` to
 * `QueueShutDown`, where they mean the same.
 *
 * A cancel that races a wake-up loses no item on either side: the rule of the primitive
 * underneath applies. An asyncio `Queue` takes a wake-up back from an edge-cancelled getter (the
 * item stays queued for the next one); a Trio channel hands the item over, and a receiver that was
 * cancelled after being woken keeps it, the cancel landing at its next checkpoint.
 */
import { Queue, QueueEmpty, QueueFull, QueueShutDown } from '@duet/asyncio';
import {
  BrokenResourceError,
  ClosedResourceError,
  EndOfChannel,
  MemoryReceiveChannel,
  MemorySendChannel,
  WouldBlock,
} from '@duet/trio';
import { checkInstance } from '@duet/kernel';

/** The send side of {@link queueAsChannels}: `send` is `put`, `close` shuts the queue down. */
export class QueueSendChannel<T> implements AsyncDisposable {
  private closed = false;

  /** @internal */
  constructor(private readonly queue: Queue<T>) {}

  /** Puts `value`, waiting while the queue is full. `BrokenResourceError` once the queue is shut down. */
  async send(value: T): Promise<void> {
    if (this.closed) throw new ClosedResourceError('this send channel is closed');
    try {
      await this.queue.put(value);
    } catch (err) {
      throw err instanceof QueueShutDown ? new BrokenResourceError('the queue was shut down') : err;
    }
  }

  /** Puts `value` without waiting; `WouldBlock` when the queue is full. */
  sendNowait(value: T): void {
    if (this.closed) throw new ClosedResourceError('this send channel is closed');
    try {
      this.queue.putNowait(value);
    } catch (err) {
      if (err instanceof QueueFull) throw new WouldBlock('the queue is full');
      throw err instanceof QueueShutDown ? new BrokenResourceError('the queue was shut down') : err;
    }
  }

  /** Shuts the queue down (receivers drain it, then see `EndOfChannel`). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.shutdown();
  }

  /** {@link QueueSendChannel.close}, as an async call. */
  async aclose(): Promise<void> {
    this.close();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/** The receive side of {@link queueAsChannels}: `receive` is `get`; iterate it with `for await`. */
export class QueueReceiveChannel<T> implements AsyncIterable<T>, AsyncDisposable {
  private closed = false;

  /** @internal */
  constructor(private readonly queue: Queue<T>) {}

  /** Gets the next item, waiting while the queue is empty; `EndOfChannel` once it is shut down and drained. */
  async receive(): Promise<T> {
    if (this.closed) throw new ClosedResourceError('this receive channel is closed');
    try {
      return await this.queue.get();
    } catch (err) {
      throw err instanceof QueueShutDown ? new EndOfChannel('the queue was shut down') : err;
    }
  }

  /** Gets an item without waiting; `WouldBlock` when the queue is empty. */
  receiveNowait(): T {
    if (this.closed) throw new ClosedResourceError('this receive channel is closed');
    try {
      return this.queue.getNowait();
    } catch (err) {
      if (err instanceof QueueEmpty) throw new WouldBlock('the queue is empty');
      throw err instanceof QueueShutDown ? new EndOfChannel('the queue was shut down') : err;
    }
  }

  /** Stops receiving: shuts the queue down at once, dropping what is left (senders get `BrokenResourceError`). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.shutdown(true);
  }

  /** {@link QueueReceiveChannel.close}, as an async call. */
  async aclose(): Promise<void> {
    this.close();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates with `for await`. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (err) {
        if (err instanceof EndOfChannel) return;
        throw err;
      }
    }
  }
}

/**
 * An asyncio `Queue` as a Trio-style channel pair, for Trio code that consumes or feeds a queue
 * owned by asyncio code.
 *
 * @example
 * ```ts
 * const [send, receive] = queueAsChannels(queue);
 * for await (const job of receive) await handle(job); // ends when the queue is shut down
 * ```
 */
export function queueAsChannels<T>(queue: Queue<T>): [QueueSendChannel<T>, QueueReceiveChannel<T>] {
  if (!(queue instanceof Queue)) throw new TypeError('queueAsChannels expects an asyncio Queue');
  return [new QueueSendChannel(queue), new QueueReceiveChannel(queue)];
}

/**
 * A Trio channel pair as an asyncio `Queue`-like object, for asyncio code that consumes or feeds
 * a channel owned by Trio code. `shutdown()` closes the send side (getters drain, then
 * `QueueShutDown`); `shutdown(true)` closes both sides at once.
 *
 * @example
 * ```ts
 * const [send, receive] = openMemoryChannel<Job>(10);
 * const queue = channelAsQueue(send, receive);
 * await queue.put(job); // from asyncio code
 * ```
 */
export function channelAsQueue<T>(
  send: MemorySendChannel<T>,
  receive: MemoryReceiveChannel<T>,
): ChannelQueue<T> {
  checkInstance(
    'channelAsQueue()',
    'send',
    send,
    MemorySendChannel,
    'the send end of openMemoryChannel()',
  );
  checkInstance(
    'channelAsQueue()',
    'receive',
    receive,
    MemoryReceiveChannel,
    'the receive end of openMemoryChannel(): pass both ends, channelAsQueue(send, receive)',
  );
  return new ChannelQueue(send, receive);
}

/** The object {@link channelAsQueue} returns. */
export class ChannelQueue<T> {
  /** @internal */
  constructor(
    private readonly sendChannel: MemorySendChannel<T>,
    private readonly receiveChannel: MemoryReceiveChannel<T>,
  ) {}

  /** Sends `item`, waiting while the channel is full; `QueueShutDown` once shut down. */
  async put(item: T): Promise<void> {
    try {
      await this.sendChannel.send(item);
    } catch (err) {
      throw toShutDown(err);
    }
  }

  /** Sends without waiting; `QueueFull` when it would block. */
  putNowait(item: T): void {
    try {
      this.sendChannel.sendNowait(item);
    } catch (err) {
      throw err instanceof WouldBlock ? new QueueFull('the channel is full') : toShutDown(err);
    }
  }

  /** Receives the next item; `QueueShutDown` once shut down and drained. */
  async get(): Promise<T> {
    try {
      return await this.receiveChannel.receive();
    } catch (err) {
      throw toShutDown(err);
    }
  }

  /** Receives without waiting; `QueueEmpty` when nothing is there. */
  getNowait(): T {
    try {
      return this.receiveChannel.receiveNowait();
    } catch (err) {
      throw err instanceof WouldBlock ? new QueueEmpty('the channel is empty') : toShutDown(err);
    }
  }

  /** How many items wait in the channel's buffer. */
  qsize(): number {
    return this.sendChannel.statistics().currentBufferUsed;
  }

  /** Closes the send side; with `immediate`, the receive side too (dropping what is buffered). */
  shutdown(immediate = false): void {
    this.sendChannel.close();
    if (immediate) this.receiveChannel.close();
  }
}

function toShutDown(err: unknown): unknown {
  if (
    err instanceof EndOfChannel ||
    err instanceof BrokenResourceError ||
    err instanceof ClosedResourceError
  ) {
    return new QueueShutDown('the channel is closed');
  }
  return err;
}
