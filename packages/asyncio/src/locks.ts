/**
 * asyncio's synchronisation primitives on the kernel's FIFO `ParkingLot`. Every wait is a
 * cancellable kernel park. The lots follow asyncio's wake-vs-cancel rule: a waiter cancelled after
 * its wake-up and before it resumes raises `CancelledError` and hands the lock, permit or
 * notification on, so a cancelled waiter leaves no trace.
 */
import {
  Abort,
  ParkingLot,
  RuntimeError,
  ValueError,
  checkFunction,
  checkNumber,
  checkpointIfCancelled,
  currentTask as currentKernelTask,
  type Outcome,
  type Task as KernelTask,
} from '@duet/kernel';
import { BrokenBarrierError } from './errors';

/** A ParkingLot whose waiters can be marked as not abandonable (used to re-acquire a lock). */
class WaiterLot extends ParkingLot {
  readonly shielded = new Set<KernelTask>();

  override abortWait(task: KernelTask): Abort {
    if (this.shielded.has(task)) return Abort.FAILED;
    return super.abortWait(task);
  }

  override revokeWake(task: KernelTask, outcome: Outcome): boolean {
    return !this.shielded.has(task) && super.revokeWake(task, outcome);
  }
}

/** What an acquire that did not wait returns: settled, so awaiting it yields to no one, as in CPython. */
const ACQUIRED: Promise<true> = Promise.resolve(true);

/** Parks the current task in `lot` until it is handed what it waits for (woken with `true`). */
function parkInLot(lot: ParkingLot): Promise<true> {
  try {
    return lot.park() as Promise<true>;
  } catch (err) {
    return Promise.reject(err); // outside a run: a rejection, as from an async call
  }
}

/** A wake-up that gave nothing away (a set flag, a notification passed on by the waiter). */
const nothingToPassOn = (): void => {};

/**
 * What `hold()` returns: `using _ = await lock.hold()` releases at the end of the block.
 *
 * @example
 * ```ts
 * using _ = await lock.hold(); // released at the end of the block
 * ```
 */
export interface Held extends Disposable {
  /** Releases what was acquired (same as leaving the `using` block). */
  release(): void;
}

/**
 * Python's repr of a primitive, minus the module path and address: `<Lock [locked, waiters:1]>`.
 * Woken waiters that have not resumed yet are not counted: Duet hands over to them at once.
 */
function describe(self: object, state: string, waiters = 0): string {
  const extra = waiters > 0 ? `${state}, waiters:${waiters}` : state;
  return `<${self.constructor.name} [${extra}]>`;
}

function held(release: () => void): Held {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    release();
  };
  return { release: once, [Symbol.dispose]: once };
}

/**
 * A one-shot flag tasks can wait for, as asyncio's `Event`.
 *
 * @example
 * ```ts
 * const event = new Event();
 * createTask(async () => { await sleep(1); event.set(); });
 * await event.wait(); // true, one second later
 * ```
 */
export class Event {
  private value = false;
  private readonly lot = new ParkingLot('Event.wait', { onRevoked: nothingToPassOn });

  /** True once `set()` was called (and not `clear()`ed since). */
  isSet(): boolean {
    return this.value;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    if (this.value) return;
    this.value = true;
    while (this.lot.unparkOne(true) !== null);
  }

  /** Resets the flag; later `wait()` calls block again. */
  clear(): void {
    this.value = false;
  }

  /** A short description, as Python's repr: `<Event [unset, waiters:2]>`, `<Event [set]>`. */
  toString(): string {
    return describe(this, this.value ? 'set' : 'unset', this.lot.size);
  }

  /** Waits until the flag is set; returns `true` (at once if it already is). */
  wait(): Promise<true> {
    if (this.value) return Promise.resolve(true);
    // The lot's own promise, woken with `true` by set(): a parked waiter costs no async frame.
    try {
      return this.lot.park() as Promise<true>;
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/**
 * A mutual-exclusion lock, as asyncio's `Lock`: FIFO-fair, not owner-checked (`release()` by any
 * task; a `RuntimeError` if it is not locked). `using _ = await lock.hold()` holds it for a block.
 *
 * @example
 * ```ts
 * const lock = new Lock();
 * {
 *   using _ = await lock.hold();
 *   // access the shared state
 * }
 * ```
 */
export class Lock {
  /** Held, or handed by release() to a waiter that has not resumed yet (no newcomer may take it). */
  private isLocked = false;
  /**
   * True while release() has handed the lock to a woken waiter that has not resumed: CPython's lock
   * reads as unlocked then (`locked()` false, `release()` a RuntimeError) until the waiter runs.
   */
  private handedOff = false;
  private readonly resumed = (): true => {
    this.handedOff = false;
    return true;
  };
  private readonly lot: WaiterLot = new WaiterLot('Lock.acquire', {
    onRevoked: () => this.handOn(),
  });

  /** True while the lock is held (not yet while a woken waiter is about to take it, as CPython). */
  locked(): boolean {
    return this.isLocked && !this.handedOff;
  }

  /** Waits until the lock is free, takes it, returns `true`. Waiters get it in FIFO order. */
  acquire(): Promise<true> {
    // Not an async function: the free path makes no async frame, and a waiter's promise is the
    // kernel's, resolved with `true` by release().
    if (!this.isLocked && this.lot.size === 0) {
      this.isLocked = true;
      return ACQUIRED;
    }
    return parkInLot(this.lot).then(this.resumed);
  }

  /** @internal Acquires, ignoring cancellation (a cancel stays pending for the next wait). */
  async _acquireShielded(): Promise<void> {
    if (!this.isLocked && this.lot.size === 0) {
      this.isLocked = true;
      return;
    }
    const task = currentKernelTask();
    this.lot.shielded.add(task);
    try {
      await this.lot.park();
      this.handedOff = false;
    } finally {
      this.lot.shielded.delete(task);
    }
  }

  /** Releases the lock, handing it to the first waiter if any; a `RuntimeError` if it is not locked. */
  release(): void {
    if (!this.locked()) throw new RuntimeError('Lock is not acquired.');
    this.handOn();
  }

  private handOn(): void {
    this.handedOff = this.lot.unparkOne(true) !== null;
    if (!this.handedOff) this.isLocked = false;
  }

  /** Acquires and returns a handle that releases on dispose: `using _ = await lock.hold()`. */
  async hold(): Promise<Held> {
    await this.acquire();
    return held(() => this.release());
  }

  /** A short description, as Python's repr: `<Lock [unlocked]>`, `<Lock [locked, waiters:1]>`. */
  toString(): string {
    // The woken waiter still counts, as in CPython, until it resumes.
    const waiters = this.lot.size + (this.handedOff ? 1 : 0);
    return describe(this, this.locked() ? 'locked' : 'unlocked', waiters);
  }
}

/**
 * A counter of permits, as asyncio's `Semaphore(value = 1)`: `acquire()` takes one (waiting in
 * FIFO order when none is left), `release()` gives one back (it may go above the start value).
 *
 * @example
 * ```ts
 * const sem = new Semaphore(10);
 * {
 *   using _ = await sem.hold();
 *   await fetchOne();
 * }
 * ```
 */
export class Semaphore {
  /** @internal */
  protected value: number;
  /**
   * Permits handed to woken waiters that have not resumed yet. They still stand in the FIFO
   * queue, as in CPython: a task that releases and acquires again goes behind them.
   */
  private handed = 0;
  private readonly lot: ParkingLot = new ParkingLot('Semaphore.acquire', {
    onRevoked: () => {
      this.handed--;
      this.handOn();
    },
  });
  /** A woken waiter resumes with its permit; permits freed meanwhile go to the next waiters. */
  private readonly resumed = (): true => {
    this.handed--;
    while (this.value > 0 && this.lot.size > 0) {
      this.value--;
      this.handOn();
    }
    return true;
  };

  constructor(value = 1) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new ValueError(`Semaphore initial value must be an integer >= 0, got ${String(value)}`);
    }
    this.value = value;
  }

  /** True when `acquire()` would wait. */
  locked(): boolean {
    return this.value === 0 || this.lot.size > 0 || this.handed > 0;
  }

  /** Takes a permit, waiting (FIFO) while none is free; returns `true`. */
  acquire(): Promise<true> {
    // Not an async function, as Lock.acquire; release() hands a permit (and `true`) to a waiter.
    if (!this.locked()) {
      this.value--;
      return ACQUIRED;
    }
    return parkInLot(this.lot).then(this.resumed);
  }

  /** Gives a permit back, to the first waiter if there is one. */
  release(): void {
    this.handOn();
  }

  private handOn(): void {
    if (this.lot.unparkOne(true) === null) this.value++;
    else this.handed++;
  }

  /** Acquires and returns a handle that releases on dispose: `using _ = await sem.hold()`. */
  async hold(): Promise<Held> {
    await this.acquire();
    return held(() => this.release());
  }

  /**
   * A short description, as Python's repr: `<Semaphore [unlocked, value:2]>`,
   * `<Semaphore [locked, waiters:1]>`.
   */
  toString(): string {
    const state = this.locked() ? 'locked' : `unlocked, value:${this.value}`;
    return describe(this, state, this.lot.size + this.handed); // woken ones count until they resume
  }
}

/**
 * A {@link Semaphore} that refuses to go above its start value: `release()` then raises `ValueError`.
 *
 * @example
 * ```ts
 * const sem = new BoundedSemaphore(2);
 * sem.release(); // ValueError: BoundedSemaphore released too many times
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  private readonly bound: number;

  constructor(value = 1) {
    super(value);
    this.bound = value;
  }

  override release(): void {
    if (this.value >= this.bound) throw new ValueError('BoundedSemaphore released too many times');
    super.release();
  }
}

const NONE: unique symbol = Symbol('none');

/**
 * A condition variable, as asyncio's `Condition(lock?)`: `wait()` releases the lock, waits for a
 * `notify`, and re-acquires the lock before returning (even when cancelled).
 *
 * @example
 * ```ts
 * const cond = new Condition();
 * {
 *   using _ = await cond.hold();
 *   await cond.waitFor(() => items.length > 0);
 *   items.shift();
 * }
 * ```
 */
export class Condition {
  private readonly lock: Lock;
  // wait() itself passes a notification on when it fails, whatever the error (as 3.13).
  private readonly lot = new ParkingLot('Condition.wait', { onRevoked: nothingToPassOn });

  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock))
      throw new TypeError('Condition expects a Lock');
    this.lock = lock ?? new Lock();
  }

  /** True while the underlying lock is held. */
  locked(): boolean {
    return this.lock.locked();
  }

  /** Acquires the underlying lock. */
  acquire(): Promise<true> {
    return this.lock.acquire();
  }

  /** Releases the underlying lock. */
  release(): void {
    this.lock.release();
  }

  /** Acquires the lock and returns a handle that releases it on dispose. */
  hold(): Promise<Held> {
    return this.lock.hold();
  }

  /**
   * Releases the lock, waits for `notify()`, re-acquires the lock and returns `true`. The lock is
   * held again when this returns or throws. A `RuntimeError` if the lock is not held.
   */
  async wait(): Promise<true> {
    if (!this.locked()) throw new RuntimeError('cannot wait on un-acquired lock');
    this.lock.release();
    let error: unknown = NONE;
    try {
      await this.lot.park();
    } catch (err) {
      error = err;
    }
    await this.lock._acquireShielded();
    if (error === NONE) {
      try {
        await checkpointIfCancelled(); // a cancel that arrived while re-acquiring
      } catch (err) {
        error = err;
      }
    }
    if (error !== NONE) {
      // We may have used up a notification: pass it on (a spurious wake-up is allowed).
      this.notifyUnchecked(1);
      throw error;
    }
    return true;
  }

  /** Waits until `predicate()` is truthy (checking it first and after each wake-up); returns its value. */
  async waitFor<T>(predicate: () => T): Promise<T> {
    checkFunction('Condition.waitFor()', predicate);
    let result = predicate();
    while (!result) {
      await this.wait();
      result = predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiters; a `RuntimeError` if the lock is not held. */
  notify(n = 1): void {
    checkNumber('Condition.notify()', 'n', n);
    if (!this.locked()) throw new RuntimeError('cannot notify on un-acquired lock');
    this.notifyUnchecked(Math.max(0, n)); // n <= 0 wakes nobody, as CPython
  }

  /** Wakes every waiter; a `RuntimeError` if the lock is not held. */
  notifyAll(): void {
    this.notify(this.lot.size);
  }

  private notifyUnchecked(n: number): void {
    this.lot.unpark(n);
  }

  /** A short description, as Python's repr: `<Condition [unlocked, waiters:2]>`. */
  toString(): string {
    return describe(this, this.locked() ? 'locked' : 'unlocked', this.lot.size);
  }
}

type BarrierState = 'filling' | 'draining' | 'resetting' | 'broken';

/**
 * Lets `parties` tasks wait until all of them have arrived, as asyncio's `Barrier`. `wait()`
 * returns each task's arrival index (0 .. parties-1); `abort()` breaks it and `reset()` empties it,
 * both making waiters raise `BrokenBarrierError`.
 *
 * @example
 * ```ts
 * const barrier = new Barrier(3);
 * // in each of three tasks:
 * const index = await barrier.wait();
 * ```
 */
export class Barrier {
  private readonly cond = new Condition();
  private state: BarrierState = 'filling';
  private count = 0;

  constructor(
    /** How many tasks must call `wait()` to pass the barrier. */
    readonly parties: number,
  ) {
    checkNumber('new Barrier()', 'parties', parties, { min: 1, integer: true });
  }

  /** Waits until `parties` tasks are waiting; returns this task's arrival index. */
  async wait(): Promise<number> {
    await this.cond.acquire();
    try {
      await this.block();
      const index = this.count++;
      try {
        if (index + 1 === this.parties) {
          this.state = 'draining';
          this.cond.notifyAll();
        } else {
          await this.cond.waitFor(() => this.state !== 'filling');
          if (this.state === 'broken' || this.state === 'resetting') {
            throw new BrokenBarrierError('Abort or reset of barrier');
          }
        }
        return index;
      } finally {
        this.count--;
        this.exit();
      }
    } finally {
      this.cond.release();
    }
  }

  private async block(): Promise<void> {
    await this.cond.waitFor(() => this.state !== 'draining' && this.state !== 'resetting');
    if (this.state === 'broken') throw new BrokenBarrierError('Barrier aborted');
  }

  private exit(): void {
    if (this.count === 0 && (this.state === 'resetting' || this.state === 'draining')) {
      this.state = 'filling';
      this.cond.notifyAll();
    }
  }

  /** Returns the barrier to empty; tasks waiting now raise `BrokenBarrierError`. */
  async reset(): Promise<void> {
    await this.cond.acquire();
    try {
      if (this.count > 0) {
        if (this.state !== 'resetting') this.state = 'resetting';
      } else {
        this.state = 'filling';
      }
      this.cond.notifyAll();
    } finally {
      this.cond.release();
    }
  }

  /** Breaks the barrier: current and later `wait()` calls raise `BrokenBarrierError`. */
  async abort(): Promise<void> {
    await this.cond.acquire();
    try {
      this.state = 'broken';
      this.cond.notifyAll();
    } finally {
      this.cond.release();
    }
  }

  /** How many tasks are waiting at the barrier now. */
  get nWaiting(): number {
    return this.state === 'filling' ? this.count : 0;
  }

  /** True once the barrier is broken (aborted). */
  get broken(): boolean {
    return this.state === 'broken';
  }

  /** A short description, as Python's repr: `<Barrier [filling, waiters:2/3]>`, `<Barrier [broken]>`. */
  toString(): string {
    if (this.broken) return describe(this, 'broken');
    return describe(this, `${this.state}, waiters:${this.nWaiting}/${this.parties}`);
  }
}
