/**
 * Task: one concurrent thread of work in a run, with its place in the task tree, its wait state
 * and its edge-triggered cancel requests.
 */
import type { CancelScope } from './cancel';
import { newEdgeCancelled } from './errors';
import type { Nursery } from './nursery';
import type { Runner } from './runner';
import type { Waitable } from './park';

/** Where a task is in its life. */
export type TaskState = 'ready' | 'running' | 'parked' | 'done';

/**
 * Where the outcome of an edge-native task goes (see `Nursery.spawn`): called once, when the task
 * has ended, with `task.failed` / `task.result` set.
 */
export type TaskSink = (task: Task) => void;

/**
 * Told when a task it watches ends (see `watchTaskExit` in `@duet/kernel/lowlevel`): how a
 * primitive learns that a task left holding it, as Trio's parking-lot breakers do.
 */
export interface TaskExitWatcher {
  /** `task` has ended; called once, before its nursery hears of it. */
  taskExited(task: Task): void;
}

/**
 * A task's name: a string, or an object that gives it when asked (a facade's own task object,
 * whose name may be made only when read and may change: see `Nursery.spawn`).
 */
export type TaskName =
  | string
  | {
      /** The task's name now. */
      getName(): string;
    };

let nextTaskId = 1;
const NO_NURSERIES: ReadonlySet<Nursery> = new Set();

// The task's booleans, packed into one integer (a field each would cost 8 bytes per task): each
// name is an accessor of `Task.prototype` for its bit (see the static block of Task).
const FLAGS = [
  'foreignWait',
  'queued',
  'inStep',
  'started',
  'done',
  'failed',
  'wakeFailed',
  'wakeCheck',
  'edgePending',
] as const;

/**
 * A task of a run. Tasks are made by nurseries (`startSoon`, `start`) and by `run` for the root;
 * user code never constructs one.
 */
export class Task {
  /** A number unique in the process, for logs and dumps. */
  readonly id = nextTaskId++;
  // The name as given: a facade's task object names the task only when the name is read.
  private nameSource: TaskName;
  /** The nursery this task belongs to; `null` for the root task. */
  parentNursery: Nursery | null;
  /** The runner of this task's run. */
  readonly runner: Runner;
  /** @internal The innermost cancel scope this task is in. */
  scope: CancelScope;
  /** @internal What the task is parked on, or null. */
  parkedOn: Waitable | null = null;
  /** @internal The message of the last edge cancel request. */
  edgeMessage: string | undefined = undefined;
  /** @internal How many edge cancel requests are outstanding. */
  cancelRequests = 0;
  /**
   * How many cancel points the task has passed: kernel waits, checkpoints, and the cancellation
   * checks of primitives' fast paths (Trio's `Task._cancel_points`, read by `assertCheckpoints`).
   */
  cancelPoints = 0;
  /** @internal Who is told when this task ends (see `watchTaskExit`), or null. */
  exitWatchers: TaskExitWatcher[] | null = null;
  /**
   * @internal The signals `currentSignal()` handed to foreign work, one per scope the task is in
   * (made on first use; a scope drops its entry when it exits).
   */
  signals: Map<CancelScope, AbortController> | null = null;
  /** @internal The nurseries opened by this task that have not exited yet (made on first use). */
  childNurseries: Set<Nursery> | null = null;
  /** @internal The sink of an edge-native task, or null (the nursery aggregates its outcome). */
  sink: TaskSink | null = null;
  /** @internal The waitable that woke the task, until it resumes (for {@link Waitable.revokeWake}). */
  wokenFrom: Waitable | null = null;
  /** @internal The host turn in which its current step began (see `Scheduler.beginStep`). */
  stepTurn = 0;
  /** The task's value once done, or its error when {@link Task.failed}. */
  result: unknown = undefined;
  /** @internal The next wake-up: value, error, and whether to check for cancellation first. */
  wakeValue: unknown = undefined;
  /** @internal */
  resolveWake: ((value: unknown) => void) | null = null;
  /** @internal */
  rejectWake: ((error: unknown) => void) | null = null;
  /** @internal What to run. */
  fn: ((...args: never[]) => unknown) | null;
  /** @internal The arguments for `fn`. */
  args: unknown[] | null;
  private flags = 0;
  // The first local (a facade's own object, usually the only one) lives in two fields; a Map is
  // made only for more.
  private localKey: unknown = undefined;
  private localValue: unknown = undefined;
  private locals: Map<unknown, unknown> | null = null;

  /** @internal */
  constructor(
    runner: Runner,
    parentNursery: Nursery | null,
    scope: CancelScope,
    fn: (...args: never[]) => unknown,
    args: unknown[],
    name: TaskName,
  ) {
    this.runner = runner;
    this.parentNursery = parentNursery;
    this.scope = scope;
    this.fn = fn;
    this.args = args;
    this.nameSource = name;
  }

  /** A name for humans: the function's name unless one was given. */
  get name(): string {
    const source = this.nameSource;
    return typeof source === 'string' ? source : source.getName();
  }

  /** Renames the task (a name object given at spawn is dropped). */
  set name(name: string) {
    this.nameSource = name;
  }

  /** @internal The park is an `awaitForeign`: time must not autojump under it. */
  declare foreignWait: boolean;

  /** @internal In the ready queue with a wake-up pending. */
  declare queued: boolean;

  /** @internal Woken by a batch and not yet back in the kernel (parked, yielded or exited). */
  declare inStep: boolean;

  /** @internal The function has been called (first step taken). */
  declare started: boolean;

  /** @internal The task has finished. */
  declare done: boolean;

  /** True once done if the task ended with an error (a `Cancelled` included). */
  declare failed: boolean;

  /** @internal The next wake-up is an error (in `wakeValue`). */
  declare wakeFailed: boolean;

  /** @internal The next wake-up checks for cancellation first (a `checkpoint`). */
  declare wakeCheck: boolean;

  /** @internal Edge-triggered cancellation: a request waits for delivery. */
  declare edgePending: boolean;

  static {
    FLAGS.forEach((name, i) => {
      const bit = 1 << i;
      Object.defineProperty(Task.prototype, name, {
        get(this: Task): boolean {
          return (this.flags & bit) !== 0;
        },
        set(this: Task, on: boolean): void {
          this.flags = on ? this.flags | bit : this.flags & ~bit;
        },
      });
    });
  }

  /** Where the task is in its life. */
  get state(): TaskState {
    if (this.done) return 'done';
    if (this.queued) return 'ready';
    if (this.parkedOn !== null) return 'parked';
    return 'running';
  }

  /** The task whose nursery this task belongs to, or `null` for the root task. */
  get parentTask(): Task | null {
    return this.parentNursery?.parentTask ?? null;
  }

  /**
   * The nursery this task will belong to once it calls `taskStatus.started()`, while it runs
   * under `nursery.start()` (in `start`'s own nursery); `null` otherwise, and once started.
   */
  get eventualParentNursery(): Nursery | null {
    const starting = this.parentNursery?.starting;
    return starting != null && starting.task === this ? starting.newNursery : null;
  }

  /** What the task is waiting for, in words (for dumps), or `null` when it is not parked. */
  get waitingOn(): string | null {
    const on = this.parkedOn;
    if (on === null) return null;
    return on.describeWait?.() ?? 'a kernel wait';
  }

  /** The nurseries this task has open (its children live in them). */
  get openNurseries(): ReadonlySet<Nursery> {
    return this.childNurseries ?? NO_NURSERIES;
  }

  /**
   * Asks for one `Cancelled` to be raised in this task at its next checkpoint (or at once if it is
   * parked and its wait can be abandoned): asyncio's edge-triggered `Task.cancel`. Each call adds
   * one to {@link Task.cancelling}. Returns `false` if the task is already done.
   *
   * Edge requests and cancel scopes combine: a checkpoint raises when either is in force. A
   * `Cancelled` that delivers an edge request and is then caught by a cancelled scope does not use
   * the request up: it is raised again at the next checkpoint.
   */
  requestCancel(message?: string): boolean {
    if (this.done) return false;
    this.cancelRequests++;
    this.edgePending = true;
    this.edgeMessage = message;
    // Foreign work gets the request at once, even while the task is out in a plain await.
    if (this.signals !== null) {
      for (const controller of this.signals.values()) {
        if (!controller.signal.aborted) controller.abort(newEdgeCancelled(message));
      }
    }
    if (this.parkedOn !== null) this.runner.attemptAbort(this);
    return true;
  }

  /** How many edge cancel requests are outstanding (asyncio's `Task.cancelling()`). */
  cancelling(): number {
    return this.cancelRequests;
  }

  /**
   * Takes back one edge cancel request and returns how many remain (asyncio's `Task.uncancel()`).
   * When none remain, a request not yet delivered is withdrawn.
   */
  uncancel(): number {
    if (this.cancelRequests > 0) {
      this.cancelRequests--;
      if (this.cancelRequests === 0) this.edgePending = false;
    }
    return this.cancelRequests;
  }

  /**
   * Drops an edge request that has not been delivered, without changing the count: for a wait that
   * handed the request on to what it waits for (as asyncio's `Task.cancel` cancels the awaited future).
   */
  discardPendingCancel(): void {
    this.edgePending = false;
  }

  /** True when an edge cancel request is waiting to be delivered. */
  get cancelRequested(): boolean {
    return this.edgePending;
  }

  /**
   * @internal Its next checkpoint would raise `Cancelled`: an edge request waits, or a cancelled
   * scope is in force.
   */
  get cancelPending(): boolean {
    return this.edgePending || this.scope.effective;
  }

  /** A value a library keeps on this task under `key` (one map per task, made on first use). */
  getLocal(key: unknown): unknown {
    if (key === this.localKey) return this.localValue;
    return this.locals?.get(key);
  }

  /** Stores `value` on this task under `key`; see {@link Task.getLocal}. */
  setLocal(key: unknown, value: unknown): void {
    if (key === this.localKey || this.localKey === undefined) {
      this.localKey = key;
      this.localValue = value;
    } else {
      (this.locals ??= new Map()).set(key, value);
    }
  }

  /** A short description, for logs and debugging. */
  toString(): string {
    return `<Task #${this.id} ${this.name}>`;
  }
}
