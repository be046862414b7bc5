/**
 * `run()` and `Runner`: asyncio's entry points. One Runner is one kernel run whose root task runs
 * the main functions one after another as Tasks; `close()` cancels the tasks still pending, waits
 * for them, reports errors nobody retrieved, and ends the run.
 */
import {
  Abort,
  Cancelled,
  KeyboardInterrupt,
  RuntimeError,
  SystemClock,
  checkBoolean,
  checkOptions,
  checkSignal,
  checkpoint,
  currentTask as currentKernelTask,
  currentTaskOrUndefined,
  run as kernelRun,
  type Clock,
  type Instrument,
  type Task as KernelTask,
  type Waitable,
  checkFunction,
  park,
  whenAborted,
} from '@duet/kernel';
import { catchInterrupt, currentWait, wake } from '@duet/kernel/lowlevel';
import { debugWarn } from './debug';
import { _setRunLoop } from './events';
import { EventLoop } from './loop';
import { pendingTasks, type Task } from './tasks';

/**
 * Options of {@link run} and {@link Runner}.
 *
 * @example
 * ```ts
 * await run(main, { debug: true, clock: new MockClock({ autojumpThreshold: 0 }) });
 * ```
 */
export interface RunOptions {
  /** Debug mode: warn when a task swallows `CancelledError`, or a step or callback blocks > 100 ms. */
  debug?: boolean;
  /** The loop's clock: any kernel `Clock`, e.g. `new MockClock({ autojumpThreshold: 0 })` in tests. */
  clock?: Clock;
  /**
   * Fail with a `HangError` showing the task tree when the loop deadlocks (every task waits and no
   * timer is pending) or runs longer than `realTimeout` real seconds: the kernel's hang detection.
   */
  hangDetection?: {
    /** Fail when every task is parked in a kernel wait and no deadline is pending. */
    deadlock?: boolean;
    /** Fail after this many real seconds. */
    realTimeout?: number;
  };
  /**
   * An outside `AbortSignal`: aborting it cancels the main task (`task.cancel(reason)`, edge-
   * triggered as asyncio's cancellation is), so `run()` rejects with `CancelledError` unless
   * `main` handles it.
   */
  signal?: AbortSignal;
  /**
   * Ctrl-C, as `asyncio.run`: when true (the default) and nothing else listens for SIGINT, a SIGINT
   * cancels the main task; if it then ends cancelled, `run()` rejects with `KeyboardInterrupt`
   * (if it catches the cancellation and returns, `run()` returns its value). A second SIGINT before
   * the run has ended ends the process. False leaves SIGINT alone.
   */
  handleSigint?: boolean;
}

const RUN_KEYS = ['debug', 'clock', 'hangDetection', 'signal', 'handleSigint'];

interface Job {
  fn: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const CLOSE = Symbol('close');

/** The root task waits here for the next main function. */
class JobWait implements Waitable {
  abortWait(): Abort {
    return Abort.SUCCEEDED;
  }

  describeWait(): string {
    return 'Runner: waiting for the next run()';
  }
}

/**
 * Debug mode: warns about steps that block the loop for longer than `loop.slowCallbackDuration`.
 * (Of the kernel's own debug checks only `neverAwaited` is used: its swallowed-cancel check is
 * scope-based, and asyncio code legitimately waits again after a cancel that a timeout or task
 * group took back.)
 */
class SlowStepInstrument implements Instrument {
  private readonly started = new WeakMap<KernelTask, number>();

  constructor(private readonly limitMs: () => number) {}

  beforeTaskStep(task?: KernelTask): void {
    if (task !== undefined) this.started.set(task, performance.now());
  }

  afterTaskStep(task?: KernelTask): void {
    if (task === undefined) return;
    const started = this.started.get(task);
    if (started === undefined) return;
    this.started.delete(task);
    const ms = performance.now() - started;
    if (ms > this.limitMs())
      debugWarn(`a step of ${task.name} blocked the loop for ${ms.toFixed(0)} ms`);
  }
}

/**
 * asyncio's `Runner`: a loop with an explicit lifetime, on which `run()` can be called several
 * times (one at a time). Tasks left pending by one `run()` keep running and can be awaited by the
 * next; `close()` (or `await using`) cancels them and ends the loop.
 *
 * @example
 * ```ts
 * await using runner = new Runner({ clock: new MockClock({ autojumpThreshold: 0 }) });
 * await runner.run(async () => { await sleep(1); });
 * await runner.run(main);
 * ```
 */
export class Runner implements AsyncDisposable {
  private state: 'initial' | 'running' | 'closing' | 'closed' = 'initial';
  private readonly jobs: (Job | typeof CLOSE)[] = [];
  private root: KernelTask | null = null;
  private rootWaiting = false;
  private busy = false;
  private kernelDone: Promise<unknown> | null = null;
  private loop: EventLoop | null = null;
  private readonly jobWait = new JobWait();
  /** The run's clock, known before the run starts so that `getLoop()` can tell the time. */
  private readonly clock: Clock;

  constructor(private readonly options: RunOptions = {}) {
    checkOptions('Runner()', options, RUN_KEYS);
    checkSignal('Runner()', options.signal);
    checkBoolean('Runner()', 'debug', options.debug, true);
    checkBoolean('Runner()', 'handleSigint', options.handleSigint, true);
    // The kernel's default, made here rather than by the kernel's run.
    this.clock = options.clock ?? new SystemClock();
  }

  /**
   * Runs `main()` as a Task on this runner's loop and resolves with its result (or rejects with
   * its error). A `RuntimeError` when called from inside a running loop or after `close()`.
   */
  run<T>(main: () => T | PromiseLike<T>): Promise<T> {
    checkFunction('Runner.run()', main);
    if (currentTaskOrUndefined() !== undefined) {
      throw new RuntimeError('Runner.run() cannot be called from a running event loop');
    }
    if (this.state === 'closing' || this.state === 'closed')
      throw new RuntimeError('Runner is closed');
    if (this.busy)
      throw new RuntimeError('Runner.run() is already running a main function; await it first');
    this.busy = true;
    const result = new Promise<T>((resolve, reject) => {
      this.push({
        fn: main,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
    });
    const clear = (): void => {
      this.busy = false;
    };
    result.then(clear, clear);
    return result;
  }

  /**
   * The loop of this runner, made on first use as CPython's `Runner.get_loop()` does: before the
   * first `run()` it already tells the time, takes callbacks (`callSoon`, `callLater`, `callAt`,
   * futures' done callbacks), which run when the run starts, and makes futures; only
   * `createTask()` waits for the run, since a Task is a kernel task. A `RuntimeError` after
   * `close()`.
   */
  getLoop(): EventLoop {
    if (this.state === 'closing' || this.state === 'closed')
      throw new RuntimeError('Runner is closed');
    return (this.loop ??= this.newLoop(null));
  }

  /** The loop, of `runner`, or (with `null`) to be bound to the run when it starts. */
  private newLoop(runner: KernelTask['runner'] | null): EventLoop {
    const loop = new EventLoop(runner, this.clock);
    loop._debug = this.options.debug === true;
    return loop;
  }

  /**
   * Cancels every task still pending, waits for them, reports errors nobody retrieved through the
   * loop's exception handler, and ends the loop. Idempotent.
   */
  async close(): Promise<void> {
    if (this.state === 'initial' && this.loop === null) {
      this.state = 'closed';
      return;
    }
    // A loop made by getLoop() that never ran runs once to close, as CPython's close() runs its
    // loop: the callbacks scheduled on it run.
    if (this.state === 'initial' || this.state === 'running') {
      this.push(CLOSE);
      this.state = 'closing';
    }
    await this.kernelDone;
    this.state = 'closed';
  }

  /** `await using runner = new Runner()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private push(job: Job | typeof CLOSE): void {
    this.jobs.push(job);
    if (this.loop !== null) this.loop._betweenRuns = false;
    if (this.state === 'initial') {
      this.state = 'running';
      const instruments: Instrument[] =
        this.options.debug === true
          ? [new SlowStepInstrument(() => (this.loop?.slowCallbackDuration ?? 0.1) * 1000)]
          : [];
      const clock = this.clock;
      const hangDetection = this.options.hangDetection;
      this.kernelDone = kernelRun(
        {
          instruments,
          // Of the kernel's debug checks only this one fits asyncio (see SlowStepInstrument).
          ...(this.options.debug === true
            ? { debug: { checks: ['neverAwaited'] as const, onWarning: debugWarn } }
            : {}),
          clock,
          ...(hangDetection === undefined ? {} : { hangDetection }),
          // SIGINT cancels the main task (below), not the whole run as the kernel would.
          handleSigint: false,
        },
        () => this.main(),
      );
      this.kernelDone.catch((err: unknown) => this.failJobs(err));
    } else if (this.rootWaiting && this.root !== null && currentWait(this.root) === this.jobWait) {
      this.rootWaiting = false;
      wake(this.root, undefined);
    }
  }

  private failJobs(err: unknown): void {
    for (const job of this.jobs.splice(0)) if (job !== CLOSE) job.reject(err);
  }

  /** The root task: runs the jobs one by one, then shuts the loop down. */
  private async main(): Promise<void> {
    this.root = currentKernelTask();
    const runner = this.root.runner;
    let loop = this.loop;
    if (loop === null) loop = this.loop = this.newLoop(runner);
    _setRunLoop(runner, loop);
    // A loop made by getLoop() before the run: what was scheduled on it runs first, even when
    // the first job is close() (CPython's close() runs the loop once more).
    if (loop._runner !== runner && loop._start(runner)) await checkpoint();
    for (;;) {
      const job = this.jobs.shift();
      if (job === undefined) {
        loop._betweenRuns = true;
        this.rootWaiting = true;
        try {
          await park(this.jobWait, { foreign: true });
        } catch (err) {
          this.rootWaiting = false;
          loop._betweenRuns = false;
          this.failJobs(err);
          break;
        }
        continue;
      }
      if (job === CLOSE) break;
      let task: Task<unknown>;
      try {
        task = loop.createTask(job.fn, {});
      } catch (err) {
        job.reject(err);
        continue;
      }
      // The signal's abort cancels the task (edge-triggered), with the reason as the message.
      const signal = this.options.signal;
      const stopListening = whenAborted(signal, () => {
        const reason: unknown = signal!.reason;
        task.cancel(reason instanceof Error ? reason.message : String(reason));
      });
      // As CPython's Runner: Ctrl-C cancels the main task; KeyboardInterrupt if that cancel is
      // what ended it (not one of its own, which uncancel() would leave counted).
      let interrupted = false;
      const releaseSigint =
        this.options.handleSigint === false
          ? null
          : catchInterrupt(() => {
              interrupted = true;
              if (!task.done()) task.cancel();
            });
      try {
        job.resolve(await task);
      } catch (err) {
        if (interrupted && task.cancelled() && task.uncancel() === 0) {
          job.reject(new KeyboardInterrupt('the main task was cancelled by SIGINT'));
        } else {
          job.reject(err);
        }
        if (err instanceof Cancelled && !task.done()) break; // the run itself is being torn down
      } finally {
        releaseSigint?.();
        stopListening();
      }
    }
    await shutdown(loop);
  }
}

/** Cancels every pending task of `loop`, waits for them, and reports unretrieved errors. */
async function shutdown(loop: EventLoop): Promise<void> {
  const pending = pendingTasks(loop);
  for (const task of pending) task.cancel();
  for (const task of pending) {
    try {
      await task._wait(false);
    } catch {
      // Its outcome stays on the task, reported next.
    }
  }
  // As CPython's asyncio.run(): a task that failed while being cancelled is reported (and its
  // error counts as retrieved); then every other error nobody retrieved.
  for (const task of pending) {
    const exception = task.cancelled() ? null : task.exception();
    if (exception !== null) {
      loop.callExceptionHandler({
        message: 'unhandled exception during asyncio run() shutdown',
        exception,
        task,
      });
    }
  }
  loop._reportUnretrieved();
  loop._removeSignalHandlers();
}

/**
 * Runs `main()` on a new loop and resolves with its result, as `asyncio.run`: at the end the
 * tasks still pending are cancelled and awaited, errors nobody retrieved are reported, and the
 * loop is closed. A `RuntimeError` when called from inside a running loop.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   await sleep(1);
 *   console.log('hello');
 * }, { clock: new MockClock({ autojumpThreshold: 0 }) });
 * ```
 */
export async function run<T>(main: () => T | PromiseLike<T>, options: RunOptions = {}): Promise<T> {
  if (currentTaskOrUndefined() !== undefined) {
    throw new RuntimeError('asyncio run() cannot be called from a running event loop');
  }
  const runner = new Runner(options);
  try {
    return await runner.run(main);
  } finally {
    await runner.close();
  }
}
