/**
 * `@duet/trio/testing`: Trio's `trio.testing` — a virtual clock, waiting for everything to block,
 * forcing an order across tasks, checking that code checkpoints, and a Jest adapter.
 *
 * @packageDocumentation
 * @module @duet/trio/testing
 */
import { AssertionError } from 'node:assert';
import {
  Cancelled,
  MockClock,
  RuntimeError,
  addInstrument,
  currentTask,
  removeInstrument,
  type Instrument,
  type Task,
} from '@duet/kernel';
import { run, type RunOptions } from './run';
import { Event } from './sync';

export { MockClock, waitAllTasksBlocked, type MockClockOptions } from '@duet/kernel';

/**
 * `trio.testing.Sequencer`: makes blocks in different tasks run in a fixed order. `seq.run(n, fn)`
 * waits until the blocks numbered `0 .. n-1` have finished, then runs `fn`. Each number can be used
 * once. If a task is cancelled while waiting its turn, the sequence is broken: that task and every
 * later one get `RuntimeError`.
 *
 * @example
 * ```ts
 * const seq = new Sequencer();
 * nursery.startSoon(async () => { await seq.run(1, () => log.push('second')); });
 * nursery.startSoon(async () => { await seq.run(0, () => log.push('first')); });
 * ```
 */
export class Sequencer {
  private readonly points = new Map<number, Event>();
  private readonly claimed = new Set<number>();
  private broken = false;

  private point(position: number): Event {
    let event = this.points.get(position);
    if (event === undefined) {
      event = new Event();
      this.points.set(position, event);
    }
    return event;
  }

  /** Runs `fn` as block number `position` (an integer >= 0) of the sequence; resolves with its value. */
  async run<T>(position: number, fn: () => Promise<T> | T): Promise<T> {
    if (!Number.isInteger(position) || position < 0) {
      throw new TypeError(`position must be an integer >= 0, got ${String(position)}`);
    }
    if (this.claimed.has(position))
      throw new RuntimeError(`sequence point ${position} was already used`);
    if (this.broken) throw new RuntimeError('the sequence is broken');
    this.claimed.add(position);
    if (position !== 0) {
      try {
        await this.point(position).wait();
      } catch (err) {
        if (!(err instanceof Cancelled)) throw err;
        this.broken = true;
        for (const event of this.points.values()) event.set();
        throw new RuntimeError('a Sequencer wait was cancelled: the sequence is broken', {
          cause: err,
        });
      }
      if (this.broken) throw new RuntimeError('the sequence is broken');
    }
    try {
      return await fn();
    } finally {
      this.point(position + 1).set();
    }
  }
}

async function countSteps<T>(fn: () => Promise<T> | T, check: (steps: number) => void): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError('expected a function');
  const task: Task = currentTask();
  let steps = 0;
  const instrument: Instrument = {
    beforeTaskStep(t: Task): void {
      if (t === task) steps++;
    },
  };
  addInstrument(instrument);
  let value: T;
  try {
    value = await fn();
  } catch (err) {
    removeInstrument(instrument);
    // A Cancelled can only come from a cancel point; any other error is reported as it is.
    if (err instanceof Cancelled) check(Math.max(steps, 1));
    throw err;
  }
  removeInstrument(instrument);
  check(steps);
  return value;
}

/**
 * `trio.testing.assert_checkpoints`: runs `fn` and fails with an `AssertionError` unless the
 * current task hit a checkpoint (it yielded to the scheduler) while `fn` ran. A `Cancelled`
 * coming out of `fn` counts as a checkpoint; any other error propagates unchanged.
 *
 * @example
 * ```ts
 * await assertCheckpoints(() => lock.acquire()); // even when the lock is free
 * ```
 */
export function assertCheckpoints<T>(fn: () => Promise<T> | T): Promise<T> {
  return countSteps(fn, (steps) => {
    if (steps === 0)
      throw new AssertionError({ message: 'assertCheckpoints: the code did not checkpoint' });
  });
}

/**
 * `trio.testing.assert_no_checkpoints`: runs `fn` and fails with an `AssertionError` if the
 * current task hit a checkpoint while `fn` ran.
 *
 * @example
 * ```ts
 * await assertNoCheckpoints(() => event.set());
 * ```
 */
export function assertNoCheckpoints<T>(fn: () => Promise<T> | T): Promise<T> {
  return countSteps(fn, (steps) => {
    if (steps !== 0)
      throw new AssertionError({
        message: `assertNoCheckpoints: the code checkpointed (${steps} time(s))`,
      });
  });
}

/**
 * Options of {@link trioTest}.
 *
 * @example
 * ```ts
 * test('uses my clock', trioTest(async (clock) => { clock.jump(1); }, { clock: new MockClock() }));
 * ```
 */
export interface TrioTestOptions extends Omit<RunOptions, 'clock'> {
  /** The clock of the run; a fresh `MockClock({ autojumpThreshold: 0 })` by default. */
  clock?: MockClock;
}

/**
 * The hang detection `trioTest` turns on unless told otherwise: a deadlock, or 4 real seconds
 * (before Jest's 5 s timeout), fails the test with a `HangError` that shows the task tree.
 */
export const TRIO_TEST_HANG_DETECTION = Object.freeze({
  /** Fail a test whose tasks all wait with nothing scheduled to wake them. */
  deadlock: true,
  /** Fail a test after 4 real seconds. */
  realTimeout: 4,
});

/**
 * A Jest (or any runner's) test function that runs `fn` as the root task of its own `run()`, like
 * pytest-trio with `autojump_clock`: by default the run uses a fresh `MockClock` with
 * `autojumpThreshold: 0`, so sleeps and timeouts finish at once in virtual time. `fn` gets the clock.
 * A test that deadlocks or runs 4 real seconds fails with a `HangError` showing the task tree
 * (see {@link TRIO_TEST_HANG_DETECTION}; pass `hangDetection` to change it — turn `deadlock` off
 * when something outside the kernel, such as a raw `setTimeout`, wakes the test's tasks).
 *
 * @example
 * ```ts
 * test('times out', trioTest(async (clock) => {
 *   await moveOnAfter(60, () => sleepForever());
 *   expect(currentTime()).toBe(60);
 * }));
 * ```
 */
export function trioTest<T>(
  fn: (clock: MockClock) => Promise<T> | T,
  options: TrioTestOptions = {},
): () => Promise<T> {
  if (typeof fn !== 'function') throw new TypeError('trioTest() expects the test body function');
  return () => {
    const clock = options.clock ?? new MockClock({ autojumpThreshold: 0 });
    return run({ hangDetection: TRIO_TEST_HANG_DETECTION, ...options, clock }, fn, clock);
  };
}
