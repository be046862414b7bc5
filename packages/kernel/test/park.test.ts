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
