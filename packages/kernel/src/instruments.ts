/**
 * Instruments: hooks a run calls at the points of its life, for tracing and debugging. A run with
 * no instrument pays one length check per hook point.
 */
import type { CancelScope } from './cancel';
import type { Nursery } from './nursery';
import type { Task } from './task';

/** An object with any of these hooks; each is optional. */
export interface Instrument {
  /** The run is about to start its root task. */
  beforeRun?(): void;
  /** The run has finished: every task has ended. */
  afterRun?(): void;
  /** `task` was created (it has not run yet). */
  taskSpawned?(task: Task): void;
  /** `task` was put in the ready queue. */
  taskScheduled?(task: Task): void;
  /** `task` is about to run a step. */
  beforeTaskStep?(task: Task): void;
  /** `task` ended a step: it parked, yielded or exited. */
  afterTaskStep?(task: Task): void;
  /** `task` has finished. */
  taskExited?(task: Task): void;
  /** `task` entered `scope` (a nursery's own scope too, just before {@link Instrument.nurseryOpened}). */
  scopeEntered?(task: Task, scope: CancelScope): void;
  /** `task` left `scope`; `scope.cancelledCaught` tells whether it caught a cancellation. */
  scopeExited?(task: Task, scope: CancelScope): void;
  /** `task` opened `nursery`. */
  nurseryOpened?(task: Task, nursery: Nursery): void;
  /** `nursery` of `task` has joined all its children and closes. */
  nurseryClosed?(task: Task, nursery: Nursery): void;
  /** Every task is waiting; the run hands the thread to the host until something happens. */
  beforeIdle?(): void;
  /** The run resumes after being idle. */
  afterIdle?(): void;
}

/** The names of the hooks, for code that dispatches on them. */
export type InstrumentHook = keyof Instrument;

const HOOKS: readonly InstrumentHook[] = [
  'beforeRun',
  'afterRun',
  'taskSpawned',
  'taskScheduled',
  'beforeTaskStep',
  'afterTaskStep',
  'taskExited',
  'scopeEntered',
  'scopeExited',
  'nurseryOpened',
  'nurseryClosed',
  'beforeIdle',
  'afterIdle',
];

type HookFn = (task?: Task, subject?: CancelScope | Nursery) => void;

/**
 * The instruments of one run. Each hook is read once, when its instrument is added (as Trio): a
 * hook set on the object later is not called until the instrument is removed and added again. A
 * hook that throws removes its instrument, with a warning.
 */
export class InstrumentSet {
  /** The installed instruments, in the order added. Replaced on change, never mutated. */
  list: readonly Instrument[] = [];
  /**
   * Per hook, the instruments that had it when added, with the function read then. Replaced on
   * change (never mutated), so a call iterates the array it started with while hooks add or remove.
   */
  private byHook: Partial<Record<InstrumentHook, readonly (readonly [Instrument, HookFn])[]>> = {};

  add(instrument: Instrument): void {
    if (instrument === null || typeof instrument !== 'object') {
      throw new TypeError('an instrument is an object with hook methods');
    }
    if (this.list.includes(instrument)) return;
    // Read every hook before installing any: a getter that throws leaves nothing behind, and a
    // hook that is not a function would fail at its first call, far from the mistake.
    const found: [InstrumentHook, HookFn][] = [];
    for (const hook of HOOKS) {
      const fn: unknown = instrument[hook];
      if (fn === undefined) continue;
      if (typeof fn !== 'function') {
        throw new TypeError(`an instrument's ${hook} must be a function, got ${typeof fn}`);
      }
      found.push([hook, fn as HookFn]);
    }
    this.list = [...this.list, instrument];
    for (const [hook, fn] of found)
      this.byHook[hook] = [...(this.byHook[hook] ?? []), [instrument, fn]];
  }

  /** Removes `instrument`; returns false if it was not installed. */
  remove(instrument: Instrument): boolean {
    if (!this.list.includes(instrument)) return false;
    this.list = this.list.filter((i) => i !== instrument);
    for (const hook of HOOKS) {
      const entries = this.byHook[hook];
      if (entries === undefined) continue;
      const kept = entries.filter(([i]) => i !== instrument);
      if (kept.length === 0) delete this.byHook[hook];
      else this.byHook[hook] = kept;
    }
    return true;
  }

  call(hook: InstrumentHook, task?: Task, subject?: CancelScope | Nursery): void {
    const entries = this.byHook[hook];
    if (entries === undefined) return;
    for (const [instrument, fn] of entries) {
      // An earlier hook of this call may have removed it.
      if (!this.list.includes(instrument)) continue;
      try {
        fn.call(instrument, task, subject);
      } catch (err) {
        this.remove(instrument);
        process.emitWarning(
          `Duet: an instrument's ${hook} hook threw, so the instrument has been disabled: ${String(err)}`,
        );
      }
    }
  }
}
