// `@duet/trio/lowlevel` behaviours that Trio's own suite checks (trio/_core/_tests/
// test_parking_lot.py, and test_run.py's abort and system-task cases), written afresh for Duet.
import {
  CancelScope,
  Cancelled,
  TrioInternalError,
  ValueError,
  checkpointIfCancelled,
  currentTask,
  openNursery,
  run,
  sleepForever,
  type Task,
} from '@duet/trio';
import {
  Abort,
  ParkingLot,
  reschedule,
  spawnSystemTask,
  waitTaskRescheduled,
} from '@duet/trio/lowlevel';
import { unwatchTaskExit, watchTaskExit } from '@duet/kernel/lowlevel';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

async function waiter(record: string[], i: number, lot: ParkingLot): Promise<void> {
  record.push(`sleep ${i}`);
  await lot.park();
  record.push(`wake ${i}`);
}

/** Parks in `lot` inside its own scope (kept in `scopes`), recording how the wait ended. */
async function cancellableWaiter(
  name: number,
  lot: ParkingLot,
  scopes: Map<number, CancelScope>,
  record: string[],
): Promise<void> {
  await new CancelScope().run(async (scope) => {
    scopes.set(name, scope);
    record.push(`sleep ${name}`);
    try {
      await lot.park();
      record.push(`wake ${name}`);
    } catch (err) {
      if (!(err instanceof Cancelled)) throw err;
      record.push(`cancelled ${name}`);
    }
  });
}

describe('ParkingLot', () => {
  test(
    'park, unparkAll, unpark one by one (strict FIFO), unpark(n); unpark of nobody is a no-op',
    trioTest(async () => {
      let record: string[] = [];
      const lot = new ParkingLot();
      await openNursery(async (nursery) => {
        expect(lot.size).toBe(0);
        expect(lot.statistics().tasksWaiting).toBe(0);
        for (let i = 0; i < 3; i++) nursery.startSoon(waiter, record, i, lot);
        await waitAllTasksBlocked();
        expect(record).toHaveLength(3);
        expect(lot.size).toBe(3);
        expect(lot.statistics().tasksWaiting).toBe(3);
        lot.unparkAll();
        expect(lot.statistics().tasksWaiting).toBe(0);
        await waitAllTasksBlocked();
        expect(record).toHaveLength(6);
      });
      expect(record.slice(0, 3).sort()).toEqual(['sleep 0', 'sleep 1', 'sleep 2']);
      expect(record.slice(3).sort()).toEqual(['wake 0', 'wake 1', 'wake 2']);

      record = [];
      await openNursery(async (nursery) => {
        for (let i = 0; i < 3; i++) {
          nursery.startSoon(waiter, record, i, lot);
          await waitAllTasksBlocked();
        }
        for (let i = 0; i < 3; i++) {
          lot.unpark();
          await waitAllTasksBlocked();
        }
        expect(record).toEqual(['sleep 0', 'sleep 1', 'sleep 2', 'wake 0', 'wake 1', 'wake 2']);
      });

      lot.unpark();
      lot.unpark(1);
      lot.unpark(100);

      record = [];
      await openNursery(async (nursery) => {
        for (let i = 0; i < 3; i++) {
          nursery.startSoon(waiter, record, i, lot);
          await waitAllTasksBlocked();
        }
        lot.unpark(2);
        await waitAllTasksBlocked();
        expect(record.slice(0, 3)).toEqual(['sleep 0', 'sleep 1', 'sleep 2']);
        expect(record.slice(3).sort()).toEqual(['wake 0', 'wake 1']);
        lot.unparkAll();
      });
      // trio: "Cannot pop a non-integer number of tasks."
      expect(() => lot.unpark(1.5)).toThrow(ValueError);
    }),
  );

  test(
    'a cancelled waiter leaves the lot; the others are still woken',
    trioTest(async () => {
      const record: string[] = [];
      const scopes = new Map<number, CancelScope>();
      const lot = new ParkingLot();
      await openNursery(async (nursery) => {
        for (const i of [1, 2, 3]) {
          nursery.startSoon(cancellableWaiter, i, lot, scopes, record);
          await waitAllTasksBlocked();
        }
        expect(record).toHaveLength(3);
        scopes.get(2)!.cancel();
        await waitAllTasksBlocked();
        expect(record).toHaveLength(4);
        lot.unparkAll();
        await waitAllTasksBlocked();
        expect(record).toHaveLength(6);
      });
      expect(record.slice(0, 4)).toEqual(['sleep 1', 'sleep 2', 'sleep 3', 'cancelled 2']);
      expect(record.slice(4).sort()).toEqual(['wake 1', 'wake 3']);
    }),
  );

  test(
    'repark moves waiters (oldest first) without waking them; they stay cancellable there',
    trioTest(async () => {
      const record: string[] = [];
      const scopes = new Map<number, CancelScope>();
      const lot1 = new ParkingLot();
      const lot2 = new ParkingLot();
      expect(() => lot1.repark([] as unknown as ParkingLot)).toThrow(TypeError);
      await openNursery(async (nursery) => {
        for (const i of [1, 2, 3]) {
          nursery.startSoon(cancellableWaiter, i, lot1, scopes, record);
          await waitAllTasksBlocked();
        }
        expect(lot1.size).toBe(3);
        lot1.repark(lot2);
        expect([lot1.size, lot2.size]).toEqual([2, 1]);
        lot2.unparkAll();
        await waitAllTasksBlocked();
        expect(record).toEqual(['sleep 1', 'sleep 2', 'sleep 3', 'wake 1']);
        lot1.reparkAll(lot2);
        expect([lot1.size, lot2.size]).toEqual([0, 2]);
        scopes.get(2)!.cancel();
        await waitAllTasksBlocked();
        expect(lot2.size).toBe(1);
        expect(record).toEqual(['sleep 1', 'sleep 2', 'sleep 3', 'wake 1', 'cancelled 2']);
        lot2.unparkAll();
        await waitAllTasksBlocked();
        expect(record).toEqual([
          'sleep 1',
          'sleep 2',
          'sleep 3',
          'wake 1',
          'cancelled 2',
          'wake 3',
        ]);
      });
    }),
  );

  test(
    'repark with a count moves that many',
    trioTest(async () => {
      const record: string[] = [];
      const scopes = new Map<number, CancelScope>();
      const lot1 = new ParkingLot();
      const lot2 = new ParkingLot();
      await openNursery(async (nursery) => {
        for (const i of [1, 2, 3]) {
          nursery.startSoon(cancellableWaiter, i, lot1, scopes, record);
          await waitAllTasksBlocked();
        }
        lot1.repark(lot2, 2);
        expect([lot1.size, lot2.size]).toEqual([1, 2]);
        while (lot2.size !== 0) {
          lot2.unpark();
          await waitAllTasksBlocked();
        }
        expect(record).toEqual(['sleep 1', 'sleep 2', 'sleep 3', 'wake 1', 'wake 2']);
        lot1.unparkAll();
      });
    }),
  );

  test(
    'a broken lot wakes its waiters with the error and refuses every later park; repark into it too',
    trioTest(async () => {
      const lot = new ParkingLot();
      const other = new ParkingLot();
      const errors: unknown[] = [];
      const parkAndKeep = (into: ParkingLot) => async () => {
        try {
          await into.park();
        } catch (err) {
          errors.push(err);
        }
      };
      await openNursery(async (nursery) => {
        nursery.startSoon(parkAndKeep(lot));
        nursery.startSoon(parkAndKeep(other));
        await waitAllTasksBlocked();
        expect(lot.broken).toBe(false);
        lot.breakLot(() => new Error('broken by the test'));
        expect(lot.broken).toBe(true);
        expect(lot.size).toBe(0);
        other.reparkAll(lot);
      });
      expect(errors.map((e) => (e as Error).message)).toEqual([
        'broken by the test',
        'broken by the test',
      ]);
      expect(errors[0]).not.toBe(errors[1]); // a fresh error for each
      await expect(lot.park()).rejects.toThrow('broken by the test');
      lot.breakLot(() => new Error('second'));
      await expect(lot.park()).rejects.toThrow('broken by the test');
    }),
  );
});

describe('watching a task end', () => {
  test(
    'a watcher hears of the end once, before the nursery does; an unwatched one not at all',
    trioTest(async () => {
      const heard: string[] = [];
      let child: Task | undefined;
      const watcher = { taskExited: (t: Task) => heard.push(`ended ${t === child}`) };
      const dropped = { taskExited: () => heard.push('dropped watcher called') };
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          child = currentTask();
          await sleepForever();
        });
        await waitAllTasksBlocked();
        watchTaskExit(child!, watcher);
        watchTaskExit(child!, dropped);
        expect(unwatchTaskExit(child!, dropped)).toBe(true);
        expect(unwatchTaskExit(child!, dropped)).toBe(false);
        nursery.cancelScope.cancel();
      });
      expect(heard).toEqual(['ended true']);
      expect(() => watchTaskExit(child!, watcher)).toThrow(/already ended/);
    }),
  );
});

describe('aborts and system tasks', () => {
  test(
    'an abort that fails keeps the task parked until it is rescheduled; the cancel waits',
    trioTest(async () => {
      let stubbornTask: Task | undefined;
      let stubbornScope: CancelScope | undefined;
      const record: string[] = [];
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          stubbornTask = currentTask();
          await new CancelScope().run(async (scope) => {
            stubbornScope = scope;
            record.push('sleep');
            const x = await waitTaskRescheduled(() => Abort.FAILED);
            expect(x).toBe(1);
            record.push('woke');
            try {
              await checkpointIfCancelled();
            } catch (err) {
              if (err instanceof Cancelled) record.push('cancelled');
              throw err;
            }
          });
        });
        await waitAllTasksBlocked();
        expect(record).toEqual(['sleep']);
        stubbornScope!.cancel();
        await waitAllTasksBlocked();
        expect(record).toEqual(['sleep']);
        reschedule(stubbornTask!, { ok: true, value: 1 });
      });
      expect(record).toEqual(['sleep', 'woke', 'cancelled']);
    }),
  );

  test('a system task runs with its arguments; one that crashes ends the run with TrioInternalError', async () => {
    const record: unknown[] = [];
    await run(async () => {
      spawnSystemTask((x: number) => {
        record.push(x);
      }, 1);
      await waitAllTasksBlocked();
    });
    expect(record).toEqual([1]);
    const keyError = new Error('KeyError');
    const err = await run(async () => {
      spawnSystemTask(() => {
        throw keyError;
      });
      await sleepForever();
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrioInternalError);
  });

  test('a system task that fails while being cancelled at the end of the run is an internal error', async () => {
    // trio: the root returns, the system tasks are cancelled, one raises ValueError instead.
    const err = await run(() => {
      spawnSystemTask(() =>
        openNursery((nursery) => {
          nursery.startSoon(async () => {
            try {
              await sleepForever();
            } catch {
              throw new Error('ValueError');
            }
          });
          nursery.startSoon(sleepForever);
        }),
      );
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrioInternalError);
  });
});
