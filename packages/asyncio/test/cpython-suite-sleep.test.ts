/**
 * `asyncio.sleep` scenarios of CPython 3.13's Lib/test/test_asyncio/test_tasks.py (test_sleep,
 * test_sleep_cancel, test_sleep_when_delay_is_nan, ...), restated for Duet's API; each expected
 * value is what CPython 3.13.0 gave.
 */
import {
  CancelledError,
  MockClock,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  run,
  sleep,
} from '@duet/asyncio';

const clock = (): MockClock => new MockClock({ autojumpThreshold: 0 });

describe('CPython test_tasks: sleep', () => {
  test('sleep(0) and a negative delay yield exactly one iteration and return the result', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        const log: string[] = [];
        loop.callSoon(() => log.push('cb1'));
        log.push(await sleep(-1, 'neg'));
        loop.callSoon(() => log.push('cb2'));
        loop.callSoon(() => loop.callSoon(() => log.push('cb3')));
        log.push(await sleep(0, 'zero'));
        await sleep(0);
        log.push('after 2nd');
        return log;
      },
      { clock: clock() },
    );
    expect(got).toEqual(['cb1', 'neg', 'cb2', 'zero', 'cb3', 'after 2nd']);
  });

  test('sleep(delay, result) returns result after delay (the same object)', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        const value = [1];
        const t0 = loop.time();
        const r = await sleep(0.05, value);
        return [r === value, loop.time() - t0];
      },
      { clock: clock() },
    );
    expect(got).toEqual([true, 0.05]);
  });

  test('test_sleep_when_delay_is_nan: a ValueError; a delay of the wrong type is a TypeError', async () => {
    const got = await run(async () => {
      const errors: unknown[] = [];
      for (const d of [NaN, '1', null]) {
        try {
          await sleep(d as number);
        } catch (err) {
          errors.push(err);
        }
      }
      return errors;
    });
    expect(got[0]).toBeInstanceOf(ValueError);
    expect(got[1]).toBeInstanceOf(TypeError);
    expect(got[2]).toBeInstanceOf(TypeError);
  });

  test('test_sleep_cancel: a cancelled sleep raises CancelledError; the task is cancelled', async () => {
    const got = await run(
      async () => {
        const t = createTask(() => sleep(10, 'x'));
        await sleep(0);
        t.cancel();
        const err = await t.then(
          () => null,
          (e: unknown) => e,
        );
        return [err instanceof CancelledError, t.cancelled()];
      },
      { clock: clock() },
    );
    expect(got).toEqual([true, true]);
  });

  test('sleep(0) is a cancel point: a cancel already requested is raised there', async () => {
    const got = await run(
      async () =>
        createTask(async () => {
          currentTask()!.cancel();
          try {
            await sleep(0, 'r');
            return 'not raised';
          } catch (err) {
            return err instanceof CancelledError ? 'raised' : String(err);
          }
        }),
      { clock: clock() },
    ).catch(() => 'task error');
    expect(got).toBe('raised');
  });

  test('sleep(Infinity) waits until cancelled', async () => {
    const got = await run(async () => {
      const t = createTask(() => sleep(Infinity));
      await sleep(0.01);
      const pending = !t.done();
      t.cancel();
      await t.then(
        () => undefined,
        () => undefined,
      );
      return [pending, t.cancelled()];
    });
    expect(got).toEqual([true, true]);
  });
});
