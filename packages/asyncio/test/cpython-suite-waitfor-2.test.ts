/**
 * The last scenarios of CPython 3.13's Lib/test/test_asyncio/test_waitfor.py that neither
 * cpython-suite-waitfor.test.ts nor cpython-suite-timeouts.test.ts restates: a `null` timeout,
 * cancelling the waitFor of a Task (with and without a timeout), and a positive timeout that
 * waits for the task to finish cancelling. Each expected value is what CPython 3.13.0 gave.
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

describe('CPython test_waitfor: more', () => {
  // test_wait_for_blocking
  test('timeout null: the result of work that never waits', async () => {
    const out = await vrun(() => waitFor(async () => 'done', null));
    expect(out).toBe('done');
  });

  // test_cancel_blocking_wait_for / test_cancel_wait_for (Python issue #23219)
  test.each([null, 60])('cancelling a waitFor(task, %p) cancels the task too', async (timeout) => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const task = createTask(() => loop.createFuture()); // blocks: nobody sets it
      const wait = createTask(() => waitFor(task, timeout));
      loop.callSoon(() => wait.cancel());
      const err = await wait.then(
        () => null,
        (e: unknown) => e,
      );
      return [err instanceof CancelledError, task.cancelled()];
    });
    expect(out).toEqual([true, true]);
  });

  // test_wait_for_waits_for_task_cancellation
  test('a positive timeout waits for the task to finish cancelling; TimeoutError caused by the CancelledError', async () => {
    const out = await vrun(async () => {
      let taskDone = false;
      const inner = createTask(async () => {
        try {
          await sleep(10);
        } catch (err) {
          await sleep(0.01);
          throw err;
        } finally {
          taskDone = true;
        }
      });
      const err = await waitFor(inner, 0.01).then(
        () => null,
        (e: unknown) => e,
      );
      return [
        err instanceof TimeoutError,
        taskDone,
        inner.cancelled(),
        (err as Error).cause instanceof CancelledError,
      ];
    });
    expect(out).toEqual([true, true, true, true]);
  });
});
