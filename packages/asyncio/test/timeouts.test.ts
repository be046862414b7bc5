import {
  CancelledError,
  Future,
  RuntimeError,
  Timeout,
  TimeoutError,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  timeout,
  timeoutAt,
  waitFor,
} from '@duet/asyncio';
import { vrun } from './helpers';

const now = () => getRunningLoop().time();
const outcome = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    (v) => `value:${String(v)}`,
    (e: unknown) => (e instanceof Error ? e.name : String(e)),
  );

describe('timeout / timeoutAt', () => {
  test('expiry cancels the block and raises TimeoutError; expired() and when()', async () => {
    const out = await vrun(async () => {
      const t = timeout(5);
      expect(t.when()).toBe(5);
      expect(t.expired()).toBe(false);
      const res = await outcome(t.run(() => sleep(10)));
      return [res, t.expired(), now(), currentTask()!.cancelling()];
    });
    expect(out).toEqual(['TimeoutError', true, 5, 0]);
  });

  test('the TimeoutError has the CancelledError as cause', async () => {
    await vrun(async () => {
      const err = await timeout(1, () => sleep(2)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).cause).toBeInstanceOf(CancelledError);
    });
  });

  test('a block that ends in time returns its value; the timer is gone', async () => {
    const out = await vrun(async () => {
      const t = timeout(5);
      const v = await t.run(async (cm) => {
        expect(cm).toBe(t);
        return sleep(1, 'fast');
      });
      await sleep(10);
      return [v, t.expired(), now()];
    });
    expect(out).toEqual(['fast', false, 11]);
  });

  test('null never expires; reschedule sets, postpones, advances and disables the deadline', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      const t = timeout(null);
      expect(t.when()).toBeNull();
      await t.run(async (cm) => {
        cm.reschedule(now() + 2);
        await sleep(1);
        cm.reschedule(now() + 5); // postpone to 6
        await sleep(4);
        cm.reschedule(null); // disable
        await sleep(100);
        log.push(`no expiry at ${now()}`);
      });
      const t2 = timeout(100);
      log.push(
        await outcome(
          t2.run(async (cm) => {
            cm.reschedule(now() + 1); // advance
            await sleep(50);
          }),
        ),
      );
      log.push(`at ${now()}`);
      return log;
    });
    expect(out).toEqual(['no expiry at 105', 'TimeoutError', 'at 106']);
  });

  test('a deadline in the past expires at the next loop iteration', async () => {
    const out = await vrun(async () => {
      const res = await outcome(
        timeout(5, async (cm) => {
          cm.reschedule(now() - 1);
          await sleep(0);
          return 'not reached';
        }),
      );
      const res0 = await outcome(timeout(0, () => sleep(1)));
      const resNeg = await outcome(timeoutAt(-10, () => sleep(1)));
      return [res, res0, resNeg, now()];
    });
    expect(out).toEqual(['TimeoutError', 'TimeoutError', 'TimeoutError', 0]);
  });

  test('a block that finishes without waiting after expiry returns normally; the cancel is withdrawn', async () => {
    const out = await vrun(async () => {
      const t = timeout(1);
      const v = await t.run(async () => {
        try {
          await sleep(5);
        } catch {
          return 'swallowed';
        }
        return 'slept';
      });
      await sleep(1); // not cancelled afterwards
      return [v, t.expired(), currentTask()!.cancelling()];
    });
    expect(out).toEqual(['swallowed', true, 0]);
  });

  test('an outer cancel is not turned into TimeoutError', async () => {
    const out = await vrun(async () => {
      const inner = createTask(() => timeout(10, () => sleep(20)));
      await sleep(1);
      inner.cancel();
      return [await outcome(inner), inner.cancelled()];
    });
    expect(out).toEqual(['Cancelled', true]);
  });

  test('an outer cancel at the moment of expiry is not converted either', async () => {
    const out = await vrun(async () => {
      const inner = createTask(() => timeout(1, () => sleep(5)));
      await sleep(1); // wakes together with the timeout
      inner.cancel();
      return [await outcome(inner), inner.cancelled()];
    });
    expect(out).toEqual(['Cancelled', true]);
  });

  test('nested timeouts: the one that expired raises TimeoutError, the other lets it through', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      // inner expires first
      log.push(
        await outcome(
          timeout(10, async () => {
            const r = await outcome(timeout(1, () => sleep(5)));
            return `${r}@${now()}`;
          }),
        ),
      );
      // outer expires first: the inner block sees CancelledError, the outer converts
      const start = now();
      log.push(
        await outcome(
          timeout(1, async () => {
            await timeout(10, () => sleep(5)).catch((e: unknown) => {
              log.push(`inner saw ${(e as Error).name}`);
              throw e;
            });
          }),
        ),
      );
      log.push(`after ${now() - start}`);
      // both expire at once: only the outer converts
      log.push(
        await outcome(
          timeout(1, () =>
            timeout(1, () => sleep(5)).catch((e: unknown) => {
              log.push(`inner of two saw ${(e as Error).name}`);
              throw e;
            }),
          ),
        ),
      );
      log.push(`cancelling=${currentTask()!.cancelling()}`);
      return log;
    });
    expect(out).toEqual([
      'value:TimeoutError@1',
      'inner saw Cancelled',
      'TimeoutError',
      'after 1',
      'inner of two saw Cancelled',
      'TimeoutError',
      'cancelling=0',
    ]);
  });

  test('state errors: reschedule before entry or after exit, entering twice, outside a task', async () => {
    await vrun(async () => {
      const t = timeout(1);
      expect(() => t.reschedule(3)).toThrow('Timeout has not been entered');
      await t.run(async () => undefined);
      expect(() => t.reschedule(3)).toThrow('Cannot change state of finished Timeout');
      await expect(t.run(async () => undefined)).rejects.toThrow('already been entered');
      const expired = timeout(0);
      await expired.run(() => sleep(1)).catch(() => undefined);
      expect(() => expired.reschedule(3)).toThrow('Cannot change state of expired Timeout');
    });
    await expect(new Timeout(1).run(async () => 1)).rejects.toThrow(RuntimeError);
    expect(() => timeout(1)).toThrow(RuntimeError);
  });
});

describe('waitFor', () => {
  test('returns the result when in time', async () => {
    const out = await vrun(async () => [await waitFor(() => sleep(1, 'ok'), 2), now()]);
    expect(out).toEqual(['ok', 1]);
  });

  test('on timeout the inner work is cancelled and waited for, then TimeoutError', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      const inner = createTask(async () => {
        try {
          await sleep(10);
        } catch (err) {
          await sleep(1); // slow cleanup
          log.push(`inner cleaned up at ${now()}`);
          throw err;
        }
      });
      log.push(await outcome(waitFor(inner, 1)));
      log.push(`waitFor returned at ${now()}, inner cancelled: ${inner.cancelled()}`);
      return log;
    });
    expect(out).toEqual([
      'inner cleaned up at 2',
      'TimeoutError',
      'waitFor returned at 2, inner cancelled: true',
    ]);
  });

  test('null waits as long as needed', async () => {
    const out = await vrun(async () => [await waitFor(() => sleep(1000, 'late'), null), now()]);
    expect(out).toEqual(['late', 1000]);
  });

  test('0 or negative: a done future gives its result, a pending one is cancelled -> TimeoutError', async () => {
    const out = await vrun(async () => {
      const done = new Future<string>();
      done.setResult('ready');
      const pending = createTask(() => sleep(10, 'x'));
      const pending2 = createTask(() => sleep(10, 'y'));
      return [
        await waitFor(done, 0),
        await outcome(waitFor(pending, 0)),
        pending.cancelled(),
        await outcome(waitFor(pending2, -1)),
        pending2.cancelled(),
        await outcome(waitFor(() => sleep(1), 0)),
        now(),
      ];
    });
    expect(out).toEqual(['ready', 'TimeoutError', true, 'TimeoutError', true, 'TimeoutError', 0]);
  });

  test('0: a task that swallows the cancel gives its value', async () => {
    const out = await vrun(async () => {
      const t = createTask(async () => {
        try {
          await sleep(10);
        } catch {
          return 'swallowed';
        }
        return 'slept';
      });
      await sleep(0);
      return waitFor(t, -1);
    });
    expect(out).toBe('swallowed');
  });

  test('the error of the inner work propagates', async () => {
    await vrun(async () => {
      await expect(
        waitFor(async () => {
          await sleep(1);
          throw new RangeError('inner');
        }, 5),
      ).rejects.toThrow(RangeError);
    });
  });

  test('an outer cancel propagates as CancelledError and cancels the inner task', async () => {
    const out = await vrun(async () => {
      const inner = createTask(() => sleep(10));
      const outer = createTask(() => waitFor(inner, 5));
      await sleep(1);
      outer.cancel();
      return [await outcome(outer), inner.cancelled(), now()];
    });
    expect(out).toEqual(['Cancelled', true, 1]);
  });

  test('an outer cancel at the moment the inner work finishes is not lost', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      const outer = createTask(async () => {
        const v = await waitFor(() => sleep(1, 'done'), 5).catch(
          (e: unknown) => `raised ${(e as Error).name}`,
        );
        log.push(String(v));
        await sleep(1); // the cancel must arrive at the latest here
        log.push('not cancelled');
      });
      await sleep(1);
      outer.cancel();
      log.push(await outcome(outer));
      return log;
    });
    expect(out[out.length - 1]).toBe('Cancelled');
    expect(out).not.toContain('not cancelled');
  });

  test('a foreign Promise can be waited for', async () => {
    const out = await vrun(async () =>
      waitFor(new Promise<number>((r) => setTimeout(() => r(5), 1)), 10),
    );
    expect(out).toBe(5);
  });
});
