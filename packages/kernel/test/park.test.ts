// Parking lots, reschedule / waitTaskRescheduled and Abort (park.ts).
import {
  MockClock,
  Abort,
  CancelScope,
  ExceptionGroup,
  ParkingLot,
  RuntimeError,
  ValueError,
  checkpoint,
  currentTask,
  openNursery,
  reschedule,
  run,
  sleep,
  waitAllTasksBlocked,
  waitTaskRescheduled,
  type Task,
} from '@duet/kernel';

const autojump = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

describe('parking', () => {
  test('ParkingLot is FIFO and unpark(n) wakes the oldest n', async () => {
    const woke: number[] = [];
    await run(async () => {
      const lot = new ParkingLot();
      await openNursery(async (n) => {
        for (let i = 0; i < 4; i++) {
          n.startSoon(async () => {
            await lot.park();
            woke.push(i);
          });
        }
        await waitAllTasksBlocked();
        expect(lot.statistics()).toEqual({ tasksWaiting: 4 });
        expect(lot.unpark(2)).toHaveLength(2);
        await waitAllTasksBlocked();
        expect(woke).toEqual([0, 1]);
        const other = new ParkingLot();
        lot.repark(other, 1);
        expect(lot.size).toBe(1);
        expect(other.size).toBe(1);
        other.unparkAll();
        lot.unparkAll();
      });
    });
    expect(woke).toEqual([0, 1, 2, 3]);
    expect(() => new ParkingLot().unpark(-1)).toThrow(ValueError);
  });

  test('a cancelled parker leaves the lot', async () => {
    await run(autojump(), async () => {
      const lot = new ParkingLot();
      await new CancelScope({ relativeDeadline: 1 }).run(() => lot.park());
      expect(lot.size).toBe(0);
    });
  });

  test('ParkingLot keeps FIFO order through cancels from the middle, repark and iteration', async () => {
    const woke: string[] = [];
    await run(async () => {
      const lot = new ParkingLot('the lot');
      const other = new ParkingLot();
      const scopes: CancelScope[] = [];
      const tasks: Task[] = [];
      await openNursery(async (n) => {
        for (let i = 0; i < 6; i++) {
          const scope = new CancelScope();
          scopes.push(scope);
          n.startSoon(async () => {
            tasks.push(currentTask());
            await scope.run(() => lot.park());
            woke.push(scope.cancelledCaught ? `cancelled ${i}` : `woken ${i}`);
          });
        }
        await waitAllTasksBlocked();
        expect(tasks[2]!.waitingOn).toBe('the lot');
        scopes[2]!.cancel(); // from the middle
        scopes[0]!.cancel(); // the head
        scopes[5]!.cancel(); // the tail
        await waitAllTasksBlocked();
        expect(lot.size).toBe(3);
        expect([...lot]).toEqual([tasks[1], tasks[3], tasks[4]]);
        expect(lot.peek()).toBe(tasks[1]);
        lot.repark(other, 2);
        expect([...other]).toEqual([tasks[1], tasks[3]]);
        expect(tasks[3]!.waitingOn).toBe('ParkingLot');
        scopes[1]!.cancel(); // leaves `other`, where it was moved
        await waitAllTasksBlocked();
        expect(other.statistics()).toEqual({ tasksWaiting: 1 });
        expect(lot.unparkAll()).toEqual([tasks[4]]);
        expect(other.unparkOne('x')).toBe(tasks[3]);
        expect(other.unparkOne()).toBeNull();
        expect(lot.peek()).toBeUndefined();
      });
    });
    expect(woke).toEqual([
      'cancelled 2',
      'cancelled 0',
      'cancelled 5',
      'cancelled 1',
      'woken 4',
      'woken 3',
    ]);
  });

  test('a park refused because the task is already waiting leaves nothing in the lot', async () => {
    const lot = new ParkingLot();
    const err = await run(async () => {
      void checkpoint();
      await lot.park(); // refused: the task is stopped with an error
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(lot.size).toBe(0);
    expect([...lot]).toEqual([]);
  });

  test('waitTaskRescheduled: FAILED keeps the wait until rescheduled with an outcome', async () => {
    await run(autojump(), async () => {
      let waiter: Task | undefined;
      const result = await openNursery(async (n) => {
        let got: unknown;
        n.startSoon(async () => {
          waiter = currentTask();
          const scope = new CancelScope({ relativeDeadline: 1 });
          await scope.run(async () => {
            got = await waitTaskRescheduled(() => Abort.FAILED);
          });
        });
        await sleep(5);
        reschedule(waiter!, { ok: true, value: 'late value' });
        await waitAllTasksBlocked();
        return got;
      });
      expect(result).toBe('late value');
    });
  });

  test('two waits at once in one task is a clear error that ends the task, not a throw', async () => {
    let after = false;
    const err = await run(async () => {
      void checkpoint();
      await checkpoint(); // refused: it never settles, so nothing can reject unhandled
      after = true;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/while it was still in another \(a checkpoint\)/);
    expect(after).toBe(false);
  });

  test('a task that returns with a wait pending fails clearly', async () => {
    const err = await run(async () => {
      try {
        await openNursery(async (n) => {
          n.startSoon(async () => {
            void sleep(1);
          });
        });
      } catch (e) {
        return e as ExceptionGroup;
      }
      return null;
    });
    expect(err!.exceptions[0]).toBeInstanceOf(RuntimeError);
    expect(String((err!.exceptions[0] as Error).message)).toMatch(/a Duet call was not awaited/);
  });
});
