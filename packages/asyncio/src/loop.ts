/**
 * The event loop facade: one per kernel run, reached with `getRunningLoop()`. It is a thin view
 * of the kernel runner (`callSoon`, the kernel's `callAt`, the clock) plus asyncio's exception
 * handler.
 */
import {
  Cancelled,
  RuntimeError,
  callAt as kernelCallAt,
  catchableSignalName,
  checkFunction,
  checkNumber,
  currentTaskOrUndefined,
  type Clock,
  type Runner as KernelRunner,
  type TimerHandle as KernelTimerHandle,
} from '@duet/kernel';
import { SLOW_SECONDS, debugWarn } from './debug';
import { _setLoopFactory } from './events';
import { Future } from './futures';
import { CALLBACK_STATE, NO_TASK_OPTIONS, Task, type TaskFactory, type TaskOptions } from './tasks';
import type { Executor, ThreadModuleRef } from './threads';

/**
 * What an exception handler receives, as asyncio's context dict.
 *
 * @example
 * ```ts
 * getRunningLoop().callExceptionHandler({ message: 'lost connection', exception: err });
 * ```
 */
export interface ExceptionContext {
  /** What happened, in words. */
  message: string;
  /** The error, if there is one. */
  exception?: unknown;
  /** The future concerned, if any. */
  future?: Future<unknown>;
  /** The task concerned, if any. */
  task?: Task<unknown>;
  /** The handle of the callback concerned, if any. */
  handle?: Handle;
  /** The transport concerned (a Node socket), if any. */
  transport?: unknown;
}

/**
 * An exception handler: `loop.setExceptionHandler((loop, context) => ...)`.
 *
 * @example
 * ```ts
 * getRunningLoop().setExceptionHandler((loop, ctx) => log.error(ctx.message, ctx.exception));
 * ```
 */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

/**
 * A callback scheduled with `callSoon`; `cancel()` stops it if it has not run.
 *
 * @example
 * ```ts
 * const h = getRunningLoop().callSoon(() => console.log('later'));
 * h.cancel();
 * ```
 */
export class Handle {
  private cancelledFlag = false;

  /** @internal */
  constructor(
    /** @internal */ readonly callback: (...args: never[]) => unknown,
    /** @internal */ readonly args: unknown[],
    /** @internal */ readonly loop: EventLoop,
  ) {}

  /** Stops the callback if it has not run yet. */
  cancel(): void {
    this.cancelledFlag = true;
  }

  /** True once `cancel()` was called. */
  cancelled(): boolean {
    return this.cancelledFlag;
  }

  /** @internal Runs the callback, reporting an error through the loop's exception handler. */
  _run(): void {
    if (this.cancelledFlag) return;
    this.loop._runGuarded(this.callback, undefined, this);
  }

  /** A short description, as CPython's repr: `<Handle callback()>`, or `<Handle cancelled>`. */
  toString(): string {
    return this.cancelledFlag ? '<Handle cancelled>' : `<Handle ${this._callbackName()}>`;
  }

  /** @internal The callback as a repr shows it. */
  _callbackName(): string {
    return `${this.callback.name || 'anonymous'}()`;
  }
}

/**
 * A callback scheduled with `callLater` / `callAt`: a {@link Handle} with a due time.
 *
 * @example
 * ```ts
 * const h = getRunningLoop().callLater(5, () => console.log('5 s later'));
 * h.when(); // loop.time() + 5
 * ```
 */
export class TimerHandle extends Handle {
  /** @internal */
  kernelHandle: KernelTimerHandle | null = null;

  /** @internal */
  constructor(
    callback: (...args: never[]) => unknown,
    args: unknown[],
    loop: EventLoop,
    private readonly due: number,
  ) {
    super(callback, args, loop);
  }

  /** The time (on the loop's clock) the callback is due. */
  when(): number {
    return this.due;
  }

  override cancel(): void {
    super.cancel();
    this.kernelHandle?.cancel();
  }

  /** `<TimerHandle when=12.5 callback()>`, or `<TimerHandle cancelled when=12.5>`, as CPython's. */
  override toString(): string {
    return this.cancelled()
      ? `<TimerHandle cancelled when=${this.due}>`
      : `<TimerHandle when=${this.due} ${this._callbackName()}>`;
  }

  /** @internal Hands the callback to the kernel run, due at `when()`. */
  _schedule(runner: KernelRunner): void {
    this.kernelHandle = kernelCallAt(runner, this.due, () => this._run());
  }
}

/**
 * What a loop made by `Runner.getLoop()` before the runner's first `run()` stands on until its
 * kernel run starts (CPython makes the loop there, lazily; Duet's loop is a view of a kernel run,
 * which does not exist yet). It has the run's clock, queues what is scheduled meanwhile, and
 * refuses tasks: a Task is a kernel task, so it can only be made inside the run.
 */
class NotStarted {
  /** Kernel callbacks (`callSoon`, done callbacks) and timers, in the order they were scheduled. */
  readonly queued: (readonly [(arg: never) => void, unknown] | TimerHandle)[] = [];

  constructor(readonly clock: Clock) {}

  callSoon(fn: (arg: never) => void, arg: unknown): void {
    this.queued.push([fn, arg]);
  }

  spawnSystemTask(): never {
    throw new RuntimeError(
      "createTask() before the Runner's first run(): a Task runs in the Runner's kernel run, " +
        'which starts with run(); create tasks from inside it',
    );
  }
}

/**
 * asyncio's event loop, as a view of one kernel run. Get it with {@link getRunningLoop}.
 *
 * @example
 * ```ts
 * const loop = getRunningLoop();
 * loop.callLater(1, () => console.log('tick', loop.time()));
 * ```
 */
export class EventLoop {
  /** @internal Futures that failed and whose error nobody has retrieved yet. */
  readonly _unretrieved = new Set<Future<unknown>>();
  private handler: ExceptionHandler | null = null;
  /** @internal */
  _debug = false;
  /** In debug mode, a step or callback that runs longer than this (seconds) is reported; 0.1 by default. */
  slowCallbackDuration = SLOW_SECONDS;
  /** @internal */
  _taskCounter = 0;
  /** @internal The factory set with {@link EventLoop.setTaskFactory}, or `null`. */
  _taskFactory: TaskFactory | null = null;
  /** @internal `runWithTaskNursery` ran here: a new Task must look for its creator's home. */
  _taskHomes = false;

  /**
   * @internal The kernel runner under this loop (a {@link NotStarted} stand-in for a loop made
   * before its run, replaced by the run's runner in `_start`).
   */
  _runner: KernelRunner;

  /** @internal A loop of `runner`; with `null`, one whose run (on `clock`) has not started yet. */
  constructor(runner: KernelRunner | null, clock?: Clock) {
    this._runner = runner ?? (new NotStarted(clock!) as unknown as KernelRunner);
  }

  /**
   * @internal Binds a loop made before its run to the run, handing it what was scheduled; true if
   * there was anything.
   */
  _start(runner: KernelRunner): boolean {
    const pending = this._runner as unknown as NotStarted;
    this._runner = runner;
    for (const item of pending.queued) {
      if (item instanceof TimerHandle) {
        if (!item.cancelled()) item._schedule(runner);
      } else runner.callSoon(item[0], item[1] as never);
    }
    return pending.queued.length !== 0;
  }

  /** The loop's time: seconds on the run's clock (a `MockClock` in tests). */
  time(): number {
    return this._runner.clock.currentTime();
  }

  /**
   * True while the loop runs: inside `run()`, and for a `Runner` while one of its `run()` calls
   * goes on (between two calls only to the code of the run itself, a task the last one left
   * pending). False for a `Runner.getLoop()` loop before the first `run()`, and once it is closed.
   */
  isRunning(): boolean {
    if (this._runner instanceof NotStarted || this.isClosed()) return false;
    // Between two Runner.run() calls CPython's loop is stopped; Duet's kernel run goes on, so
    // only code outside it (the caller of the runs) sees it stopped.
    return !this._betweenRuns || currentTaskOrUndefined()?.runner === this._runner;
  }

  /** @internal Set by a `Runner` while it waits for its next `run()` call. */
  _betweenRuns = false;

  /** True once the loop's run has ended: `callSoon`, `callLater`, `callAt`, `createTask` then raise. */
  isClosed(): boolean {
    return this._runner.finished === true;
  }

  /** True when the loop runs in debug mode (`run(main, { debug: true })`). */
  getDebug(): boolean {
    return this._debug;
  }

  /** Runs `callback(...args)` at the next loop iteration, in FIFO order with other callbacks and task steps. */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    checkFunction('callSoon()', callback);
    this._checkClosed();
    const handle = new Handle(callback as (...args: never[]) => unknown, args, this);
    this._runner.callSoon(runHandle, handle);
    return handle;
  }

  /** Runs `callback(...args)` after `delay` seconds. */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkNumber('callLater()', 'delay', delay, { unit: 'seconds' });
    checkFunction('callLater()', callback);
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /** Runs `callback(...args)` at time `when` of the loop's clock. */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkNumber('callAt()', 'when', when, { unit: 'seconds' });
    checkFunction('callAt()', callback);
    this._checkClosed();
    const handle = new TimerHandle(callback as (...args: never[]) => unknown, args, this, when);
    const runner: unknown = this._runner;
    if (runner instanceof NotStarted) runner.queued.push(handle);
    else handle._schedule(this._runner);
    return handle;
  }

  /** A new pending Future bound to this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>({ loop: this });
  }

  /** Starts `fn()` as a Task of this loop (same as {@link createTask}). */
  createTask<T>(fn: () => T | PromiseLike<T>, options: TaskOptions = NO_TASK_OPTIONS): Task<T> {
    this._checkClosed();
    return Task._create(this, fn, options, null);
  }

  /** @internal The executor set with {@link EventLoop.setDefaultExecutor}; `null`: the worker pool. */
  _executor: Executor | null = null;

  /**
   * `loop.run_in_executor(executor, func, *args)`: runs `fn(...args)` off the loop and returns a
   * Future (a Task) of its result. With `executor` `null` or `undefined`, in the default executor:
   * the one set with {@link EventLoop.setDefaultExecutor}, else `toThread`'s worker threads (so
   * `fn` follows toThread's rule: self-contained, or a `{ module, exportName }` reference). Any
   * other executor is an object with `submit(fn, ...args)` returning the result or a Promise of it
   * (CPython calls `executor.submit` too). Cancelling the Future stops the wait; work that started
   * runs on. The worker code loads on the first call, so programs that never call it do not carry it.
   *
   * @example
   * ```ts
   * const n = await getRunningLoop().runInExecutor(null, (a: number, b: number) => a + b, 1, 2); // 3
   * ```
   */
  runInExecutor<A extends unknown[], R>(
    executor: Executor | null | undefined,
    fn: ((...args: A) => R) | ThreadModuleRef,
    ...args: A
  ): Task<Awaited<R>> {
    this._checkClosed();
    // A plain Task (no task factory: CPython's result is no task of the program's either).
    const task: Task<unknown> = new Task(
      async () => (await import('./threads'))._runInExecutor(this, task, executor, fn, args),
      { loop: this },
    );
    return task as Task<Awaited<R>>;
  }

  /**
   * Sets the executor `runInExecutor(null, ...)` uses (an object with `submit`); `null` restores the
   * worker pool. A `TypeError` for anything else.
   */
  setDefaultExecutor(executor: Executor | null): void {
    if (executor !== null)
      checkFunction('setDefaultExecutor() (an executor with submit)', executor.submit);
    this._executor = executor;
  }

  /**
   * `loop.shutdown_default_executor()`: waits for the calls running in the default executor to
   * end (a custom one: calls its `shutdown()`, if it has one, and waits for it); later
   * `runInExecutor(null, ...)` and `toThread` calls of this loop raise `RuntimeError`.
   */
  async shutdownDefaultExecutor(): Promise<void> {
    return (await import('./threads'))._shutdownDefault(this);
  }

  /** @internal As CPython: nothing can be scheduled on a closed loop (it would never run). */
  _checkClosed(): void {
    if (this.isClosed()) throw new RuntimeError('Event loop is closed');
  }

  /**
   * Sets the factory that makes the Task of every `createTask` on this loop (`TaskGroup`'s
   * too), called as `factory(loop, fn, options)`; `null` restores the default (`new Task`). A
   * `TypeError` if it is neither a function nor `null`.
   */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null) checkFunction('setTaskFactory() (a function or null)', factory);
    this._taskFactory = factory;
  }

  /** The factory set with {@link EventLoop.setTaskFactory}, or `null` when the default is in use. */
  getTaskFactory(): TaskFactory | null {
    return this._taskFactory;
  }

  /** The process listeners of {@link EventLoop.addSignalHandler}, by signal name. */
  private signalListeners: Map<string, () => void> | null = null;

  /**
   * Calls `callback(...args)` as a loop callback (like `callSoon`) each time the process gets
   * `sig` (a name such as `'SIGTERM'` or a number), as `loop.add_signal_handler`; a handler
   * already set for `sig` is replaced. A SIGINT handler takes Ctrl-C over from the run's own
   * (which would cancel the main task). Handlers go when the loop closes (the end of `run()`,
   * or a `Runner`'s close). An `async` function
   * is a `TypeError` (CPython refuses coroutines); `SIGKILL`, `SIGSTOP` and a signal this OS
   * does not have are `ValueError`s. Call it while the loop runs: a `RuntimeError` before.
   *
   * @example
   * ```ts
   * const loop = getRunningLoop();
   * loop.addSignalHandler('SIGTERM', () => mainTask.cancel('SIGTERM'));
   * ```
   */
  addSignalHandler<A extends unknown[]>(
    sig: string | number,
    callback: (...args: A) => unknown,
    ...args: A
  ): void {
    const api = 'addSignalHandler()';
    checkFunction(api, callback);
    if (callback.constructor?.name === 'AsyncFunction') {
      throw new TypeError(
        'coroutines cannot be used with addSignalHandler(): pass a plain function',
      );
    }
    this._checkClosed();
    const name = catchableSignalName(api, sig);
    if (currentTaskOrUndefined()?.runner !== this._runner) {
      throw new RuntimeError(
        `${api} must be called while the loop runs, from its tasks or callbacks`,
      );
    }
    this.removeSignalHandler(name);
    this.signalListeners ??= new Map();
    const listener = (): void => {
      if (!this.isClosed()) this.callSoon(callback, ...args);
    };
    process.on(name, listener);
    this.signalListeners.set(name, listener);
  }

  /** @internal The loop closes (asyncio `run()` / `Runner` shutdown): its signal handlers go. */
  _removeSignalHandlers(): void {
    if (this.signalListeners === null) return;
    for (const [signal, listener] of this.signalListeners) process.off(signal, listener);
    this.signalListeners.clear();
  }

  /**
   * Removes the handler {@link EventLoop.addSignalHandler} set for `sig`: true if there was one,
   * false if not, as `loop.remove_signal_handler`.
   *
   * @example
   * ```ts
   * getRunningLoop().removeSignalHandler('SIGTERM'); // true
   * ```
   */
  removeSignalHandler(sig: string | number): boolean {
    const name = catchableSignalName('removeSignalHandler()', sig);
    const listener = this.signalListeners?.get(name);
    if (listener === undefined) return false;
    process.off(name, listener);
    this.signalListeners!.delete(name);
    return true;
  }

  /** Sets the handler called for errors nobody else can receive; `null` restores the default. */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null) checkFunction('setExceptionHandler() (a function or null)', handler);
    this.handler = handler;
  }

  /** The handler set with {@link EventLoop.setExceptionHandler}, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.handler;
  }

  /**
   * The default handler: writes `context` to stderr as CPython logs it: the message (or
   * "Unhandled exception in event loop"), a `key: value` line for every other key, sorted (a
   * string quoted), then the error's stack.
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message ?? 'Unhandled exception in event loop'];
    for (const key of Object.keys(context).sort()) {
      const value = (context as unknown as Record<string, unknown>)[key];
      // Duet names a task under 'task' as well as CPython's 'future': shown once.
      if (key === 'message' || key === 'exception' || (key === 'task' && value === context.future))
        continue;
      lines.push(`${key}: ${typeof value === 'string' ? `'${value}'` : String(value)}`);
    }
    if ('exception' in context) {
      const err = context.exception;
      lines.push(err instanceof Error && err.stack !== undefined ? err.stack : String(err));
    }
    process.stderr.write(lines.join('\n') + '\n');
  }

  /** Reports `context` through the handler set with {@link EventLoop.setExceptionHandler} (or the default). */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this.handler;
    if (handler === null) {
      this.defaultExceptionHandler(context);
      return;
    }
    try {
      handler(this, context);
    } catch (err) {
      this.defaultExceptionHandler({
        ...context,
        message: `Unhandled error in exception handler (${context.message})`,
        exception: err,
      });
    }
  }

  /**
   * @internal Calls `fn(...handle.args)` for a handle's callback, else `fn(arg)` (a done callback:
   * no argument list per call). An error goes to the exception handler, never to the kernel.
   */
  _runGuarded(fn: (...args: never[]) => unknown, arg: unknown, handle?: Handle): void {
    const started = this._debug ? performance.now() : 0;
    const outer = CALLBACK_STATE.running;
    CALLBACK_STATE.running = true;
    try {
      const result =
        handle === undefined
          ? (fn as (arg: unknown) => unknown)(arg)
          : (fn as (...args: unknown[]) => unknown)(...handle.args);
      // An async callback runs on by itself: its rejection is this callback's error, reported
      // here rather than left to Node as an unhandled rejection.
      if (result instanceof Promise)
        result.then(undefined, (err: unknown) => this.callbackFailed(fn, err, handle));
    } catch (err) {
      this.callbackFailed(fn, err, handle);
    }
    CALLBACK_STATE.running = outer;
    if (this._debug) {
      const ms = performance.now() - started;
      if (ms > this.slowCallbackDuration * 1000)
        debugWarn(`callback ${fn.name || 'anonymous'} blocked the loop for ${ms.toFixed(0)} ms`);
    }
  }

  private callbackFailed(fn: (...args: never[]) => unknown, err: unknown, handle?: Handle): void {
    this.callExceptionHandler({
      message: `Exception in callback ${fn.name || 'anonymous'}`,
      exception: err,
      ...(handle === undefined ? {} : { handle }),
    });
  }

  /**
   * Reports, through the exception handler, every failed future or task of this loop whose error
   * nobody retrieved (each once). `run()` does it when it ends; hosts of a loop block call it at
   * the block's end.
   *
   * @example
   * ```ts
   * getRunningLoop().reportUnretrievedExceptions();
   * ```
   */
  reportUnretrievedExceptions(): void {
    this._reportUnretrieved();
  }

  /** @internal Reports every failed future whose error nobody retrieved, once. */
  _reportUnretrieved(): void {
    for (const fut of [...this._unretrieved]) {
      this._unretrieved.delete(fut);
      if (!fut._logTraceback || fut._exceptionValue() instanceof Cancelled) continue;
      fut._logTraceback = false;
      const isTask = fut instanceof Task;
      this.callExceptionHandler({
        message: `${isTask ? 'Task' : 'Future'} exception was never retrieved`,
        exception: fut._exceptionValue(),
        // CPython names the task under 'future'; 'task' too, as Duet always has.
        future: fut,
        ...(isTask ? { task: fut as Task<unknown> } : {}),
      });
    }
  }
}

function runHandle(handle: Handle): void {
  handle._run();
}

// getRunningLoop() (events.ts) makes each run's loop with this, on first use.
_setLoopFactory((runner) => new EventLoop(runner));
