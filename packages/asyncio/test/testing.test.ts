import {
  Event,
  HangError,
  TaskGroup,
  TimeoutError,
  asyncioTest,
  getRunningLoop,
  sleep,
  waitFor,
} from '@duet/asyncio';

describe('asyncioTest', () => {
  test(
    'runs the body in virtual time',
    asyncioTest(async () => {
      await expect(waitFor(() => sleep(60), 1)).rejects.toBeInstanceOf(TimeoutError);
      expect(getRunningLoop().time()).toBe(1);
    }),
  );

  test('a deadlocked test fails with the task tree naming the stuck task and its wait', async () => {
    const body = asyncioTest(async () => {
      const never = new Event();
      await new TaskGroup().run((tg) => {
        tg.createTask(() => never.wait(), { name: 'waitsForever' });
      });
    });
    const err = await body().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HangError);
    expect((err as Error).message).toMatch(/waitsForever: parked on/);
  });

  test('rejects a non-function', () => {
    expect(() => asyncioTest(42 as never)).toThrow(TypeError);
  });
});
