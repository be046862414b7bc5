/**
 * Hang detection and the task-tree dump on a signal. A chunk of its own: `run()` loads it before a
 * run that asks for either starts, and when Node's event loop runs dry under a pending run; a
 * program that does neither does not carry it, nor the task-tree code it uses.
 */
import { onAllBlocked } from './all-blocked';
import { HangError } from './errors';
import { formatTaskTree, taskTree } from './introspect';
import type { Runner } from './runner';

/**
 * Node's event loop ran out of work while a run is pending: no timer, socket or callback is left
 * that could wake a task. Without the failure the process would exit silently (code 13 under ESM,
 * 0 under CommonJS with `run()` never settled); the run fails with the tree instead.
 */
const EXIT_REASON =
  'deadlock: the process has nothing left to do, but tasks of this run are still waiting ' +
  '(each waits for something nobody will provide; see what each waits on below)';

/** Fails `runner` at once with a {@link HangError} giving `reason` and the task tree at this moment. */
export function hang(runner: Runner, reason: string): void {
  if (runner.finished) return;
  runner.failHung(new HangError(`${reason}\n${formatTaskTree(taskTree(runner))}`));
}

/** Fails `runner`, pending when Node's event loop ran dry, with the tree of what each task waits on. */
export function hangAtExit(runner: Runner): void {
  hang(runner, EXIT_REASON);
}

/** What a run asked of the watchdog (from its `hangDetection` and `dumpOnSignal` options). */
export interface WatchdogOptions {
  /** Fail when every task is parked in a kernel wait and no deadline is pending. */
  deadlock: boolean;
  /** Fail after this many real seconds, if given. */
  realTimeout: number | undefined;
  /** The signal on which to print the task tree to stderr, or null. */
  dumpSignal: string | null;
}

/** @internal One run's hang detection and signal dump, owned by its {@link Runner}. */
export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly runner: Runner,
    private readonly options: WatchdogOptions,
  ) {
    // The idle check reports the deadlock (see all-blocked.ts).
    if (options.deadlock) runner.idle.allBlocked = onAllBlocked;
  }

  /** With deadlock detection on, a run whose tasks all wait with no deadline pending fails. */
  get detectsDeadlock(): boolean {
    return this.options.deadlock;
  }

  /** The run starts: arm the real-time limit and listen for the dump signal. */
  start(): void {
    const { realTimeout, dumpSignal } = this.options;
    if (realTimeout !== undefined) {
      this.timer = setTimeout(
        () => hang(this.runner, `the run passed its real-time limit of ${realTimeout} s`),
        realTimeout * 1000,
      );
    }
    if (dumpSignal !== null) process.on(dumpSignal, this.dumpTree);
  }

  /** Every task waits in the kernel and nothing is scheduled to wake any of them. */
  deadlocked(): void {
    hang(
      this.runner,
      'deadlock: every task is waiting and nothing is scheduled to wake any of them',
    );
  }

  /** The run has finished: no timer or listener may outlive it. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.options.dumpSignal !== null) process.off(this.options.dumpSignal, this.dumpTree);
  }

  private readonly dumpTree = (): void => {
    process.stderr.write(formatTaskTree(taskTree(this.runner)) + '\n');
  };
}
