/**
 * The runner: one per `run()`. It owns the ready queue, runs tasks in batches, parks and wakes
 * them, delivers cancellation to parked tasks, expires deadlines, and settles the run when its last
 * task has ended. It owns two helpers: the {@link HostTimer} (a Node timer for the earliest
 * deadline) and the {@link Idleness} check (autojump, `waitAllTasksBlocked`, deadlock detection).
 *
 * Scheduling: a batch wakes every ready task in FIFO order; their steps run as microtasks. The next
 * batch starts only when every task of the batch is back in the kernel (parked, yielded or exited),
 * so a step is atomic with respect to other tasks, as in Trio and asyncio; a task that awaits
 * foreign work mid-step holds the batch only until the host's next turn. Batches follow each other
 * as microtasks, but once more than {@link HOST_TURN_MS} has passed since the host last had a turn,
 * the next batch waits for `setImmediate`, so a busy run cannot starve I/O.
 */
import { performance } from 'node:perf_hooks';
import { CancelScope, NO_ERROR } from './cancel';
import { SystemClock, jumpingClock, type Clock, type JumpingClock } from './clock';
import { contextTask, runAsTask } from './context';
import { DeadlineHeap, type TimedEntry } from './deadlines';
import type { DebugMonitor } from './debug';
import {
  Cancelled,
  HangError,
  KernelInternalError,
  RuntimeError,
  ValueError,
  cancellationOf,
  isCancelled,
  newCancelled,
  newEdgeCancelled,
} from './errors';
import { InstrumentSet, type Instrument } from './instruments';
import { formatTaskTree, taskTree } from './introspect';
import { Nursery } from './nursery';
import { Abort, NEVER, type Outcome, type Waitable } from './park';
import { HostTimer } from './host-timer';
import { Idleness } from './idle';
import type { RunOptions } from './run';
import { Task, type TaskSink } from './task';

/** How long (ms) batches may follow each other as microtasks before the host gets a turn. */
const HOST_TURN_MS = 0;
/** Task steps between two looks at the time for {@link HOST_TURN_MS}. */
const WORK_PER_TIME_CHECK = 1;

type ReadyItem = Task | (() => void);

function describeWait(on: Waitable): string {
  return on.describeWait?.() ?? 'a kernel wait';
}

// One executor for every park: it hands the resolvers over through these two variables, so a
// park allocates its Promise and nothing else.
let capturedResolve: ((value: unknown) => void) | null = null;
let capturedReject: ((error: unknown) => void) | null = null;
function captureResolvers(
  resolve: (value: unknown) => void,
  reject: (error: unknown) => void,
): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

const SETTLED: Promise<void> = Promise.resolve();

/** A pending call made by {@link Runner.callAt}; `cancel()` stops it. */
export class TimerHandle {
  // An entry of the deadline heap by shape: its TimedEntry members are internal to the kernel.
  /** @internal */
  heapIndex = -1;
  /** @internal */
  seq = 0;
  private cancelled = false;

  /** @internal */
  constructor(
    private readonly runner: Runner,
    /** When the call is due, on the run's clock. */
    public when: number,
    private readonly callback: () => void,
  ) {}

  /** @internal */
  expire(): void {
    this.runner.callSoon(this.callback);
  }

  /** Stops the call if it has not run yet. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.runner.deadlines.remove(this);
  }

  /** True once `cancel()` was called. */
  get isCancelled(): boolean {
    return this.cancelled;
  }
}

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
  /** @internal */
  readonly instruments = new InstrumentSet();
  /** True once the run has settled. */
  finished = false;
  /** The task running the function passed to `run()`. */
  readonly rootTask: Task;
  /** The nursery of system tasks: they belong to the run, not to any user nursery. */
  readonly systemNursery: Nursery;
  /** The outermost scope of the root task. */
  private readonly rootScope: CancelScope;
  private ready: ReadyItem[] = [];
  private spare: ReadyItem[] = [];
  /** @internal */
  liveTasks = 0;
  /** @internal Tasks parked in kernel waits (not foreign ones). */
  blockedTasks = 0;
  /** Tasks woken by a batch that are not back in the kernel yet. */
  private stepping = 0;
  /** Host turns so far: a step is fresh while the turn it began in lasts. */
  private hostTurns = 0;
  /** Steps that began in the current host turn and are not over. */
  private freshSteps = 0;
  /** The batch in progress (paused at a callback while tasks before it finish their steps), or null. */
  private current: ReadyItem[] | null = null;
  private cursor = 0;
  private advanceQueued = false;
  /** At most one: the host turn that runs a waiting batch whatever `stepping` says. */
  private hostTurnImmediate: NodeJS.Immediate | null = null;
  /** @internal When the host last had a turn (`performance.now()`). */
  lastHostTurn = performance.now();
  private workSinceTimeCheck = 0;
  private internalError: unknown = NO_ERROR;
  private settle!: { resolve(value: unknown): void; reject(err: unknown): void };
  /** @internal Resolves when the run has finished. */
  readonly done: Promise<unknown>;
  /** @internal The debug checks, or null outside debug mode. */
  readonly debug: DebugMonitor | null;
  private hangTimer: NodeJS.Timeout | null = null;
  private readonly dumpSignal: string | null;
  private readonly outsideSignal: AbortSignal | null;

  /** @internal */
  constructor(
    options: RunOptions,
    fn: (...args: never[]) => unknown,
    args: unknown[],
    debug: DebugMonitor | null,
  ) {
    this.clock = options.clock ?? new SystemClock();
    this.jumping = jumpingClock(this.clock);
    this.debug = debug;
    this.idle = new Idleness(this, this.jumping, options.hangDetection?.deadlock ?? false);
    const realTimeout = options.hangDetection?.realTimeout;
    if (realTimeout !== undefined) {
      this.hangTimer = setTimeout(
        () => this.hang(`the run passed its real-time limit of ${realTimeout} s`),
        realTimeout * 1000,
      );
    }
    this.dumpSignal =
      options.dumpOnSignal ?? ((process.env['DUET_DUMP_ON'] as string | undefined) || null);
    for (const instrument of options.instruments ?? []) this.instruments.add(instrument);
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.outsideSignal = options.signal ?? null;
    this.rootScope = CancelScope.root(this);
    this.rootTask = new Task(this, null, this.rootScope, fn, args, fn.name || 'main');
    this.rootScope.ownedBy(this.rootTask);
    this.systemNursery = Nursery.system(this, this.rootTask, CancelScope.root(this));
  }

  /** @internal */
  start(): void {
    this.clock.startClock();
    if (this.jumping !== null) this.jumping._onChange = () => this.idle.schedule();
    const inspect = process.env['DUET_INSPECT'];
    if (inspect !== undefined && inspect !== '' && inspect !== '0') this.loadInspector(inspect);
    if (this.instruments.list.length !== 0) this.instruments.call('beforeRun');
    if (this.dumpSignal !== null) process.on(this.dumpSignal, this.dumpTree);
    this.spawned(this.rootTask);
    if (this.outsideSignal !== null) this.rootScope.listen(this.outsideSignal);
  }

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

  private readonly dumpTree = (): void => {
    process.stderr.write(formatTaskTree(taskTree(this)) + '\n');
  };

  /**
   * @internal Fails the run at once with a {@link HangError} showing the task tree, and cancels
   * everything.
   */
  hang(reason: string): void {
    if (this.finished || this.internalError instanceof HangError) return;
    const error = new HangError(`${reason}\n${formatTaskTree(taskTree(this))}`);
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

  /** Runs `callback` at the next batch, in FIFO order with task steps (asyncio's `call_soon`). */
  callSoon(callback: () => void): void {
    if (typeof callback !== 'function') throw new TypeError('callSoon expects a function');
    this.ready.push(callback);
    this.scheduleBatch();
  }

  /** Runs `callback` at time `when` on the run's clock (asyncio's `call_at`). */
  callAt(when: number, callback: () => void): TimerHandle {
    if (typeof when !== 'number' || Number.isNaN(when))
      throw new ValueError(`callAt needs a time, got ${String(when)}`);
    if (typeof callback !== 'function') throw new TypeError('callAt expects a function');
    const handle = new TimerHandle(this, when, callback);
    this.deadlines.push(handle);
    if (!this.hasWork()) this.idle.schedule();
    return handle;
  }

  /**
   * Starts `fn(...args)` as a system task: it belongs to the run and is cancelled when the root
   * task ends. With a `sink` it is edge-native (see `Nursery.spawn`): its failure goes to the sink
   * instead of failing the run.
   */
  spawnSystemTask<A extends unknown[]>(
    fn: (...args: A) => unknown,
    args: A,
    name?: string,
    sink?: TaskSink,
  ): Task {
    return this.systemNursery.spawn(fn, args, name, sink);
  }

  // ---- parking and waking -------------------------------------------------------------------

  /**
   * @internal True when `task` may start a wait now. A task waits for one thing at a time: a second
   * wait means a Duet call was not awaited. Throwing here would reject a Promise that nobody may
   * await (an unhandled rejection), so the task is stopped instead, with an error that names both
   * waits, and the refused wait gets {@link NEVER}.
   */
  canPark(task: Task, starting: Waitable | string): boolean {
    if (task.done) return false; // leftover code of a task stopped that way
    if (task.parkedOn === null && !task.queued) return true;
    const pending = task.parkedOn === null ? 'a checkpoint' : describeWait(task.parkedOn);
    const what = typeof starting === 'string' ? starting : describeWait(starting);
    if (this.debug !== null) this.debug.neverAwaited(task);
    this.stopMisusedTask(
      task,
      new RuntimeError(
        `${task} started a wait (${what}) while it was still in another (${pending}): a Duet ` +
          'call was not awaited. Put `await` before every Duet call (openNursery, moveOnAfter, ' +
          'sleep, TaskGroup.run, a lock or channel operation...); a task waits for one thing at ' +
          'a time: to wait for several, start a task for each',
      ),
    );
    return false;
  }

  /**
   * Ends `task` with `error` while its code is still running: drops its wait, cancels the nurseries
   * it opened (nobody will join them) and reports it to its parent as a failure. Code of the task
   * that runs later gets Promises that never settle.
   */
  private stopMisusedTask(task: Task, error: RuntimeError): void {
    const pending = task.parkedOn;
    if (pending !== null) {
      try {
        pending.abortWait(task);
      } catch {
        // the wait is being dropped whatever it says
      }
      this.unpark(task);
    }
    task.queued = false; // a queued wake-up is skipped: step() ignores finished tasks
    task.resolveWake = task.rejectWake = null;
    for (const nursery of task.openNurseries) nursery.cancelScope.cancelFor('nursery');
    this.taskExited(task, true, error);
  }

  /** @internal Parks `task` on `on`; `foreign` waits do not count as blocked for autojump. */
  park(task: Task, on: Waitable, foreign: boolean): Promise<unknown> {
    if (!this.canPark(task, on)) return NEVER;
    if (task.inStep) this.endStep(task);
    if (this.debug !== null) this.debug.kernelEntry(task, true);
    const promise = new Promise<unknown>(captureResolvers);
    task.resolveWake = capturedResolve;
    task.rejectWake = capturedReject;
    task.parkedOn = on;
    task.foreignWait = foreign;
    if (!foreign) this.blockedTasks++;
    if (this.instruments.list.length !== 0) this.instruments.call('afterTaskStep', task);
    if (task.edgePending || task.scope.effective) this.attemptAbort(task);
    if (!this.hasWork()) this.idle.schedule();
    return promise;
  }

  /**
   * @internal A schedule point for `task`; with `check`, also a cancel point when it resumes.
   * Resolves with `value`.
   */
  yieldTask(task: Task, check: boolean, value?: unknown): Promise<void> {
    if (!this.canPark(task, 'a checkpoint')) return NEVER;
    if (task.inStep) this.endStep(task);
    if (this.debug !== null) this.debug.kernelEntry(task, true);
    const promise = new Promise<unknown>(captureResolvers) as Promise<void>;
    task.resolveWake = capturedResolve;
    task.rejectWake = capturedReject;
    task.wakeFailed = false;
    task.wakeValue = value;
    task.wakeCheck = check;
    if (this.instruments.list.length !== 0) this.instruments.call('afterTaskStep', task);
    this.enqueue(task);
    return promise;
  }

  /**
   * @internal Undoes a wait that a started-too-early Promise began in `task`, which is still
   * running its step (see `checkFunction`): the mirror of {@link park} and {@link yieldTask}.
   */
  dropStrayWait(task: Task): void {
    if (task.parkedOn !== null) {
      if (task.parkedOn.abortWait(task) !== Abort.SUCCEEDED) return;
      this.unpark(task);
    } else if (task.queued) {
      const at = this.ready.indexOf(task);
      if (at < 0) return;
      this.ready.splice(at, 1);
      task.queued = false;
    } else {
      return;
    }
    task.resolveWake = null;
    task.rejectWake = null;
    if (!task.inStep) this.beginStep(task);
  }

  /** @internal Wakes a parked task with `value` at the next batch. */
  wake(task: Task, value: unknown): void {
    if (task.done) return; // a task stopped while its wait was pending (see canPark)
    task.wokenFrom = this.unpark(task);
    task.wakeFailed = false;
    task.wakeValue = value;
    task.wakeCheck = false;
    this.enqueue(task);
  }

  /** @internal Wakes a parked task with `error` at the next batch. */
  wakeWithError(task: Task, error: unknown): void {
    if (task.done) return;
    task.wokenFrom = this.unpark(task);
    task.wakeFailed = true;
    task.wakeValue = error;
    task.wakeCheck = false;
    this.enqueue(task);
  }

  private unpark(task: Task): Waitable {
    const on = task.parkedOn;
    if (on === null) throw new KernelInternalError(`${task} was woken but is not parked`);
    task.parkedOn = null;
    if (!task.foreignWait) this.blockedTasks--;
    task.foreignWait = false;
    return on;
  }

  private enqueue(task: Task): void {
    task.queued = true;
    this.ready.push(task);
    if (this.instruments.list.length !== 0) this.instruments.call('taskScheduled', task);
    this.scheduleBatch();
  }

  /**
   * @internal `task`'s code goes on while it is parked: the promise of its wait was raced with
   * another one (`Promise.race`, `Promise.all`). Ends the wait now with `error` if its waitable
   * lets it go, and counts the task as mid-step again; `false` if the waitable kept it.
   */
  breakWait(task: Task, error: unknown): boolean {
    const on = task.parkedOn;
    if (on === null || on.abortWait(task) !== Abort.SUCCEEDED || task.parkedOn !== on) return false;
    this.unpark(task);
    const reject = task.rejectWake!;
    task.resolveWake = null;
    task.rejectWake = null;
    this.beginStep(task);
    reject(error);
    return true;
  }

  /** @internal Cancellation came into force for `task`: abandon its wait if it is parked. */
  deliverCancel(task: Task): void {
    if (task.parkedOn !== null) this.attemptAbort(task);
  }

  /** @internal Asks the waitable of a parked task to abandon the wait; wakes it with `Cancelled` if so. */
  attemptAbort(task: Task): void {
    const on = task.parkedOn!;
    let answer: Abort;
    try {
      answer = on.abortWait(task);
    } catch (err) {
      if (task.parkedOn === on) {
        this.wakeWithError(task, err);
        task.wokenFrom = null;
      }
      return;
    }
    if (answer === Abort.SUCCEEDED && task.parkedOn === on) {
      this.wakeWithError(task, this.takeCancellation(task) ?? newCancelled());
      task.wokenFrom = null; // woken by its cancel: there is no wake-up to take back
    }
  }

  /** @internal The `Cancelled` to abort `task`'s foreign work with, leaving an edge request pending. */
  cancellationReason(task: Task): Cancelled {
    return task.edgePending
      ? newEdgeCancelled(task.edgeMessage)
      : newCancelled(task.scope.cancelMessage());
  }

  /** @internal The `Cancelled` to raise in `task` now, consuming an edge request; or null. */
  takeCancellation(task: Task): Cancelled | null {
    let cancelled: Cancelled | null = null;
    if (task.edgePending) {
      task.edgePending = false;
      cancelled = newEdgeCancelled(task.edgeMessage);
    } else if (task.scope.effective) {
      cancelled = newCancelled(task.scope.cancelMessage());
    }
    if (cancelled !== null && this.debug !== null) this.debug.cancelDeliveredTo(task);
    return cancelled;
  }

  // ---- batches ------------------------------------------------------------------------------

  /** @internal True while a batch is in progress or items are ready for the next one. */
  hasWork(): boolean {
    return this.current !== null || this.ready.length !== 0;
  }

  /** Something became ready: make sure the scheduler advances. */
  private scheduleBatch(): void {
    if (this.finished) return;
    if (this.stepping === 0) this.kick();
    // A task mid-step may be awaiting foreign work: the host's turn advances then at the latest.
    else this.ensureHostTurn();
  }

  /** Advance as a microtask, or at the host's turn when one is due. */
  private kick(): void {
    // Reading the time costs as much as a small batch: look only after some work was done.
    if (this.workSinceTimeCheck >= WORK_PER_TIME_CHECK && this.hostTurnDue()) {
      this.ensureHostTurn();
    } else if (!this.advanceQueued) {
      this.advanceQueued = true;
      // A reaction on a settled promise: the same microtask queue as queueMicrotask, without the
      // AsyncResource that queueMicrotask makes per call while async hooks are on (Node 20's ALS).
      void SETTLED.then(this.advanceFromMicrotask);
    }
  }

  /** @internal `task`'s code runs now, until it is back in the kernel ({@link Runner.endStep}). */
  beginStep(task: Task): void {
    task.inStep = true;
    task.stepTurn = this.hostTurns;
    this.stepping++;
    this.freshSteps++;
  }

  /** @internal `task` is back in the kernel: its step is over. */
  endStep(task: Task): void {
    task.inStep = false;
    if (task.stepTurn === this.hostTurns) this.freshSteps--;
    if (--this.stepping === 0 && this.hasWork()) this.kick();
  }

  private ensureHostTurn(): void {
    if (this.hostTurnImmediate === null && !this.finished) {
      this.hostTurnImmediate = setImmediate(this.onHostTurn);
    }
  }

  /** Microtasks have drained: a task still mid-step awaits foreign work, so the run may go on. */
  private readonly onHostTurn = (): void => {
    this.hostTurnImmediate = null;
    this.lastHostTurn = performance.now();
    // Steps still going now have had a whole host turn: they are out in foreign work.
    this.hostTurns++;
    this.freshSteps = 0;
    if (this.debug !== null) this.debug.hostTurn();
    this.advance(true);
  };

  private readonly advanceFromMicrotask = (): void => {
    this.advanceQueued = false;
    this.advance(false);
  };

  /**
   * Goes on with the paused batch or starts the next one, but only once every task of the previous
   * steps is back in the kernel (or, with `force`, at the host's turn).
   */
  private advance(force: boolean): void {
    if (this.finished || (this.stepping !== 0 && !force)) return;
    if (this.current !== null) this.continueBatch(force);
    else if (this.ready.length !== 0) this.runBatch(force);
  }

  private hostTurnDue(): boolean {
    this.workSinceTimeCheck = 0;
    return performance.now() - this.lastHostTurn > HOST_TURN_MS;
  }

  private runBatch(force: boolean): void {
    this.idle.busy();
    if (this.deadlines.size !== 0) this.expireDeadlines();
    this.current = this.ready;
    this.ready = this.spare;
    this.cursor = 0;
    this.continueBatch(force);
  }

  /**
   * Runs the current batch from its cursor. A callback waits until the tasks stepped before it are
   * back in the kernel, so callbacks and task steps interleave in queue order as in asyncio.
   */
  private continueBatch(force: boolean): void {
    const batch = this.current!;
    while (this.cursor < batch.length) {
      const item = batch[this.cursor]!;
      if (typeof item === 'function') {
        // At a host turn, a callback goes past tasks that are out in foreign work, but never past
        // a step that began in this turn: a step is atomic with respect to callbacks.
        if (this.stepping !== 0 && !(force && this.freshSteps === 0)) {
          this.ensureHostTurn();
          return;
        }
        this.cursor++;
        this.runCallback(item);
      } else {
        this.cursor++;
        this.step(item);
      }
    }
    this.current = null;
    this.workSinceTimeCheck += batch.length + 1;
    batch.length = 0;
    this.spare = batch;
    if (this.stepping !== 0) return; // the last task to finish its step goes on from here
    // Every task of the batch parked while it ran (or it held only callbacks): nobody else will
    // notice that the run may be idle.
    if (this.ready.length !== 0) this.kick();
    else this.idle.schedule();
  }

  private runCallback(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      this.crash(err);
    }
  }

  private step(task: Task): void {
    task.queued = false;
    if (task.done) return;
    this.beginStep(task);
    if (this.instruments.list.length !== 0) this.instruments.call('beforeTaskStep', task);
    if (!task.started) {
      this.startTask(task);
      return;
    }
    const resolve = task.resolveWake!;
    const reject = task.rejectWake!;
    task.resolveWake = null;
    task.rejectWake = null;
    const value = task.wakeValue;
    task.wakeValue = undefined;
    const from = task.wokenFrom;
    if (from !== null) {
      task.wokenFrom = null;
      // The wake-vs-cancel rule (Waitable.revokeWake): an edge cancel that arrived after the
      // wake-up takes it back when the waitable says so.
      if (task.edgePending && from.revokeWake?.(task, outcomeOf(task.wakeFailed, value)) === true) {
        reject(this.takeCancellation(task));
        return;
      }
    }
    if (task.wakeCheck) {
      task.wakeCheck = false;
      const cancelled = this.takeCancellation(task);
      if (cancelled !== null) {
        reject(cancelled);
        return;
      }
    }
    if (task.wakeFailed) reject(value);
    else resolve(value);
  }

  private startTask(task: Task): void {
    task.started = true;
    if (task.edgePending) {
      // As asyncio: a task cancelled before its first step never runs its function.
      task.fn = null;
      task.args = null;
      this.taskExited(task, true, this.takeCancellation(task));
      return;
    }
    runAsTask(task, taskMain);
  }

  /** @internal A new task is ready for its first step. */
  spawned(task: Task): void {
    this.liveTasks++;
    if (this.instruments.list.length !== 0) this.instruments.call('taskSpawned', task);
    this.enqueue(task);
  }

  /** @internal `task`'s function has returned or thrown. */
  taskExited(task: Task, failed: boolean, result: unknown): void {
    if (task.done) return; // its function ended after the task was stopped (see canPark)
    if (task.inStep) this.endStep(task);
    if (task.parkedOn !== null || task.queued) {
      // The task returned while a wait it started was never awaited: drop the wait, fail the task.
      const pending = task.parkedOn === null ? 'a checkpoint' : describeWait(task.parkedOn);
      if (task.parkedOn !== null) {
        if (this.debug !== null) this.debug.neverAwaited(task);
        task.parkedOn.abortWait(task);
        this.unpark(task);
      }
      task.resolveWake = null;
      task.rejectWake = null;
      task.wokenFrom = null;
      failed = true;
      result = new RuntimeError(
        `${task} returned while a wait it started (${pending}) was still pending: a Duet call ` +
          'was not awaited. Put `await` before every Duet call (openNursery, moveOnAfter, sleep...)',
      );
    }
    if (task.sink !== null && !failed && task.edgePending) {
      // Edge-native policy: returned without waiting again after a cancel, it ends cancelled.
      failed = true;
      result = this.takeCancellation(task);
    }
    // A task that failed with an error caused by a Cancelled (Node's AbortError) was cancelled.
    if (failed) result = cancellationOf(result) ?? result;
    task.done = true;
    task.failed = failed;
    task.result = result;
    if (this.debug !== null) {
      this.debug.kernelEntry(task, false);
      this.debug.cancelPropagated(task);
    }
    this.liveTasks--;
    if (this.instruments.list.length !== 0) {
      this.instruments.call('afterTaskStep', task);
      this.instruments.call('taskExited', task);
    }
    if (task === this.rootTask) this.systemNursery.closeSystem();
    else task.parentNursery!.childFinished(task, failed, result);
    if (this.liveTasks === 0) this.finish();
    else if (!this.hasWork()) this.idle.schedule();
  }

  /** @internal A failure that breaks the run (a system task or a callback threw): cancel everything. */
  crash(err: unknown): void {
    if (this.internalError === NO_ERROR) this.internalError = err;
    this.rootScope.cancelFor('nursery');
    this.systemNursery.cancelScope.cancelFor('nursery');
  }

  private finish(): void {
    this.finished = true;
    this.clearHostHandles();
    this.debug?.close();
    if (this.dumpSignal !== null) process.off(this.dumpSignal, this.dumpTree);
    this.rootScope.stopListening();
    if (this.jumping !== null) this.jumping._onChange = null;
    if (this.instruments.list.length !== 0) this.instruments.call('afterRun');
    const root = this.rootTask;
    if (this.internalError instanceof HangError) {
      this.settle.reject(this.internalError);
    } else if (this.internalError !== NO_ERROR) {
      this.settle.reject(
        new KernelInternalError('a system task or kernel callback failed; the run was cancelled', {
          cause: this.internalError,
        }),
      );
    } else if (root.failed && this.cancelledFromOutside(root.result)) {
      // The outside signal cancelled the run: one Cancelled with its reason, not a group of them.
      const cancelled = newCancelled(this.rootScope.cancelMessage());
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
    if (this.hostTurnImmediate !== null) clearImmediate(this.hostTurnImmediate);
    if (this.hangTimer !== null) clearTimeout(this.hangTimer);
    this.hangTimer = null;
    this.hostTurnImmediate = null;
  }

  /** @internal Turns the deadlines that are due into their effects (cancels, wake-ups, calls). */
  expireDeadlines(): void {
    const now = this.clock.currentTime();
    let entry: TimedEntry | undefined;
    while ((entry = this.deadlines.popExpired(now)) !== undefined) entry.expire();
  }

  /** @internal Counts for dumps and tests: live tasks, blocked tasks, ready items. */
  get counts(): { live: number; blocked: number; ready: number } {
    return { live: this.liveTasks, blocked: this.blockedTasks, ready: this.ready.length };
  }
}

function outcomeOf(failed: boolean, value: unknown): Outcome {
  return failed ? { ok: false, error: value } : { ok: true, value };
}

/**
 * Runs a task's function (in the task's context) and reports how it ended. No async frame and no
 * closure per task: one reaction on the function's promise, whose handlers find the task in the
 * context they run in (the task's). As `await fn()`: a synchronous throw ends the task at once, a
 * value or a promise one reaction later.
 */
function taskMain(task: Task): void {
  const fn = task.fn as (...args: unknown[]) => unknown;
  const args = task.args!;
  task.fn = null;
  task.args = null;
  let result: unknown;
  try {
    result = args.length === 0 ? fn() : fn(...args);
  } catch (err) {
    task.runner.taskExited(task, true, err);
    return;
  }
  void Promise.resolve(result).then(taskReturned, taskThrew);
}

function taskReturned(value: unknown): void {
  const task = contextTask()!;
  task.runner.taskExited(task, false, value);
}

function taskThrew(error: unknown): void {
  const task = contextTask()!;
  task.runner.taskExited(task, true, error);
}
