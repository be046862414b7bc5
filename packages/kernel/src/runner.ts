/**
 * The runner: one per `run()`. It holds the run's state (clock, deadlines, instruments, the root
 * task and the system nursery, live and blocked task counts), starts the run, and settles it when
 * its last task has ended or fails it at once (a crash, a hang). The work is done by these
 * modules, which the rest of the kernel imports (or, from below them, reaches through the runner):
 *
 * - `scheduler.ts`: the ready queue, batches, host turns and each task's step ({@link Scheduler});
 * - `waits.ts`: parking, yielding and waking a task, the one-wait-at-a-time check;
 * - `cancel-delivery.ts`: which `Cancelled` a task gets, and abandoning a parked task's wait;
 * - `task-life.ts`: a task's first step, the call of its function, its exit;
 * - `host-timer.ts` and `idle.ts`: the Node timer for the earliest deadline, and idleness
 *   (autojump, `waitAllTasksBlocked`, deadlock detection).
 */
import { CancelScope, NO_ERROR } from './cancel';
import * as cancelDelivery from './cancel-delivery';
import { SystemClock, jumpingClock, type Clock, type JumpingClock } from './clock';
import { DeadlineHeap, type TimedEntry } from './deadlines';
import type { DebugMonitor } from './debug';
import {
  type Cancelled,
  HangError,
  KeyboardInterrupt,
  KernelInternalError,
  ValueError,
  isCancelled,
} from './errors';
import { InstrumentSet, type Instrument } from './instruments';
import { catchInterrupt } from './interrupt';
import { Nursery } from './nursery';
import type { Waitable } from './park';
import { HostTimer } from './host-timer';
import { Idleness } from './idle';
import type { InternalErrorClass, RunOptions } from './run';
import { Scheduler } from './scheduler';
import { Task, type TaskName, type TaskSink } from './task';
import * as taskLife from './task-life';
import * as waits from './waits';
import type { Watchdog } from './watchdog';

/** The engine of one run. Reach it with {@link currentRunner}; user code rarely needs it. */
export class Runner {
  /** The run's clock. */
  readonly clock: Clock;
  /** The clock again if it jumps (autojump drives it), else null. */
  private readonly jumping: JumpingClock | null;
  /** @internal Every pending deadline of the run. */
  readonly deadlines = new DeadlineHeap((when) => this.hostTimer.onEarlierDeadline(when));
  /** @internal The Node timer for the earliest deadline. */
  readonly hostTimer = new HostTimer(this);
  /** @internal The idle check: autojump, `waitAllTasksBlocked`, deadlock detection. */
  readonly idle: Idleness;
  /** @internal The instruments installed in this run. */
  readonly instruments = new InstrumentSet();
  /** @internal The ready queue and its batches. */
  readonly scheduler = new Scheduler(this);
  /** True once the run has settled. */
  finished = false;
  /** The task running the function passed to `run()`. */
  readonly rootTask: Task;
  /** The nursery of system tasks: they belong to the run, not to any user nursery. */
  readonly systemNursery: Nursery;
  /** The outermost scope of the root task. */
  private readonly rootScope: CancelScope;
  /** @internal Tasks spawned and not yet exited; the run ends when none is left. */
  liveTasks = 0;
  /** @internal Tasks parked in kernel waits (not foreign ones). */
  blockedTasks = 0;
  /** @internal Tasks parked in foreign waits (a socket, a Promise, a thread): the host wakes them. */
  hostWaits = 0;
  /** @internal Calls of `callSoonHoldingRun` not yet run: the run waits for them. */
  heldCallbacks = 0;
  private internalError: unknown = NO_ERROR;
  private settle!: { resolve(value: unknown): void; reject(err: unknown): void };
  /** @internal Resolves when the run has finished. */
  readonly done: Promise<unknown>;
  /** @internal The debug checks, or null outside debug mode. */
  readonly debug: DebugMonitor | null;
  /** @internal Hang detection and the signal dump, or null when the run asked for neither. */
  watchdog: Watchdog | null = null;
  private readonly outsideSignal: AbortSignal | null;
  /** Whether SIGINT cancels this run; then, once it has, {@link Runner.interrupted} is true. */
  private readonly handleSigint: boolean;
  private interrupted = false;
  /** Stops routing SIGINT to this run (see interrupt.ts), or null. */
  private releaseSigint: (() => void) | null = null;
  /** The class of this run's internal errors (see `RunOptions.internalErrorClass`). */
  readonly internalErrorClass: InternalErrorClass;

  /** @internal Made by `run()`, which then calls {@link Runner.start}. */
  constructor(
    options: RunOptions,
    fn: (...args: never[]) => unknown,
    args: unknown[],
    debug: DebugMonitor | null,
  ) {
    this.clock = options.clock ?? new SystemClock();
    this.jumping = jumpingClock(this.clock);
    this.debug = debug;
    this.idle = new Idleness(this, this.jumping);
    for (const instrument of options.instruments ?? []) this.instruments.add(instrument);
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.outsideSignal = options.signal ?? null;
    this.handleSigint = options.handleSigint ?? true;
    this.internalErrorClass = options.internalErrorClass ?? KernelInternalError;
    this.rootScope = CancelScope.root(this);
    this.rootTask = new Task(this, null, this.rootScope, fn, args, fn.name || 'main');
    this.rootScope.ownedBy(this.rootTask);
    this.systemNursery = Nursery.system(this, this.rootTask, CancelScope.root(this));
  }

  /** @internal Starts the clock, the run's watchers and the root task. */
  start(): void {
    this.clock.startClock();
    if (this.jumping !== null)
      this.jumping._onChange = () => {
        this.hostTimer.retime();
        this.idle.schedule();
      };
    const inspect = process.env['DUET_INSPECT'];
    if (inspect !== undefined && inspect !== '' && inspect !== '0') this.loadInspector(inspect);
    if (this.instruments.list.length !== 0) this.instruments.call('beforeRun');
    this.watchdog?.start();
    taskLife.taskSpawned(this.rootTask);
    if (this.outsideSignal !== null) this.rootScope.listen(this.outsideSignal);
    if (this.handleSigint) this.releaseSigint = catchInterrupt(this.onSigint);
  }

  /** Ctrl-C: cancel everything; the run ends with KeyboardInterrupt once it has unwound. */
  private readonly onSigint = (): void => {
    this.interrupted = true;
    this.rootScope.cancel('KeyboardInterrupt');
  };

  /** The inspector is a separate entry point, loaded only when `DUET_INSPECT` asks for it. */
  private loadInspector(value: string): void {
    // A computed specifier: bundlers leave it alone, so no bundle carries the inspector (or what
    // it uses) unless the app imports it; Node resolves it from node_modules when asked.
    const entry = '@duet/kernel/inspector';
    (import(entry) as Promise<typeof import('./inspector')>).then(
      (m) => {
        if (!this.finished) m.inspectFromEnvironment(this, value);
      },
      (err: unknown) => process.emitWarning(`Duet inspector: ${String(err)}`, 'DuetWarning'),
    );
  }

  /**
   * @internal Fails the run at once with `error` (made by the watchdog, with the task tree), and
   * cancels everything; the first hang wins.
   */
  failHung(error: HangError): void {
    if (this.finished || this.internalError instanceof HangError) return;
    this.settle.reject(error);
    this.crash(error);
  }

  /** Adds an instrument to this run. */
  addInstrument(instrument: Instrument): void {
    this.instruments.add(instrument);
  }

  /** Removes an instrument; a `ValueError` if it is not installed. */
  removeInstrument(instrument: Instrument): void {
    if (!this.instruments.remove(instrument))
      throw new ValueError('this instrument is not installed');
  }

  /**
   * Runs `callback()` at the next batch, in FIFO order with task steps (asyncio's `call_soon`); for
   * a call at a later time, see {@link @duet/kernel!callAt}.
   */
  callSoon(callback: () => void): void;
  /**
   * Runs `callback(arg)` at the next batch, in FIFO order with task steps: a shared function and
   * its argument instead of a closure per call, for facades that schedule many callbacks.
   */
  callSoon<A>(callback: (arg: A) => void, arg: A): void;
  callSoon(callback: (arg: unknown) => void, arg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeError('callSoon expects a function');
    this.scheduler.callSoon(callback, arg);
  }

  /**
   * Starts `fn(...args)` as a system task: it belongs to the run and is cancelled when the root
   * task ends. With a `sink` it is edge-native (see `Nursery.spawn`): its failure goes to the sink
   * instead of failing the run.
   */
  spawnSystemTask<A extends unknown[]>(
    fn: (...args: A) => unknown,
    args: A,
    name?: TaskName,
    sink?: TaskSink,
  ): Task {
    return this.systemNursery.spawn(fn, args, name, sink);
  }

  // ---- calls into the work modules for the modules that cannot import them ----------------
  // park.ts, task.ts and validate.ts sit below waits.ts in the import graph, and waits.ts below
  // cancel-delivery.ts and task-life.ts: these reach them through the runner, with no circle.

  /** @internal Whether `task` may start a wait (else it is stopped as misused): for park.ts. */
  canPark(task: Task, starting: Waitable): boolean {
    return waits.canPark(task, starting);
  }

  /** @internal Parks `task` on `on` (see `park` in waits.ts): for park.ts. */
  park(task: Task, on: Waitable, foreign: boolean): Promise<unknown> {
    return waits.park(task, on, foreign);
  }

  /** @internal Wakes a parked task with `value` at the next batch: for park.ts. */
  wake(task: Task, value: unknown): void {
    waits.wake(task, value);
  }

  /** @internal Wakes a parked task with `error` at the next batch: for park.ts. */
  wakeWithError(task: Task, error: unknown): void {
    waits.wakeWithError(task, error);
  }

  /** @internal Undoes a wait a started-too-early Promise began in `task`: for validate.ts. */
  dropStrayWait(task: Task): void {
    waits.dropStrayWait(task);
  }

  /** @internal The `Cancelled` to raise in `task` now, or null: for park.ts. */
  takeCancellation(task: Task): Cancelled | null {
    return cancelDelivery.takeCancellation(task);
  }

  /** @internal Abandons a parked task's wait for its cancel if it can: for task.ts, waits.ts. */
  attemptAbort(task: Task): void {
    cancelDelivery.attemptAbort(task);
  }

  /** @internal `task`'s function has returned or thrown: for waits.ts (a misused task). */
  taskExited(task: Task, failed: boolean, result: unknown): void {
    taskLife.taskExited(task, failed, result);
  }

  // ---- the run's end ------------------------------------------------------------------------

  /** @internal A failure that breaks the run (a system task or a callback threw): cancel everything. */
  crash(err: unknown): void {
    if (this.internalError === NO_ERROR) this.internalError = err;
    this.rootScope.cancelFor('nursery');
    this.systemNursery.cancelScope.cancelFor('nursery');
  }

  /** @internal The last task has exited: stop every host handle and settle the run. */
  finish(): void {
    this.finished = true;
    this.clearHostHandles();
    this.debug?.close();
    this.rootScope.stopListening();
    this.releaseSigint?.();
    if (this.jumping !== null) this.jumping._onChange = null;
    if (this.instruments.list.length !== 0) this.instruments.call('afterRun');
    const root = this.rootTask;
    if (this.internalError instanceof HangError) {
      this.settle.reject(this.internalError);
    } else if (this.internalError !== NO_ERROR) {
      this.settle.reject(
        new this.internalErrorClass(
          'a system task or kernel callback failed; the run was cancelled',
          {
            cause: this.internalError,
          },
        ),
      );
    } else if (root.failed && this.interrupted && isCancelled(root.result)) {
      this.settle.reject(new KeyboardInterrupt('the run was interrupted (SIGINT)'));
    } else if (root.failed && this.cancelledFromOutside(root.result)) {
      // The outside signal cancelled the run: one Cancelled with its reason, not a group of them.
      const cancelled = this.rootScope.newCancellation();
      cancelled.cause = this.outsideSignal!.reason;
      this.settle.reject(cancelled);
    } else if (root.failed) {
      this.settle.reject(root.result);
    } else {
      this.settle.resolve(root.result);
    }
  }

  private cancelledFromOutside(error: unknown): boolean {
    return this.outsideSignal !== null && this.outsideSignal.aborted && isCancelled(error);
  }

  private clearHostHandles(): void {
    this.hostTimer.clear();
    this.idle.clear();
    this.scheduler.clear();
    this.watchdog?.stop();
  }

  /** @internal Turns the deadlines that are due into their effects (cancels, wake-ups, calls). */
  expireDeadlines(): void {
    const now = this.clock.currentTime();
    let entry: TimedEntry | undefined;
    while ((entry = this.deadlines.popExpired(now)) !== undefined) entry.expire();
  }
}
