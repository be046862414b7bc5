/** Trio's conflict detector: `BusyResourceError` for a second task entering a one-at-a-time operation. */
import { BusyResourceError } from './errors';

/**
 * @internal Trio's conflict detector: one task at a time in an operation, from its call until its promise
 * settles (across the operation's final checkpoint too). The operations are promise chains rather
 * than async functions, a hot path's fewer promises and reactions (and, with Node 20's
 * AsyncLocalStorage, fewer promise-hook calls); `done` and `failed` end one as its last reaction,
 * made once per stream instead of a closure per call.
 */
export class ConflictDetector {
  private held = false;

  constructor(private readonly busyMessage: string) {}

  get busy(): boolean {
    return this.held;
  }

  /** `BusyResourceError` while an operation is in progress. */
  check(): void {
    if (this.held) throw new BusyResourceError(this.busyMessage);
  }

  /** Starts an operation; `BusyResourceError` while another one is in progress. */
  enter(): void {
    this.check();
    this.held = true;
  }

  /** Ends the operation. */
  leave(): void {
    this.held = false;
  }

  /** Ends the operation with its result, as its last reaction. */
  readonly done = <T>(value: T): T => {
    this.held = false;
    return value;
  };

  /** Ends the operation with `error`, as its last reaction (rethrows it). */
  readonly failed = (error: unknown): never => {
    this.held = false;
    throw error;
  };

  /** Runs `operation` as one operation: `BusyResourceError` (as a rejection) if another is in progress. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await operation();
    } finally {
      this.held = false;
    }
  }

  /** Ends the operation with `error`, as its promise. */
  reject(error: unknown): Promise<never> {
    this.held = false;
    return Promise.reject(error);
  }
}
