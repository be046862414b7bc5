/**
 * Synchronisation primitives: `Event`, `Lock`, `StrictFIFOLock`, `Semaphore`, `CapacityLimiter`
 * and `Condition`. Each wait parks the task in a kernel `ParkingLot` (FIFO), so every one is a
 * checkpoint and is cancellable in the same way; a call that need not wait still checkpoints.
 *
 * The acquirable ones share one shape: `acquire()` / `acquireNowait()` / `release()`, and
 * `hold()` for `using`: `using _ = await lock.hold();` releases at the end of the block.
 */
import {
  CancelScope,
  ParkingLot,
  RuntimeError,
  ValueError,
  cancelShieldedCheckpoint,
  cancellationPending,
  checkpoint,
  currentTask,
  type Task,
} from '@duet/kernel';
import { unwatchTaskExit, watchTaskExit, type TaskExitWatcher } from '@duet/kernel/lowlevel';
import { BrokenResourceError, WouldBlock } from './errors';

/**
 * A held acquisition: disposing it (at the end of a `using` block) releases it, once.
 *
 * @example
 * ```ts
 * using _held = await lock.hold(); // released when the block exits
 * ```
 */
export type Held = Disposable;

function held(release: () => void): Held {
  let done = false;
  return {
    [Symbol.dispose](): void {
      if (done) return;
      done = true;
      release();
    },
  };
}

/** What {@link acquireOrPark} drives: a non-blocking attempt and the wait when it fails. */
interface Acquirable {
  /** @internal Takes it for `borrower` now if possible; false when the caller must wait. */
  _tryAcquire(borrower: unknown): boolean;
  /** @internal Parks the current task until `borrower` has it. */
  _parkFor(borrower: unknown): Promise<unknown>;
}

/**
 * Trio's acquire pattern: cancel point, then the non-blocking attempt; when it succeeds the call
 * still yields (a shielded schedule point), when it would block the task parks. No exception on
 * the way (`WouldBlock` is for the `*Nowait` calls only), and no async frame: the kernel's promise
 * is returned as is, and a failure before the wait is a rejected promise, as from an async call.
 */
function acquireOrPark(target: Acquirable, borrower: unknown): Promise<void> {
  try {
    // A cancelled acquire is still a schedule point: yield, then raise (or retry if withdrawn).
    if (cancellationPending()) return checkpoint().then(() => acquireOrPark(target, borrower));
    if (target._tryAcquire(borrower)) return cancelShieldedCheckpoint();
    return target._parkFor(borrower) as Promise<void>;
  } catch (err) {
    return Promise.reject(err);
  }
}

// ---- Event ------------------------------------------------------------------------------------

/**
 * Statistics of an {@link Event}.
 *
 * @example
 * ```ts
 * const { tasksWaiting } = event.statistics();
 * ```
 */
export interface EventStatistics {
  /** Tasks blocked in `wait()`. */
  tasksWaiting: number;
}

/**
 * `trio.Event`: a flag that starts unset; `set()` wakes every task in `wait()`, and later waits
 * return at once (still a checkpoint). It cannot be cleared: make a new one.
 *
 * @example
 * ```ts
 * const ready = new Event();
 * nursery.startSoon(async () => { await ready.wait(); console.log('go'); });
 * ready.set();
 * ```
 */
export class Event {
  private flag = false;
  private readonly lot = new ParkingLot('Event.wait');

  /** True once `set()` was called. */
  isSet(): boolean {
    return this.flag;
  }

  /** Sets the flag and wakes every waiting task (idempotent). */
  set(): void {
    if (this.flag) return;
    this.flag = true;
    this.lot.unparkAll();
  }

  /** Waits until the flag is set; a checkpoint even when it already is. */
  async wait(): Promise<void> {
    if (this.flag) {
      await checkpoint();
      return;
    }
    await this.lot.park();
  }

  /** `{ tasksWaiting }`. */
  statistics(): EventStatistics {
    return { tasksWaiting: this.lot.size };
  }
}

// ---- Lock -------------------------------------------------------------------------------------

/**
 * Statistics of a {@link Lock} (and of {@link StrictFIFOLock}).
 *
 * @example
 * ```ts
 * const { locked, owner, tasksWaiting } = lock.statistics();
 * ```
 */
export interface LockStatistics {
  /** Whether some task holds the lock. */
  locked: boolean;
  /** The task holding it, or `null`. */
  owner: Task | null;
  /** Tasks blocked in `acquire()`. */
  tasksWaiting: number;
}

/**
 * `trio.Lock`: a mutex owned by the task that acquired it. Only the owner may release it, and
 * re-acquiring a lock you hold is an error (it is not re-entrant). Fair: `release()` hands the
 * lock directly to the longest-waiting task, so a task that releases and at once re-acquires
 * queues behind the others. An owner that ends without releasing breaks the lock, as in Trio:
 * its waiters, and every later `acquire()`, get {@link BrokenResourceError}.
 *
 * @example
 * ```ts
 * const lock = new Lock();
 * {
 *   using _ = await lock.hold();
 *   await writeRecord(file);
 * } // released here
 * ```
 */
export class Lock {
  /** @internal Tasks waiting for the lock; `Condition.notify` moves its waiters here. */
  readonly _lot: ParkingLot;
  /** @internal */
  _owner: Task | null = null;
  /** Told when the owner ends: if it still owns the lock then, the lock is broken. */
  private readonly ownerWatch: TaskExitWatcher = {
    taskExited: (task) => {
      if (task !== this._owner) return;
      this._lot.breakLot(
        () => new BrokenResourceError(`Owner of this lock exited without releasing: ${task}`),
      );
    },
  };

  constructor() {
    this._lot = new ParkingLot(`${this.constructor.name}.acquire`);
  }

  /** True when some task holds the lock. */
  locked(): boolean {
    return this._owner !== null;
  }

  /**
   * Takes the lock without waiting; {@link WouldBlock} if it is held (or others are queued),
   * `RuntimeError` if the current task already holds it.
   */
  acquireNowait(): void {
    if (!this._tryAcquire()) throw new WouldBlock('the lock is held by another task');
  }

  /** @internal */
  _tryAcquire(): boolean {
    const task = currentTask();
    if (this._owner === task)
      throw new RuntimeError('this task already holds the lock (Lock is not re-entrant)');
    if (this._owner !== null || this._lot.size !== 0) return false;
    this._owner = task;
    watchTaskExit(task, this.ownerWatch);
    return true;
  }

  /** @internal */
  _parkFor(): Promise<unknown> {
    return this._lot.park();
  }

  /** Takes the lock, waiting (FIFO) while another task holds it. Always a checkpoint. */
  acquire(): Promise<void> {
    return acquireOrPark(this, undefined);
  }

  /**
   * Releases the lock; the longest-waiting task (if any) becomes the owner at once.
   * `RuntimeError` unless the current task holds it.
   */
  release(): void {
    const owner = currentTask();
    if (this._owner !== owner) {
      throw new RuntimeError("can't release a lock that the current task does not hold");
    }
    unwatchTaskExit(owner, this.ownerWatch);
    const next = this._lot.unparkOne();
    this._owner = next;
    if (next !== null) watchTaskExit(next, this.ownerWatch);
  }

  /** Acquires the lock and returns a {@link Held} that releases it: `using _ = await lock.hold();`. */
  async hold(): Promise<Held> {
    await this.acquire();
    return held(() => this.release());
  }

  /** `{ locked, owner, tasksWaiting }`. */
  statistics(): LockStatistics {
    return { locked: this._owner !== null, owner: this._owner, tasksWaiting: this._lot.size };
  }
}

/**
 * `trio.StrictFIFOLock`: a {@link Lock} that guarantees tasks acquire it in the order they asked,
 * even under heavy contention. Duet's `Lock` already hands over in strict FIFO order, so the two
 * behave the same; use this class to state the requirement.
 *
 * @example
 * ```ts
 * const sendLock = new StrictFIFOLock();
 * using _ = await sendLock.hold();
 * ```
 */
export class StrictFIFOLock extends Lock {}

// ---- Semaphore --------------------------------------------------------------------------------

/**
 * Options of {@link Semaphore}.
 *
 * @example
 * ```ts
 * const bounded = new Semaphore(2, { maxValue: 2 });
 * ```
 */
export interface SemaphoreOptions {
  /** `release()` above this value is a `ValueError` (a bounded semaphore); none by default. */
  maxValue?: number;
}

/**
 * Statistics of a {@link Semaphore}.
 *
 * @example
 * ```ts
 * const { tasksWaiting } = sem.statistics();
 * ```
 */
export interface SemaphoreStatistics {
  /** Tasks blocked in `acquire()`. */
  tasksWaiting: number;
}

function checkInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${String(value)}`);
  }
  return value;
}

/**
 * `trio.Semaphore`: a counter; `acquire()` takes one (waiting, FIFO, while it is 0) and `release()`
 * gives one back. Not owned by any task: any task may release.
 *
 * @example
 * ```ts
 * const slots = new Semaphore(3, { maxValue: 3 });
 * using _ = await slots.hold();
 * ```
 */
export class Semaphore {
  private count: number;
  private readonly max: number | null;
  private readonly lot = new ParkingLot('Semaphore.acquire');

  /**
   * @param initialValue - the starting count, an integer >= 0
   * @param options - `maxValue` makes it bounded
   */
  constructor(initialValue: number, options: SemaphoreOptions = {}) {
    // Trio's fixed messages (its tests match them); a bound >= a valid initial value is >= 0 too.
    this.count = checkInteger('initialValue', initialValue);
    this.max = options.maxValue === undefined ? null : checkInteger('maxValue', options.maxValue);
    if (initialValue < 0) throw new ValueError('initial value must be >= 0');
    if (this.max !== null && this.max < initialValue) {
      throw new ValueError('maxValue must be >= initialValue');
    }
  }

  /** The current count. */
  get value(): number {
    return this.count;
  }

  /** The bound given as `maxValue`, or `null`. */
  get maxValue(): number | null {
    return this.max;
  }

  /** Takes one without waiting; {@link WouldBlock} when the count is 0. */
  acquireNowait(): void {
    if (!this._tryAcquire()) throw new WouldBlock('the semaphore value is 0');
  }

  /** @internal */
  _tryAcquire(): boolean {
    if (this.count === 0) return false;
    this.count--;
    return true;
  }

  /** @internal */
  _parkFor(): Promise<unknown> {
    return this.lot.park();
  }

  /** Takes one, waiting (FIFO) while the count is 0. Always a checkpoint. */
  acquire(): Promise<void> {
    return acquireOrPark(this, undefined);
  }

  /** Gives one back: to the longest waiter if any, else to the count. `ValueError` above `maxValue`. */
  release(): void {
    if (this.lot.unparkOne() !== null) return;
    if (this.max !== null && this.count === this.max) {
      throw new ValueError('semaphore released too many times');
    }
    this.count++;
  }

  /** Acquires and returns a {@link Held} that releases: `using _ = await sem.hold();`. */
  async hold(): Promise<Held> {
    await this.acquire();
    return held(() => this.release());
  }

  /** `{ tasksWaiting }`. */
  statistics(): SemaphoreStatistics {
    return { tasksWaiting: this.lot.size };
  }
}

// ---- CapacityLimiter --------------------------------------------------------------------------

/**
 * Statistics of a {@link CapacityLimiter}.
 *
 * @example
 * ```ts
 * const { borrowedTokens, totalTokens, borrowers, tasksWaiting } = limiter.statistics();
 * ```
 */
export interface CapacityLimiterStatistics {
  /** Tokens held now. */
  borrowedTokens: number;
  /** The limiter's capacity. */
  totalTokens: number;
  /** Who holds the tokens (tasks, or the borrowers given to `acquireOnBehalfOf`). */
  borrowers: unknown[];
  /** Tasks blocked in `acquire()` / `acquireOnBehalfOf()`. */
  tasksWaiting: number;
}

function checkTotal(value: unknown): number {
  if (typeof value !== 'number' || !(Number.isInteger(value) || value === Infinity)) {
    throw new TypeError(`totalTokens must be an integer or Infinity, got ${String(value)}`);
  }
  if (value < 1) throw new ValueError('totalTokens must be >= 1');
  return value;
}

/**
 * `trio.CapacityLimiter`: at most `totalTokens` borrowers at once, each holding at most one token.
 * A borrower is the current task by default, or any object with the `*OnBehalfOf` calls. A
 * borrower that already holds a token and asks again gets `RuntimeError` (unlike a `Semaphore`).
 *
 * @example
 * ```ts
 * const limiter = new CapacityLimiter(10);
 * async function fetchOne(url: string) {
 *   using _ = await limiter.hold();
 *   return await download(url);
 * }
 * ```
 */
export class CapacityLimiter {
  private total: number;
  private readonly borrowers = new Set<unknown>();
  /** Waiting tasks that borrow for someone else (`acquireOnBehalfOf`), with their borrower. */
  private readonly pending = new Map<Task, unknown>();
  private readonly lot = new ParkingLot('CapacityLimiter.acquire');

  /** @param totalTokens - the capacity, an integer >= 1 (or `Infinity`) */
  constructor(totalTokens: number) {
    this.total = checkTotal(totalTokens);
  }

  /** The capacity; settable: raising it wakes waiters at once, lowering it never takes tokens back. */
  get totalTokens(): number {
    return this.total;
  }

  /** Sets `totalTokens` (see the getter). */
  set totalTokens(value: number) {
    this.total = checkTotal(value);
    this.wakeWaiters();
  }

  /** Tokens held now. */
  get borrowedTokens(): number {
    return this.borrowers.size;
  }

  /**
   * `totalTokens - borrowedTokens`; below 0 (as Trio's) after `totalTokens` was lowered under
   * what is borrowed.
   */
  get availableTokens(): number {
    return this.total - this.borrowers.size;
  }

  private wakeWaiters(): void {
    const free = this.total - this.borrowers.size;
    for (let i = 0; i < free; i++) {
      const task = this.lot.unparkOne();
      if (task === null) return;
      // A task waiting for itself (the usual case) has no entry: no Map churn per acquire.
      if (this.pending.size !== 0 && this.pending.has(task)) {
        this.borrowers.add(this.pending.get(task));
        this.pending.delete(task);
      } else {
        this.borrowers.add(task);
      }
    }
  }

  /** Takes a token for `borrower` without waiting; {@link WouldBlock} when none is free. */
  acquireOnBehalfOfNowait(borrower: unknown): void {
    if (!this._tryAcquire(borrower))
      throw new WouldBlock('no token of the CapacityLimiter is free');
  }

  /** @internal */
  _tryAcquire(borrower: unknown): boolean {
    if (this.borrowers.has(borrower)) {
      throw new RuntimeError(
        "this borrower is already holding one of this CapacityLimiter's tokens",
      );
    }
    if (this.borrowers.size >= this.total || this.lot.size !== 0) return false;
    this.borrowers.add(borrower);
    return true;
  }

  /** @internal */
  _parkFor(borrower: unknown): Promise<unknown> {
    const task = currentTask();
    if (borrower === task) return this.lot.park();
    this.pending.set(task, borrower);
    return this.lot.park().catch((err: unknown) => {
      this.pending.delete(task);
      throw err;
    });
  }

  /** Takes a token for the current task without waiting; {@link WouldBlock} when none is free. */
  acquireNowait(): void {
    this.acquireOnBehalfOfNowait(currentTask());
  }

  /** Takes a token for `borrower`, waiting (FIFO) while none is free. Always a checkpoint. */
  acquireOnBehalfOf(borrower: unknown): Promise<void> {
    return acquireOrPark(this, borrower);
  }

  /** Takes a token for the current task, waiting (FIFO) while none is free. Always a checkpoint. */
  acquire(): Promise<void> {
    return this.acquireOnBehalfOf(currentTask());
  }

  /** Gives back `borrower`'s token; `RuntimeError` if it holds none. */
  releaseOnBehalfOf(borrower: unknown): void {
    if (!this.borrowers.delete(borrower)) {
      throw new RuntimeError("this borrower isn't holding any of this CapacityLimiter's tokens");
    }
    this.wakeWaiters();
  }

  /** Gives back the current task's token; `RuntimeError` if it holds none. */
  release(): void {
    this.releaseOnBehalfOf(currentTask());
  }

  /** Acquires for the current task and returns a {@link Held} that releases it. */
  async hold(): Promise<Held> {
    const borrower = currentTask();
    await this.acquireOnBehalfOf(borrower);
    return held(() => this.releaseOnBehalfOf(borrower));
  }

  /** `{ borrowedTokens, totalTokens, borrowers, tasksWaiting }`. */
  statistics(): CapacityLimiterStatistics {
    return {
      borrowedTokens: this.borrowers.size,
      totalTokens: this.total,
      borrowers: [...this.borrowers],
      tasksWaiting: this.lot.size,
    };
  }
}

// ---- Condition --------------------------------------------------------------------------------

/**
 * Statistics of a {@link Condition}.
 *
 * @example
 * ```ts
 * const { tasksWaiting, lockStatistics } = cond.statistics();
 * ```
 */
export interface ConditionStatistics {
  /** Tasks blocked in `wait()`. */
  tasksWaiting: number;
  /** The statistics of the underlying lock. */
  lockStatistics: LockStatistics;
}

/**
 * `trio.Condition`: a lock plus a queue of tasks waiting to be notified. `wait()` (lock held)
 * releases the lock, waits for `notify`, and re-acquires the lock before returning, even when it
 * is cancelled. Notified tasks queue for the lock in FIFO order.
 *
 * @example
 * ```ts
 * const cond = new Condition();
 * // consumer
 * { using _ = await cond.hold(); while (queue.length === 0) await cond.wait(); take(queue); }
 * // producer
 * { using _ = await cond.hold(); queue.push(item); cond.notify(); }
 * ```
 */
export class Condition {
  private readonly lock: Lock;
  private readonly lot = new ParkingLot('Condition.wait');

  /** @param lock - the lock to use; a new {@link Lock} by default */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) throw new TypeError('lock must be a Lock');
    this.lock = lock ?? new Lock();
  }

  /** True when some task holds the underlying lock. */
  locked(): boolean {
    return this.lock.locked();
  }

  /** Takes the underlying lock without waiting (see `Lock.acquireNowait`). */
  acquireNowait(): void {
    this.lock.acquireNowait();
  }

  /** Takes the underlying lock (see `Lock.acquire`). */
  acquire(): Promise<void> {
    return this.lock.acquire();
  }

  /** Releases the underlying lock (see `Lock.release`). */
  release(): void {
    this.lock.release();
  }

  /** Acquires the underlying lock and returns a {@link Held} that releases it. */
  hold(): Promise<Held> {
    return this.lock.hold();
  }

  /**
   * Releases the lock, waits for a `notify`, and returns holding the lock again. When cancelled
   * while waiting, re-acquires the lock (shielded) and then raises. `RuntimeError` unless the
   * current task holds the lock.
   */
  async wait(): Promise<void> {
    if (this.lock._owner !== currentTask()) throw new RuntimeError('must hold the lock to wait');
    this.release();
    try {
      // notify() moves this task to the lock's queue: it wakes up owning the lock.
      await this.lot.park();
    } catch (err) {
      await new CancelScope({ shield: true }).run(() => this.lock.acquire());
      throw err;
    }
  }

  /** Wakes up to `n` waiting tasks (oldest first); each returns once it gets the lock. Lock must be held. */
  notify(n = 1): void {
    if (this.lock._owner !== currentTask()) throw new RuntimeError('must hold the lock to notify');
    this.lot.repark(this.lock._lot, n);
  }

  /** Wakes every waiting task. Lock must be held. */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /** `{ tasksWaiting, lockStatistics }`. */
  statistics(): ConditionStatistics {
    return { tasksWaiting: this.lot.size, lockStatistics: this.lock.statistics() };
  }
}
