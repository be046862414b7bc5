/**
 * Clocks: where a run reads the time. Times are seconds (floats), as in Python.
 */
// `performance` is read from globalThis at every call, not captured at import, so fake timers
// installed later (`vi.useFakeTimers({ toFake: [..., 'performance'] })`, @sinonjs/fake-timers)
// drive the system clock too.
import { onAllBlocked } from './all-blocked';
import type { Idleness } from './idle';
import { ValueError } from './errors';
import { checkNumber, checkOptions } from './validate';

/** What a run needs from a clock. Implement it to drive a run on your own notion of time. */
export interface Clock {
  /** Called once when a run starts using this clock. */
  startClock(): void;
  /** The current time in seconds. Never goes backwards. */
  currentTime(): number;
  /** How many real seconds to wait until `deadline` (a time on this clock) is reached. */
  deadlineToSleepTime(deadline: number): number;
}

/** The default clock: monotonic seconds from the global `globalThis.performance.now()`, read at each call. */
export class SystemClock implements Clock {
  startClock(): void {}

  currentTime(): number {
    return globalThis.performance.now() / 1000;
  }

  deadlineToSleepTime(deadline: number): number {
    return deadline - this.currentTime();
  }
}

/**
 * @internal What the runner drives on a clock that jumps (a {@link MockClock}). Found by shape,
 * not `instanceof`, so a program that never makes a MockClock does not carry the class.
 */
export interface JumpingClock extends Clock {
  _onChange: (() => void) | null;
  readonly autojumpThreshold: number;
  _jumpTo(time: number): void;
  /** The idle check's action once every task is parked: the autojump lives with the clock. */
  readonly _allBlocked: (idle: Idleness) => void;
}

/** @internal `clock` as a {@link JumpingClock}, or null if it is not one. */
export function jumpingClock(clock: Clock): JumpingClock | null {
  return typeof (clock as Partial<JumpingClock>)._jumpTo === 'function'
    ? (clock as JumpingClock)
    : null;
}

/** Options of {@link MockClock}. */
export interface MockClockOptions {
  /** Virtual seconds that pass per real second; 0 (the default) means time moves only by jumps. */
  rate?: number;
  /**
   * When every task of the run has been blocked in a kernel wait for this many real seconds,
   * time jumps to the next deadline. `0` jumps at once; `Infinity` (the default) never jumps.
   */
  autojumpThreshold?: number;
}

// Trio's words ("rate must be >= 0", "time can't go backwards") lead the message, so a test
// matching Trio's message matches Duet's; NaN and non-numbers are refused as well.
function checkRate(value: number): number {
  if (value < 0) throw new ValueError(`MockClock: rate must be >= 0, got ${value}`);
  checkNumber('MockClock', 'rate', value, { min: 0 }); // a non-number or NaN
  return value;
}

/** As Trio's, any number: a negative threshold acts as 0 (NaN is still refused). */
function checkThreshold(value: number): number {
  checkNumber('MockClock', 'autojumpThreshold', value);
  return value;
}

/**
 * A virtual clock for tests, as Trio's `MockClock`: it starts at 0 and moves only as told, so a
 * test of a one-hour timeout takes milliseconds and gives the same result every run.
 *
 * @example
 * ```ts
 * await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, async () => {
 *   await sleep(3600); // returns at once, currentTime() is now 3600
 * });
 * ```
 */
export class MockClock implements Clock {
  private virtualBase = 0;
  private realBase = 0;
  private rateValue: number;
  private thresholdValue: number;
  /** @internal Set by the runner using this clock, so that a jump, a rate or a threshold wakes it. */
  _onChange: (() => void) | null = null;
  /** @internal The autojump (see {@link JumpingClock}). */
  readonly _allBlocked = onAllBlocked;

  constructor(options: MockClockOptions = {}) {
    checkOptions('new MockClock()', options, ['rate', 'autojumpThreshold']);
    this.rateValue = checkRate(options.rate ?? 0);
    this.thresholdValue = checkThreshold(options.autojumpThreshold ?? Infinity);
  }

  /** Virtual seconds per real second. */
  get rate(): number {
    return this.rateValue;
  }

  /** Sets `rate` (see the getter). */
  set rate(value: number) {
    checkRate(value);
    this.virtualBase = this.currentTime();
    this.realBase = globalThis.performance.now() / 1000;
    this.rateValue = value;
    this._onChange?.(); // a sleeping run must wake to re-time its deadlines at the new rate
  }

  /**
   * Real seconds of everything-blocked after which time jumps to the next deadline. As in Trio, a
   * negative value is accepted and acts as 0.
   */
  get autojumpThreshold(): number {
    return this.thresholdValue;
  }

  /** Sets `autojumpThreshold` (see the getter). */
  set autojumpThreshold(value: number) {
    this.thresholdValue = checkThreshold(value);
    this._onChange?.();
  }

  startClock(): void {
    this.realBase = globalThis.performance.now() / 1000;
  }

  currentTime(): number {
    if (this.rateValue === 0) return this.virtualBase;
    return (
      this.virtualBase + (globalThis.performance.now() / 1000 - this.realBase) * this.rateValue
    );
  }

  deadlineToSleepTime(deadline: number): number {
    const virtual = deadline - this.currentTime();
    if (virtual <= 0) return 0;
    return this.rateValue > 0 ? virtual / this.rateValue : Infinity;
  }

  /** Moves time forward by `seconds` (>= 0). Deadlines that pass fire at the next scheduling round. */
  jump(seconds: number): void {
    if (seconds < 0) {
      throw new ValueError(
        `MockClock: time can't go backwards (jump must be >= 0, got ${seconds})`,
      );
    }
    checkNumber('MockClock', 'jump', seconds, { min: 0 }); // a non-number or NaN
    this.virtualBase += seconds;
    this._onChange?.();
  }

  /** Its time and rate, as Trio's repr: `<MockClock, time=1.5000000, rate=0>`. */
  toString(): string {
    return `<MockClock, time=${this.currentTime().toFixed(7)}, rate=${this.rateValue}>`;
  }

  /** @internal Moves time forward to `time` if it is later than now (autojump). */
  _jumpTo(time: number): void {
    const now = this.currentTime();
    if (time > now) this.virtualBase += time - now;
  }
}
