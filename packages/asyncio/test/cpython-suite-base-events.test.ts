/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_base_events.py (a loop's running and
 * closed states, scheduling on a closed loop, no current task in callbacks), restated for Duet's API. Each case was run on
 * CPython 3.13.0; the comments name the CPython test each one follows.
 */
import {
  Future,
  Runner,
  RuntimeError,
  currentTask,
  getRunningLoop,
  run,
  sleep,
  type EventLoop,
} from '@duet/asyncio';
import { vrun } from './helpers';

describe('CPython test_base_events: running and closed', () => {
  // test_run_until_complete_loop_orphan_future / is_running() inside and after asyncio.run
  test('isRunning() is true inside the run; after it the loop is closed and not running', async () => {
    let loop: EventLoop | undefined;
    const inside = await run(async () => {
      loop = getRunningLoop();
      return [loop.isRunning(), loop.isClosed()];
    });
    expect(inside).toEqual([true, false]);
    expect([loop!.isRunning(), loop!.isClosed()]).toEqual([false, true]);
  });

  // Runner.get_loop() before the first run(), and after close()
  test('a Runner loop is neither running nor closed before run(); closed after close()', async () => {
    const runner = new Runner();
    const loop = runner.getLoop();
    const before = [loop.isRunning(), loop.isClosed()];
    await runner.run(() => sleep(0));
    await runner.close();
    expect([before, [loop.isRunning(), loop.isClosed()]]).toEqual([
      [false, false],
      [false, true],
    ]);
  });

  // test_close / test_call_soon_closed...: scheduling on a closed loop
  test('callSoon, callLater, callAt and createTask on a closed loop are a RuntimeError; createFuture is not', async () => {
    let loop: EventLoop | undefined;
    await run(async () => {
      loop = getRunningLoop();
    });
    const attempts: [string, () => unknown][] = [
      ['callSoon', () => loop!.callSoon(() => undefined)],
      ['callLater', () => loop!.callLater(1, () => undefined)],
      ['callAt', () => loop!.callAt(1, () => undefined)],
      ['createTask', () => loop!.createTask(() => sleep(0))],
      ['createFuture', () => loop!.createFuture()],
    ];
    const out = attempts.map(([name, attempt]) => {
      try {
        return `${name}: ${attempt() instanceof Future ? 'a Future' : 'ok'}`;
      } catch (err) {
        return `${name}: ${err instanceof RuntimeError ? err.message : String(err)}`;
      }
    });
    expect(out).toEqual([
      'callSoon: Event loop is closed',
      'callLater: Event loop is closed',
      'callAt: Event loop is closed',
      'createTask: Event loop is closed',
      'createFuture: a Future',
    ]);
  });

  // BaseEventLoop runs a callback outside every task: current_task() is None there
  test('currentTask() is null in callSoon, callLater and done callbacks, the task again after', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const seen: string[] = [];
      const note = (where: string) => () => seen.push(`${where}: ${String(currentTask())}`);
      loop.callSoon(note('callSoon'));
      await sleep(0);
      loop.callLater(0.01, note('callLater'));
      await sleep(0.02);
      const fut = loop.createFuture<number>();
      fut.addDoneCallback(note('done callback'));
      fut.setResult(1);
      await sleep(0);
      seen.push(`task: ${String(currentTask() === null)}`);
      return seen;
    });
    expect(out).toEqual([
      'callSoon: null',
      'callLater: null',
      'done callback: null',
      'task: false',
    ]);
  });
});
