/**
 * The lifecycle of a run: `run()` reads its options, makes the {@link Runner} (loading the debug
 * and diagnostics chunks first when the run needs them), starts it, and watches for Node's event
 * loop running dry while it is pending.
 */
import { currentTaskOrUndefined } from './context';
import type { DebugOptions } from './debug';
import { diagnosticsObserved } from './diagnostics';
import type { Clock } from './clock';
import { RuntimeError, type KernelInternalError } from './errors';
import type { Instrument } from './instruments';
import { Runner } from './runner';
import { checkBoolean, checkFunction, checkOptions, checkSignal, optionsFirst } from './validate';

/** A subclass of `KernelInternalError` (its constructor), for `RunOptions.internalErrorClass`. */
export interface InternalErrorClass {
  /** Makes the error from its message and its `cause` (the failure that broke the run). */
  new (message: string, options?: { cause?: unknown }): KernelInternalError;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** The clock of the run; a {@link @duet/kernel!SystemClock} by default. */
  clock?: Clock;
  /** Instruments installed before the root task starts. */
  instruments?: readonly Instrument[];
  /**
   * Debug mode (see {@link DebugOptions}); also turned on by the environment variable
   * `DUET_DEBUG=1`. Its code is a separate chunk, loaded by the first run that turns it on (the
   * run starts once it is loaded), so bundles of programs that never do leave it out.
   */
  debug?: boolean | DebugOptions;
  /**
   * Fail the run with a {@link @duet/kernel!HangError} showing the task tree when it cannot make progress:
   * `deadlock` when every task is parked in a kernel wait with no deadline pending (only right when
   * nothing outside the kernel will wake a task), `realTimeout` after that many real seconds.
   */
  hangDetection?: {
    /** Fail when every task is parked in a kernel wait and no deadline is pending. */
    deadlock?: boolean;
    /** Fail after this many real seconds. */
    realTimeout?: number;
  };
  /**
   * A signal (such as `'SIGUSR2'`) on which the run prints its task tree to stderr and goes on;
   * the environment variable `DUET_DUMP_ON` sets it too.
   */
  dumpOnSignal?: `SIG${string}`;
  /**
   * An outside `AbortSignal`: aborting it cancels the whole run (its root scope, level-triggered),
   * and `run()` rejects with a `Cancelled` whose message is the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Ctrl-C: when true (the default) and nothing else listens for SIGINT, a SIGINT cancels the whole
   * run, and once every task has unwound `run()` rejects with a
   * {@link @duet/kernel!KeyboardInterrupt} (unless the root task returned anyway), as `trio.run`
   * raises `KeyboardInterrupt`. A second SIGINT before then ends the process. False leaves SIGINT
   * alone.
   */
  handleSigint?: boolean;
  /**
   * The class of the internal errors the run raises (`KernelInternalError` by default): a facade
   * passes its own subclass, as `@duet/trio` passes `TrioInternalError`, so that errors raised
   * inside the run (such as `Nursery.start`'s) are of the facade's class too.
   */
  internalErrorClass?: InternalErrorClass;
}

/** The keys of {@link RunOptions}; facades add their own to check theirs. */
export const RUN_OPTIONS: readonly string[] = [
  'clock',
  'instruments',
  'debug',
  'hangDetection',
  'dumpOnSignal',
  'signal',
  'handleSigint',
  'internalErrorClass',
];

/** The runs still pending, told when Node's event loop runs dry: one process listener for all. */
const pendingRuns = new Set<Runner>();

/**
 * Node's event loop ran dry: each pending run fails with the tree of what its tasks wait on (see
 * the watchdog). Loading the watchdog chunk is work for the loop, so the process waits for it.
 */
function onBeforeExit(): void {
  const runners = [...pendingRuns];
  void import('./watchdog').then((m) => {
    for (const runner of runners) m.hangAtExit(runner);
  });
}

function watchForExit(runner: Runner): void {
  if (pendingRuns.size === 0) process.on('beforeExit', onBeforeExit);
  pendingRuns.add(runner);
}

function unwatchForExit(runner: Runner): void {
  if (pendingRuns.delete(runner) && pendingRuns.size === 0) process.off('beforeExit', onBeforeExit);
}

/** What {@link runArguments} returns. */
export interface RunArguments<O> {
  /** The options object, or `{}` when the function came first. */
  options: O;
  /** What should be the function (checked by the caller, which names it in its own words). */
  fn: unknown;
  /** The arguments for the function. */
  args: unknown[];
}

/**
 * The arguments of a `run([options,] fn, ...args)` taken apart: an options object may come first.
 * A first argument that is neither a function nor an options object (a started Promise, say) is
 * the `TypeError` of a missing function, with its hint, naming `api`. For facades whose `run` adds
 * options, and for the spawn calls (`startSoon({ name }, fn, ...args)`).
 *
 * @example
 * ```ts
 * const { options, fn, args } = runArguments(first, rest);
 * ```
 */
export function runArguments<O extends object = RunOptions>(
  first: unknown,
  rest: unknown[],
  api = 'run()',
): RunArguments<O> {
  return optionsFirst<O>(api, first, rest);
}

/**
 * Runs `fn(...args)` as the root task of a new run and resolves with its result (or rejects with
 * its error), once every task of the run has ended. Calling `run` from inside a running task is an
 * error: open a nursery instead.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   await openNursery(async (n) => { n.startSoon(child, 1); });
 * });
 * await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, main, arg);
 * ```
 */
export function run<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  ...args: A
): Promise<R>;
export function run<A extends unknown[], R>(
  options: RunOptions,
  fn: (...args: A) => R | Promise<R>,
  ...args: A
): Promise<R>;
export function run(first: unknown, ...rest: unknown[]): Promise<unknown> {
  const { options, fn, args } = runArguments(first, rest);
  checkFunction('run()', fn);
  if (currentTaskOrUndefined() !== undefined) {
    throw new RuntimeError(
      'run() was called from inside a running task; open a nursery instead of nesting runs',
    );
  }
  checkOptions('run()', options, RUN_OPTIONS);
  checkSignal('run()', options.signal);
  checkBoolean('run()', 'handleSigint', options.handleSigint, true);
  const main = fn as (...args: never[]) => unknown;
  const debug = options.debug ?? process.env['DUET_DEBUG'] === '1';
  const debugOptions = debug === false ? null : debug === true ? {} : debug;
  const observed = diagnosticsObserved();
  const dumpSignal =
    options.dumpOnSignal ?? ((process.env['DUET_DUMP_ON'] as string | undefined) || null);
  const watched = options.hangDetection !== undefined || dumpSignal !== null;
  if (debugOptions === null && !observed && !watched) {
    return startRun(new Runner(options, main, args, null));
  }
  // Debug mode, the diagnostics publisher and the watchdog are chunks of their own, loaded when a
  // run needs them: a program that uses none does not carry them. Such a run starts once they are
  // loaded (a few microtasks later).
  return Promise.all([
    debugOptions === null ? null : import('./debug'),
    observed ? import('./publisher') : null,
    watched ? import('./watchdog') : null,
  ]).then(([debugModule, publisherModule, watchdogModule]) => {
    const monitor = debugModule === null ? null : new debugModule.DebugMonitor(debugOptions!);
    const runner = new Runner(options, main, args, monitor);
    if (publisherModule !== null) runner.instruments.add(publisherModule.publisher(runner));
    if (watchdogModule !== null) {
      runner.watchdog = new watchdogModule.Watchdog(runner, {
        deadlock: options.hangDetection?.deadlock ?? false,
        realTimeout: options.hangDetection?.realTimeout,
        dumpSignal,
      });
    }
    return startRun(runner);
  });
}

function startRun(runner: Runner): Promise<unknown> {
  runner.start();
  watchForExit(runner);
  // Settled (or failed by a hang) is no longer pending; this reaction runs before the caller's.
  const unwatch = (): void => unwatchForExit(runner);
  void runner.done.then(unwatch, unwatch);
  return runner.done;
}
