import { Event, HangError, currentTime, openNursery, sleep } from '@duet/trio';
import { trioTest } from '@duet/trio/testing';

describe('trioTest hang detection', () => {
  test('a deadlocked test fails with the task tree naming the stuck task and its wait', async () => {
    const body = trioTest(async () => {
      const never = new Event();
      await openNursery(async (n) => {
        n.startSoon(async function waitsForever() {
          await never.wait();
        });
      });
    });
    const err = await body().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HangError);
    expect((err as Error).message).toMatch(/task #\d+ waitsForever: parked on Event/);
  });

  test('a test that ends normally is not affected', async () => {
    const woke = await trioTest(async () => {
      await sleep(3600);
      return currentTime();
    })();
    expect(woke).toBe(3600);
  });
});
