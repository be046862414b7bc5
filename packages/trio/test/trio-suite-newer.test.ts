// Fourth sweep: behaviours that newer Trio releases (0.23-0.31) check, and the third sweep's
// leftovers, written afresh against Duet's API.
import net from 'node:net';
import {
  BrokenResourceError,
  CancelScope,
  Cancelled,
  RuntimeError,
  SocketListener,
  ValueError,
  currentTime,
  openNursery,
  run,
  sleep,
  sleepForever,
  checkpoint,
  toThread,
} from '@duet/trio';
import {
  ParkingLot,
  addParkingLotBreaker,
  currentTask,
  removeParkingLotBreaker,
  type Task,
} from '@duet/trio/lowlevel';
import {
  MockClock,
  activeThreadCount,
  trioTest,
  waitAllTasksBlocked,
  waitAllThreadsCompleted,
} from '@duet/trio/testing';

describe('abandoned scopes', () => {
  test(
    'a misnested exit abandons a nursery scope holding 150,000 child scopes without a RangeError',
    trioTest(
      async () => {
        const outer = new CancelScope();
        const count = 150_000;
        let cancelled = 0;
        let nurseryDone: Promise<unknown> = Promise.resolve();
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const a = outer.run(async () => {
          nurseryDone = openNursery(async (nursery) => {
            for (let i = 0; i < count; i++)
              nursery.startSoon(() =>
                new CancelScope().run(async () => {
                  try {
                    await sleepForever();
                  } finally {
                    cancelled++;
                  }
                }),
              );
            await waitAllTasksBlocked();
            release();
          });
          await gate; // a plain await: the nursery is still open when the outer scope ends
        });
        await expect(a).rejects.toBeInstanceOf(RuntimeError);
        // The children were cancelled as the abandoned scope's members, and caught at the nursery.
        await expect(nurseryDone).resolves.toBeUndefined();
        expect(cancelled).toBe(count);
      },
      { hangDetection: { deadlock: true, realTimeout: 50 } },
    ), // 150k tasks: slow on a busy machine
    60_000,
  );
});

describe('SocketListener', () => {
  test('a server that is not listening is a ValueError, as a socket without listen() in Trio', () => {
    // trio 0.22: "SocketListener requires a listening socket".
    const server = net.createServer();
    expect(() => new SocketListener(server)).toThrow(ValueError);
    expect(() => new SocketListener(server)).toThrow(/requires a listening/);
    expect(server.listenerCount('connection')).toBe(0); // nothing attached to the server
  });
});

describe('MockClock', () => {
  /** Sleeps `seconds` of virtual time in a run on `clock`; `change` runs from the host after 20ms. */
  const sleepWhileChanged = async (
    clock: MockClock,
    seconds: number,
    change: () => void,
  ): Promise<number> => {
    const timer = setTimeout(change, 20);
    const started = performance.now();
    try {
      await run({ clock }, async () => {
        await sleep(seconds);
        expect(currentTime()).toBeGreaterThanOrEqual(seconds);
      });
    } finally {
      clearTimeout(timer);
    }
    return (performance.now() - started) / 1000;
  };

  test('a rate set while the run sleeps applies at once: from 0 (time stood still)', async () => {
    const clock = new MockClock();
    const elapsed = await sleepWhileChanged(clock, 10, () => (clock.rate = 1000));
    expect(elapsed).toBeLessThan(5); // 10 virtual seconds at 1000x: about 30ms real
  }, 15_000);

  test('a rate set while the run sleeps applies at once: from a slow rate to a fast one', async () => {
    const clock = new MockClock({ rate: 1 });
    const elapsed = await sleepWhileChanged(clock, 1000, () => (clock.rate = 1e6));
    expect(elapsed).toBeLessThan(5); // the timer armed for 1000s at rate 1 must not be kept
  }, 15_000);

  test('a negative autojumpThreshold is accepted, as in Trio, and acts as 0', async () => {
    // trio 0.22: MockClock(autojump_threshold=-1) and the setter take any float.
    const clock = new MockClock({ autojumpThreshold: -1 });
    expect(clock.autojumpThreshold).toBe(-1);
    clock.autojumpThreshold = -0.5;
    expect(clock.autojumpThreshold).toBe(-0.5);
    await run({ clock }, async () => {
      await sleep(3600);
      expect(currentTime()).toBe(3600);
    });
  });
});

describe('parking-lot breakers (Trio 0.30)', () => {
  test(
    'a breaker task that exits breaks the lot: its waiters and later parks raise BrokenResourceError',
    trioTest(async () => {
      const lot = new ParkingLot();
      let breaker!: Task;
      const outcomes: unknown[] = [];
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await lot.park().catch((err: unknown) => outcomes.push(err));
        });
        nursery.startSoon(async () => {
          breaker = currentTask();
          addParkingLotBreaker(breaker, lot);
          await waitAllTasksBlocked();
        });
      });
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toBeInstanceOf(BrokenResourceError);
      expect(String(outcomes[0])).toMatch(/Parking lot broken by exiting task/);
      expect(lot.broken).toBe(true);
      await expect(lot.park()).rejects.toBeInstanceOf(BrokenResourceError);
      // An exited task cannot become a breaker.
      expect(() => addParkingLotBreaker(breaker, new ParkingLot())).toThrow(BrokenResourceError);
    }),
  );

  test(
    'removing the breaker keeps the lot whole; removing one not registered is a RuntimeError',
    trioTest(async () => {
      const lot = new ParkingLot();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          const me = currentTask();
          expect(() => removeParkingLotBreaker(me, lot)).toThrow(RuntimeError);
          addParkingLotBreaker(me, lot);
          addParkingLotBreaker(me, lot); // twice: two removals
          removeParkingLotBreaker(me, lot);
          removeParkingLotBreaker(me, lot);
          expect(() => removeParkingLotBreaker(me, lot)).toThrow(RuntimeError);
        });
      });
      expect(lot.broken).toBe(false);
      expect(lot.unparkAll()).toEqual([]);
    }),
  );
});

describe('testing: thread counters (Trio 0.24)', () => {
  test(
    'activeThreadCount counts calls still in their worker, abandoned ones too; waitAllThreadsCompleted waits for them',
    trioTest(async () => {
      expect(activeThreadCount()).toBe(0);
      await waitAllThreadsCompleted(); // none: returns at once
      const scope = new CancelScope();
      const busy = (ms: number): number => {
        const end = Date.now() + ms;
        while (Date.now() < end);
        return ms;
      };
      await openNursery(async (nursery) => {
        nursery.startSoon(() =>
          scope.run(() => toThread.runSync({ abandonOnCancel: true }, busy, 300)),
        );
        while (activeThreadCount() === 0) await checkpoint();
        scope.cancel(); // abandons the wait; the worker goes on
      });
      expect(scope.cancelledCaught).toBe(true);
      expect(activeThreadCount()).toBe(1);
      await waitAllThreadsCompleted();
      expect(activeThreadCount()).toBe(0);
      await expect(toThread.runSync(busy, 1)).resolves.toBe(1);
      expect(activeThreadCount()).toBe(0);
    }),
    20_000,
  );
});

describe('a Cancelled names where it came from (Trio 0.31 source and reason)', () => {
  const caught = async (fn: () => Promise<unknown>): Promise<Cancelled> => {
    const err = await fn().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Cancelled);
    return err as Cancelled;
  };

  test(
    "cancel(reason) gives source 'explicit' and the reason; a deadline 'deadline'; a failing sibling 'nursery'",
    trioTest(async () => {
      await new CancelScope().run(async (cs) => {
        cs.cancel('hello');
        const err = await caught(checkpoint);
        expect(err.source).toBe('explicit');
        expect(err.reason).toBe('hello');
      });
      await new CancelScope().run(async (cs) => {
        cs.cancel();
        const err = await caught(sleepForever);
        expect(err.source).toBe('explicit');
        expect(err.reason).toBeNull();
      });
      await new CancelScope({ deadline: -Infinity }).run(async () => {
        expect((await caught(checkpoint)).source).toBe('deadline');
      });
      await openNursery(async (nursery) => {
        nursery.startSoon(() => {
          throw new Error('boom');
        });
        expect((await caught(sleepForever)).source).toBe('nursery');
      }).catch(() => undefined);
      // The innermost cancelled scope is the source, not an outer one.
      await new CancelScope().run(async (outer) => {
        outer.cancel('outer');
        await new CancelScope({ deadline: -Infinity }).run(async () => {
          expect((await caught(checkpoint)).source).toBe('deadline');
        });
      });
    }),
  );
});
