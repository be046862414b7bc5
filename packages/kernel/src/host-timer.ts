/**
 * The host timer of a run: one Node timer, armed for the earliest deadline. When it fires it
 * expires what is due and lets the runner look whether the run went idle.
 */
import type { Runner } from './runner';

/** The longest host timer armed at once; a later deadline re-arms when it fires. */
const MAX_TIMER_SECONDS = 86_400;

/** @internal Owned by the {@link Runner}: the Node timer for the run's earliest deadline. */
export class HostTimer {
  private timer: NodeJS.Timeout | null = null;
  /** The deadline the timer is armed for. */
  private armedAt = NaN;

  constructor(private readonly runner: Runner) {}

  /** Arms the timer for the earliest deadline (or clears it when none is left). */
  arm(): void {
    const top = this.runner.deadlines.peek();
    if (top === undefined || (this.timer !== null && top.when === this.armedAt)) {
      if (top === undefined && this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const seconds = this.runner.clock.deadlineToSleepTime(top.when);
    if (!(seconds < Infinity)) return;
    this.armedAt = top.when;
    const ms = Math.ceil(Math.min(Math.max(seconds, 0), MAX_TIMER_SECONDS) * 1000);
    this.timer = setTimeout(this.onFire, ms);
  }

  /**
   * A deadline became the earliest: arm the timer for it now. Tasks may be out in plain awaits
   * of foreign Promises, so no idle check may come to do it (DESIGN principle 12).
   */
  onEarlierDeadline(when: number): void {
    if (this.runner.finished || (this.timer !== null && when >= this.armedAt)) return;
    this.arm();
  }

  /**
   * The clock changed pace or jumped: the real time to the earliest deadline is not what the
   * timer was armed for, so arm it afresh.
   */
  retime(): void {
    if (this.runner.finished) return;
    this.clear();
    this.armedAt = NaN;
    this.arm();
  }

  /** Stops the timer (the run has finished). */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private readonly onFire = (): void => {
    this.timer = null;
    this.armedAt = NaN;
    const runner = this.runner;
    if (runner.finished) return;
    // Expire whatever is due even while a batch waits for a task that is out in foreign code.
    runner.expireDeadlines();
    this.arm();
    runner.idle.check();
  };
}
