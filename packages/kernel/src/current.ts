/**
 * The current run, from code running inside it: its runner, task, root task, time and clock, and
 * what a task may add to the run (system tasks, instruments).
 */
import type { Clock } from './clock';
import { requireTask } from './context';
import type { Instrument } from './instruments';
import type { Runner } from './runner';
import type { Task } from './task';
import { spawnArguments, type SpawnOptions } from './nursery';

/** The runner of the current run. */
export function currentRunner(): Runner {
  return requireTask('currentRunner()').runner;
}

/** The task whose code is running. */
export function currentTask(): Task {
  return requireTask('currentTask()');
}

/** The root task of the current run (the one running the function passed to `run`). */
export function currentRootTask(): Task {
  return requireTask('currentRootTask()').runner.rootTask;
}

/** The current time in seconds on the run's clock. */
export function currentTime(): number {
  return requireTask('currentTime()').runner.clock.currentTime();
}

/** The clock of the current run. */
export function currentClock(): Clock {
  return requireTask('currentClock()').runner.clock;
}

/**
 * Starts `fn(...args)` as a system task of the current run (see {@link Runner.spawnSystemTask}).
 * Options may come first: `spawnSystemTask({ name }, fn, ...args)` names the task.
 *
 * @example
 * ```ts
 * spawnSystemTask({ name: 'reaper' }, reap, queue);
 * ```
 */
export function spawnSystemTask<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): Task;
export function spawnSystemTask<A extends unknown[]>(
  options: SpawnOptions,
  fn: (...args: A) => unknown,
  ...args: A
): Task;
export function spawnSystemTask(first: unknown, ...rest: unknown[]): Task {
  const { fn, args, name } = spawnArguments('spawnSystemTask()', first, rest);
  return requireTask('spawnSystemTask()').runner.spawnSystemTask(fn, args, name);
}

/** Adds an instrument to the current run. */
export function addInstrument(instrument: Instrument): void {
  requireTask('addInstrument()').runner.addInstrument(instrument);
}

/** Removes an instrument from the current run; a `ValueError` if it is not installed. */
export function removeInstrument(instrument: Instrument): void {
  requireTask('removeInstrument()').runner.removeInstrument(instrument);
}
