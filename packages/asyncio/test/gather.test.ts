import { Future, createTask, gather, getRunningLoop, shield, sleep } from '@duet/asyncio';
import { vrun } from './helpers';

const now = () => getRunningLoop().time();
const name = (x: unknown) => (x instanceof Error ? x.name : x);
const outcome = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    (v) => `value:${JSON.stringify(v)}`,
    (e: unknown) => (e instanceof Error ? e.name : String(e)),
  );

describe('gather', () => {
  test('results come in argument order, typed as a tuple', async () => {
    const out = await vrun(async () => {
      const fut = new Future<string>();
      getRunningLoop().callLater(1, () => fut.setResult('fut'));
      const res: [number, string, boolean] = await gather(
        () => sleep(3, 1),
        fut,
        Promise.resolve(true),
      );
      return [res, now()];
    });
    expect(out).toEqual([[1, 'fut', true], 3]);
  });

  test('no awaitables gives an empty list; the same future twice is gathered once', async () => {
    const out = await vrun(async () => {
      const t = createTask(() => sleep(1, 'x'));
      return [await gather(), await gather(t, t)];
    });
    expect(out).toEqual([[], ['x', 'x']]);
  });

  test('without returnExceptions the first error propagates and the others keep running', async () => {
    const out = await vrun(async () => {
      const slow = createTask(() => sleep(5, 'slow'));
      const res = await outcome(
        gather(slow, async () => {
          await sleep(1);
          throw new RangeError('first');
        }),
      );
      const stillRunning = !slow.done();
      return [res, now(), stillRunning, await slow, now()];
    });
    expect(out).toEqual(['RangeError', 1, true, 'slow', 5]);
  });

  test('with returnExceptions errors (and a child CancelledError) are returned in place', async () => {
    const out = await vrun(async () => {
      const victim = createTask(() => sleep(10));
      const g = gather.withOptions(
        { returnExceptions: true },
        victim,
        async () => {
          throw new RangeError('b');
        },
        () => sleep(0, 3),
      );
      await sleep(0);
      victim.cancel();
      const res = await g;
      return res.map(name);
    });
    expect(out).toEqual(['Cancelled', 'RangeError', 3]);
  });

  test('a cancelled child without returnExceptions makes the gather raise CancelledError', async () => {
    const out = await vrun(async () => {
      const child = createTask(() => sleep(10));
      const other = createTask(() => sleep(1, 'other'));
      const g = gather(child, other);
      await sleep(0);
      child.cancel();
      return [await outcome(g), g.cancelled(), other.done()];
    });
    expect(out).toEqual(['Cancelled', false, false]);
  });

  test('cancelling the gather cancels the children; awaiting it raises CancelledError', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(10));
      const b = createTask(() => sleep(10));
      const done = createTask(async () => 'done');
      await sleep(0);
      const g = gather(a, b, done);
      await sleep(0);
      const cancelled = g.cancel();
      return [cancelled, await outcome(g), a.cancelled(), b.cancelled(), done.result(), g.cancel()];
    });
    expect(out).toEqual([true, 'Cancelled', true, true, 'done', false]);
  });

  test('cancelling the gather raises CancelledError even with returnExceptions', async () => {
    const out = await vrun(async () => {
      const g = gather.withOptions({ returnExceptions: true }, () => sleep(10));
      await sleep(0);
      g.cancel();
      return outcome(g);
    });
    expect(out).toBe('Cancelled');
  });

  test('cancelling the task awaiting a gather cancels the children', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(10));
      const b = createTask(() => sleep(10));
      const waiter = createTask(() => gather(a, b));
      await sleep(1);
      waiter.cancel();
      return [await outcome(waiter), a.cancelled(), b.cancelled(), now()];
    });
    expect(out).toEqual(['Cancelled', true, true, 1]);
  });

  test('a child that swallows the gather cancel: the gather still raises CancelledError', async () => {
    const out = await vrun(async () => {
      const stubborn = createTask(async () => {
        try {
          await sleep(10);
        } catch {
          return 'kept';
        }
        return 'slept';
      });
      const g = gather(stubborn);
      await sleep(0);
      g.cancel();
      return [await outcome(g), stubborn.result()];
    });
    expect(out).toEqual(['Cancelled', 'kept']);
  });

  test('withOptions requires an options object first', async () => {
    await vrun(async () => {
      expect(() => gather.withOptions((() => 1) as never)).toThrow(TypeError);
    });
  });
});

describe('shield', () => {
  test('cancelling the shield leaves the inner task running', async () => {
    const out = await vrun(async () => {
      const inner = createTask(() => sleep(2, 'inner'));
      const outer = shield(inner);
      await sleep(1);
      outer.cancel();
      return [await outcome(outer), await inner, now()];
    });
    expect(out).toEqual(['Cancelled', 'inner', 2]);
  });

  test('the task awaiting a shield gets CancelledError; the inner work completes', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      const waiter = createTask(async () =>
        shield(async () => {
          await sleep(2);
          log.push(`inner done at ${now()}`);
          return 'saved';
        }),
      );
      await sleep(1);
      waiter.cancel();
      log.push(await outcome(waiter));
      await sleep(5);
      return log;
    });
    expect(out).toEqual(['Cancelled', 'inner done at 2']);
  });

  test('if the inner task is cancelled, so is the shield; its result and error pass through', async () => {
    const out = await vrun(async () => {
      const inner = createTask(() => sleep(5));
      const s = shield(inner);
      await sleep(0);
      inner.cancel();
      const failing = shield(async () => {
        throw new RangeError('x');
      });
      const done = new Future<number>();
      done.setResult(1);
      return [
        await outcome(s),
        s.cancelled(),
        await outcome(failing),
        shield(done) === done,
        await shield(() => sleep(1, 7)),
      ];
    });
    expect(out).toEqual(['Cancelled', true, 'RangeError', true, 7]);
  });
});
