/**
 * Trio's run token and run statistics: `TrioToken.runSyncSoon` queues a synchronous call into the
 * run from code outside it (a Node callback, a timer, an event handler), and `currentStatistics`
 * counts the run's work.
 */
import {
  RunFinishedError,
  callSoonHoldingRun,
  runStatistics,
  checkBoolean,
  checkFunction,
  checkOptions,
  currentRunner,
  currentTaskOrUndefined,
  optionsFirst,
  type RunStatistics as KernelRunStatistics,
  type Runner,
} from '@duet/kernel';

/** Options of {@link TrioToken.runSyncSoon}, passed before the function. */
export interface RunSyncSoonOptions {
  /**
   * When true, a call of the same function with the same arguments (`===` each) that is queued and
   * has not started yet is not queued again. Queued calls keep their first place (FIFO).
   */
  idempotent?: boolean;
}

interface QueuedCall {
  token: TrioToken;
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
  idempotent: boolean;
}

function invoke(call: QueuedCall): void {
  call.token.started(call);
  call.fn(...call.args);
}

/**
 * Trio's `TrioToken`: a handle on one run, for queueing synchronous calls into it from outside
 * (`runSyncSoon`). Get it inside the run with {@link currentTrioToken}; every call there returns
 * the same token. Node has one thread, so "outside" means code the run does not drive: timers,
 * event handlers, callbacks of Node APIs.
 *
 * @example
 * ```ts
 * const token = currentTrioToken();
 * emitter.on('data', (chunk) => token.runSyncSoon(() => buffer.push(chunk)));
 * ```
 */
export class TrioToken {
  private readonly runner: Runner;
  /** Calls queued and not yet started. */
  private pending = 0;
  /** The idempotent calls queued and not yet started, to find a duplicate. */
  private readonly idempotentQueued: QueuedCall[] = [];

  /** @internal Made by {@link currentTrioToken}, one per run. */
  constructor(runner: Runner) {
    this.runner = runner;
  }

  /**
   * Calls `fn(...args)` soon, inside the run, in FIFO order with the other queued calls. It runs
   * outside any task, so it must not block; to wake a task, set an `Event` or `reschedule` it. If
   * it throws, the run is cancelled and fails with `TrioInternalError` (as in Trio); the calls
   * queued after it still run. A call queued before the root task ends still runs; once the root
   * task has ended this raises `RunFinishedError`. Options may come first:
   * `runSyncSoon({ idempotent: true }, fn, ...args)`.
   */
  runSyncSoon<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void;
  runSyncSoon<A extends unknown[]>(
    options: RunSyncSoonOptions,
    fn: (...args: A) => unknown,
    ...args: A
  ): void;
  runSyncSoon(first: unknown, ...rest: unknown[]): void {
    const { options, fn, args } = optionsFirst<RunSyncSoonOptions>('runSyncSoon()', first, rest);
    checkOptions('runSyncSoon()', options, ['idempotent']);
    checkBoolean('runSyncSoon()', 'idempotent', options.idempotent, true);
    checkFunction('runSyncSoon()', fn);
    if (this.runner.finished || this.runner.rootTask.state === 'done') {
      throw new RunFinishedError('the run has finished: runSyncSoon() can no longer queue calls');
    }
    const idempotent = options.idempotent === true;
    if (idempotent && this.idempotentQueued.some((c) => sameCall(c, fn, args))) return;
    const call: QueuedCall = {
      token: this,
      fn: fn as (...args: unknown[]) => unknown,
      args,
      idempotent,
    };
    if (idempotent) this.idempotentQueued.push(call);
    this.pending++;
    // Held: the run does not end before the call has run, even if its last task ends first.
    callSoonHoldingRun(this.runner, invoke, call);
  }

  /** @internal `call` is starting: it no longer counts as queued. */
  started(call: QueuedCall): void {
    this.pending--;
    if (call.idempotent) this.idempotentQueued.splice(this.idempotentQueued.indexOf(call), 1);
  }

  /** How many calls are queued and have not started (`runSyncSoonQueueSize`). */
  get queueSize(): number {
    return this.pending;
  }
}

function sameCall(call: QueuedCall, fn: unknown, args: unknown[]): boolean {
  return (
    call.fn === fn && call.args.length === args.length && call.args.every((a, i) => a === args[i])
  );
}

const tokens = new WeakMap<Runner, TrioToken>();

/**
 * The current run's {@link TrioToken} (`trio.lowlevel.current_trio_token`): the same object for
 * every call in one run.
 *
 * @example
 * ```ts
 * const token = currentTrioToken();
 * setTimeout(() => token.runSyncSoon(() => event.set()), 10);
 * ```
 */
export function currentTrioToken(): TrioToken {
  const runner = currentRunner();
  let token = tokens.get(runner);
  if (token === undefined) {
    token = new TrioToken(runner);
    tokens.set(runner, token);
  }
  return token;
}

/** The `ioStatistics` of {@link RunStatistics}. */
export interface IoStatistics {
  /** Which I/O backend the run uses: always `'node'` (Node's event loop). */
  backend: string;
}

/** What {@link currentStatistics} returns (Trio's `RunStatistics`). */
export interface RunStatistics extends KernelRunStatistics {
  /** Calls queued with `TrioToken.runSyncSoon` that have not started. */
  runSyncSoonQueueSize: number;
  /** About the I/O backend. */
  ioStatistics: IoStatistics;
}

/**
 * Counts of the current run's work (`trio.lowlevel.current_statistics`): `tasksLiving`,
 * `tasksRunnable`, `secondsToNextDeadline`, `runSyncSoonQueueSize`, `ioStatistics`. Duet has no
 * system tasks of its own, so a run with one task has `tasksLiving` 1 (Trio counts 2 more).
 *
 * @example
 * ```ts
 * const { tasksLiving, secondsToNextDeadline } = currentStatistics();
 * ```
 */
export function currentStatistics(): RunStatistics {
  const runner = currentRunner();
  return {
    ...runStatistics(runner),
    runSyncSoonQueueSize: tokens.get(runner)?.queueSize ?? 0,
    ioStatistics: { backend: 'node' },
  };
}

/**
 * True inside a run (`trio.lowlevel.in_trio_run`): in a task's code, and in what it calls.
 *
 * @example
 * ```ts
 * if (!inTrioRun()) throw new Error('call me from inside run()');
 * ```
 */
export function inTrioRun(): boolean {
  return currentTaskOrUndefined() !== undefined;
}

/**
 * True in a task of a run (`trio.lowlevel.in_trio_task`). Duet runs code of a run only in its
 * tasks (a `runSyncSoon` call runs outside any task, and is false for both).
 *
 * @example
 * ```ts
 * const inTask = inTrioTask();
 * ```
 */
export function inTrioTask(): boolean {
  return currentTaskOrUndefined() !== undefined;
}
