/**
 * asyncio's `TaskGroup` (Python 3.13 behaviour) in callback form. Its children are edge-native
 * tasks of a kernel nursery opened by `run()`: they belong to the task tree, and the kernel joins
 * them, edge-style (`onJoinCancelled`: a cancel of the parent meanwhile is delivered, once, and the
 * join goes on). The group's own part is asyncio's policy: on the first child failure it cancels
 * the other children and the parent task once, counts that request with `uncancel()`, and raises
 * an `ExceptionGroup` once everyone is done.
 */
import {
  Cancelled,
  cancellationOf,
  checkOptions,
  checkSignal,
  ExceptionGroup,
  RuntimeError,
  currentTaskOrUndefined,
  openNursery,
  type Nursery,
  type Task as KernelTask,
  checkFunction,
  Abort,
  type Waitable,
} from '@duet/kernel';
import { currentWait, parkTask, wake } from '@duet/kernel/lowlevel';
import { getRunningLoop } from './events';
import type { EventLoop } from './loop';
import { cancelKernelTask } from './timeouts';
import { NO_TASK_OPTIONS, Task, asyncioTaskOf, settleTask, type TaskOptions } from './tasks';

const NONE: unique symbol = Symbol('none');

/** The keeper's wait (see `TaskGroup.keepOpen`): only the last done callback ends it, no cancel. */
const KEEPER_WAIT: Waitable = {
  abortWait: () => Abort.FAILED,
  describeWait: () => "the TaskGroup tasks' done callbacks",
};

/**
 * Options of the {@link TaskGroup} constructor.
 *
 * @example
 * ```ts
 * await new TaskGroup({ signal: AbortSignal.timeout(5000) }).run(async (tg) => { ... });
 * ```
 */
export interface TaskGroupOptions {
  /**
   * Aborting it cancels the group as if the task running the group were cancelled with
   * `task.cancel()`: the body and the children get `CancelledError`, and `run()` rejects with
   * `CancelledError` (unless a child failed: then with the `ExceptionGroup`). A signal already
   * aborted cancels the group as soon as it runs. The cancel counts in the task's `cancelling()`
   * like any other `cancel()`.
   */
  signal?: AbortSignal;
}

const TASK_GROUP_OPTIONS: readonly string[] = ['signal'];

/**
 * A group of tasks that all end before the group does, as asyncio's `TaskGroup`:
 * `async with TaskGroup() as tg:` becomes `await new TaskGroup().run(async (tg) => { ... })`,
 * which resolves with the body's value once every task of the group is done.
 *
 * If a task fails (with anything but `CancelledError`), the other tasks and the body are
 * cancelled, and `run` rejects with an `ExceptionGroup` of every failure. If the task running the
 * group is cancelled from outside, the children are cancelled and awaited and the
 * `CancelledError` propagates.
 *
 * @example
 * ```ts
 * await new TaskGroup().run(async (tg) => {
 *   const task1 = tg.createTask(() => someCoro());
 *   const task2 = tg.createTask(() => anotherCoro());
 * });
 * console.log(`Both tasks have completed now: ${task1.result()}, ${task2.result()}`);
 * ```
 */
export class TaskGroup {
  private entered = false;
  private exiting = false;
  private aborting = false;
  private parentTask: KernelTask | null = null;
  private parentCancelRequested = false;
  /**
   * Tasks whose done callback has not run yet, or that have not ended (the tasks themselves are
   * the nursery's children; see `settleChild`).
   */
  private pending = 0;
  private readonly errors: unknown[] = [];
  private nursery: Nursery | null = null;
  private loop: EventLoop | null = null;
  private readonly signal: AbortSignal | undefined;
  /** The task waiting for the last queued done callback, if any (see `runBody`). */
  private keeper: KernelTask | null = null;
  /** `createTask` is making a task: one that ends in its eager step is handled when it returns. */
  private creating = false;
  /** The kernel task that ended inside `createTask` and still needs `onTaskDone`, or null. */
  private endedInCreate: KernelTask | null = null;

  /** @param options - see {@link TaskGroupOptions} */
  constructor(options: TaskGroupOptions = {}) {
    checkOptions('TaskGroup()', options, TASK_GROUP_OPTIONS);
    checkSignal('TaskGroup()', options.signal);
    this.signal = options.signal;
  }

  /**
   * Enters the group in the current task, runs `body(this)`, then waits for every task of the
   * group. Resolves with the body's value; rejects with an `ExceptionGroup` of the failures, or
   * with `CancelledError` when the current task was cancelled from outside. A group runs once.
   */
  async run<T>(body: (tg: this) => T | PromiseLike<T>): Promise<T> {
    checkFunction('TaskGroup.run()', body);
    if (this.entered) throw new RuntimeError(`${String(this)} has already been entered`);
    const task = currentTaskOrUndefined();
    if (task === undefined)
      throw new RuntimeError('TaskGroup.run() must be called from a task inside run()');
    this.entered = true;
    this.parentTask = task;
    this.loop = getRunningLoop();
    const signal = this.signal;
    const onAbort = (): void => {
      if (task.state !== 'done') cancelKernelTask(task, 'the TaskGroup signal was aborted');
    };
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.runBody(body);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async runBody<T>(body: (tg: this) => T | PromiseLike<T>): Promise<T> {
    let failed = false;
    let error: unknown;
    let value: T | undefined;
    // The CancelledError to raise once the tasks are done: the body's, or the parent's own.
    let propagateCancel: unknown = NONE;
    const entered = await openNursery(
      async (nursery) => {
        this.nursery = nursery;
        try {
          value = await body(this);
        } catch (err) {
          failed = true;
          error = cancellationOf(err) ?? err;
          if (error instanceof Cancelled) propagateCancel = error;
        }
        this.exiting = true;
        if (failed && !this.aborting) this.abort();
        // As in CPython, the group is finished once every task's done callback has run, not
        // when the kernel joined the last task: a callback queued before that one's may still
        // add a task. A child that no cancel ends holds the nursery open until then.
        if (this.pending !== 0) nursery.startSoon(this.keepOpen);
        return true;
      },
      {
        // The kernel joins the tasks; a cancel of the parent task meanwhile cancels them (once).
        onJoinCancelled: (cancelled) => {
          if (this.aborting) return;
          propagateCancel = cancelled;
          this.abort();
        },
      },
    );
    if (entered === undefined)
      throw new RuntimeError('TaskGroup: the enclosing cancel scope caught the group');
    return this.finish(failed, error, value as T, propagateCancel);
  }

  /**
   * Starts `fn()` as a Task in this group. A `RuntimeError` before `run()`, once the group is
   * finished, or while it is shutting down after a failure.
   */
  createTask<T>(fn: () => T | PromiseLike<T>, options: TaskOptions = NO_TASK_OPTIONS): Task<T> {
    if (!this.entered) throw new RuntimeError(`${String(this)} has not been entered`);
    if (this.exiting && (this.pending === 0 || this.nursery!.isClosed))
      throw new RuntimeError(`${String(this)} is finished`);
    if (this.aborting) throw new RuntimeError(`${String(this)} is shutting down`);
    // Counted first: an eager task may end (and reach settleChild) inside _create.
    this.pending++;
    const outer = this.creating;
    this.creating = true;
    let task: Task<T>;
    try {
      task = Task._create(this.loop!, fn, options, this.nursery, this.settleChild);
    } catch (err) {
      this.pending--;
      throw err;
    } finally {
      this.creating = outer;
    }
    // As CPython: a task done after its eager step is handled now, not at the next iteration, so
    // a failure has cancelled the siblings and the body when createTask returns.
    if (this.endedInCreate === task._kernelTask) {
      this.endedInCreate = null;
      this.onTaskDone(task);
    }
    return task;
  }

  /**
   * The sink of the group's tasks. In CPython the group's done callback, registered first, drops
   * the task from the group and, on a failure, cancels the rest. What it does must happen in its
   * turn in the loop only for a failure or for the last pending task (callbacks queued before it
   * may still add a task, or see the siblings not yet cancelled); for any other task it only
   * counts, so the count goes down now and nothing is queued: a task costs no callback through
   * the ready queue. (Only `toString`'s `tasks=` can tell, between the end and that turn.)
   */
  private readonly settleChild = (kernelTask: KernelTask): void => {
    if (this.pending > 1 && (!kernelTask.failed || kernelTask.result instanceof Cancelled)) {
      this.pending--;
    } else if (this.creating) {
      this.endedInCreate = kernelTask;
    } else {
      asyncioTaskOf(kernelTask)!._addFirstDoneCallback(this.onTaskDone);
    }
    settleTask(kernelTask);
  };

  private readonly keepOpen = async (): Promise<void> => {
    const keeper = (this.keeper = currentTaskOrUndefined()!);
    while (this.pending !== 0) await parkTask(keeper, KEEPER_WAIT);
    this.keeper = null;
  };

  /** Every task is done: the group's outcome, with the cancel bookkeeping of Python 3.13. */
  private finish<T>(failed: boolean, error: unknown, value: T, propagateCancel: unknown): T {
    const parent = this.parentTask!;
    if (this.parentCancelRequested && parent.uncancel() === 0) propagateCancel = NONE;
    if (propagateCancel !== NONE && this.errors.length === 0) throw propagateCancel;
    if (failed && !(error instanceof Cancelled)) this.errors.push(error);
    if (this.errors.length !== 0) {
      if (parent.cancelling() > 0) {
        // An outside cancel is pending too: keep it for the next wait (Python 3.13).
        parent.uncancel();
        cancelKernelTask(parent);
      }
      throw new ExceptionGroup('unhandled errors in a TaskGroup', this.errors);
    }
    return value;
  }

  private abort(): void {
    this.aborting = true;
    for (const child of this.nursery!.childTasks) asyncioTaskOf(child)?.cancel();
  }

  private readonly onTaskDone = (task: Task<unknown>): void => {
    const keeper = this.keeper;
    if (--this.pending === 0 && keeper !== null && currentWait(keeper) === KEEPER_WAIT)
      wake(keeper, undefined);
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === null) return;
    this.errors.push(exc);
    const parent = this.parentTask!;
    if (parent.state === 'done') {
      this.loop!.callExceptionHandler({
        message: 'Task has errored out but its parent task is already completed',
        exception: exc,
        task,
      });
      return;
    }
    if (!this.aborting && !this.parentCancelRequested) {
      // Cancel the body too; run() takes this request back with uncancel().
      this.abort();
      this.parentCancelRequested = true;
      cancelKernelTask(parent);
    }
  };

  /** A short description, for logs and debugging. */
  toString(): string {
    const parts = [
      this.pending !== 0 ? `tasks=${this.pending}` : '',
      this.errors.length !== 0 ? `errors=${this.errors.length}` : '',
      this.aborting ? 'cancelling' : this.entered ? 'entered' : '',
    ].filter((p) => p !== '');
    return `<TaskGroup ${parts.join(' ')}>`;
  }
}
