// Vitest with Duet's test adapters: virtual time, the test context, and fake timers driving
// the system clock.
import { afterEach, expect, test, vi } from 'vitest';
import { TimeoutError, asyncioTest, sleep as aioSleep, waitFor } from '@duet/asyncio';
import { currentTime, moveOnAfter, run, sleep, sleepForever } from '@duet/trio';
import { trioTest } from '@duet/trio/testing';

afterEach(() => {
  vi.useRealTimers();
});

test(
  'an hour-long timeout takes no real time',
  trioTest(async () => {
    await moveOnAfter(3600, () => sleepForever());
    expect(currentTime()).toBe(3600);
  }),
);

test(
  'the body gets the clock, then the test context',
  trioTest(async (_clock, context) => {
    expect(context.task.name).toBe('the body gets the clock, then the test context');
    expect(context.signal).toBeInstanceOf(AbortSignal);
  }),
);

test(
  'asyncio: waitFor times out in virtual time',
  asyncioTest(async () => {
    await expect(waitFor(() => aioSleep(60), 1)).rejects.toBeInstanceOf(TimeoutError);
  }),
);

test('vi.useFakeTimers drives the system clock', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  const done = run(async () => {
    const start = currentTime();
    await sleep(10);
    return currentTime() - start;
  });
  await vi.advanceTimersByTimeAsync(10_000);
  expect(await done).toBeCloseTo(10, 3);
});
