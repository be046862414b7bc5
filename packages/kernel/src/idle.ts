/**
 * Idleness of a run: once microtasks have drained and nothing is ready, the idle check expires due
 * deadlines, arms the host timer, and when every task is parked in a kernel wait wakes the
 * `waitAllTasksBlocked` callers or autojumps the clock (or, with deadlock detection, fails the
 * run).
 */
import { performance } from 'node:perf_hooks';
import type { JumpingClock } from './clock';
import type { Runner } from './runner';
import type { IdleWaiters } from './wait-all-blocked';

/** Every live task is parked, in a kernel wait or a foreign one. */
function allParked(runner: Runner): boolean {
  return runner.liveTasks === runner.blockedTasks + runner.hostWaits;
}

/** @internal Owned by the {@link Runner}: its idle check, idle timer and idle waiters. */
export class Idleness {
  /** Batches started so far: an idle timer acts only if none started since it was armed. */
  private activity = 0;
  private immediate: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  /**
   * @internal The `waitAllTasksBlocked` callers, made by the first of them: a run that has none
   * does not carry their code.
   */
  waiters: IdleWaiters | null = null;

  constructor(
    private readonly runner: Runner,
    /** The run's clock if it jumps (autojump drives it), else null. */
    private readonly jumping: JumpingClock | null,
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
    if (allParked(runner)) this.onAllBlocked();
    runner.hostTimer.arm();
  };

  /**
   * Every task is parked: wake `waitAllTasksBlocked` callers, or, if no task waits on the host
   * (which may wake it at any time), autojump the clock or report a deadlock.
   */
  private onAllBlocked(): void {
    const runner = this.runner;
    const cushion = this.waiters?.firstCushion();
    let delay = cushion ?? Infinity;
    let jump = false;
    const clock = this.jumping;
    const hostMayWake = runner.hostWaits !== 0;
    // As Trio: while a task waits in waitAllTasksBlocked, it wakes first and time does not jump,
    // whatever its cushion (real seconds) and the threshold.
    if (
      clock !== null &&
      !hostMayWake &&
      cushion === undefined &&
      runner.deadlines.size !== 0 &&
      clock.autojumpThreshold < delay
    ) {
      delay = clock.autojumpThreshold;
      jump = true;
    }
    if (delay === Infinity) {
      const watchdog = runner.watchdog;
      if (
        watchdog !== null &&
        watchdog.detectsDeadlock &&
        !hostMayWake &&
        runner.deadlines.size === 0
      )
        watchdog.deadlocked();
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
      // A jump also needs the host to wait on nobody still.
      if (this.activity === activity && allParked(runner) && !(jump && runner.hostWaits !== 0))
        this.act(jump);
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
    this.waiters!.wakeFirst();
  }

  /** Stops the idle check and timer (the run has finished). */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}
