/**
 * Nurseries: where tasks are born and joined. A nursery waits for all its children before its
 * block exits, cancels the rest when one fails, and raises every failure together in an
 * `ExceptionGroup`.
 */
import { CancelScope, NO_ERROR } from './cancel';
import { requireTask } from './context';
import {
  Cancelled,
  ExceptionGroup,
  RuntimeError,
  nonStrictGroups,
  unwrapDisposalCancel,
} from './errors';
import { checkFunction, checkOptions, checkSignal, optionsFirst } from './validate';
import { Abort, type Waitable } from './park';
import type { Runner } from './runner';
import { Task, type TaskName, type TaskSink } from './task';
import * as taskLife from './task-life';
import * as waits from './waits';

/** Options of {@link openNursery}. */
export interface NurseryOptions {
  /**
   * Raise an `ExceptionGroup` even for a single failure (the default, as Trio's
   * `strict_exception_groups=True`); with `false` a lone error is raised as itself.
   */
  strictExceptionGroups?: boolean;
  /** The message of the groups this nursery raises. */
  groupMessage?: string;
  /** An outside `AbortSignal`: aborting it cancels the nursery's scope, as `nursery.cancelScope.cancel()`. */
  signal?: AbortSignal;
  /**
   * Edge-triggered joining (asyncio's `TaskGroup`): an edge cancel request (`Task.requestCancel`)
   * that reaches the parent while it waits for the children is delivered as a `Cancelled` that
   * ends that wait, at the parent's next step, and passed to this function; then the parent waits
   * again while children remain. The facade cancels the children from here and raises the
   * cancellation once they are done. Without it the request stays pending until the nursery has
   * exited. Level cancellation never ends the wait.
   */
  onJoinCancelled?: (cancelled: Cancelled) => void;
}

/** The keys of {@link NurseryOptions}, for option checks. */
export const NURSERY_OPTIONS: readonly string[] = [
  'strictExceptionGroups',
  'groupMessage',
  'signal',
  'onJoinCancelled',
];

/**
 * Options of `Nursery.startSoon`, `Nursery.start` and `spawnSystemTask`, passed before the
 * function: `nursery.startSoon({ name: 'worker 1' }, worker, 1)`. They come first because the
 * function's arguments are positional: a trailing object would be taken for an argument.
 */
export interface SpawnOptions {
  /**
   * The task's name (`Task.name`), as Trio's `name=`: a string as it is, a function by its name,
   * anything else as `String(value)`. By default, the function's name.
   */
  name?: unknown;
}

const SPAWN_OPTIONS = ['name'];

/** `fn`, its arguments and the task's name from a spawn call's arguments (options first or not). */
export function spawnArguments(
  api: string,
  first: unknown,
  rest: unknown[],
): { fn: (...args: unknown[]) => unknown; args: unknown[]; name: TaskName | undefined } {
  const { options, fn, args } = optionsFirst<SpawnOptions>(api, first, rest);
  checkOptions(api, options, SPAWN_OPTIONS);
  checkFunction(api, fn);
  const name = options.name;
  return {
    fn: fn as (...args: unknown[]) => unknown,
    args,
    name:
      name === undefined
        ? name
        : typeof name === 'function'
          ? name.name || 'anonymous'
          : String(name),
  };
}

/**
 * What `Nursery.start` passes to the task it starts, as its last argument: the task calls
 * `started(value)` once it is ready, and `start` then resolves with `value`.
 */
export interface TaskStatus<T = void> {
  /** Says the task is ready; `start()` resolves with `value` and the task moves to its nursery. */
  started(...value: T extends void ? [value?: T] : [value: T]): void;
}

/**
 * The status to default a `taskStatus` parameter to, so that a function works with both
 * `startSoon` (no status passed) and `start`.
 *
 * @example
 * ```ts
 * async function serve(port: number, taskStatus: TaskStatus<number> = TASK_STATUS_IGNORED) {
 *   taskStatus.started(port);
 * }
 * ```
 */
export const TASK_STATUS_IGNORED: TaskStatus<never> = Object.freeze({ started(): void {} });

class StartStatus<T> implements TaskStatus<T> {
  value: T | undefined = undefined;
  called = false;
  /** The task `start()` started, once spawned. */
  task: Task | null = null;

  constructor(
    private readonly oldNursery: Nursery,
    readonly newNursery: Nursery,
  ) {}

  started(value?: T): void {
    if (this.called) throw new RuntimeError('started() was called twice on the same task status');
    this.called = true;
    this.value = value;
    // As Trio: a start whose caller is being cancelled leaves the child where it is.
    if (this.oldNursery.cancelScope.effective) return;
    this.oldNursery.moveChildrenTo(this.newNursery);
  }
}

/**
 * Parked here: a nursery's parent waiting for the children. Cancellation does not end that wait,
 * except an edge request when the nursery joins edge-style (`onJoinCancelled`).
 */
class JoinWait implements Waitable {
  constructor(
    private readonly nursery: Nursery,
    private readonly edge: boolean,
  ) {}

  abortWait(task: Task): Abort {
    if (!this.edge || !task.edgePending) return Abort.FAILED;
    this.nursery.parentWaiting = false;
    return Abort.SUCCEEDED;
  }

  /** Edge-style, a cancel that overtook the last child's wake-up is delivered all the same. */
  revokeWake(): boolean {
    return this.edge;
  }

  describeWait(): string {
    return `joining ${this.nursery.children.size} child task(s)`;
  }
}

/**
 * A nursery: the children it holds end before the block that opened it does. Get one from
 * {@link openNursery}.
 */
export class Nursery {
  /** The scope covering the nursery's body and all its children. */
  readonly cancelScope: CancelScope;
  /** The task that opened this nursery. */
  readonly parentTask: Task;
  /** @internal The children that have not finished yet. */
  readonly children = new Set<Task>();
  /** @internal The errors of the body and the children, for the nursery's `ExceptionGroup`. */
  readonly errors: unknown[] = [];
  /** Every error recorded so far is a `Cancelled` (the usual end of a cancelled nursery). */
  private onlyCancelled = true;
  private readonly runner: Runner;
  private bodyDone = false;
  private closed = false;
  private pendingStarts = 0;
  /** @internal The parent is parked in {@link Nursery.join}. */
  parentWaiting = false;
  /** @internal In start()'s own nursery: the status of the task it starts (else null). */
  starting: StartStatus<unknown> | null = null;
  private readonly system: boolean;

  /** @internal Made by `openNursery` (and by the runner for its system nursery). */
  constructor(runner: Runner, parentTask: Task, scope: CancelScope, system = false) {
    this.runner = runner;
    this.parentTask = parentTask;
    this.cancelScope = scope;
    this.system = system;
    scope.nursery = this;
  }

  /** @internal The run's system nursery: no body, open until the root task ends. */
  static system(runner: Runner, rootTask: Task, scope: CancelScope): Nursery {
    return new Nursery(runner, rootTask, scope, true);
  }

  /** The tasks running in this nursery now. */
  get childTasks(): ReadonlySet<Task> {
    return this.children;
  }

  /** True once the nursery's block has exited and every child has ended. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Starts `fn(...args)` as a child task. It begins at the next schedule point, not now; the
   * caller goes on at once. Options may come first: `startSoon({ name }, fn, ...args)` names the
   * task (see {@link SpawnOptions}).
   *
   * @example
   * ```ts
   * nursery.startSoon(worker, 1);
   * nursery.startSoon({ name: 'worker 2' }, worker, 2);
   * ```
   */
  startSoon<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void;
  startSoon<A extends unknown[]>(
    options: SpawnOptions,
    fn: (...args: A) => unknown,
    ...args: A
  ): void;
  startSoon(first: unknown, ...rest: unknown[]): void {
    if (typeof first === 'function') {
      this.spawn(first as (...args: unknown[]) => unknown, rest);
      return;
    }
    const { fn, args, name } = spawnArguments('startSoon()', first, rest);
    this.spawn(fn, args, name);
  }

  /**
   * Starts `fn(...args)` as a child task named `name` and returns it (for facades). A facade
   * whose tasks have their own object may pass that object as `name`: the kernel asks it for the
   * name whenever the name is read, so a name made on first read costs nothing until then.
   *
   * With a `sink` the task is edge-native (asyncio's policy): its outcome goes to `sink` instead
   * of this nursery's aggregation, so its failure never cancels its siblings or reaches the
   * nursery's `ExceptionGroup`; an edge cancel before its first step is legal (the function never
   * runs and the task ends with that `Cancelled`), and a task that returns while an edge cancel is
   * still pending ends with that `Cancelled` (as an asyncio Task that returns after `cancel()`).
   * The nursery still waits for it.
   */
  spawn<A extends unknown[]>(
    fn: (...args: A) => unknown,
    args: A,
    name?: TaskName,
    sink?: TaskSink,
  ): Task {
    checkFunction('startSoon()', fn);
    if (this.closed) throw new RuntimeError('this nursery is closed to new arrivals');
    const task = new Task(
      this.runner,
      this,
      this.cancelScope,
      fn as (...args: never[]) => unknown,
      args,
      name ?? (fn.name || 'anonymous'),
    );
    if (sink !== undefined) task.sink = sink;
    this.children.add(task);
    taskLife.taskSpawned(task);
    return task;
  }

  /**
   * Starts `fn(...args, taskStatus)` and resolves with the value it passes to
   * `taskStatus.started(value)`, at which point the task moves into this nursery. Until then it
   * runs in the caller's context: cancelling the caller cancels it, and an error it raises before
   * `started` is raised here. Returning without calling `started` is an error. Options may come
   * first: `start({ name }, fn, ...args)` names the task (see {@link SpawnOptions}).
   */
  start<T, A extends unknown[]>(
    fn: (...args: [...A, TaskStatus<T>]) => unknown,
    ...args: A
  ): Promise<T>;
  start<T, A extends unknown[]>(
    options: SpawnOptions,
    fn: (...args: [...A, TaskStatus<T>]) => unknown,
    ...args: A
  ): Promise<T>;
  async start<T>(first: unknown, ...rest: unknown[]): Promise<T> {
    const { fn, args, name } = spawnArguments('start()', first, rest);
    if (this.closed) throw new RuntimeError('this nursery is closed to new arrivals');
    this.pendingStarts++;
    try {
      let status: StartStatus<T> | undefined;
      let own: Nursery | undefined;
      try {
        await openNursery(
          (old) => {
            own = old;
            status = new StartStatus<T>(old, this);
            old.starting = status as StartStatus<unknown>;
            status.task = old.spawn(fn, [...args, status], name);
          },
          { strictExceptionGroups: false },
        );
      } catch (err) {
        // One task lives in start()'s own nursery, so one error: more means someone spawned
        // into it (it is the task's parentNursery until started()). Trio calls that internal.
        if (own!.errors.length > 1 && err instanceof ExceptionGroup) {
          throw new this.runner.internalErrorClass(
            "tasks were spawned into start()'s own nursery",
            { cause: err },
          );
        }
        throw err;
      }
      if (!status!.called)
        throw new RuntimeError('the task returned without calling taskStatus.started()');
      return status!.value as T;
    } finally {
      this.pendingStarts--;
      this.checkClosed();
    }
  }

  /** @internal Moves every child (with its cancel scopes) to `target`. */
  moveChildrenTo(target: Nursery): void {
    for (const task of this.children) {
      task.parentNursery = target;
      target.children.add(task);
    }
    this.cancelScope.moveContentsTo(target.cancelScope, this.children);
    this.children.clear();
    this.checkClosed();
  }

  /** @internal A child ended; a failure is recorded and cancels the rest. */
  childFinished(task: Task, failed: boolean, error: unknown): void {
    this.children.delete(task);
    if (task.sink !== null) {
      try {
        task.sink(task);
      } catch (err) {
        this.runner.crash(err);
      }
    } else if (failed) {
      if (this.system) this.systemChildFailed(error);
      else this.addError(error);
    }
    this.checkClosed();
  }

  private systemChildFailed(error: unknown): void {
    const cancelledByUs =
      this.cancelScope.effective &&
      (error instanceof Cancelled ||
        (error instanceof ExceptionGroup && error.split(Cancelled)[1] === null));
    if (!cancelledByUs) this.runner.crash(error);
  }

  private addError(error: unknown): void {
    this.record(unwrapDisposalCancel(error));
    this.cancelScope.cancelFor('nursery');
  }

  private record(error: unknown): void {
    this.errors.push(error);
    if (!(error instanceof Cancelled)) this.onlyCancelled = false;
  }

  private checkClosed(): void {
    if (!this.bodyDone || this.children.size !== 0 || this.pendingStarts !== 0 || this.closed)
      return;
    this.closed = true;
    if (this.parentWaiting) {
      this.parentWaiting = false;
      waits.wake(this.parentTask, undefined);
    }
  }

  /** @internal The root task ended: cancel the system tasks and let the run end when they do. */
  closeSystem(): void {
    this.cancelScope.cancelFor('nursery');
    this.bodyDone = true;
    this.checkClosed();
  }

  /**
   * @internal The body has ended with `error` (or NO_ERROR): wait for the children (edge-style
   * with `options.onJoinCancelled`).
   */
  async join(error: unknown, options: NurseryOptions): Promise<void> {
    if (error !== NO_ERROR) this.addError(error);
    this.bodyDone = true;
    this.checkClosed();
    if (!this.closed) {
      const onCancelled = options.onJoinCancelled;
      const wait = new JoinWait(this, onCancelled !== undefined);
      do {
        this.parentWaiting = true;
        try {
          await waits.park(this.parentTask, wait, false);
        } catch (cancelled) {
          // Only an edge request ends the wait (see JoinWait): hand it to the facade, wait again.
          try {
            onCancelled!(cancelled as Cancelled);
          } catch (err) {
            this.addError(err);
          }
        }
      } while (!this.closed);
    } else {
      // Trio parks here too, with an abort that refuses: a cancel point that never raises.
      this.parentTask.cancelPoints++;
      try {
        await waits.yieldTask(this.parentTask, false);
      } catch (err) {
        this.record(err);
      }
    }
  }

  /**
   * @internal What the joined nursery raises (or NO_ERROR), as its scope is about to exit. When
   * every error is a `Cancelled` that the scope will catch, one of them stands for all: the scope
   * would split the group and drop it whole, so 100,000 cancelled children need no group of
   * 100,000 (an edge one is picked if any, since the scope re-arms edge requests it catches).
   */
  outcome(options: NurseryOptions): unknown {
    const errors = this.errors;
    if (errors.length === 0) return NO_ERROR;
    if (this.onlyCancelled && this.cancelScope.catchesCancelled())
      return errors.find((e) => (e as Cancelled)._edge) ?? errors[0];
    const strict = options.strictExceptionGroups !== false;
    if (!strict && errors.length === 1) return errors[0];
    const group = new ExceptionGroup(options.groupMessage ?? 'Exceptions from nursery', errors);
    if (!strict) nonStrictGroups.add(group);
    return group;
  }
}

/**
 * Opens a nursery in the current task, runs `body(nursery)`, then waits for every child. If the
 * body or a child fails, everything else in the nursery is cancelled and the failures are raised
 * together as an `ExceptionGroup` (`Cancelled` caught by the nursery's own scope is not a failure).
 * Resolves with the body's value, or `undefined` if the nursery's scope caught a cancellation of
 * the body.
 *
 * @example
 * ```ts
 * await openNursery(async (nursery) => {
 *   nursery.startSoon(worker, 1);
 *   nursery.startSoon(worker, 2);
 * }); // both workers have ended here
 * ```
 */
export async function openNursery<T>(
  body: (nursery: Nursery) => Promise<T> | T,
  options: NurseryOptions = {},
): Promise<T | undefined> {
  checkFunction('openNursery()', body);
  checkOptions('openNursery()', options, NURSERY_OPTIONS);
  checkSignal('openNursery()', options.signal);
  if (options.onJoinCancelled !== undefined)
    checkFunction('openNursery() onJoinCancelled', options.onJoinCancelled);
  const task = requireTask('openNursery()');
  const scope = new CancelScope(options.signal === undefined ? {} : { signal: options.signal });
  scope.enter(task);
  const nursery = new Nursery(task.runner, task, scope);
  (task.childNurseries ??= new Set()).add(nursery);
  const instruments = task.runner.instruments;
  if (instruments.list.length !== 0) instruments.call('nurseryOpened', task, nursery);
  let error: unknown = NO_ERROR;
  let value: T | undefined;
  try {
    value = await body(nursery);
  } catch (err) {
    error = err;
  }
  await nursery.join(error, options);
  task.childNurseries!.delete(nursery);
  if (instruments.list.length !== 0) instruments.call('nurseryClosed', task, nursery);
  error = scope.exit(task, nursery.outcome(options));
  if (error !== NO_ERROR) throw error;
  return value;
}
