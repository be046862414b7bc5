/**
 * The kernel's wake-vs-cancel rule (Waitable.revokeWake): an edge cancel that reaches a task after
 * its wake-up and before it resumes takes the wake-up back only when the waitable says so
 * (asyncio's rule); otherwise, and always for level cancellation, the task keeps it (Trio's rule).
 */
import {
  CancelScope,
  Cancelled,
  ParkingLot,
  checkpoint,
  currentTask,
  openNursery,
  run,
  waitAllTasksBlocked,
  type Task,
} from '@duet/kernel';

type Cancel = 'edge' | 'edge then uncancel' | 'level';

/** A waiter parks on `lot`; the parent unparks it with 'v' and cancels it in the same step. */
async function race(lot: ParkingLot, cancel: Cancel): Promise<unknown[]> {
  const log: unknown[] = [];
  await run(async () => {
    let waiter: Task | undefined;
    const scope = new CancelScope();
    await openNursery(async (n) => {
      n.startSoon(async () => {
        waiter = currentTask();
        await scope.run(async () => {
          try {
            log.push(['woke with', await lot.park()]);
            await checkpoint();
          } catch (err) {
            log.push(err instanceof Cancelled ? 'Cancelled' : err);
          }
        });
      });
      await waitAllTasksBlocked();
      lot.unparkOne('v');
      if (cancel === 'level') scope.cancel();
      else {
        waiter!.requestCancel();
        if (cancel === 'edge then uncancel') waiter!.uncancel();
      }
    });
  });
  return log;
}

describe('a wake-up overtaken by a cancel', () => {
  test('an edge cancel takes it back from a lot with onRevoked, which gets the value to pass on', async () => {
    const revoked: unknown[] = [];
    const lot = new ParkingLot('test', { onRevoked: (value) => revoked.push(value) });
    expect(await race(lot, 'edge')).toEqual(['Cancelled']);
    expect(revoked).toEqual(['v']);
  });

  test('a lot without onRevoked follows Trio: the task keeps the value, the cancel lands next', async () => {
    expect(await race(new ParkingLot(), 'edge')).toEqual([['woke with', 'v'], 'Cancelled']);
  });

  test('level cancellation never takes a wake-up back', async () => {
    const revoked: unknown[] = [];
    const lot = new ParkingLot('test', { onRevoked: (value) => revoked.push(value) });
    expect(await race(lot, 'level')).toEqual([['woke with', 'v'], 'Cancelled']);
    expect(revoked).toEqual([]);
  });

  test('a request withdrawn with uncancel() before the task resumes takes nothing back', async () => {
    const revoked: unknown[] = [];
    const lot = new ParkingLot('test', { onRevoked: (value) => revoked.push(value) });
    expect(await race(lot, 'edge then uncancel')).toEqual([['woke with', 'v']]);
    expect(revoked).toEqual([]);
  });

  test('onRevoked must be a function', () => {
    expect(() => new ParkingLot('x', { onRevoked: 1 as never })).toThrow(TypeError);
  });
});
