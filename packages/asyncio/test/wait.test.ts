import {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  TimeoutError,
  ValueError,
  asCompleted,
  createTask,
  getRunningLoop,
  sleep,
  wait,
  type Task,
} from '@duet/asyncio';
import { vrun } from './helpers';

const now = () => getRunningLoop().time();

describe('wait', () => {
  test('ALL_COMPLETED (default) waits for all', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(1, 'a'));
      const b = createTask(() => sleep(2, 'b'));
      const [done, pending] = await wait([a, b], { returnWhen: ALL_COMPLETED });
      return [done.size, pending.size, now()];
    });
    expect(out).toEqual([2, 0, 2]);
  });

  test('FIRST_COMPLETED returns at the first completion; nothing is cancelled', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(1, 'a'));
      const b = createTask(() => sleep(2, 'b'));
      const [done, pending] = await wait([a, b], { returnWhen: FIRST_COMPLETED });
      const t = now();
      return [[...done].map((x) => x.result()), pending.has(b), t, await b];
    });
    expect(out).toEqual([['a'], true, 1, 'b']);
  });

  test('FIRST_EXCEPTION returns at the first error, or when all are done', async () => {
    const out = await vrun(async () => {
      const ok = createTask(() => sleep(1, 'ok'));
      const bad = createTask(async () => {
        await sleep(2);
        throw new Error('bad');
      });
      const slow = createTask(() => sleep(5));
      const [done, pending] = await wait([ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
      const first = [done.size, pending.size, now()];
      bad.exception();
      const [done2] = await wait([ok, slow], { returnWhen: FIRST_EXCEPTION });
      return [first, done2.size, now()];
    });
    expect(out).toEqual([[2, 1, 2], 2, 5]);
  });

  test('a timeout returns what is done so far, without raising or cancelling', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(1));
      const b = createTask(() => sleep(10));
      const [done, pending] = await wait([a, b], { timeout: 3 });
      return [done.has(a), pending.has(b), b.cancelled(), now()];
    });
    expect(out).toEqual([true, true, false, 3]);
  });

  test('bad input: an empty set, a function, a bad returnWhen', async () => {
    await vrun(async () => {
      await expect(wait([])).rejects.toThrow(ValueError);
      await expect(wait([(() => 1) as never])).rejects.toThrow(TypeError);
      const t = createTask(() => sleep(0));
      await expect(wait([t], { returnWhen: 'SOMETIMES' as never })).rejects.toThrow(ValueError);
      await t;
    });
  });

  test('cancelling the waiting task leaves the futures alone', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(10));
      const w = createTask(() => wait([a]));
      await sleep(1);
      w.cancel();
      await w.then(undefined, () => undefined);
      return [w.cancelled(), a.done()];
    });
    expect(out).toEqual([true, false]);
  });
});

describe('asCompleted', () => {
  test('with a timeout, the next awaitable raises TimeoutError', async () => {
    const out = await vrun(async () => {
      const res: string[] = [];
      try {
        for (const next of asCompleted([() => sleep(1, 'a'), () => sleep(10, 'b')], {
          timeout: 5,
        })) {
          res.push(await next);
        }
      } catch (err) {
        res.push(`${(err as Error).name}@${now()}`);
      }
      return res;
    });
    expect(out).toEqual(['a', 'TimeoutError@5']);
  });

  test('for await yields the original tasks; a timeout raises TimeoutError', async () => {
    const out = await vrun(async () => {
      const a: Task<string> = createTask(() => sleep(2, 'a'));
      const b: Task<string> = createTask(() => sleep(1, 'b'));
      const c: Task<string> = createTask(() => sleep(9, 'c'));
      const seen: unknown[] = [];
      try {
        for await (const value of asCompleted([a, b, c], { timeout: 3 })) {
          // TypeScript types a `for await` variable as awaited; at run time it is the Task itself.
          const t = value as unknown as Task<string>;
          seen.push(t === a ? 'A' : t === b ? 'B' : 'C');
        }
      } catch (err) {
        seen.push(err instanceof TimeoutError);
      }
      return seen;
    });
    expect(out).toEqual(['B', 'A', true]);
  });

  test('errors come out of the awaitable that delivers them', async () => {
    const out = await vrun(async () => {
      const res: string[] = [];
      for (const next of asCompleted([
        () => sleep(2, 'ok'),
        async () => {
          await sleep(1);
          throw new RangeError('bad');
        },
      ])) {
        res.push(await next.then(String, (e: unknown) => (e as Error).name));
      }
      return res;
    });
    expect(out).toEqual(['RangeError', 'ok']);
  });

  test('the awaitables can be collected first and awaited later', async () => {
    const out = await vrun(async () => {
      const all = [...asCompleted([() => sleep(2, 2), () => sleep(1, 1)])];
      const res: number[] = [];
      for (const next of all) res.push(await next);
      return res;
    });
    expect(out).toEqual([1, 2]);
  });
});
