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
  /** Each installed instrument's hooks, as read when it was added. */
  private readonly hooks = new Map<Instrument, Partial<Record<InstrumentHook, HookFn>>>();

  add(instrument: Instrument): void {
    if (instrument === null || typeof instrument !== 'object') {
      throw new TypeError('an instrument is an object with hook methods');
    }
    if (this.hooks.has(instrument)) return;
    // Every hook is read before any is installed: a getter that throws leaves nothing behind, and
    // a hook that is not a function would fail at its first call, far from the mistake.
    const hooks: Partial<Record<InstrumentHook, HookFn>> = {};
    for (const hook of HOOKS) {
      const fn: unknown = instrument[hook];
      if (fn === undefined) continue;
      if (typeof fn !== 'function') {
        throw new TypeError(`an instrument's ${hook} must be a function, got ${typeof fn}`);
      }
      hooks[hook] = fn as HookFn;
    }
    this.hooks.set(instrument, hooks);
    this.list = [...this.list, instrument];
  }

  /** Removes `instrument`; returns false if it was not installed. */
  remove(instrument: Instrument): boolean {
    if (!this.hooks.delete(instrument)) return false;
    this.list = this.list.filter((i) => i !== instrument);
    return true;
  }

  call(hook: InstrumentHook, task?: Task, subject?: CancelScope | Nursery): void {
    // `list` is replaced, not changed, when a hook adds or removes an instrument.
    for (const instrument of this.list) {
      const fn = this.hooks.get(instrument)?.[hook]; // undefined once removed by an earlier hook
      if (fn === undefined) continue;
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
