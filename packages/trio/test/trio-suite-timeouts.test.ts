// Timeout behaviours that Trio's own suite checks (trio/_tests/test_timeouts.py), written afresh
// against Duet's API: the trivial deadline, shields on timeout scopes, bad values, and relative
// deadlines that count from entry.
import {
  CancelScope,
  Cancelled,
  RuntimeError,
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
import { currentTask, reschedule } from '@duet/trio/lowlevel';
import { MockClock, assertCheckpoints, trioTest } from '@duet/trio/testing';

const manual = (): { clock: MockClock } => ({ clock: new MockClock() });

describe('the timeout functions', () => {
  test(
    'sleep(0) checkpoints; a moveOnAt(now) scope cancels it',
    trioTest(async () => {
      await assertCheckpoints(() => sleep(0));
      const scope = moveOnAt(currentTime());
      await scope.run(async () => {
        await expect(sleep(0)).rejects.toBeInstanceOf(Cancelled);
      });
      expect(scope.cancelledCaught).toBe(false); // the body caught it
    }),
  );

  test(
    'sleep and sleepUntil wait the virtual time they are told',
    trioTest(async () => {
      await sleepUntil(currentTime() + 1);
      expect(currentTime()).toBe(1);
      await sleep(1);
      expect(currentTime()).toBe(2);
    }),
  );

  test(
    'failAt and failAfter raise TooSlowError at the deadline, and nothing when the body is quick',
    trioTest(async () => {
      await expect(failAt(currentTime() + 1, () => sleep(100))).rejects.toBeInstanceOf(
        TooSlowError,
      );
      expect(currentTime()).toBe(1);
      await failAt(currentTime() + 100, () => sleep(0));
      await expect(failAfter(1, () => sleep(100))).rejects.toBeInstanceOf(TooSlowError);
      expect(currentTime()).toBe(2);
      await failAfter(100, () => sleep(0));
    }),
  );

  for (const [name, make] of [
    ['moveOnAfter', (s: number) => moveOnAfter(s, { shield: true })],
    ['failAfter', (s: number) => failAfter(s, { shield: true })],
  ] as const) {
    test(
      `${name}(..., { shield: true }) shields from the outer scope until the shield is lowered`,
      trioTest(async () => {
        await new CancelScope().run(async (outer) => {
          const inner = make(1);
          await inner.run(async () => {
            outer.cancel();
            await checkpoint(); // shielded
            inner.shield = false;
            await expect(checkpoint()).rejects.toBeInstanceOf(Cancelled);
          });
        });
      }),
    );
  }

  test(
    'a shielded moveOnAfter inside a cancelled scope still moves on at its own deadline',
    trioTest(async () => {
      await new CancelScope().run(async (outer) => {
        outer.cancel();
        await moveOnAfter(1, () => sleepForever(), { shield: true });
        expect(currentTime()).toBe(1);
      });
    }),
  );

  test(
    'a shielded failAfter inside a cancelled scope still fails at its own deadline',
    trioTest(async () => {
      await new CancelScope().run(async (outer) => {
        outer.cancel();
        await expect(failAfter(1, () => sleepForever(), { shield: true })).rejects.toBeInstanceOf(
          TooSlowError,
        );
        expect(currentTime()).toBe(1);
      });
    }),
  );

  test(
    'negative or NaN durations and NaN deadlines are ValueErrors, raised before anything waits',
    trioTest(async () => {
      // `await sleep(-1)` raises, as in Trio (Duet throws at the call, before the wait).
      await expect((async () => sleep(-1))()).rejects.toBeInstanceOf(ValueError);
      await expect((async () => sleep(NaN))()).rejects.toBeInstanceOf(ValueError);
      await expect((async () => sleepUntil(NaN))()).rejects.toBeInstanceOf(ValueError);
      expect(() => failAfter(-1)).toThrow(ValueError);
      expect(() => failAfter(NaN)).toThrow(ValueError);
      expect(() => failAt(NaN)).toThrow(ValueError);
      expect(() => moveOnAfter(-1)).toThrow(ValueError);
      expect(() => moveOnAfter(NaN)).toThrow(ValueError);
      expect(() => moveOnAt(NaN)).toThrow(ValueError);
      // A deadline in the past is fine: the scope starts cancelled.
      expect(await moveOnAt(-1, () => 'ran')).toBe('ran');
      expect(currentTime()).toBe(0);
    }, manual()),
  );
  test(
    'the ValueErrors say what current Trio says: `seconds` non-negative, not NaN; deadline not NaN',
    trioTest(async () => {
      // Trio 0.27+ words: "`seconds` must be non-negative", "`seconds` must not be NaN",
      // "deadline must not be NaN". Duet adds the function's name in front and the value after.
      const nonNegative = /`seconds` must be non-negative/;
      const secondsNaN = /`seconds` must not be NaN/;
      const deadlineNaN = /deadline must not be NaN/;
      await expect((async () => sleep(-1))()).rejects.toThrow(nonNegative);
      await expect((async () => sleep(NaN))()).rejects.toThrow(secondsNaN);
      await expect((async () => sleepUntil(NaN))()).rejects.toThrow(deadlineNaN);
      for (const make of [moveOnAfter, failAfter]) {
        expect(() => make(-1)).toThrow(nonNegative);
        expect(() => make(NaN)).toThrow(secondsNaN);
      }
      for (const make of [moveOnAt, failAt]) expect(() => make(NaN)).toThrow(deadlineNaN);
      expect(() => moveOnAfter(-0.5)).toThrow(
        /^moveOnAfter\(\): `seconds` must be non-negative, a number of seconds >= 0, got -0.5$/,
      );
    }, manual()),
  );

  test(
    'a sleepForever woken by a manual reschedule is a RuntimeError: only a cancellation may end it',
    trioTest(async () => {
      const task = currentTask();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await checkpoint();
          reschedule(task);
        });
        await expect(sleepForever()).rejects.toBeInstanceOf(RuntimeError);
      });
    }),
  );
});

describe('relative deadlines count from entry', () => {
  test(
    'an unentered moveOnAfter keeps its seconds; entering fixes the deadline; both stay settable',
    trioTest(async (clock) => {
      const scope = moveOnAfter(5);
      expect(scope.relativeDeadline).toBe(5);
      expect(scope.isRelative).toBe(true);
      clock.jump(3);
      const start = currentTime();
      await scope.run(() => {
        expect(scope.isRelative).toBeNull();
        expect(scope.deadline).toBe(start + 5);
        expect(scope.relativeDeadline).toBe(5);
        scope.deadline = start + 3;
        expect(scope.deadline).toBe(start + 3);
        expect(scope.relativeDeadline).toBe(3);
        scope.relativeDeadline = 4;
        expect(scope.deadline).toBe(start + 4);
        expect(scope.relativeDeadline).toBe(4);
      });
    }, manual()),
  );

  test(
    'shield is settable on the unentered scope, and failAfter counts from entry too',
    trioTest(async (clock) => {
      const scope = moveOnAfter(5);
      expect(scope.shield).toBe(false);
      scope.shield = true;
      expect(scope.shield).toBe(true);
      const fail = failAfter(5);
      clock.jump(3);
      const start = currentTime();
      await fail.run(() => {
        expect(fail.deadline).toBe(start + 5);
        expect(fail.relativeDeadline).toBe(5);
      });
    }, manual()),
  );

  test(
    'an unentered relative scope reads its deadline as now + seconds; setting one makes it absolute',
    trioTest(async (clock) => {
      const scope = moveOnAfter(5);
      clock.jump(3);
      expect(scope.deadline).toBe(8);
      clock.jump(1);
      expect(scope.deadline).toBe(9);
      scope.deadline = 7;
      expect(scope.deadline).toBe(7);
      expect(scope.isRelative).toBe(false);
    }, manual()),
  );

  test(
    'an unentered absolute scope has no relative deadline: reading or setting it is a RuntimeError',
    trioTest(() => {
      const scope = moveOnAt(5);
      expect(scope.isRelative).toBe(false);
      expect(() => scope.relativeDeadline).toThrow(RuntimeError);
      expect(() => (scope.relativeDeadline = 7)).toThrow(RuntimeError);
      // Trio's words, so that a test matching Trio's message matches Duet's.
      const trioWords = /unentered non-relative cancel scope does not have a relative deadline/;
      expect(() => scope.relativeDeadline).toThrow(trioWords);
      expect(() => (scope.relativeDeadline = 7)).toThrow(trioWords);
      expect(scope.deadline).toBe(5);
      // A scope without any deadline may take a relative one.
      const plain = new CancelScope();
      expect(plain.isRelative).toBe(false);
      plain.relativeDeadline = 2;
      expect(plain.isRelative).toBe(true);
    }, manual()),
  );
});
