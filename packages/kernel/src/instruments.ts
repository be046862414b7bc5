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

/** The instruments of one run. A hook that throws removes its instrument, with a warning. */
export class InstrumentSet {
  readonly list: Instrument[] = [];

  add(instrument: Instrument): void {
    if (instrument === null || typeof instrument !== 'object') {
      throw new TypeError('an instrument is an object with hook methods');
    }
    // A hook that is not a function would fail at its first call, far from the mistake.
    for (const hook of HOOKS) {
      const fn = instrument[hook];
      if (fn !== undefined && typeof fn !== 'function') {
        throw new TypeError(`an instrument's ${hook} must be a function, got ${typeof fn}`);
      }
    }
    if (!this.list.includes(instrument)) this.list.push(instrument);
  }

  /** Removes `instrument`; returns false if it was not installed. */
  remove(instrument: Instrument): boolean {
    const i = this.list.indexOf(instrument);
    if (i < 0) return false;
    this.list.splice(i, 1);
    return true;
  }

  call(hook: InstrumentHook, task?: Task, subject?: CancelScope | Nursery): void {
    for (const instrument of [...this.list]) {
      const fn = instrument[hook] as
        ((task?: Task, subject?: CancelScope | Nursery) => void) | undefined;
      if (fn === undefined) continue;
      try {
        fn.call(instrument, task, subject);
      } catch (err) {
        this.remove(instrument);
        process.emitWarning(
          `Duet: instrument removed after its ${hook} hook threw: ${String(err)}`,
        );
      }
    }
  }
}
