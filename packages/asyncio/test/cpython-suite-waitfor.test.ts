/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_waitfor.py not restated in
 * cpython-suite-timeouts.test.ts: nested waitFor, a future set by a callback while waitFor
 * waits, done futures (failed, cancelled) with timeout 0 or negative, a `null` timeout, and
 * cancelling the waitFor of a task. Each case was run on
 * CPython 3.13.0; the comments name the CPython test each one follows.
 */
import {
  CancelledError,
  TimeoutError,
  createTask,
  getRunningLoop,
  sleep,
  waitFor,
} from '@duet/asyncio';
import { vrun } from './helpers';

const outcome = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    (value) => `value ${String(value)}`,
    (err: unknown) =>
      err instanceof TimeoutError
        ? 'TimeoutError'
        : err instanceof CancelledError
          ? 'CancelledError'
          : `${(err as Error).name}: ${(err as Error).message}`,
  );

describe('CPython test_waitfor: leftovers', () => {
  // test_wait_for_race_condition
  test('a future set by a callback while waitFor waits gives its result', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const fut = loop.createFuture<string>();
      const waiting = waitFor(fut, 0.2);
      loop.callSoon(() => fut.setResult('ok'));
      return waiting;
    });
    expect(out).toBe('ok');
  });

  test('nested waitFor: whichever timeout is shorter ends both', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const slow = async (): Promise<string> => {
        await sleep(10);
        return 'x';
      };
      const times: string[] = [];
      for (const [inner, outer] of [
        [0.1, 1],
        [1, 0.1],
      ] as const) {
        const start = loop.time();
        const result = await outcome(waitFor(() => waitFor(slow, inner), outer));
        times.push(`${result} after ${(loop.time() - start).toFixed(1)}`);
      }
      return times;
    });
    expect(out).toEqual(['TimeoutError after 0.1', 'TimeoutError after 0.1']);
  });

  // test_wait_for_timeout_less_then_0_or_0_future_done, for tasks and failed/cancelled futures
  test('timeout 0 or negative on done things: a task’s result, a failure’s error, a cancel', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const task = createTask(() => sleep(0, 'r'));
      await task;
      const failed = loop.createFuture();
      failed.setException(new RangeError('v'));
      const cancelled = loop.createFuture();
      cancelled.cancel();
      return [
        await outcome(waitFor(task, 0)),
        await outcome(waitFor(task, -1)),
        await outcome(waitFor(failed, 0)),
        await outcome(waitFor(cancelled, 0)),
      ];
    });
    expect(out).toEqual(['value r', 'value r', 'RangeError: v', 'CancelledError']);
  });

  // test_wait_for_blocking
  test('timeout null: the result of work that never waits', async () => {
    expect(await vrun(() => waitFor(async () => 'done', null))).toBe('done');
  });

  // test_cancel_blocking_wait_for / test_cancel_wait_for (Python issue #23219)
  test.each([null, 60])('cancelling a waitFor(task, %p) cancels the task too', async (timeout) => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const task = createTask(() => loop.createFuture()); // blocks: nobody sets it
      const wait = createTask(() => waitFor(task, timeout));
      loop.callSoon(() => wait.cancel());
      return [await outcome(Promise.resolve(wait)), task.cancelled()];
    });
    expect(out).toEqual(['CancelledError', true]);
  });
});
