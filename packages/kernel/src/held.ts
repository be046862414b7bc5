/**
 * Facade services kept out of the runner class (so that programs without them do not carry them):
 * calls that the run waits for before it ends, and the run's statistics.
 */
import { RunFinishedError } from './errors';
import type { Runner } from './runner';

type HeldCall = [Runner, (arg: unknown) => void, unknown];

function runHeld([runner, callback, arg]: HeldCall): void {
  try {
    callback(arg);
  } catch (err) {
    // Recorded before the run may finish below, so that it fails the run.
    runner.crash(err);
  }
  if (--runner.heldCallbacks === 0 && runner.liveTasks === 0 && !runner.finished) runner.finish();
}

/**
 * Runs `callback(arg)` at the next batch of `runner`'s run, as `Runner.callSoon`, and keeps the
 * run from finishing until it has run: for calls that must happen even if the last task ends
 * first (Trio's `TrioToken.runSyncSoon`). If it throws, the run fails with an internal error.
 * A `RunFinishedError` once the run has finished.
 *
 * @example
 * ```ts
 * callSoonHoldingRun(currentRunner(), (msg) => console.log(msg), 'from outside');
 * ```
 */
export function callSoonHoldingRun<A>(runner: Runner, callback: (arg: A) => void, arg: A): void {
  if (typeof callback !== 'function') throw new TypeError('callSoonHoldingRun expects a function');
  if (runner.finished) throw new RunFinishedError('the run has finished');
  runner.heldCallbacks++;
  runner.callSoon(runHeld, [runner, callback, arg] as HeldCall);
}

/** What {@link runStatistics} returns. */
export interface RunStatistics {
  /** Tasks spawned (the root and system tasks included) that have not exited. */
  tasksLiving: number;
  /** Tasks queued to take a step. */
  tasksRunnable: number;
  /** Seconds from now to the earliest pending deadline; `Infinity` if there is none. */
  secondsToNextDeadline: number;
}

/**
 * Counts of `runner`'s work now (Trio's `current_statistics`): tasks alive, tasks queued to run,
 * and the seconds until the earliest pending deadline (a scope's, a sleep's or a timer's).
 *
 * @example
 * ```ts
 * const { tasksLiving } = runStatistics(currentRunner());
 * ```
 */
export function runStatistics(runner: Runner): RunStatistics {
  const { ready, current, cursor } = runner.scheduler;
  let runnable = 0;
  for (const item of ready) if (typeof item !== 'function') runnable++;
  if (current !== null) {
    for (let i = cursor; i < current.length; i++) if (typeof current[i] !== 'function') runnable++;
  }
  const next = runner.deadlines.peek();
  return {
    tasksLiving: runner.liveTasks,
    tasksRunnable: runnable,
    secondsToNextDeadline: next === undefined ? Infinity : next.when - runner.clock.currentTime(),
  };
}
