/** asyncio's queues, with Python 3.13's `shutdown`, on the kernel's FIFO `ParkingLot`. */
import { ParkingLot, ValueError, checkNumber } from '@duet/kernel';
import { QueueEmpty, QueueFull, QueueShutDown } from './errors';
import { Event } from './locks';

/** What a `put` that did not wait returns: settled, so awaiting it yields to no one, as in CPython. */
const PUT: Promise<void> = Promise.resolve();

/**
 * A FIFO queue, as asyncio's `Queue(maxsize = 0)` (0: unbounded). A cancelled `get` loses no item
 * and a cancelled `put` adds none, even when the cancel comes after the wake-up.
 *
 * @example
 * ```ts
 * const q = new Queue<number>(10);
 * await q.put(1);
 * const item = await q.get();
 * q.taskDone();
 * await q.join();
 * ```
 */
export class Queue<T> {
  // A getter (putter) cancelled after its wake-up takes nothing (adds nothing), and the wake-up
  // goes to the next one while an item (a free slot) is left, as in CPython.
  private readonly getters: ParkingLot = new ParkingLot('Queue.get', {
    onRevoked: () => {
      if (!this.empty()) this.getters.unparkOne();
    },
  });
  private readonly putters: ParkingLot = new ParkingLot('Queue.put', {
    onRevoked: () => {
      if (!this.full()) this.putters.unparkOne();
    },
  });
  private unfinished = 0;
  private readonly finished = new Event();
  private isShutdown = false;
  /** @internal The items, in the order of the concrete queue. */
  protected items: T[] = [];

  constructor(
    /** The most items the queue holds; 0 or less means no limit. */
    readonly maxsize = 0,
  ) {
    checkNumber('Queue()', 'maxsize', maxsize);
    this.finished.set();
  }

  /** How many items are in the queue. */
  qsize(): number {
    return this.items.length;
  }

  /** True when the queue has no items. */
  empty(): boolean {
    return this.items.length === 0;
  }

  /** True when the queue has `maxsize` items (never, for an unbounded queue). */
  full(): boolean {
    return this.maxsize > 0 && this.items.length >= this.maxsize;
  }

  /** Puts `item`, waiting while the queue is full; `QueueShutDown` once shut down. */
  put(item: T): Promise<void> {
    // Not an async function: a put that need not wait (the usual case) makes no async frame.
    if (this.full()) return this.putWhenFree(item);
    try {
      this.putNowait(item);
    } catch (err) {
      return Promise.reject(err);
    }
    return PUT;
  }

  private async putWhenFree(item: T): Promise<void> {
    while (this.full()) {
      if (this.isShutdown) throw new QueueShutDown('the queue is shut down');
      await this.putters.park();
    }
    this.putNowait(item);
  }

  /** Puts `item` now; `QueueFull` if full, `QueueShutDown` once shut down. */
  putNowait(item: T): void {
    if (this.isShutdown) throw new QueueShutDown('the queue is shut down');
    if (this.full()) throw new QueueFull('the queue is full');
    this.putItem(item);
    this.unfinished++;
    this.finished.clear();
    this.getters.unparkOne();
  }

  /** Removes and returns an item, waiting while the queue is empty; `QueueShutDown` once shut down and empty. */
  get(): Promise<T> {
    // Not an async function, for the same reason as `put`.
    if (this.empty()) return this.getWhenPut();
    try {
      return Promise.resolve(this.getNowait());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async getWhenPut(): Promise<T> {
    while (this.empty()) {
      if (this.isShutdown) throw new QueueShutDown('the queue is shut down');
      await this.getters.park();
    }
    return this.getNowait();
  }

  /** Removes and returns an item now; `QueueEmpty` if empty (`QueueShutDown` if also shut down). */
  getNowait(): T {
    if (this.empty()) {
      if (this.isShutdown) throw new QueueShutDown('the queue is shut down');
      throw new QueueEmpty('the queue is empty');
    }
    const item = this.getItem();
    this.putters.unparkOne();
    return item;
  }

  /** Marks one item taken with `get` as processed; `ValueError` if called more times than items were put. */
  taskDone(): void {
    if (this.unfinished <= 0) throw new ValueError('taskDone() called too many times');
    this.unfinished--;
    if (this.unfinished === 0) this.finished.set();
  }

  /** Waits until every item put has been marked done with {@link Queue.taskDone}. */
  async join(): Promise<void> {
    if (this.unfinished > 0) await this.finished.wait();
  }

  /**
   * Shuts the queue down (Python 3.13): `put` raises `QueueShutDown`, `get` raises it once the
   * queue is empty, and blocked callers wake. `immediate` also drops the items left (counting
   * them done for `join`).
   */
  shutdown(immediate = false): void {
    this.isShutdown = true;
    if (immediate) {
      while (!this.empty()) {
        this.getItem();
        if (this.unfinished > 0) this.unfinished--;
      }
      if (this.unfinished === 0) this.finished.set();
    }
    this.getters.unparkAll();
    this.putters.unparkAll();
  }

  /**
   * Iterates with `for await`: each step is a {@link Queue.get}; the loop ends when the queue is
   * shut down and empty (`QueueShutDown` is the end, not an error). Items taken are not marked
   * done: call {@link Queue.taskDone} in the body if anyone `join`s.
   *
   * @example
   * ```ts
   * for await (const job of queue) await handle(job);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (err) {
        if (err instanceof QueueShutDown) return;
        throw err;
      }
      yield item;
    }
  }

  /**
   * A short description, as Python's str of a queue:
   * `<Queue maxsize=1 _queue=[1] _putters[1] tasks=1>`, with `shutdown` once shut down.
   */
  toString(): string {
    let text = `${this.constructor.name} maxsize=${this.maxsize}`;
    if (this.items.length > 0) text += ` _queue=${formatItem(this.items)}`;
    if (this.getters.size > 0) text += ` _getters[${this.getters.size}]`;
    if (this.putters.size > 0) text += ` _putters[${this.putters.size}]`;
    if (this.unfinished > 0) text += ` tasks=${this.unfinished}`;
    if (this.isShutdown) text += ' shutdown';
    return `<${text}>`;
  }

  /** @internal Adds an item in the order of this kind of queue. */
  protected putItem(item: T): void {
    this.items.push(item);
  }

  /** @internal Removes the next item in the order of this kind of queue. */
  protected getItem(): T {
    return this.items.shift()!;
  }
}

/** An item as Python would list it: strings quoted, arrays bracketed (as lists). */
function formatItem(item: unknown): string {
  if (typeof item === 'string') return `'${item}'`;
  if (Array.isArray(item)) return `[${item.map(formatItem).join(', ')}]`;
  return String(item);
}

/**
 * Compares two items: negative if `a` comes first.
 *
 * @example
 * ```ts
 * const q = new PriorityQueue<Job>(0, (a, b) => a.priority - b.priority);
 * ```
 */
export type Compare<T> = (a: T, b: T) => number;

/**
 * Python-like ordering: numbers, strings, bigints by `<`; arrays element by element (like tuples).
 *
 * @example
 * ```ts
 * defaultCompare([1, 'b'], [1, 'a']); // 1: compared like Python tuples
 * ```
 */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = defaultCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  const x = a as number;
  const y = b as number;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A queue that returns the smallest item first, as asyncio's `PriorityQueue`. Items are compared
 * like Python values (arrays as tuples: `[priority, data]`), or with `compare`.
 *
 * @example
 * ```ts
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, 'b']); q.putNowait([1, 'a']);
 * q.getNowait(); // [1, 'a']
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  constructor(
    maxsize = 0,
    private readonly compare: Compare<T> = defaultCompare,
  ) {
    super(maxsize);
    if (typeof compare !== 'function') {
      throw new TypeError(
        `PriorityQueue(): compare must be a function (a, b) => number, got ${typeof compare}`,
      );
    }
  }

  protected override putItem(item: T): void {
    this.items.push(item);
    this.rise(this.items.length - 1);
  }

  protected override getItem(): T {
    // Done as Python's heapq pops, so that items comparing equal come out in CPython's order:
    // the hole left at the root moves down to a leaf along the smaller child (the right one on a
    // tie), the last item fills it, then rises to its place.
    const heap = this.items;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return top;
    let hole = 0;
    for (let child = 1; child < n; child = 2 * hole + 1) {
      if (child + 1 < n && !(this.compare(heap[child]!, heap[child + 1]!) < 0)) child++;
      heap[hole] = heap[child]!;
      hole = child;
    }
    heap[hole] = last;
    this.rise(hole);
    return top;
  }

  /** Moves the item at `i` up while it is strictly smaller than its parent. */
  private rise(i: number): void {
    const heap = this.items;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!(this.compare(item, heap[parent]!) < 0)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }
}

/**
 * A queue that returns the most recently added item first, as asyncio's `LifoQueue`.
 *
 * @example
 * ```ts
 * const q = new LifoQueue<number>();
 * q.putNowait(1); q.putNowait(2);
 * q.getNowait(); // 2
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  protected override getItem(): T {
    return this.items.pop()!;
  }
}
