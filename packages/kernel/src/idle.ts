/**
 * Idleness of a run: once microtasks have drained and nothing is ready, the idle check expires due
 * deadlines, arms the host timer, and when every task is parked in a kernel wait wakes the
 * `waitAllTasksBlocked` callers or autojumps the clock (or, with deadlock detection, fails the
 * run).
 */
import { performance } from 'node:perf_hooks';
import type { JumpingClock } from './clock';
import { requireTask } from './context';
import { Abort, NEVER, type Waitable } from './park';
import type { Runner } from './runner';
import type { Task } from './task';
import { checkNumber } from './validate';
import * as waits from './waits';

/** @internal Owned by the {@link Runner}: its idle check, idle timer and idle waiters. */
export class Idleness {
  /** Batches started so far: an idle timer acts only if none started since it was armed. */
  private activity = 0;
  private immediate: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The `waitAllTasksBlocked` callers, by cushion. */
  private readonly waiters: IdleWaiter[] = [];

  constructor(
    private readonly runner: Runner,
    /** The run's clock if it jumps (autojump drives it), else null. */
    private readonly jumping: JumpingClock | null,
    private readonly detectDeadlock: boolean,
  ) {}

  /** Look at the next host turn whether the run is idle. */
  schedule(): void {
    if (this.immediate === null && !this.runner.finished) this.immediate = setImmediate(this.check);
  }

  /** A batch starts: the run is busy, a pending idle timer is moot. */
  busy(): void {
    this.activity++;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Runs once microtasks have drained: if nothing is ready, arm the timer, autojump, wake idle waiters. */
  readonly check = (): void => {
    const runner = this.runner;
    this.immediate = null;
    runner.scheduler.lastHostTurn = performance.now();
    if (runner.debug !== null) runner.debug.hostTurn();
    if (runner.finished || runner.scheduler.hasWork()) return;
    if (runner.deadlines.size !== 0) {
      runner.expireDeadlines();
      if (runner.scheduler.hasWork()) return;
    }
    if (runner.instruments.list.length !== 0) runner.instruments.call('beforeIdle');
    if (runner.liveTasks === runner.blockedTasks) this.onAllBlocked();
    runner.hostTimer.arm();
  };

  /** Every task is parked in a kernel wait: wake `waitAllTasksBlocked` callers or autojump the clock. */
  private onAllBlocked(): void {
    const runner = this.runner;
    const waiter = this.waiters[0];
    let delay = waiter === undefined ? Infinity : waiter.cushion;
    let jump = false;
    const clock = this.jumping;
    // As Trio: while a task waits in waitAllTasksBlocked, it wakes first and time does not jump,
    // whatever its cushion (real seconds) and the threshold.
    if (
      clock !== null &&
      waiter === undefined &&
      runner.deadlines.size !== 0 &&
      clock.autojumpThreshold < delay
    ) {
      delay = clock.autojumpThreshold;
      jump = true;
    }
    if (delay === Infinity) {
      if (this.detectDeadlock && runner.deadlines.size === 0) {
        runner.hang('deadlock: every task is waiting and nothing is scheduled to wake any of them');
      }
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (delay === 0) {
      this.act(jump);
      return;
    }
    const activity = this.activity;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.activity === activity && runner.liveTasks === runner.blockedTasks) this.act(jump);
    }, delay * 1000);
  }

  private act(jump: boolean): void {
    const runner = this.runner;
    if (runner.instruments.list.length !== 0) runner.instruments.call('afterIdle');
    if (jump) {
      this.jumping!._jumpTo(runner.deadlines.peek()!.when);
      runner.expireDeadlines();
      // The expired deadlines may have woken nobody (an abort that said FAILED): look again.
      if (!runner.scheduler.hasWork()) this.schedule();
      return;
    }
    const cushion = this.waiters[0]!.cushion;
    while (this.waiters.length !== 0 && this.waiters[0]!.cushion === cushion) {
      const waiter = this.waiters.shift()!;
      if (waiter.task.parkedOn === waiter) waits.wake(waiter.task, undefined);
    }
  }

  /** Adds a `waitAllTasksBlocked` caller, after those with the same or a smaller cushion. */
  addWaiter(waiter: IdleWaiter): void {
    let i = this.waiters.length;
    while (i > 0 && this.waiters[i - 1]!.cushion > waiter.cushion) i--;
    this.waiters.splice(i, 0, waiter);
  }

  /** Removes a `waitAllTasksBlocked` caller whose wait was aborted. */
  removeWaiter(waiter: IdleWaiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** Stops the idle check and timer (the run has finished). */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}

/** @internal A task in `waitAllTasksBlocked`, ordered by cushion in the runner's list. */
export class IdleWaiter implements Waitable {
  constructor(
    readonly runner: Runner,
    readonly cushion: number,
    readonly task: Task,
  ) {}

  abortWait(): Abort {
    this.runner.idle.removeWaiter(this);
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return `waitAllTasksBlocked(${this.cushion})`;
  }
}

/**
 * Returns once every other task of the run is parked in a kernel wait and has stayed so for
 * `cushion` real seconds: a way for tests to let everything settle. Callers with the smallest
 * cushion wake first; while any caller waits, a `MockClock` does not autojump.
 */
export function waitAllTasksBlocked(cushion = 0): Promise<void> {
  checkNumber('waitAllTasksBlocked()', 'cushion', cushion, { min: 0, unit: 'seconds' });
  const task = requireTask('waitAllTasksBlocked()');
  const runner = task.runner;
  if (!waits.canPark(task, 'waitAllTasksBlocked')) return NEVER;
  const waiter = new IdleWaiter(runner, cushion, task);
  runner.idle.addWaiter(waiter);
  return waits.park(task, waiter, false) as Promise<void>;
}
