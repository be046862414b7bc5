/**
 * A Node child process's life as both facades see it: its return code (Python's convention), a
 * wait for its exit, signals only while it runs, and what happens to it if it is still running
 * when the run ends. The facades' `Process` classes add their own streams on top.
 */
import { constants as osConstants } from 'node:os';
import { HostWait } from './interop';
import { atRunEnd, destroyAll, type Destroyable } from './resources';

/**
 * What {@link ChildExit} uses of a Node `ChildProcess`. Structural, so the kernel's types need no
 * `@types/node`; a `ChildProcess` is one.
 */
export interface ChildProcessLike {
  /** The process id (undefined if the spawn failed). */
  readonly pid?: number | undefined;
  /** The exit code once exited, else null. */
  readonly exitCode: number | null;
  /** The signal that ended it, else null. */
  readonly signalCode: string | null;
  /** Our ends of its standard streams. */
  readonly stdio: ReadonlyArray<Destroyable | null | undefined>;
  /** Adds a one-time listener for `'close'`. */
  once(event: 'close', listener: () => void): unknown;
  /** Adds a listener for `'exit'`. */
  on(event: 'exit', listener: (code: number | null, signal: string | null) => void): unknown;
  /** Sends a signal. */
  kill(signal?: number | string): boolean;
  /** Lets Node exit while it runs. */
  unref(): void;
}

/**
 * What happens to a child still running when the run ends: `'detach'` lets it go on without
 * holding Node (Trio's rule), `'kill'` kills it (what closing its transport does in asyncio).
 * Either way our ends of its pipes are destroyed.
 */
export type ChildAtRunEnd = 'detach' | 'kill';

/** Python's return code: the exit code, or minus the number of the signal that ended the child. */
function returnCode(code: number | null, signal: string | null): number {
  if (code !== null) return code;
  const signals = osConstants.signals as Record<string, number | undefined>;
  const n = signal === null ? undefined : signals[signal];
  return n === undefined ? -1 : -n;
}

/**
 * The exit of a spawned child, for the facades' `Process` classes. Make it right after `spawn`:
 * a quick child may exit before anything else runs.
 *
 * @example
 * ```ts
 * const exit = new ChildExit(spawn('ls'), 'detach');
 * await exit.exited();
 * exit.returncode; // 0
 * ```
 */
export class ChildExit {
  private code: number | null = null;
  private readonly waiters = new Set<HostWait>();

  constructor(
    /** The Node child process. */
    readonly child: ChildProcessLike,
    atEnd: ChildAtRunEnd,
  ) {
    const forget = atRunEnd(() => {
      if (atEnd === 'kill' && this.code === null) child.kill('SIGKILL');
      child.unref();
      return destroyAll(child.stdio);
    });
    child.once('close', forget);
    if (child.exitCode !== null || child.signalCode !== null) {
      this.code = returnCode(child.exitCode, child.signalCode);
    }
    child.on('exit', (code, signal) => {
      this.code = returnCode(code, signal);
      for (const wait of this.waiters) wait.wake();
      this.waiters.clear();
    });
  }

  /** The return code, `null` while the child runs. */
  get returncode(): number | null {
    return this.code;
  }

  /**
   * Waits until the child has exited (a cancellable host wait; it does not stop the child).
   * Returns at once, without a checkpoint, if it already has.
   */
  async exited(): Promise<void> {
    if (this.code !== null) return;
    const wait = new HostWait(`process ${this.child.pid} to exit`);
    this.waiters.add(wait);
    try {
      await wait.wait();
    } finally {
      this.waiters.delete(wait);
    }
  }

  /** Sends `signal` (a name like `'SIGINT'` or a number) unless the child has exited. */
  sendSignal(signal: string | number): void {
    if (this.code === null) this.child.kill(signal);
  }
}
