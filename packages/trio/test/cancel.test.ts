import {
  CancelScope,
  FailScope,
  TooSlowError,
  ValueError,
  checkpoint,
  currentTime,
  failAfter,
  failAt,
  moveOnAfter,
  moveOnAt,
  openNursery,
  sleep,
  sleepForever,
  sleepUntil,
} from '@duet/trio';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

// CancelScope itself is the kernel's, tested in packages/kernel/test/cancel.test.ts; here, Trio's
// timeout functions built on it.
describe('moveOnAfter / moveOnAt', () => {
  test(
    'moves on at the deadline and resolves undefined',
    trioTest(async () => {
      const value = await moveOnAfter(5, async () => {
        await sleep(10);
        return 'finished';
      });
      expect(value).toBeUndefined();
      expect(currentTime()).toBe(5);
    }),
  );

  test(
    'resolves with the body value when it finishes in time; the body gets the scope',
    trioTest(async () => {
      let seen: CancelScope | undefined;
      const value = await moveOnAfter(5, async (scope) => {
        seen = scope;
        await sleep(1);
        return 'finished';
      });
      expect(value).toBe('finished');
      expect(seen).toBeInstanceOf(CancelScope);
      expect(seen!.cancelCalled).toBe(false);
      expect(currentTime()).toBe(1);
    }),
  );

  test(
    'without a body returns an unentered scope whose clock starts at entry',
    trioTest(async () => {
      const scope = moveOnAfter(3);
      expect(scope).toBeInstanceOf(CancelScope);
      await sleep(10);
      await scope.run(() => sleepForever());
      expect(currentTime()).toBe(13);
      expect(scope.cancelledCaught).toBe(true);
    }),
  );

  test(
    'moveOnAt uses an absolute deadline',
    trioTest(async () => {
      await sleep(1);
      const scope = moveOnAt(4);
      expect(scope.deadline).toBe(4);
      await scope.run(() => sleepForever());
      expect(currentTime()).toBe(4);
      await moveOnAt(2, () => sleep(1)); // a past deadline: cancelled at the first checkpoint
      expect(currentTime()).toBe(4);
    }),
  );

  test(
    'shield option: the body ignores outer cancellation but not its own deadline',
    trioTest(async () => {
      const outer = new CancelScope();
      let inner!: CancelScope;
      await outer.run(async () => {
        outer.cancel();
        inner = moveOnAfter(2, { shield: true });
        await inner.run(() => sleep(5));
        expect(currentTime()).toBe(2);
        await moveOnAfter(1, () => sleep(5), { shield: true });
        expect(currentTime()).toBe(3);
      });
      expect(inner.shield).toBe(true);
      expect(inner.cancelledCaught).toBe(true);
    }),
  );

  test(
    'bad timeouts are ValueErrors',
    trioTest(async () => {
      expect(() => moveOnAfter(-1)).toThrow(ValueError);
      expect(() => moveOnAfter(NaN)).toThrow(ValueError);
      expect(() => failAfter(-0.5)).toThrow(ValueError);
      expect(() => moveOnAt(NaN)).toThrow(ValueError);
      expect(() => failAt(NaN)).toThrow(ValueError);
      expect(() => moveOnAfter(0)).not.toThrow();
    }),
  );

  test(
    'moveOnAfter(0) cancels at the first checkpoint',
    trioTest(async () => {
      const log: string[] = [];
      await moveOnAfter(0, async () => {
        log.push('in');
        await checkpoint();
        log.push('unreachable');
      });
      expect(log).toEqual(['in']);
    }),
  );
});

describe('failAfter / failAt', () => {
  test(
    'raises TooSlowError when the deadline expires',
    trioTest(async () => {
      await expect(failAfter(5, () => sleep(10))).rejects.toBeInstanceOf(TooSlowError);
      expect(currentTime()).toBe(5);
    }),
  );

  test(
    'resolves with the value when the body is fast enough',
    trioTest(async () => {
      await expect(failAfter(5, async () => (await sleep(1), 42))).resolves.toBe(42);
    }),
  );

  test(
    'an explicit cancel() moves on instead of raising (Duet rule)',
    trioTest(async () => {
      const value = await failAfter(5, async (scope) => {
        scope.cancel();
        await checkpoint();
        return 'unreachable';
      });
      expect(value).toBeUndefined();
    }),
  );

  test(
    'without a body returns an unentered FailScope',
    trioTest(async () => {
      const scope = failAt(2);
      expect(scope).toBeInstanceOf(FailScope);
      expect(scope).toBeInstanceOf(CancelScope);
      await expect(scope.run(() => sleepForever())).rejects.toBeInstanceOf(TooSlowError);
      expect(scope.cancelledCaught).toBe(true);
      expect(currentTime()).toBe(2);
    }),
  );

  test(
    'an outer cancellation passes through a failAfter scope untouched',
    trioTest(async () => {
      const outer = new CancelScope();
      let inner!: FailScope;
      await outer.run(async () => {
        inner = failAfter(10);
        await inner.run(async () => {
          outer.cancel();
          await sleepUntil(20);
        });
      });
      expect(outer.cancelledCaught).toBe(true);
      expect(inner.cancelledCaught).toBe(false);
    }),
  );

  test(
    'a deadline that passes while a task is blocked on something else still raises TooSlowError',
    trioTest(async () => {
      const log: string[] = [];
      try {
        await failAfter(1, async () => {
          await openNursery(async (n) => {
            n.startSoon(async () => {
              try {
                await sleepForever();
              } finally {
                log.push('child cancelled');
              }
            });
            await waitAllTasksBlocked();
            await sleepForever();
          });
        });
      } catch (err) {
        log.push((err as Error).name);
      }
      expect(log).toEqual(['child cancelled', 'TooSlowError']);
    }),
  );
});
