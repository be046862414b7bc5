// `@duet/trio/testing` behaviours that Trio's own suite checks (trio/_core/_tests/test_mock_clock.py
// and trio/_tests/test_testing.py: MockClock, autojump, waitAllTasksBlocked, assertCheckpoints,
// Sequencer), written afresh for Duet.
import { AssertionError } from 'node:assert';
import {
  CancelScope,
  Cancelled,
  RuntimeError,
  ValueError,
  checkpoint,
  checkpointIfCancelled,
  currentTime,
  openNursery,
  run,
  sleep,
} from '@duet/trio';
import { cancelShieldedCheckpoint, currentClock } from '@duet/trio/lowlevel';
import {
  MockClock,
  Sequencer,
  assertCheckpoints,
  assertNoCheckpoints,
  trioTest,
  waitAllTasksBlocked,
} from '@duet/trio/testing';

/** Runs `fn` with `performance.now()` reading `realSeconds()` (the clocks read it at each call). */
function withRealClock(realSeconds: () => number, fn: () => void): void {
  const original = globalThis.performance;
  Object.defineProperty(globalThis, 'performance', {
    value: { now: () => realSeconds() * 1000 },
    configurable: true,
  });
  try {
    fn();
  } finally {
    Object.defineProperty(globalThis, 'performance', { value: original, configurable: true });
  }
}

describe('MockClock', () => {
  test('virtual time: jumps, rate changes that keep the time, and sleep times', () => {
    let realNow = 123;
    withRealClock(
      () => realNow,
      () => {
        const c = new MockClock();
        c.startClock();
        expect(c.rate).toBe(0);
        expect(c.currentTime()).toBe(0);
        c.jump(1.2);
        expect(c.currentTime()).toBe(1.2);
        expect(() => c.jump(-1)).toThrow(ValueError); // time can't go backwards
        expect(c.currentTime()).toBe(1.2);
        expect(c.deadlineToSleepTime(1.1)).toBe(0);
        expect(c.deadlineToSleepTime(1.2)).toBe(0);
        expect(c.deadlineToSleepTime(1.3)).toBeGreaterThan(999999);

        expect(() => (c.rate = -1)).toThrow(ValueError);
        expect(c.rate).toBe(0);
        c.rate = 2;
        expect(c.currentTime()).toBe(1.2);
        realNow += 1;
        expect(c.currentTime()).toBeCloseTo(3.2, 9);
        expect(c.deadlineToSleepTime(3.1)).toBe(0);
        expect(c.deadlineToSleepTime(3.2)).toBe(0);
        expect(c.deadlineToSleepTime(4.2)).toBeCloseTo(0.5, 9);

        c.rate = 0.5;
        expect(c.currentTime()).toBeCloseTo(3.2, 9);
        expect(c.deadlineToSleepTime(3.1)).toBe(0);
        expect(c.deadlineToSleepTime(4.2)).toBeCloseTo(2, 9);
        c.jump(0.8);
        expect(c.currentTime()).toBeCloseTo(4, 9);
        realNow += 1;
        expect(c.currentTime()).toBeCloseTo(4.5, 9);

        const c2 = new MockClock({ rate: 3 });
        c2.startClock();
        expect(c2.rate).toBe(3);
        expect(c2.currentTime()).toBeLessThan(10);
      },
    );
  });

  test("a backwards jump or a negative rate is a ValueError in Trio's words; the clock is unchanged", () => {
    const c = new MockClock();
    c.jump(1.2);
    expect(() => c.jump(-1)).toThrow(/time can't go backwards/);
    expect(() => c.jump(NaN)).toThrow(ValueError);
    expect(c.currentTime()).toBe(1.2);
    expect(() => (c.rate = -1)).toThrow(/rate must be >= 0/);
    expect(() => new MockClock({ rate: -1 })).toThrow(/rate must be >= 0/);
    expect(c.rate).toBe(0);
  });

  test('the run uses the clock it is given, and currentTime() reads it', async () => {
    const clock = new MockClock();
    await run({ clock }, () => {
      expect(currentClock()).toBe(clock);
      const start = clock.currentTime();
      expect(currentTime()).toBe(start);
      clock.jump(3.15);
      expect(currentTime()).toBe(start + 3.15);
      expect(clock.currentTime()).toBe(currentTime());
    });
  });

  test('autojump: sleeps take virtual time only; a threshold change takes effect at once', async () => {
    const clock = new MockClock();
    const realStart = performance.now();
    await run({ clock }, async () => {
      expect(clock.autojumpThreshold).toBe(Infinity);
      clock.autojumpThreshold = 0;
      expect(clock.autojumpThreshold).toBe(0);
      let virtualStart = currentTime();
      for (let i = 0; i < 10; i++) {
        await sleep(10 * i);
        expect(currentTime()).toBe(virtualStart + 10 * i);
        virtualStart = currentTime();
      }
      // waitAllTasksBlocked wakes before the autojump: no jump happens for it.
      clock.autojumpThreshold = 0.02;
      const t = currentTime();
      await waitAllTasksBlocked();
      expect(currentTime()).toBe(t);
      await waitAllTasksBlocked(0.01);
      expect(currentTime()).toBe(t);
      // A long threshold, then 0: the new value must apply to the wait already under way.
      clock.autojumpThreshold = 10000;
      await waitAllTasksBlocked();
      clock.autojumpThreshold = 0;
      await sleep(100000);
    });
    expect(performance.now() - realStart).toBeLessThan(4000);
  });

  test('the threshold of a clock the run does not use changes nothing', async () => {
    const clock = new MockClock({ autojumpThreshold: 0.02 });
    const other = new MockClock();
    other.autojumpThreshold = 0.01;
    await run({ clock }, async () => {
      await waitAllTasksBlocked(0.015);
      await sleep(100000);
      expect(currentTime()).toBe(100000);
    });
  });

  test('a threshold set before the run starts is the one used', async () => {
    const clock = new MockClock({ autojumpThreshold: 0.1 });
    clock.autojumpThreshold = 0.01;
    const realStart = performance.now();
    await run({ clock }, sleep, 10000);
    expect(performance.now() - realStart).toBeLessThan(4000);
  });

  /** A sleeper of 100 s and `waiter`, both under an autojump-0 clock; what they recorded. */
  async function sleeperAnd(waiter: (record: string[]) => Promise<void>): Promise<string[]> {
    const record: string[] = [];
    await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, () =>
      openNursery((nursery) => {
        nursery.startSoon(async () => {
          await sleep(100);
          record.push('yawn');
        });
        nursery.startSoon(waiter, record);
      }),
    );
    return record;
  }

  test('autojump 0 with waitAllTasksBlocked(): the waiter wakes before time jumps', async () => {
    const record = await sleeperAnd(async (log) => {
      await waitAllTasksBlocked();
      log.push('waiter woke');
      await sleep(1000);
      log.push('waiter done');
    });
    expect(record).toEqual(['waiter woke', 'yawn', 'waiter done']);
  });

  test('autojump 0 with a cushion: no jump while a task waits for everything to block', async () => {
    // Trio does not autojump while a task is in wait_all_tasks_blocked (the cushion is real time).
    const record = await sleeperAnd(async (log) => {
      await waitAllTasksBlocked(0.05);
      log.push('waiter done');
    });
    expect(record).toEqual(['waiter done', 'yawn']);
  });
});

describe('MockClock description', () => {
  test("String(clock) shows its time and rate, as Trio's repr", () => {
    const c = new MockClock();
    expect(String(c)).toBe('<MockClock, time=0.0000000, rate=0>');
    c.jump(1.5);
    expect(String(c)).toBe('<MockClock, time=1.5000000, rate=0>');
    expect(String(new MockClock({ rate: 2.5 }))).toMatch(
      /^<MockClock, time=\d+\.\d{7}, rate=2\.5>$/,
    );
  });
});

describe('waitAllTasksBlocked', () => {
  test(
    'returns once every other task is blocked; a cancelled waiter gets Cancelled',
    trioTest(async () => {
      let record: string[] = [];
      await openNursery((nursery) => {
        nursery.startSoon(async () => {
          for (let i = 0; i < 10; i++) await checkpoint();
          record.push('busy bee exhausted');
        });
        for (let i = 0; i < 2; i++)
          nursery.startSoon(async () => {
            await waitAllTasksBlocked();
            record.push('quiet at last!');
          });
      });
      expect(record).toEqual(['busy bee exhausted', 'quiet at last!', 'quiet at last!']);

      record = [];
      await openNursery((nursery) => {
        nursery.startSoon(async () => {
          try {
            await waitAllTasksBlocked();
          } catch (err) {
            if (err instanceof Cancelled) record.push('ok');
            throw err;
          }
        });
        nursery.cancelScope.cancel();
      });
      expect(record).toEqual(['ok']);
    }),
  );

  test(
    'a task asleep on a timeout counts as blocked; a jump past its deadline wakes it',
    trioTest(
      async (clock) => {
        const record: string[] = [];
        await openNursery(async (nursery) => {
          nursery.startSoon(async () => {
            record.push('tt start');
            await sleep(5);
            record.push('tt finished');
          });
          await waitAllTasksBlocked();
          expect(record).toEqual(['tt start']);
          clock.jump(10);
          await waitAllTasksBlocked();
          expect(record).toEqual(['tt start', 'tt finished']);
        });
      },
      { clock: new MockClock() },
    ),
  );

  test(
    'a cushion waits until everything has been blocked that long (real time)',
    trioTest(
      async () => {
        const record: string[] = [];
        await openNursery((nursery) => {
          nursery.startSoon(async () => {
            record.push('blink start');
            await sleep(0.01);
            await sleep(0.01);
            await sleep(0.01);
            record.push('blink end');
          });
          nursery.startSoon(async () => {
            await waitAllTasksBlocked();
            record.push('no cushion');
          });
          for (let i = 0; i < 2; i++)
            nursery.startSoon(async () => {
              await waitAllTasksBlocked(0.2);
              record.push('small cushion');
            });
          nursery.startSoon(async () => {
            await waitAllTasksBlocked(0.3);
            record.push('big cushion');
          });
        });
        expect(record).toEqual([
          'blink start',
          'no cushion',
          'blink end',
          'small cushion',
          'small cushion',
          'big cushion',
        ]);
      },
      { clock: 'system' },
    ),
  );
});

describe('assertCheckpoints / assertNoCheckpoints', () => {
  test(
    'a checkpoint is both a schedule point and a cancel point; either half alone is not',
    trioTest(async () => {
      await assertCheckpoints(() => checkpoint());
      await expect(assertCheckpoints(() => 1 + 1)).rejects.toBeInstanceOf(AssertionError);
      // trio: neither checkpoint_if_cancelled nor cancel_shielded_checkpoint alone satisfies it.
      for (const partial of [checkpointIfCancelled, cancelShieldedCheckpoint]) {
        await expect(assertCheckpoints(() => partial())).rejects.toBeInstanceOf(AssertionError);
      }
      await assertCheckpoints(async () => {
        await checkpointIfCancelled();
        await cancelShieldedCheckpoint();
      });
    }),
  );

  test(
    'assertNoCheckpoints fails on a checkpoint, and on either half of one',
    trioTest(async () => {
      await assertNoCheckpoints(() => 1 + 1);
      await expect(assertNoCheckpoints(() => checkpoint())).rejects.toBeInstanceOf(AssertionError);
      for (const partial of [checkpointIfCancelled, cancelShieldedCheckpoint]) {
        await expect(assertNoCheckpoints(() => partial())).rejects.toBeInstanceOf(AssertionError);
      }
      await expect(
        assertNoCheckpoints(async () => {
          await checkpointIfCancelled();
          await cancelShieldedCheckpoint();
        }),
      ).rejects.toBeInstanceOf(AssertionError);
    }),
  );
});

describe('Sequencer', () => {
  test(
    'blocks in different tasks run in their numbered order; a number is used once',
    trioTest(async () => {
      const record: [string, number][] = [];
      let seq = new Sequencer();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await seq.run(1, () => record.push(['f1', 1]));
          await seq.run(3, () => record.push(['f1', 3]));
          await seq.run(4, () => record.push(['f1', 4]));
        });
        nursery.startSoon(async () => {
          await seq.run(0, () => record.push(['f2', 0]));
          await seq.run(2, () => record.push(['f2', 2]));
        });
        await seq.run(5, () => waitAllTasksBlocked());
        expect(record).toEqual([
          ['f2', 0],
          ['f1', 1],
          ['f2', 2],
          ['f1', 3],
          ['f1', 4],
        ]);
      });

      seq = new Sequencer();
      await seq.run(0, () => undefined);
      await expect(seq.run(0, () => undefined)).rejects.toBeInstanceOf(RuntimeError);
    }),
  );

  test(
    'a task cancelled while waiting its turn breaks the sequence for it and every later one',
    trioTest(async () => {
      const record: string[] = [];
      const seq = new Sequencer();
      const child = async (i: number): Promise<void> => {
        await new CancelScope().run(async (scope) => {
          if (i === 1) scope.cancel();
          try {
            await seq.run(i, () => undefined);
          } catch (err) {
            if (err instanceof RuntimeError) record.push(`seq(${i}) RuntimeError`);
            else throw err;
          }
        });
      };
      await openNursery(async (nursery) => {
        nursery.startSoon(child, 1);
        nursery.startSoon(child, 2);
        await seq.run(0, () => undefined);
      });
      expect(record).toEqual(['seq(1) RuntimeError', 'seq(2) RuntimeError']);
      await expect(seq.run(3, () => undefined)).rejects.toBeInstanceOf(RuntimeError);
    }),
  );
});
