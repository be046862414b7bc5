/**
 * `run` and `openNursery`: the kernel's, with Trio's `strictExceptionGroups` switch and the group
 * message Trio uses.
 */
import {
  RUN_OPTIONS,
  checkBoolean,
  checkOptions,
  currentTaskOrUndefined,
  openNursery as kernelOpenNursery,
  run as kernelRun,
  runArguments,
  type Nursery,
  type RunOptions as KernelRunOptions,
  type Runner,
} from '@duet/kernel';
import { TrioInternalError } from './errors';

/**
 * Options of {@link run}: Trio's keyword arguments of `trio.run`.
 *
 * @example
 * ```ts
 * await run({ clock: new MockClock(), strictExceptionGroups: false }, main);
 * ```
 */
export interface RunOptions extends Omit<KernelRunOptions, 'internalErrorClass'> {
  /**
   * When true (the default, as Trio >= 0.25), a nursery always raises an `ExceptionGroup`, even for
   * one error; when false, a nursery with exactly one error raises that error itself. Each
   * {@link openNursery} call may override it.
   */
  strictExceptionGroups?: boolean;
}

/**
 * Options of {@link openNursery}.
 *
 * @example
 * ```ts
 * await openNursery(body, { strictExceptionGroups: false }); // a lone error is raised as itself
 * ```
 */
export interface OpenNurseryOptions {
  /** Overrides the run's `strictExceptionGroups` for this nursery. */
  strictExceptionGroups?: boolean;
  /** An outside `AbortSignal`: aborting it cancels the nursery, as `nursery.cancelScope.cancel()`. */
  signal?: AbortSignal;
}

// The internal errors of a Trio run are always TrioInternalError: the caller does not choose.
const RUN_KEYS = [
  ...RUN_OPTIONS.filter((k) => k !== 'internalErrorClass'),
  'strictExceptionGroups',
];
const NURSERY_KEYS = ['strictExceptionGroups', 'signal'];

const GROUP_MESSAGE = 'Exceptions from Trio nursery';
/**
 * Each run's `strictExceptionGroups`, the default of the nurseries opened in it (absent: true). A
 * map by runner rather than a `RunVar`, so a program that uses no `RunVar` does not carry one.
 */
const strictGroups = new WeakMap<Runner, boolean>();

/**
 * Runs `fn(...args)` as the root task of a new run, as `trio.run`, and resolves with its result
 * (or rejects with its error) once every task of the run has ended. An options object may come
 * first: `{ clock, instruments, strictExceptionGroups }`.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   await openNursery(async (nursery) => {
 *     nursery.startSoon(child, 1);
 *   });
 * });
 * await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, main, 'arg');
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
  const { options, fn, args } = runArguments<RunOptions>(first, rest);
  checkOptions('run()', options, RUN_KEYS);
  const { strictExceptionGroups, ...given } = options;
  const kernelOptions: KernelRunOptions = { ...given, internalErrorClass: TrioInternalError };
  checkBoolean('run()', 'strictExceptionGroups', strictExceptionGroups, true);
  if (typeof fn !== 'function') {
    // Let the kernel report the bad argument in its words (with its hint for a started Promise).
    return kernelRun(kernelOptions, fn as () => unknown);
  }
  const strict = strictExceptionGroups ?? true;
  const root = (...a: unknown[]): unknown => {
    if (!strict) strictGroups.set(currentTaskOrUndefined()!.runner, false);
    return (fn as (...a: unknown[]) => unknown)(...a);
  };
  Object.defineProperty(root, 'name', { value: fn.name || 'main' });
  return kernelRun(kernelOptions, root, ...args);
}

/**
 * Opens a nursery, as `async with trio.open_nursery() as nursery:`. Runs `body(nursery)`, then
 * waits for every child task. If the body or a child raises, everything else in the nursery is
 * cancelled and the errors are raised together as an `ExceptionGroup` ("Exceptions from Trio
 * nursery"). Resolves with the body's value, or `undefined` when the nursery's own cancel scope
 * caught a cancellation.
 *
 * @example
 * ```ts
 * await openNursery(async (nursery) => {
 *   nursery.startSoon(worker, 'a');
 *   nursery.startSoon(worker, 'b');
 * }); // both workers have finished here
 * ```
 */
export function openNursery<T>(
  body: (nursery: Nursery) => Promise<T> | T,
  options: OpenNurseryOptions = {},
): Promise<T | undefined> {
  checkOptions('openNursery()', options, NURSERY_KEYS);
  checkBoolean('openNursery()', 'strictExceptionGroups', options.strictExceptionGroups, true);
  // Outside a run the kernel's openNursery reports the mistake.
  const runner = currentTaskOrUndefined()?.runner;
  const strict =
    options.strictExceptionGroups ?? (runner === undefined || (strictGroups.get(runner) ?? true));
  return kernelOpenNursery(body, {
    groupMessage: GROUP_MESSAGE,
    strictExceptionGroups: strict,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
