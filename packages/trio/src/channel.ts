/**
 * Memory channels: `openMemoryChannel(maxBufferSize)` → `[MemorySendChannel, MemoryReceiveChannel]`.
 *
 * One shared state per channel: a FIFO buffer, the tasks blocked in `send` (with their values) and
 * the tasks blocked in `receive`, each in arrival order. A value goes straight to a waiting
 * receiver when there is one (the receiver wakes with it), otherwise into the buffer, otherwise
 * the sender parks holding it. Every wait is a kernel park whose abort undoes exactly that wait,
 * so a cancelled `send` delivers nothing and a cancelled `receive` consumes nothing.
 */
import { Abort, ValueError, checkpoint, currentTask, type Task, type Waitable } from '@duet/kernel';
import {
  cancellationPendingIn,
  checkpointTask,
  parkTask,
  wake,
  wakeWithError,
  yieldTask,
} from '@duet/kernel/lowlevel';
import { BrokenResourceError, ClosedResourceError, EndOfChannel, WouldBlock } from './errors';
import type { AsyncResource } from './stream-abc';

/**
 * Statistics of a memory channel (the same for both ends).
 *
 * @example
 * ```ts
 * const { currentBufferUsed, tasksWaitingReceive } = rx.statistics();
 * ```
 */
export interface MemoryChannelStatistics {
  /** Values in the buffer now. */
  currentBufferUsed: number;
  /** The buffer's capacity (`Infinity` for unbounded). */
  maxBufferSize: number;
  /** Send handles (the original and clones) not yet closed. */
  openSendChannels: number;
  /** Receive handles not yet closed. */
  openReceiveChannels: number;
  /** Tasks blocked in `send`. */
  tasksWaitingSend: number;
  /** Tasks blocked in `receive`. */
  tasksWaitingReceive: number;
}

/**
 * `trio.abc.SendChannel`: something you send values into, one at a time. {@link MemorySendChannel}
 * is one.
 *
 * @example
 * ```ts
 * async function produce(out: SendChannel<number>) { for (let i = 0; i < 3; i++) await out.send(i); }
 * ```
 */
export interface SendChannel<T> extends AsyncResource {
  /** Sends `value`, waiting while the channel cannot take it. */
  send(value: T): Promise<void>;
}

/**
 * `trio.abc.ReceiveChannel`: something you receive values from; `for await` receives until
 * {@link EndOfChannel}. {@link MemoryReceiveChannel} and the channel {@link asSafeChannel} gives
 * are ones.
 *
 * @example
 * ```ts
 * async function total(from: ReceiveChannel<number>) { let sum = 0; for await (const n of from) sum += n; return sum; }
 * ```
 */
export interface ReceiveChannel<T> extends AsyncResource, AsyncIterable<T> {
  /** Receives the next value, waiting for one; {@link EndOfChannel} when there will be no more. */
  receive(): Promise<T>;
}

/** The `for await` of a receive channel: `receive()` until {@link EndOfChannel}, which ends the loop. */
export function receiveUntilEnd<T>(channel: { receive(): Promise<T> }): AsyncIterator<T> {
  return {
    next: async (): Promise<IteratorResult<T>> => {
      try {
        return { done: false, value: await channel.receive() };
      } catch (err) {
        if (err instanceof EndOfChannel) return { done: true, value: undefined };
        throw err;
      }
    },
  };
}

/**
 * The park of one task in `send` or `receive`: the waitable it parks on and its node in the
 * channel's queue of such waits, so a blocked operation allocates this one object (no Map or Set
 * entries), and abort unlinks it in O(1).
 */
class ChannelWait<T> implements Waitable {
  prev: ChannelWait<T> | null = null;
  next: ChannelWait<T> | null = null;
  linked = true;

  constructor(
    private readonly queue: WaitQueue<T>,
    readonly task: Task,
    /** The handle the task used: closing that handle ends this wait. */
    readonly handle: object,
    /** What a blocked sender holds. */
    readonly value: T,
  ) {}

  abortWait(): Abort {
    this.queue.remove(this);
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return this.queue.what;
  }
}

/** The blocked senders (or receivers) of a channel, oldest first: a doubly linked list. */
class WaitQueue<T> {
  size = 0;
  private head: ChannelWait<T> | null = null;
  private tail: ChannelWait<T> | null = null;

  constructor(readonly what: string) {}

  /** Queues `task`'s wait at the back and returns the waitable to park it on. */
  add(task: Task, handle: object, value: T): ChannelWait<T> {
    const wait = new ChannelWait(this, task, handle, value);
    wait.prev = this.tail;
    if (this.tail === null) this.head = wait;
    else this.tail.next = wait;
    this.tail = wait;
    this.size++;
    return wait;
  }

  /** Takes the oldest wait out, or null. */
  shift(): ChannelWait<T> | null {
    const wait = this.head;
    if (wait !== null) this.remove(wait);
    return wait;
  }

  remove(wait: ChannelWait<T>): void {
    if (!wait.linked) return;
    wait.linked = false;
    if (wait.prev === null) this.head = wait.next;
    else wait.prev.next = wait.next;
    if (wait.next === null) this.tail = wait.prev;
    else wait.next.prev = wait.prev;
    wait.prev = wait.next = null;
    this.size--;
  }

  /**
   * Takes out every wait made through `handle` (all of them without one), oldest first, and wakes
   * each task with a fresh `error()`: what closing a handle does to the tasks blocked on it.
   */
  failAll(handle: object | undefined, error: () => Error): void {
    for (let wait = this.head; wait !== null;) {
      const next = wait.next;
      if (handle === undefined || wait.handle === handle) {
        this.remove(wait);
        wakeWithError(wait.task, error());
      }
      wait = next;
    }
  }
}

/** "No value": what `tryReceive` returns when a receive would block (a channel may carry `undefined`). */
const NOTHING: unique symbol = Symbol('nothing');

class ChannelState<T> {
  readonly buffer: T[] = [];
  openSend = 0;
  openReceive = 0;
  /** Blocked senders, oldest first, each with the value it is holding and the handle it used. */
  readonly senders = new WaitQueue<T>('MemorySendChannel.send');
  /** Blocked receivers, oldest first, each with the handle it used. */
  readonly receivers = new WaitQueue<undefined>('MemoryReceiveChannel.receive');

  constructor(readonly maxBufferSize: number) {}

  statistics(): MemoryChannelStatistics {
    return {
      currentBufferUsed: this.buffer.length,
      maxBufferSize: this.maxBufferSize,
      openSendChannels: this.openSend,
      openReceiveChannels: this.openReceive,
      tasksWaitingSend: this.senders.size,
      tasksWaitingReceive: this.receivers.size,
    };
  }
}

/**
 * The send end of a memory channel, from {@link openMemoryChannel}. Clone it to give each producer
 * its own handle; the receivers see the end of the channel when every send handle is closed.
 *
 * @example
 * ```ts
 * const [tx, rx] = openMemoryChannel<number>(0);
 * nursery.startSoon(async () => {
 *   using sender = tx;
 *   for (let i = 0; i < 3; i++) await sender.send(i);
 * });
 * ```
 */
export class MemorySendChannel<T> implements SendChannel<T>, Disposable {
  private closed = false;

  /** @internal */
  constructor(private readonly state: ChannelState<T>) {
    state.openSend++;
  }

  /**
   * Sends `value` without waiting: to a waiting receiver, else into the buffer.
   * {@link WouldBlock} when neither is possible, `ClosedResourceError` on a closed handle,
   * `BrokenResourceError` when every receive handle is closed.
   */
  sendNowait(value: T): void {
    if (!this.trySend(value))
      throw new WouldBlock('the channel buffer is full and no task is receiving');
  }

  /** Sends without waiting if possible; false when it would block (no exception on the hot path). */
  private trySend(value: T): boolean {
    if (this.closed) throw new ClosedResourceError('this send channel is closed');
    const state = this.state;
    if (state.openReceive === 0)
      throw new BrokenResourceError('every receive handle of this channel is closed');
    const receiver = state.receivers.shift();
    if (receiver !== null) {
      wake(receiver.task, value);
      return true;
    }
    if (state.buffer.length < state.maxBufferSize) {
      state.buffer.push(value);
      return true;
    }
    return false;
  }

  /**
   * Sends `value`, waiting while the buffer is full (with buffer size 0: until a receiver takes
   * it). Always a checkpoint; a cancelled send delivers nothing.
   */
  send(value: T): Promise<void> {
    // Not an async function: the kernel's promise is returned as is (this is the W3 hot path).
    // Whoever ends the wait (a receiver, close, cancellation) takes the task out of the queues.
    // A cancelled send is still a schedule point: yield, then raise (or retry if it was withdrawn).
    // The current task is read once (an AsyncLocalStorage lookup) for the whole operation.
    const task = currentTask();
    if (cancellationPendingIn(task)) return checkpointTask(task).then(() => this.send(value));
    try {
      if (this.trySend(value)) return yieldTask(task);
    } catch (err) {
      return Promise.reject(err);
    }
    return parkTask(task, this.state.senders.add(task, this, value)) as Promise<void>;
  }

  /** A new send handle on the same channel; `ClosedResourceError` if this one is closed. */
  clone(): MemorySendChannel<T> {
    if (this.closed) throw new ClosedResourceError('cannot clone a closed send channel');
    return new MemorySendChannel(this.state);
  }

  /**
   * Closes this handle (idempotent). Tasks blocked in `send` on it get `ClosedResourceError`; when
   * it was the last open send handle, receivers drain the buffer and then get {@link EndOfChannel}.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const state = this.state;
    state.senders.failAll(
      this,
      () => new ClosedResourceError('the send channel was closed while sending'),
    );
    if (--state.openSend === 0) {
      state.receivers.failAll(
        undefined,
        () => new EndOfChannel('every send handle of this channel is closed'),
      );
    }
  }

  /** Closes this handle, then checkpoints. */
  async aclose(): Promise<void> {
    this.close();
    await checkpoint();
  }

  /** Counts of the channel, shared by both ends. */
  statistics(): MemoryChannelStatistics {
    return this.state.statistics();
  }

  /** Closes this handle: `using tx = ...` closes at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes this handle and checkpoints: `await using tx = ...`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/**
 * The receive end of a memory channel, from {@link openMemoryChannel}. Iterate it with
 * `for await` to receive until every send handle is closed and the buffer is drained.
 *
 * @example
 * ```ts
 * for await (const value of rx) console.log(value);
 * ```
 */
export class MemoryReceiveChannel<T> implements ReceiveChannel<T>, Disposable {
  private closed = false;

  /** @internal */
  constructor(private readonly state: ChannelState<T>) {
    state.openReceive++;
  }

  /**
   * Takes the next value without waiting. {@link WouldBlock} when there is none yet,
   * {@link EndOfChannel} when every send handle is closed and the buffer is empty,
   * `ClosedResourceError` on a closed handle.
   */
  receiveNowait(): T {
    const value = this.tryReceive();
    if (value === NOTHING) throw new WouldBlock('no value is available yet');
    return value;
  }

  /** Takes a value without waiting if there is one; {@link NOTHING} when it would block. */
  private tryReceive(): T | typeof NOTHING {
    if (this.closed) throw new ClosedResourceError('this receive channel is closed');
    const state = this.state;
    const sender = state.senders.shift();
    if (sender !== null) {
      wake(sender.task, undefined);
      // Rendezvous (or a full buffer): the blocked sender's value is next in FIFO order.
      if (state.buffer.length === 0) return sender.value;
      state.buffer.push(sender.value);
    }
    if (state.buffer.length !== 0) return state.buffer.shift()!;
    if (state.openSend === 0) throw new EndOfChannel('every send handle of this channel is closed');
    return NOTHING;
  }

  /**
   * Receives the next value, waiting until one is sent. {@link EndOfChannel} once every send handle
   * is closed and the buffer drained. Always a checkpoint; a cancelled receive consumes nothing.
   */
  receive(): Promise<T> {
    // Not an async function, for the same reason as `send`.
    let value: T | typeof NOTHING;
    const task = currentTask();
    if (cancellationPendingIn(task)) return checkpointTask(task).then(() => this.receive());
    try {
      value = this.tryReceive();
    } catch (err) {
      return Promise.reject(err);
    }
    if (value !== NOTHING) return yieldTask(task, value);
    return parkTask(task, this.state.receivers.add(task, this, undefined)) as Promise<T>;
  }

  /** A new receive handle on the same channel; `ClosedResourceError` if this one is closed. */
  clone(): MemoryReceiveChannel<T> {
    if (this.closed) throw new ClosedResourceError('cannot clone a closed receive channel');
    return new MemoryReceiveChannel(this.state);
  }

  /**
   * Closes this handle (idempotent). Tasks blocked in `receive` on it get `ClosedResourceError`;
   * when it was the last open receive handle, the buffer is discarded and senders (blocked or
   * later) get `BrokenResourceError`.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const state = this.state;
    state.receivers.failAll(
      this,
      () => new ClosedResourceError('the receive channel was closed while receiving'),
    );
    if (--state.openReceive === 0) {
      state.senders.failAll(
        undefined,
        () => new BrokenResourceError('every receive handle of this channel is closed'),
      );
      state.buffer.length = 0;
    }
  }

  /** Closes this handle, then checkpoints. */
  async aclose(): Promise<void> {
    this.close();
    await checkpoint();
  }

  /** Counts of the channel, shared by both ends. */
  statistics(): MemoryChannelStatistics {
    return this.state.statistics();
  }

  /** Closes this handle: `using rx = ...` closes at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes this handle and checkpoints: `await using rx = ...`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /**
   * Receives values until {@link EndOfChannel}, which ends the loop. Leaving the loop early does
   * not close the channel.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return receiveUntilEnd(this);
  }
}

/**
 * `trio.open_memory_channel`: a channel for passing values between tasks of one run. With
 * `maxBufferSize` 0 a `send` completes only when a receiver takes the value; with n > 0 up to n
 * values wait in a buffer; `Infinity` never blocks senders. FIFO throughout.
 *
 * @param maxBufferSize - an integer >= 0, or `Infinity`; a non-integer is a `TypeError`, a
 *   negative integer a `ValueError`
 *
 * @example
 * ```ts
 * const [tx, rx] = openMemoryChannel<string>(0);
 * await openNursery(async (n) => {
 *   n.startSoon(async () => { using _ = tx; await tx.send('hello'); });
 *   for await (const msg of rx) console.log(msg);
 * });
 * ```
 */
export function openMemoryChannel<T>(
  maxBufferSize: number,
): [MemorySendChannel<T>, MemoryReceiveChannel<T>] {
  // As Trio: the wrong kind of number (1.5, NaN, -Infinity) is a TypeError, a negative one a
  // ValueError, with Trio's fixed messages.
  if (!(Number.isInteger(maxBufferSize) || maxBufferSize === Infinity)) {
    throw new TypeError('maxBufferSize must be an integer or Infinity');
  }
  if (maxBufferSize < 0) throw new ValueError('maxBufferSize must be >= 0');
  const state = new ChannelState<T>(maxBufferSize);
  return [new MemorySendChannel(state), new MemoryReceiveChannel(state)];
}
