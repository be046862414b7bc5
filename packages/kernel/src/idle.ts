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

/** @internal Every live task is parked, in a kernel wait or a foreign one. */
export function allParked(runner: Runner): boolean {
  return runner.liveTasks === runner.blockedTasks + runner.hostWaits;
}

/** @internal Owned by the {@link Runner}: its idle check, idle timer and idle waiters. */
export class Idleness {
  /**
   * @internal Batches started so far: an idle timer acts only if none started since it was armed.
   */
  activity = 0;
  private immediate: NodeJS.Immediate | null = null;
  /** @internal The idle timer (a cushion or an autojump threshold), or null. */
  timer: NodeJS.Timeout | null = null;
  /**
   * @internal The `waitAllTasksBlocked` callers, made by the first of them: a run that has none
   * does not carry their code.
   */
  waiters: IdleWaiters | null = null;
  /**
   * @internal What to do once every task is parked (`onAllBlocked` of all-blocked.ts), or null
   * for nothing: set by a jumping clock, the first `waitAllTasksBlocked` caller and deadlock
   * detection, so that a run using none of them does not carry the code.
   */
  allBlocked: ((idle: Idleness) => void) | null;

  constructor(
    /** @internal */
    readonly runner: Runner,
    /** @internal The run's clock if it jumps (autojump drives it), else null. */
    readonly jumping: JumpingClock | null,
  ) {
    this.allBlocked = jumping?._allBlocked ?? null;
  }

  /** Look at the next host turn whether the run is idle. */
  schedule(): void {
    if (this.immediate === null && !this.runner.finished)
      this.immediate = setImmediate(this.onHostTurn);
  }

  private readonly onHostTurn = (): void => {
    this.immediate = null;
    this.check();
  };

  /** A batch starts: the run is busy, a pending idle timer is moot. */
  busy(): void {
    this.activity++;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /**
   * Runs once microtasks have drained: if nothing is ready, arm the timer, autojump, wake idle
   * waiters. The host timer calls it too; a check still queued for the host turn is then moot, and
   * would outlive a run that ends before that turn, so it is cancelled.
   */
  check(): void {
    const runner = this.runner;
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    runner.scheduler.lastHostTurn = performance.now();
    if (runner.debug !== null) runner.debug.hostTurn();
    if (runner.finished || runner.scheduler.hasWork()) return;
    if (runner.deadlines.size !== 0) {
      runner.expireDeadlines();
      if (runner.scheduler.hasWork()) return;
    }
    if (runner.instruments.list.length !== 0) runner.instruments.call('beforeIdle');
    if (this.allBlocked !== null && allParked(runner)) this.allBlocked(this);
    runner.hostTimer.arm();
  }

  /** Stops the idle check and timer (the run has finished). */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}
