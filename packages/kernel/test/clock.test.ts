import {
  CancelScope,
  MockClock,
  SystemClock,
  ValueError,
  awaitForeign,
  currentClock,
  currentTime,
  openNursery,
  run,
  sleep,
  sleepUntil,
  waitAllTasksBlocked,
} from '@duet/kernel';

describe('SystemClock', () => {
  test('is monotonic and in seconds', () => {
    const clock = new SystemClock();
    const a = clock.currentTime();
    const b = clock.currentTime();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(clock.deadlineToSleepTime(a + 1)).toBeLessThanOrEqual(1);
  });

  test('a short real sleep fires through the one host timer', async () => {
    const elapsed = await run(async () => {
      const start = currentTime();
      await sleep(0.005);
      return currentTime() - start;
    });
    expect(elapsed).toBeGreaterThanOrEqual(0.004);
  });
});

describe('MockClock', () => {
  test('starts at 0 and moves only by jumps when rate is 0', async () => {
    const clock = new MockClock();
    await run({ clock }, async () => {
      expect(currentTime()).toBe(0);
      expect(currentClock()).toBe(clock);
      clock.jump(2.5);
      expect(currentTime()).toBe(2.5);
    });
    expect(() => clock.jump(-1)).toThrow(ValueError);
    expect(() => new MockClock({ rate: -1 })).toThrow(ValueError);
  });

  test('a jump fires the deadlines it passes', async () => {
    const clock = new MockClock();
    const events: string[] = [];
    await run({ clock }, async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await sleep(10);
          events.push(`woke at ${currentTime()}`);
        });
        await waitAllTasksBlocked();
        clock.jump(10);
      });
    });
    expect(events).toEqual(['woke at 10']);
  });

  test('autojump with threshold 0 makes an hour-long timeout instant and exact', async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const result = await run({ clock }, async () => {
      const scope = new CancelScope({ relativeDeadline: 3600 });
      await scope.run(() => sleep(7200));
      return [scope.cancelledCaught, currentTime()];
    });
    expect(result).toEqual([true, 3600]);
  });

  test('turning autojump on while everything is blocked wakes the run', async () => {
    const clock = new MockClock();
    const t = await run({ clock }, async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await waitAllTasksBlocked();
          clock.autojumpThreshold = 0;
        });
        await sleepUntil(50);
      });
      return currentTime();
    });
    expect(t).toBe(50);
  });

  test('time never jumps while a task awaits a foreign Promise', async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const seen = await run({ clock }, async () => {
      let atForeignEnd = -1;
      await openNursery(async (n) => {
        n.startSoon(() => sleep(100));
        n.startSoon(async () => {
          await awaitForeign(new Promise((resolve) => setTimeout(resolve, 5)));
          atForeignEnd = currentTime();
        });
      });
      return [atForeignEnd, currentTime()];
    });
    expect(seen).toEqual([0, 100]);
  });

  test('autojump with a positive threshold waits that long in real time', async () => {
    const clock = new MockClock({ autojumpThreshold: 0.002 });
    const t = await run({ clock }, async () => {
      await sleep(30);
      return currentTime();
    });
    expect(t).toBe(30);
  });

  test('rate > 0 makes virtual time follow real time', async () => {
    const clock = new MockClock({ rate: 1000 });
    const t = await run({ clock }, async () => {
      await sleep(5); // 5 virtual seconds = 5 real ms
      return currentTime();
    });
    expect(t).toBeGreaterThanOrEqual(5);
  });
});
