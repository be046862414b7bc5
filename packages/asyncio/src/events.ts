/**
 * How code finds its event loop, as CPython's `asyncio.events`: {@link getRunningLoop} reads the
 * run's loop, made on first use by the factory the loop module installs (as CPython's event loop
 * policy holds a loop factory). Futures and tasks reach their loop through here, and name the loop
 * class only as a type, so the loop (which makes futures and tasks) and they import no circle.
 */
import { RuntimeError, currentTaskOrUndefined, type Runner } from '@duet/kernel';
import type { EventLoop } from './loop';

/**
 * Each run's loop, made on first use. A map by runner rather than a `RunVar`, so a program that
 * uses no `RunVar` does not carry one.
 */
const loopOfRun = new WeakMap<Runner, EventLoop>();

let newLoop: ((runner: Runner) => EventLoop) | null = null;

/** @internal Installs how a run's loop is made: `loop.ts` does, when it loads. */
export function _setLoopFactory(factory: (runner: Runner) => EventLoop): void {
  newLoop = factory;
}

/** @internal Makes `loop` (one made before its run, by `Runner.getLoop()`) the loop of `runner`. */
export function _setRunLoop(runner: Runner, loop: EventLoop): void {
  loopOfRun.set(runner, loop);
}

/**
 * The loop of the current run. A `RuntimeError` outside `run()`, as in asyncio.
 *
 * @example
 * ```ts
 * const loop = getRunningLoop();
 * const fut = loop.createFuture<number>();
 * loop.callLater(1, () => fut.setResult(42));
 * await fut; // 42
 * ```
 */
export function getRunningLoop(): EventLoop {
  const task = currentTaskOrUndefined();
  if (task === undefined) {
    throw new RuntimeError(
      'no running event loop: call this from code running inside run(async () => { ... })',
    );
  }
  let loop = loopOfRun.get(task.runner);
  if (loop === undefined) {
    loop = newLoop!(task.runner);
    loopOfRun.set(task.runner, loop);
  }
  return loop;
}
