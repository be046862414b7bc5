/**
 * Debug mode: warnings for the mistakes that make concurrent programs misbehave quietly. Off by
 * default; on with `run({ debug: true })` or `DUET_DEBUG=1`. Each warning is given once per site.
 */
import { getEventListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Task } from './task';

/** Options of debug mode. */
export interface DebugOptions {
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

/** @internal The run's debug checks; the runner calls these hooks only in debug mode. */
export class DebugMonitor {
  private readonly warned = new Set<string>();
  private readonly cancelDelivered = new WeakSet<Task>();
  private readonly threshold: number;
  private readonly warn: (message: string) => void;
  private lastEntry = performance.now();
  private heartbeatSince = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(options: DebugOptions) {
    this.threshold = (options.slowStepThreshold ?? 0.1) * 1000;
    this.warn = options.onWarning ?? ((m) => process.emitWarning(m, 'DuetWarning'));
    // Fires whenever the event loop is free; if it did not fire between two kernel entries, the
    // code in between held the loop.
    this.heartbeat = setInterval(
      () => {
        this.heartbeatSince = true;
      },
      Math.max(1, this.threshold / 4),
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
    if (waiting && this.cancelDelivered.has(task)) {
      this.cancelDelivered.delete(task);
      const site = callSite();
      this.once(
        `swallow:${site}`,
        `Duet debug: ${task} caught a Cancelled and went on to wait again at ${site}; ` +
          'let Cancelled propagate (rethrow it) or shield the cleanup with a CancelScope({ shield: true })',
      );
    }
  }

  /** The run's host turn: the loop was free. */
  hostTurn(): void {
    this.lastEntry = performance.now();
  }

  /** A scope with a signal exited; its listeners should have been removed. */
  scopeExited(signal: AbortSignal | null): void {
    if (signal === null || signal.aborted) return;
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
