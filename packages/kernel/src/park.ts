/**
 * Parking: how every wait in Duet works. A task parks on a `Waitable` and sleeps until someone
 * reschedules it with an outcome; when cancellation reaches a parked task, the kernel asks the
 * waitable whether the wait can be abandoned.
 */
import { requireTask } from './context';
import { RuntimeError } from './errors';
import { Task as TaskClass, type Task } from './task';
import { checkInstance, checkNumber, checkObject } from './validate';

/** @internal What a refused wait returns: it never settles, so it is never an unhandled rejection. */
export const NEVER: Promise<never> = new Promise(() => {});

/** What an abort callback answers when cancellation reaches a parked task. */
export const Abort = {
  /** The wait is abandoned: the task wakes with `Cancelled`. */
  SUCCEEDED: 'succeeded',
  /** The wait goes on: whoever owns it will reschedule the task later. */
  FAILED: 'failed',
} as const;
/** See {@link Abort}. */
export type Abort = (typeof Abort)[keyof typeof Abort];

/** Something a task can park on. */
export interface Waitable {
  /** Cancellation reached `task` while it waits here: undo the wait (and say SUCCEEDED) or not. */
  abortWait(task: Task): Abort;
  /** What the task waits for, for task-tree dumps. */
  describeWait?(): string;
  /**
   * The wake-vs-cancel rule. This waitable woke `task` with `outcome`, and an edge cancel request
   * (`Task.requestCancel`, asyncio's `Task.cancel`) reached the task before it resumed. Answer
   * `true` to take the wake-up back, as asyncio does: the task raises `Cancelled` instead of
   * resuming, and this waitable hands what the wake-up gave (an item, a lock, a permit, a
   * notification) to the next waiter. Answer `false`, or leave the method out, for Trio's rule:
   * the task resumes with `outcome` and the cancel lands at its next checkpoint. Level
   * cancellation (a cancel scope) never takes a wake-up back.
   */
  revokeWake?(task: Task, outcome: Outcome): boolean;
  /**
   * Only cancellation may end this wait (`sleepForever`): a {@link reschedule} with a value wakes
   * the task with a `RuntimeError` instead, as Trio's.
   */
  readonly endsOnlyByCancel?: boolean;
}

/** The result a parked task wakes with. */
export type Outcome<T = unknown> =
  | {
      /** Success. */
      readonly ok: true;
      /** The value. */
      readonly value: T;
    }
  | {
      /** Failure. */
      readonly ok: false;
      /** The error. */
      readonly error: unknown;
    };

/** Options of {@link park}. */
export interface ParkOptions {
  /**
   * The task waits on something outside the run (a socket, a process, a worker): the wait does
   * not count as blocked, so a `MockClock` does not autojump and hang detection does not call it
   * a deadlock while it lasts.
   */
  foreign?: boolean;
}

/**
 * Parks the current task on `on` until it is rescheduled; resolves or rejects with the outcome.
 * Waits on real I/O pass `{ foreign: true }`.
 *
 * @example
 * ```ts
 * const task = currentTask();
 * socket.once('connect', () => reschedule(task));
 * await park({ abortWait: () => (socket.destroy(), Abort.SUCCEEDED) }, { foreign: true });
 * ```
 */
export function park(on: Waitable, options: ParkOptions = {}): Promise<unknown> {
  const task = requireTask('park()');
  return task.runner.park(task, on, options.foreign === true);
}

/** An abort callback of {@link waitTaskRescheduled}; `raiseCancel` throws the `Cancelled` being delivered. */
export type AbortFn = (raiseCancel: () => never) => Abort;

class CallbackWait implements Waitable {
  constructor(private readonly fn: AbortFn) {}

  abortWait(task: Task): Abort {
    const answer = this.fn(() => {
      throw task.runner.takeCancellation(task) ?? new RuntimeError('no cancellation is pending');
    });
    if (answer !== Abort.SUCCEEDED && answer !== Abort.FAILED) {
      // As Trio: a broken abort function breaks the run. The task gets the error too, so that
      // the run ends (with the internal error) instead of waiting for a wake-up that never comes.
      const err = new TypeError(`abort functions must return an Abort, got ${String(answer)}`);
      task.runner.crash(err);
      throw err;
    }
    return answer;
  }

  describeWait(): string {
    return 'waitTaskRescheduled';
  }
}

/**
 * Trio's `wait_task_rescheduled`: parks the current task until {@link reschedule}; when
 * cancellation arrives, `abort` decides whether the wait is abandoned.
 */
export function waitTaskRescheduled(abort: AbortFn): Promise<unknown> {
  if (typeof abort !== 'function')
    throw new TypeError('waitTaskRescheduled expects an abort function');
  return park(new CallbackWait(abort));
}

/** Wakes a parked `task` with `outcome` (a value of `undefined` by default). */
export function reschedule(task: Task, outcome: Outcome = { ok: true, value: undefined }): void {
  checkInstance('reschedule()', 'task', task, TaskClass, 'a Task (currentTask())');
  checkObject('reschedule()', 'outcome', outcome);
  if (typeof outcome.ok !== 'boolean') {
    throw new TypeError(
      'reschedule(): outcome must be { ok: true, value } or { ok: false, error }',
    );
  }
  if (task.parkedOn === null) {
    throw new RuntimeError(`reschedule(): ${task} is not parked`);
  }
  if (outcome.ok && task.parkedOn.endsOnlyByCancel === true) {
    task.runner.wakeWithError(
      task,
      new RuntimeError(
        `${task.parkedOn.describeWait?.() ?? 'this wait'} was rescheduled: only a cancellation can end it`,
      ),
    );
  } else if (outcome.ok) task.runner.wake(task, outcome.value);
  else task.runner.wakeWithError(task, outcome.error);
}

/** Statistics of a {@link ParkingLot}. */
export interface ParkingLotStatistics {
  /** How many tasks are parked in the lot. */
  tasksWaiting: number;
}

/** Options of a {@link ParkingLot}. */
export interface ParkingLotOptions {
  /**
   * Makes the lot follow asyncio's wake-vs-cancel rule (see {@link Waitable.revokeWake}): a task
   * this lot woke that takes an edge cancel before it resumes raises `Cancelled` instead, and
   * `onRevoked` is called with the value it was woken with, to pass the wake-up on (typically to
   * {@link ParkingLot.unparkOne}). Without it the lot follows Trio's rule: a woken task keeps
   * its wake-up.
   */
  onRevoked?: (value: unknown, task: Task) => void;
}

/**
 * The wait of one task in a {@link ParkingLot}: the waitable the task parks on and its node in the
 * lot's queue, so parking makes this one object (no `Set` entry to add and delete) and abandoning
 * the wait unlinks it in O(1). It answers for its lot, which it names in task-tree dumps.
 */
class LotEntry implements Waitable {
  prev: LotEntry | null = null;
  next: LotEntry | null = null;

  constructor(
    public lot: ParkingLot,
    readonly task: Task,
  ) {}

  abortWait(task: Task): Abort {
    return this.lot.abortWait(task);
  }

  describeWait(): string {
    return this.lot.describeWait();
  }

  revokeWake(task: Task, outcome: Outcome): boolean {
    return this.lot.revokeWake(task, outcome);
  }
}

/**
 * A FIFO queue of parked tasks, the building block of locks, events, conditions and channels.
 * A task parked here waits on an entry of the lot (what `currentWait` shows), which defers to the
 * lot's `abortWait` and `revokeWake`: a subclass overrides those two.
 *
 * @example
 * ```ts
 * const lot = new ParkingLot();
 * // in one task:
 * await lot.park();
 * // in another:
 * lot.unpark();
 * ```
 */
export class ParkingLot implements Waitable {
  private head: LotEntry | null = null;
  private tail: LotEntry | null = null;
  private count = 0;
  private readonly onRevoked: ((value: unknown, task: Task) => void) | null;
  /** Set by {@link ParkingLot.breakLot}: what every wait here fails with from then on. */
  private breakError: (() => unknown) | null = null;

  /**
   * @param label - names the lot in task-tree dumps
   * @param options - see {@link ParkingLotOptions}
   */
  constructor(
    private readonly label = 'ParkingLot',
    options: ParkingLotOptions = {},
  ) {
    const onRevoked = options.onRevoked;
    if (onRevoked !== undefined && typeof onRevoked !== 'function') {
      throw new TypeError('ParkingLot onRevoked must be a function');
    }
    this.onRevoked = onRevoked ?? null;
  }

  /** How many tasks are parked here. */
  get size(): number {
    return this.count;
  }

  /**
   * Parks the current task here until it is unparked (or cancelled, which removes it). In a
   * broken lot it rejects at once with the lot's error.
   */
  park(): Promise<unknown> {
    const task = requireTask('ParkingLot.park()');
    if (this.breakError !== null) return Promise.reject(this.breakError());
    // A task already in a wait is refused by the runner; it must not join the queue either.
    if (!task.runner.canPark(task, this)) return NEVER;
    const entry = new LotEntry(this, task);
    this.append(entry);
    return task.runner.park(task, entry, false);
  }

  /** Wakes up to `count` tasks, oldest first, and returns them. */
  unpark(count = 1): Task[] {
    checkCount(count);
    const woken: Task[] = [];
    while (woken.length < count && this.head !== null) woken.push(this.wakeHead(undefined));
    return woken;
  }

  /** Wakes the oldest task, if any, with `value`; returns it or `null`. */
  unparkOne(value?: unknown): Task | null {
    return this.head === null ? null : this.wakeHead(value);
  }

  /** Wakes every parked task and returns them. */
  unparkAll(): Task[] {
    return this.unpark(Infinity);
  }

  /**
   * Moves up to `count` tasks, oldest first, to `other` without waking them (into a broken lot,
   * they wake with its error).
   */
  repark(other: ParkingLot, count = 1): void {
    checkCount(count);
    if (!(other instanceof ParkingLot)) throw new TypeError('repark() expects a ParkingLot');
    for (let moved = 0; moved < count && this.head !== null; moved++) {
      const entry = this.head;
      this.unlink(entry);
      if (other.breakError !== null) {
        entry.task.runner.wakeWithError(entry.task, other.breakError());
        continue;
      }
      entry.lot = other;
      other.append(entry);
    }
  }

  /**
   * Breaks the lot, as Trio's `ParkingLot.break_lot`: every parked task wakes with a fresh
   * `makeError()`, and so does every later `park()`, at once. Breaking a broken lot again keeps
   * the first error. For a primitive that can never be released (a lock whose owner exited).
   */
  breakLot(makeError: () => unknown): void {
    if (typeof makeError !== 'function') throw new TypeError('breakLot() expects a function');
    this.breakError ??= makeError;
    const error = this.breakError;
    while (this.head !== null) {
      const entry = this.head;
      this.unlink(entry);
      entry.task.runner.wakeWithError(entry.task, error());
    }
  }

  /** True once {@link ParkingLot.breakLot} was called. */
  get broken(): boolean {
    return this.breakError !== null;
  }

  /** Moves every parked task to `other`. */
  reparkAll(other: ParkingLot): void {
    this.repark(other, Infinity);
  }

  /** The first parked task, without waking it. */
  peek(): Task | undefined {
    return this.head?.task;
  }

  /** How many tasks are parked here. */
  statistics(): ParkingLotStatistics {
    return { tasksWaiting: this.count };
  }

  /** Cancellation reached a task parked here: it leaves the lot (the wait is abandoned). */
  abortWait(task: Task): Abort {
    const entry = task.parkedOn;
    const linked = entry instanceof LotEntry && (entry.prev !== null || this.head === entry);
    if (linked && entry.lot === this) this.unlink(entry);
    return Abort.SUCCEEDED;
  }

  /** The lot's label, for task-tree dumps. */
  describeWait(): string {
    return this.label;
  }

  /**
   * The wake-vs-cancel rule of the lot (see {@link Waitable.revokeWake}): with `onRevoked`, a
   * wake-up overtaken by an edge cancel is taken back and passed to `onRevoked`; without, the
   * woken task keeps it.
   */
  revokeWake(task: Task, outcome: Outcome): boolean {
    if (this.onRevoked === null) return false;
    this.onRevoked(outcome.ok ? outcome.value : undefined, task);
    return true;
  }

  /** The parked tasks, first to be unparked first. */
  *[Symbol.iterator](): IterableIterator<Task> {
    for (let entry = this.head; entry !== null; entry = entry.next) yield entry.task;
  }

  private wakeHead(value: unknown): Task {
    const entry = this.head!;
    this.unlink(entry);
    entry.task.runner.wake(entry.task, value);
    return entry.task;
  }

  private append(entry: LotEntry): void {
    entry.prev = this.tail;
    if (this.tail === null) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    this.count++;
  }

  private unlink(entry: LotEntry): void {
    if (entry.prev === null) this.head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === null) this.tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = entry.next = null;
    this.count--;
  }
}

function checkCount(count: number): void {
  // A whole number of tasks, or Infinity for all of them.
  if (count !== Infinity) checkNumber('ParkingLot', 'count', count, { min: 0, integer: true });
}
