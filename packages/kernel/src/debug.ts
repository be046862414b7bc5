/**
 * Debug mode: warnings for the mistakes that make concurrent programs misbehave quietly. Off by
 * default; on with `run({ debug: true })` or `DUET_DEBUG=1`. Each warning is given once per site.
 */
import { getEventListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Task } from './task';

/**
 * The checks of debug mode: code that holds the event loop (`slowSteps`), a `Cancelled` caught and
 * followed by another wait (`swallowedCancel`), a scope's `AbortSignal` left with listeners
 * (`abortListeners`), a wait created and never awaited (`neverAwaited`).
 */
export type DebugCheck = 'slowSteps' | 'swallowedCancel' | 'abortListeners' | 'neverAwaited';

const ALL_CHECKS: readonly DebugCheck[] = [
  'slowSteps',
  'swallowedCancel',
  'abortListeners',
  'neverAwaited',
];

/** Options of debug mode. */
export interface DebugOptions {
  /** Which checks run (all by default). */
  checks?: readonly DebugCheck[];
  /** Warn when code runs this many seconds without letting the event loop turn (default 0.1). */
  slowStepThreshold?: number;
  /** Where warnings go; `process.emitWarning` with type `DuetWarning` by default. */
  onWarning?: (message: string) => void;
}

function callSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  // The first frame outside the kernel is where the user's code made the call.
  const site = lines.find(
    (l) => !/[/\\]kernel[/\\](src|dist)[/\\]/.test(l) && !l.includes('node:'),
  );
  return (site ?? lines[0] ?? '').trim().replace(/^at /, '');
}

/** The first frame of `trace` outside Duet's own packages: where the user's code made the call. */
function userSite(trace: Error): string {
  const lines = (trace.stack ?? '').split('\n').slice(1);
  const site = lines.find(
    (l) => !/[/\\](kernel|trio|asyncio|bridge)[/\\](src|dist)[/\\]/.test(l) && !l.includes('node:'),
  );
  return (site ?? lines[0] ?? '').trim().replace(/^at /, '');
}

/** @internal The run's debug checks; the runner calls these hooks only in debug mode. */
export class DebugMonitor {
  private readonly warned = new Set<string>();
  private readonly cancelDelivered = new WeakSet<Task>();
  /** Where each task started its current wait (an `Error`: V8 formats its stack only if read). */
  private readonly waitStarted = new WeakMap<Task, Error>();
  private readonly threshold: number;
  private readonly warn: (message: string) => void;
  private lastEntry = performance.now();
  private heartbeatSince = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly checks: ReadonlySet<DebugCheck>;

  constructor(options: DebugOptions) {
    this.checks = new Set(options.checks ?? ALL_CHECKS);
    // Without the slow-step check, a threshold no step reaches (the heartbeat then idles).
    this.threshold = this.checks.has('slowSteps')
      ? (options.slowStepThreshold ?? 0.1) * 1000
      : 2 ** 30;
    this.warn = options.onWarning ?? ((m) => process.emitWarning(m, 'DuetWarning'));
    // Fires whenever the event loop is free; if it did not fire between two kernel entries, the
    // code in between held the loop.
    this.heartbeat = setInterval(
      () => {
        this.heartbeatSince = true;
      },
      Math.min(2 ** 30, Math.max(1, this.threshold / 4)),
    );
    this.heartbeat.unref();
  }

  private once(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }

  /** A `Cancelled` was raised in `task`. */
  cancelDeliveredTo(task: Task): void {
    this.cancelDelivered.add(task);
  }

  /** A `Cancelled` reached a scope boundary: it propagated, nothing was swallowed. */
  cancelPropagated(task: Task): void {
    this.cancelDelivered.delete(task);
  }

  /** `task` calls into the kernel (a wait, a checkpoint, or its end). */
  kernelEntry(task: Task, waiting: boolean): void {
    const now = performance.now();
    if (!this.heartbeatSince && now - this.lastEntry > this.threshold) {
      const ms = Math.round(now - this.lastEntry);
      this.once(
        `slow:${callSite()}`,
        `Duet debug: ${task} ran for ${ms} ms without yielding to the event loop (before ${callSite()})`,
      );
    }
    this.lastEntry = now;
    this.heartbeatSince = false;
    if (waiting && this.checks.has('neverAwaited'))
      this.waitStarted.set(task, new Error('wait started'));
    if (waiting && this.cancelDelivered.has(task) && this.checks.has('swallowedCancel')) {
      this.cancelDelivered.delete(task);
      const site = callSite();
      this.once(
        `swallow:${site}`,
        `Duet debug: ${task} caught a Cancelled and went on to wait again at ${site}; ` +
          'let Cancelled propagate (rethrow it) or shield the cleanup with a CancelScope({ shield: true })',
      );
    }
  }

  /**
   * `task` went on running while its wait was pending: the wait's Promise was dropped without
   * `await` (the "coroutine was never awaited" of Duet). Names where that wait was created.
   */
  neverAwaited(task: Task): void {
    const started = this.waitStarted.get(task);
    if (started === undefined) return;
    const site = userSite(started);
    this.once(
      `unawaited:${site}`,
      `Duet debug: a wait created at ${site} was never awaited (${task} went on without it); ` +
        'add `await`, or start a task (nursery.startSoon / createTask) for work that runs alongside',
    );
  }

  /** The run's host turn: the loop was free. */
  hostTurn(): void {
    this.lastEntry = performance.now();
  }

  /** A scope with a signal exited; its listeners should have been removed. */
  scopeExited(signal: AbortSignal | null): void {
    if (signal === null || signal.aborted || !this.checks.has('abortListeners')) return;
    const count = getEventListeners(signal, 'abort').length;
    if (count > 0) {
      const site = callSite();
      this.once(
        `signal:${site}`,
        `Duet debug: a cancel scope exited while its AbortSignal still had ${count} abort listener(s) (near ${site}); ` +
          'remove them, or they keep what they reference alive',
      );
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
  }
}
