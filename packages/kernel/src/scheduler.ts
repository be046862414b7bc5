/**
 * The scheduler of a run: the ready queue and its batches. A batch runs its ready tasks and
 * callbacks in FIFO order, one after another: each item waits until the step before it is back in
 * the kernel (parked, yielded or exited), so a step is atomic with respect to other tasks, as in
 * Trio and asyncio, and a task woken before another has taken its whole step when that one
 * resumes. A task that awaits foreign work mid-step holds the batch only until the host's next
 * turn. Batches follow each other as microtasks, but once more than {@link HOST_TURN_MS} has
 * passed since the host last had a turn, the next batch waits for `setImmediate`, so a busy run
 * cannot starve I/O.
 */
import { performance } from 'node:perf_hooks';
import { takeCancellation } from './cancel-delivery';
import { contextTask, runAsTask, runInTaskContext } from './context';
import type { Outcome } from './park';
import type { Runner } from './runner';
import type { Task } from './task';
import { startTask } from './task-life';

/**
 * How long (ms) batches may follow each other as microtasks before the host gets a turn. With 0,
 * every batch after some work waited for `setImmediate`, and a ping-pong of one-task batches (an
 * asyncio `Queue(1)`) paid a host turn per message; 1 ms keeps foreign I/O and timers within about
 * a millisecond of a busy run while such runs go at microtask speed.
 */
const HOST_TURN_MS = 1;
/**
 * Most ready items between two looks at the time for {@link HOST_TURN_MS}. Reading it costs about
 * as much as a one-task batch (5-10 % of an asyncio `Queue(1)` ping-pong when read after every
 * batch), so while the batches go quickly the scheduler looks less and less often, up to every
 * 16 items; after a slow stretch it looks after every batch again, so a run of long steps does not
 * hold the host for 16 of them (16 × a 5 ms step is 80 ms without I/O).
 */
const MAX_WORK_PER_TIME_CHECK = 16;
/** Time (ms) between two looks under which the items between them count as cheap. */
const CHEAP_STRETCH_MS = HOST_TURN_MS / 8;

type Callback = (arg: unknown) => void;
/** An item of the ready queue: a task to step, or a callback to call. */
export type ReadyItem = Task | Callback;

const SETTLED: Promise<void> = Promise.resolve();

/** @internal Owned by the {@link Runner}: its ready queue, batches and host turns. */
export class Scheduler {
  /** @internal The items of the next batch (read by `runStatistics`). */
  ready: ReadyItem[] = [];
  /** The array of the last batch, emptied, to be the next `ready`: no array per batch. */
  private spare: ReadyItem[] = [];
  /**
   * The arguments of the callbacks in `ready`, in the same order: a callback with an argument
   * needs no closure, and `ready` stays one slot per item. (`spareArgs` as `spare`.)
   */
  private readyArgs: unknown[] = [];
  private spareArgs: unknown[] = [];
  /** Tasks woken by a batch that are not back in the kernel yet. */
  private stepping = 0;
  /** Host turns so far: a step is fresh while the turn it began in lasts. */
  private hostTurns = 0;
  /** Steps that began in the current host turn and are not over. */
  private freshSteps = 0;
  /** The batch in progress (paused at a callback while tasks before it finish their steps), or null. */
  current: ReadyItem[] | null = null;
  /** The next item of the current batch. */
  cursor = 0;
  /** {@link Scheduler.continueBatch} is running: a step that ends inside it needs no help to go on. */
  private inBatch = false;
  /** The arguments of the current batch's callbacks, and the next one's index. */
  private currentArgs: unknown[] = [];
  private argCursor = 0;
  /** A microtask that advances the scheduler is queued. */
  private advanceQueued = false;
  /** At most one: the host turn that runs a waiting batch whatever `stepping` says. */
  private hostTurnImmediate: NodeJS.Immediate | null = null;
  /** When the host last had a turn (`performance.now()`). */
  lastHostTurn = performance.now();
  /** Items run since the time was last read (see {@link MAX_WORK_PER_TIME_CHECK}). */
  private workSinceTimeCheck = 0;
  /** Items to run before the next look at the time: 1 after a slow stretch, doubling while cheap. */
  private workPerTimeCheck = 1;
  /** When the time was last read. */
  private lastTimeCheck = -Infinity;

  /** Made by the runner, one per run. */
  constructor(private readonly runner: Runner) {}

  /** True while a batch is in progress or items are ready for the next one. */
  hasWork(): boolean {
    return this.current !== null || this.ready.length !== 0;
  }

  /** Queues `callback(arg)` for the next batch, in FIFO order with task steps. */
  callSoon<A>(callback: (arg: A) => void, arg: A): void {
    this.ready.push(callback as Callback);
    this.readyArgs.push(arg);
    this.scheduleBatch();
  }

  /** Queues `task`'s next step (its wake-up is already set on it) for the next batch. */
  enqueue(task: Task): void {
    task.queued = true;
    this.ready.push(task);
    const instruments = this.runner.instruments;
    if (instruments.list.length !== 0) instruments.call('taskScheduled', task);
    this.scheduleBatch();
  }

  /** Takes `task`'s queued step out of the next batch; false if it is not there. */
  unqueue(task: Task): boolean {
    // From the end: the task queued last (an eager start's, just spawned) is found at once.
    const at = this.ready.lastIndexOf(task);
    if (at < 0) return false;
    this.ready.splice(at, 1);
    task.queued = false;
    return true;
  }

  /** `task`'s code runs now, until it is back in the kernel ({@link Scheduler.endStep}). */
  beginStep(task: Task): void {
    task.inStep = true;
    task.stepTurn = this.hostTurns;
    this.stepping++;
    this.freshSteps++;
  }

  /**
   * Takes the first step of `task`, spawned and queued but not started, now, inside the running
   * code (an eager start, see `startEagerly`): out of the ready queue, then as a queued step.
   */
  stepFirstNow(task: Task): void {
    this.unqueue(task);
    this.step(task, true);
  }

  /**
   * `task` is back in the kernel: its step is over. A paused batch goes on when its kernel call
   * ends ({@link Scheduler.stepEnded}); otherwise the next batch is due.
   */
  endStep(task: Task): void {
    task.inStep = false;
    if (task.stepTurn === this.hostTurns) this.freshSteps--;
    if (--this.stepping === 0 && this.current === null && this.ready.length !== 0) this.kick();
  }

  /**
   * The task whose step ended is wholly back in the kernel (parked, queued or exited): the run
   * goes on. The paused batch's next task gets its wake-up at once, which runs none of its code
   * (its step begins as a microtask), so stepping one task after another costs no microtask; a
   * callback or a first step waits for a microtask, never running inside another task's kernel
   * call. The host's turn is due between batches only (see {@link Scheduler.endStep}).
   */
  stepEnded(): void {
    if (this.stepping === 0 && this.current !== null && !this.inBatch && !this.runner.finished)
      this.continueBatch(false, true);
  }

  /** Cancels the pending host turn (the run has finished). */
  clear(): void {
    if (this.hostTurnImmediate !== null) clearImmediate(this.hostTurnImmediate);
    this.hostTurnImmediate = null;
  }

  /** Something became ready: make sure the scheduler advances. */
  private scheduleBatch(): void {
    if (this.runner.finished) return;
    // A batch in progress starts the next one when it ends.
    if (this.current !== null) return;
    if (this.stepping === 0) this.kick();
    // A task mid-step may be awaiting foreign work: the host's turn advances then at the latest.
    else this.ensureHostTurn();
  }

  /** Advance as a microtask, or at the host's turn when one is due. */
  private kick(): void {
    // Reading the time costs as much as a small batch: look only after some work was done.
    if (this.workSinceTimeCheck >= this.workPerTimeCheck && this.hostTurnDue()) {
      this.ensureHostTurn();
    } else {
      this.queueAdvance();
    }
  }

  private queueAdvance(): void {
    if (this.advanceQueued) return;
    this.advanceQueued = true;
    // A reaction on a settled promise: the same microtask queue as queueMicrotask, without the
    // AsyncResource that queueMicrotask makes per call while async hooks are on (Node 20's ALS).
    void SETTLED.then(this.advanceFromMicrotask);
  }

  private ensureHostTurn(): void {
    if (this.hostTurnImmediate === null && !this.runner.finished) {
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
    if (this.runner.debug !== null) this.runner.debug.hostTurn();
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
    if (this.runner.finished || (this.stepping !== 0 && !force)) return;
    if (this.current !== null) this.continueBatch(force);
    else if (this.ready.length !== 0) this.runBatch(force);
  }

  private hostTurnDue(): boolean {
    const now = performance.now();
    this.workPerTimeCheck =
      now - this.lastTimeCheck < CHEAP_STRETCH_MS
        ? Math.min(this.workPerTimeCheck * 2, MAX_WORK_PER_TIME_CHECK)
        : 1;
    this.lastTimeCheck = now;
    this.workSinceTimeCheck = 0;
    return now - this.lastHostTurn > HOST_TURN_MS;
  }

  private runBatch(force: boolean): void {
    const runner = this.runner;
    runner.idle.busy();
    if (runner.deadlines.size !== 0) runner.expireDeadlines();
    this.current = this.ready;
    this.ready = this.spare;
    this.cursor = 0;
    this.currentArgs = this.readyArgs;
    this.readyArgs = this.spareArgs;
    this.argCursor = 0;
    this.continueBatch(force);
  }

  /**
   * Runs the current batch from its cursor, pausing while a step is going on. `inline` (from
   * {@link Scheduler.stepEnded}, inside a task's kernel call) only resumes tasks: it leaves a
   * callback or a first step to a microtask.
   */
  private continueBatch(force: boolean, inline = false): void {
    const batch = this.current!;
    this.inBatch = true;
    try {
      while (this.cursor < batch.length) {
        const item = batch[this.cursor]!;
        // An item waits until the steps before it are back in the kernel: a step is atomic, and
        // callbacks and steps run one after another in queue order, as in asyncio and Trio. At a
        // host turn it goes past steps that are out in foreign work, never past one that began in
        // this turn.
        if (this.stepping !== 0 && !(force && this.freshSteps === 0)) {
          this.ensureHostTurn();
          return;
        }
        if (inline && (typeof item === 'function' || !item.started)) {
          this.queueAdvance();
          return;
        }
        this.cursor++;
        if (typeof item === 'function') this.runCallback(item, this.currentArgs[this.argCursor++]);
        else this.step(item);
      }
    } finally {
      this.inBatch = false;
    }
    this.current = null;
    const work = batch.length + 1;
    // Emptied by popping: `length = 0` makes V8 drop the storage, and the next batch's first push
    // allocated it again (~150 B of garbage per batch, a tenth of a W3 message's).
    while (batch.length !== 0) batch.pop();
    this.spare = batch;
    const args = this.currentArgs;
    if (args.length !== 0) args.length = 0; // most batches have no callback: rare garbage
    this.spareArgs = args;
    if (this.stepping !== 0) {
      this.workSinceTimeCheck += work;
      // The last task to finish its step goes on from here; but what became ready during the
      // batch must not wait for a step that is out in foreign work (a plain await of a timer, or
      // of a Promise that a callback queued here resolves): it runs at the host's turn at the latest.
      if (this.ready.length !== 0) this.ensureHostTurn();
      return;
    }
    // Every task of the batch parked while it ran (or it held only callbacks): nobody else will
    // notice that the run may be idle. This batch's work counts from the next look at the time.
    if (this.ready.length !== 0) this.kick();
    else this.runner.idle.schedule();
    this.workSinceTimeCheck += work;
  }

  private runCallback(callback: Callback, arg: unknown): void {
    try {
      // In the root task's context, whatever context started this batch (a task's, or none at a
      // host turn armed outside any task): a callback always sees its run.
      const root = this.runner.rootTask;
      if (contextTask() === root) callback(arg);
      else runInTaskContext(root, callback, arg);
    } catch (err) {
      this.runner.crash(err);
    }
  }

  /**
   * Runs `task`'s next step: its first (`eager`: inside the running code, see `startTask`), or
   * the resumption of its wait with its wake-up.
   */
  private step(task: Task, eager?: boolean): void {
    task.queued = false;
    if (task.done) return;
    this.beginStep(task);
    const instruments = this.runner.instruments;
    // In the task's context, so that the hook sees it as the current task (as Trio).
    if (instruments.list.length !== 0) runAsTask(task, callBeforeTaskStep);
    if (!task.started) {
      startTask(task, eager);
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
        reject(takeCancellation(task));
        return;
      }
    }
    if (task.wakeCheck) {
      task.wakeCheck = false;
      const cancelled = takeCancellation(task);
      if (cancelled !== null) {
        reject(cancelled);
        return;
      }
    }
    if (task.wakeFailed) reject(value);
    else resolve(value);
  }
}

function callBeforeTaskStep(task: Task): void {
  task.runner.instruments.call('beforeTaskStep', task);
}

function outcomeOf(failed: boolean, value: unknown): Outcome {
  return failed ? { ok: false, error: value } : { ok: true, value };
}
