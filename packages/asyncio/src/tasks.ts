/**
 * Task: a function running concurrently, as asyncio's `Task` (a Future of the function's result).
 * Each Task is one kernel task: a system task of the run for `createTask`, a child of the group's
 * kernel nursery for `TaskGroup.createTask`. Either way the run owns it, so it can never be
 * garbage-collected mid-flight, and the run does not end before it does.
 */
import {
  Cancelled,
  RuntimeError,
  awaitForeign,
  checkFunction,
  currentTaskOrUndefined,
  type Nursery,
  type Task as KernelTask,
  type TaskSink,
} from '@duet/kernel';
import { startEagerly } from '@duet/kernel/lowlevel';
import { Future, TASK_KEY, isFuture, type FutureOptions } from './futures';
import { debugWarn } from './debug';
import { InvalidStateError } from './errors';
import { getRunningLoop } from './events';
import type { EventLoop } from './loop';

/**
 * Options of {@link createTask}.
 *
 * @example
 * ```ts
 * createTask(work, { name: 'worker-1' });
 * ```
 */
export interface TaskOptions {
  /** The task's name (`getName()`); `Task-<n>` by default. */
  name?: string;
}

/**
 * Options of the {@link Task} constructor.
 *
 * @example
 * ```ts
 * const task = new Task(work, { name: 'w', loop: getRunningLoop() });
 * ```
 */
export interface TaskConstructorOptions extends TaskOptions {
  /** The loop to run on; the running loop by default. */
  loop?: EventLoop;
  /**
   * Start eagerly (Python 3.12's `eager_start`): the function runs at once, inside the
   * constructor, up to its first wait, instead of at the next loop iteration. A plain function
   * that returns or throws gives a task already done; an async function that returns without
   * waiting is done one microtask later (before its creator's next `await` resumes). `false` by
   * default.
   */
  eagerStart?: boolean;
}

/**
 * A task factory for {@link EventLoop.setTaskFactory}: makes the Task for `loop.createTask(fn,
 * options)` (and so for `createTask`, `ensureFuture`, `TaskGroup.createTask`...). To be usable by
 * a `TaskGroup`, it must make the task with the {@link Task} constructor (or a subclass's), once.
 *
 * @example
 * ```ts
 * const named: TaskFactory = (loop, fn, options) => new Task(fn, { ...options, loop });
 * getRunningLoop().setTaskFactory(named);
 * ```
 */
export type TaskFactory = <T>(
  loop: EventLoop,
  fn: () => T | PromiseLike<T>,
  options: TaskOptions,
) => Task<T>;

/**
 * A constructor of tasks with the {@link Task} constructor's signature: `Task` or a subclass.
 *
 * @example
 * ```ts
 * class LoggedTask<T> extends Task<T> {}
 * const ctor: TaskConstructor = LoggedTask;
 * ```
 */
export type TaskConstructor = new <T>(
  fn: () => T | PromiseLike<T>,
  options?: TaskConstructorOptions,
) => Task<T>;

/**
 * Something that can be awaited in asyncio style: a Future or Task, a Promise, or a function to run.
 *
 * @example
 * ```ts
 * const aws: Awaitable<number>[] = [createTask(f), Promise.resolve(1), () => sleep(1, 2)];
 * ```
 */
export type Awaitable<T> = PromiseLike<T> | (() => T | PromiseLike<T>);

/**
 * The value an {@link Awaitable} produces.
 *
 * @example
 * ```ts
 * type N = AwaitedOf<() => Promise<number>>; // number
 * ```
 */
export type AwaitedOf<A> = A extends (...args: never[]) => infer R ? Awaited<R> : Awaited<A>;

// What Task._create passes to the constructor beside its options (no options object per task).
let spawnInto: Nursery | null = null;
let createOn: EventLoop | null = null;
let spawnSink: TaskSink | null = null;
// Every Task's function takes no arguments: one shared list instead of one per task.
const NO_ARGS = Object.freeze([]) as [];
/** @internal The options of a task made without any: one shared object, not one per call. */
export const NO_TASK_OPTIONS: TaskConstructorOptions = Object.freeze({});
const TASK_HOME = Symbol('duet.asyncio.taskHome');
/**
 * @internal A loop callback (a Handle's or a done callback) is running: `currentTask()` is then
 * `null`, as in CPython, whatever task's context the kernel runs the callback in.
 */
export const CALLBACK_STATE = { running: false };
// The Future part of a Task gets its loop in this one object, which its constructor reads at once:
// no options object per task.
const FUTURE_OPTIONS: { loop: EventLoop | undefined } = { loop: undefined };

/**
 * For bridges and frameworks: while `fn` runs in the current task, every Task made by
 * {@link createTask} (here, and in the tasks made from here, transitively) is spawned into
 * `nursery` instead of the run's system nursery, so it belongs to that nursery's block.
 *
 * @example
 * ```ts
 * await openNursery((n) => runWithTaskNursery(n, async () => {
 *   createTask(work); // a child of n: n's block waits for it
 * }));
 * ```
 */
export async function runWithTaskNursery<T>(
  nursery: Nursery,
  fn: () => Promise<T> | T,
): Promise<T> {
  const task = currentTaskOrUndefined();
  if (task === undefined)
    throw new RuntimeError('runWithTaskNursery() must be called inside run()');
  getRunningLoop()._taskHomes = true;
  const previous = task.getLocal(TASK_HOME);
  task.setLocal(TASK_HOME, nursery);
  try {
    return await fn();
  } finally {
    task.setLocal(TASK_HOME, previous);
  }
}

/**
 * A function running as a task of the loop, as asyncio's `Task`: a {@link Future} of its result.
 * Make one with {@link createTask} (or `TaskGroup.createTask`); it starts at the next loop iteration.
 *
 * `cancel()` is edge-triggered: one `CancelledError` is raised at the task's next wait (the
 * awaited future is cancelled), and it counts in `cancelling()` until `uncancel()`.
 *
 * @example
 * ```ts
 * const task = createTask(() => sleep(1, 'done'), { name: 'sleeper' });
 * console.log(task.getName(), await task); // sleeper done
 * ```
 */
export class Task<T = unknown> extends Future<T> {
  /**
   * @internal The kernel task running the function: an edge-native task whose outcome settles
   * this Future. Its cancel requests, their count and message are the kernel's; none is kept here.
   */
  declare readonly _kernelTask: KernelTask;
  // A number n stands for the name `Task-<n>`, made when read: most tasks are never asked.
  // (Both are set by the constructor: `declare`, so that no field initializer runs first.)
  declare private name: string | number;

  constructor(fn: () => T | PromiseLike<T>, options: TaskConstructorOptions = NO_TASK_OPTIONS) {
    // From Task._create, `fn` has been checked.
    if (createOn === null) checkFunction('Task', fn);
    const loop = createOn ?? options.loop ?? getRunningLoop();
    createOn = null;
    FUTURE_OPTIONS.loop = loop;
    super(FUTURE_OPTIONS as FutureOptions);
    FUTURE_OPTIONS.loop = undefined;
    // As CPython: a given name is made a string (so a number is never taken for `Task-<n>`).
    const given = options.name ?? null;
    this.name = given === null ? ++loop._taskCounter : String(given);
    // Only a loop where runWithTaskNursery ran has tasks with a home: elsewhere no look-up of
    // the current task (an AsyncLocalStorage read) per task.
    const home = loop._taskHomes
      ? (currentTaskOrUndefined()?.getLocal(TASK_HOME) as Nursery | undefined)
      : undefined;
    let nursery = spawnInto;
    spawnInto = null;
    const sink = spawnSink ?? settleTask;
    spawnSink = null;
    if (nursery === null && home !== undefined && !home.isClosed) nursery = home;
    this._kernelTask =
      nursery === null
        ? loop._runner.spawnSystemTask(fn, NO_ARGS, this, sink)
        : nursery.spawn(fn, NO_ARGS, this, sink);
    this._kernelTask.setLocal(TASK_KEY, this);
    // Tasks made by this task go to the same home (see runWithTaskNursery).
    if (home !== undefined) this._kernelTask.setLocal(TASK_HOME, home);
    // Last: the eager step sees this task as the current one, with its name and home.
    if (options.eagerStart === true) {
      // Made by a callback, the eager step is still this task's, not the callback's.
      const inCallback = CALLBACK_STATE.running;
      CALLBACK_STATE.running = false;
      startEagerly(this._kernelTask);
      CALLBACK_STATE.running = inCallback;
    }
  }

  /**
   * @internal Makes a task, in `nursery` if given (else a system task of the run). Its kernel
   * task's outcome goes to `sink` if given, which must settle the task with {@link settleTask}.
   */
  static _create<T>(
    loop: EventLoop,
    fn: () => T | PromiseLike<T>,
    options: TaskOptions,
    nursery: Nursery | null,
    sink: TaskSink | null = null,
  ): Task<T> {
    checkFunction('createTask()', fn);
    const factory = loop._taskFactory;
    spawnInto = nursery;
    spawnSink = sink;
    try {
      if (factory === null) {
        createOn = loop;
        return new Task(fn, options);
      }
      const task = factory(loop, fn, options);
      // The Task constructor takes the nursery: still here, the factory made no Task, and the
      // group would wait for a task it never had.
      if (nursery !== null && spawnInto !== null)
        throw new TypeError('the task factory made no Task');
      // As CPython, the name is set on the factory's task (which may ignore the options).
      if (options.name !== undefined) task.setName(options.name);
      return task;
    } finally {
      spawnInto = null;
      createOn = null;
      spawnSink = null;
    }
  }

  /**
   * Asks the task to stop: `CancelledError(msg)` is raised at its next wait (or it never starts, if
   * it has not yet). Returns `false` if the task is already done. Adds one to {@link Task.cancelling}.
   */
  override cancel(msg?: string): boolean {
    this._logTraceback = false;
    if (this.done()) return false;
    return this._kernelTask.requestCancel(msg);
  }

  /** How many cancel requests are outstanding (`cancel()` calls minus `uncancel()` calls). */
  cancelling(): number {
    return this._kernelTask.cancelling();
  }

  /**
   * Takes back one cancel request and returns how many remain. When none remain, a request not
   * yet delivered is withdrawn (Python 3.13).
   */
  uncancel(): number {
    return this._kernelTask.uncancel();
  }

  /** The task's name (its kernel task's too: the kernel asks this task for it). */
  getName(): string {
    const name = this.name;
    return typeof name === 'number' ? `Task-${name}` : name;
  }

  /** Renames the task. */
  setName(name: string): void {
    this.name = String(name);
  }

  /** Not allowed on a task: a `RuntimeError` (its function sets the result). */
  override setResult(_value: T): never {
    throw new RuntimeError('Task does not support setResult(): the function sets the result');
  }

  /** Not allowed on a task: a `RuntimeError` (its function sets the result). */
  override setException(_error: unknown): never {
    throw new RuntimeError('Task does not support setException(): the function sets the result');
  }

  /** @internal */
  _finishResult(value: T): void {
    if (this._loop._debug && this._kernelTask.cancelling() > 0) {
      debugWarn(
        `${String(this)} was cancelled but returned normally: did it swallow CancelledError?`,
      );
    }
    Future.prototype.setResult.call(this, value);
  }

  /** @internal */
  _finishError(error: unknown): void {
    Future.prototype.setException.call(this, error);
  }

  /** @internal The task ended with `error`: awaiting it raises that very `CancelledError`. */
  _finishCancelled(error: Cancelled): void {
    this._logTraceback = false;
    this._settle('CANCELLED', error);
  }

  /**
   * A short description, for logs and debugging, laid out as CPython's `repr(task)`: the state
   * first (`cancelling` while a cancel request is outstanding), then the name.
   */
  override toString(): string {
    // CPython's order: the state word, the name, then the rest (result, exception, callbacks).
    const described = this._describe();
    const cut = described.indexOf(' ');
    const word =
      !this.done() && this.cancelling() > 0
        ? 'cancelling'
        : described.slice(0, cut < 0 ? undefined : cut);
    const rest = cut < 0 ? '' : described.slice(cut);
    return `<Task ${word} name='${this.getName()}'${rest}>`;
  }
}

/**
 * Makes a task factory that starts every task eagerly (see `TaskConstructorOptions.eagerStart`)
 * with `taskConstructor` (`Task` or a subclass), as Python 3.12's `create_eager_task_factory`.
 *
 * @example
 * ```ts
 * class MyTask<T> extends Task<T> {}
 * getRunningLoop().setTaskFactory(createEagerTaskFactory(MyTask));
 * ```
 */
export function createEagerTaskFactory(taskConstructor: TaskConstructor): TaskFactory {
  checkFunction('createEagerTaskFactory()', taskConstructor);
  return (loop, fn, options) => new taskConstructor(fn, { ...options, loop, eagerStart: true });
}

/**
 * The task factory that starts every task eagerly with {@link Task}, as Python 3.12's
 * `eager_task_factory`: a task whose function finishes without waiting is never scheduled.
 *
 * @example
 * ```ts
 * getRunningLoop().setTaskFactory(eagerTaskFactory);
 * const t = createTask(() => 42);
 * t.done(); // true
 * ```
 */
export const eagerTaskFactory: TaskFactory = /* @__PURE__ */ createEagerTaskFactory(Task);

/** @internal The sink of every Task's kernel task: the kernel's outcome settles the Future. */
export function settleTask(kernelTask: KernelTask): void {
  const task = kernelTask.getLocal(TASK_KEY) as Task<unknown>;
  const result = kernelTask.result;
  if (task.done()) {
    // Settled behind the function's back (Future.prototype.setResult.call(task, ...)): the
    // result set stays; the function's own outcome is reported, as CPython's step of a done task.
    reportAlreadyDone(task, kernelTask.failed ? { cause: result } : undefined);
    return;
  }
  if (!kernelTask.failed) task._finishResult(result);
  else if (result instanceof Cancelled) task._finishCancelled(result);
  else task._finishError(result);
}

function reportAlreadyDone(task: Task<unknown>, errorOptions: ErrorOptions | undefined): void {
  task.getLoop().callExceptionHandler({
    message: `${String(task)} ended, but it was already done`,
    exception: new InvalidStateError(`Task step: already done: ${String(task)}`, errorOptions),
    task,
  });
}

/**
 * Starts `fn()` as a {@link Task} of the running loop, at the next iteration, and returns it. The
 * run owns the task: it is never garbage-collected mid-flight and cancelled and awaited when
 * `run()` ends.
 *
 * @example
 * ```ts
 * const task = createTask(async () => { await sleep(1); return 42; }, { name: 'answer' });
 * console.log(await task); // 42
 * ```
 */
export function createTask<T>(
  fn: () => T | PromiseLike<T>,
  options: TaskOptions = NO_TASK_OPTIONS,
): Task<T> {
  return getRunningLoop().createTask(fn, options);
}

/**
 * The Task running the calling code, or `null` when it is not an asyncio task (e.g. a plain
 * kernel or Trio task) or when a loop callback (`callSoon`, a done callback) is running.
 *
 * @example
 * ```ts
 * console.log(currentTask()?.getName());
 * ```
 */
export function currentTask(): Task<unknown> | null {
  const task = currentTaskOrUndefined();
  if (task === undefined)
    throw new RuntimeError('no running event loop: currentTask() must be called inside run()');
  if (CALLBACK_STATE.running) return null;
  return (task.getLocal(TASK_KEY) as Task<unknown> | undefined) ?? null;
}

/**
 * The asyncio Task that `kernelTask` runs, or `null` if it is not one: for bridges and tools that
 * walk the kernel's task tree.
 *
 * @example
 * ```ts
 * for (const child of nursery.childTasks) asyncioTaskOf(child)?.cancel();
 * ```
 */
export function asyncioTaskOf(kernelTask: KernelTask): Task<unknown> | null {
  return (kernelTask.getLocal(TASK_KEY) as Task<unknown> | undefined) ?? null;
}

/**
 * The tasks of the running loop that are not done yet.
 *
 * @example
 * ```ts
 * for (const t of allTasks()) console.log(t.getName());
 * ```
 */
export function allTasks(): Set<Task<unknown>> {
  return new Set(pendingTasks(getRunningLoop()));
}

/**
 * @internal The Tasks of `loop` not done yet, oldest first. Read off the kernel's task tree (every
 * Task is a kernel task there until it ends), so no task pays for a registry of its own.
 */
export function pendingTasks(loop: EventLoop): Task<unknown>[] {
  const found: Task<unknown>[] = [];
  const visit = (nursery: Nursery): void => {
    for (const child of nursery.childTasks) {
      const task = child.getLocal(TASK_KEY) as Task<unknown> | undefined;
      if (task !== undefined) found.push(task);
      for (const inner of child.openNurseries) visit(inner);
    }
  };
  const runner = loop._runner;
  visit(runner.systemNursery);
  for (const nursery of runner.rootTask.openNurseries) visit(nursery);
  return found.sort((a, b) => a._kernelTask.id - b._kernelTask.id);
}

/**
 * A Future for `aw`: a Future or Task is returned as is, a function is started as a Task, and a
 * foreign Promise is adopted by a Task that waits for it (cancelling that task abandons the wait).
 *
 * @example
 * ```ts
 * const fut = ensureFuture(fetch(url)); // a Task<Response>
 * ```
 */
export function ensureFuture<T>(aw: Awaitable<T>): Future<T> {
  if (isFuture(aw)) return aw as Future<T>;
  if (typeof aw === 'function') return createTask(aw as () => T | PromiseLike<T>);
  if (aw !== null && typeof aw === 'object' && typeof (aw as PromiseLike<T>).then === 'function') {
    return createTask(() => awaitForeign(aw as PromiseLike<T>) as Promise<T>, {
      name: 'adopted Promise',
    });
  }
  throw new TypeError(
    `expected a Future, a Task, a Promise or a function, got ${aw === null ? 'null' : typeof aw}`,
  );
}
