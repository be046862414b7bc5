/**
 * Trio's parking-lot breakers (`trio.lowlevel.add_parking_lot_breaker`, Trio 0.30): a task
 * registered for a lot breaks it when the task exits, so a primitive whose owner dies can fail its
 * waiters with `BrokenResourceError` instead of leaving them parked forever.
 */
import { ParkingLot, RuntimeError, Task, checkInstance } from '@duet/kernel';
import { unwatchTaskExit, watchTaskExit, type TaskExitWatcher } from '@duet/kernel/lowlevel';
import { BrokenResourceError } from './errors';

/** Per task, the lots it breaks, each with the watcher that will do it (registered once each). */
const registered = new WeakMap<Task, { lot: ParkingLot; watcher: TaskExitWatcher }[]>();

function checkArgs(api: string, task: Task, lot: ParkingLot): void {
  checkInstance(api, 'task', task, Task, 'a Task');
  checkInstance(api, 'lot', lot, ParkingLot, 'a ParkingLot');
}

/**
 * Registers `task` as a breaker of `lot`: when the task exits, the lot breaks, and its waiters and
 * every later `park()` raise {@link BrokenResourceError}. Registering twice needs two removals.
 * A task that has already exited is a `BrokenResourceError`, as in Trio.
 *
 * @example
 * ```ts
 * addParkingLotBreaker(currentTask(), lot);
 * ```
 */
export function addParkingLotBreaker(task: Task, lot: ParkingLot): void {
  checkArgs('addParkingLotBreaker()', task, lot);
  const watcher: TaskExitWatcher = {
    taskExited: (exited) => {
      registered.delete(exited);
      lot.breakLot(() => new BrokenResourceError(`Parking lot broken by exiting task ${exited}`));
    },
  };
  try {
    watchTaskExit(task, watcher);
  } catch (err) {
    if (!(err instanceof RuntimeError)) throw err;
    throw new BrokenResourceError('Attempted to add an already exited task as lot breaker');
  }
  let entries = registered.get(task);
  if (entries === undefined) registered.set(task, (entries = []));
  entries.push({ lot, watcher });
}

/**
 * Undoes one {@link addParkingLotBreaker} of `task` for `lot`. A task that is not registered for
 * the lot is a `RuntimeError`, as in Trio.
 *
 * @example
 * ```ts
 * removeParkingLotBreaker(currentTask(), lot);
 * ```
 */
export function removeParkingLotBreaker(task: Task, lot: ParkingLot): void {
  checkArgs('removeParkingLotBreaker()', task, lot);
  const entries = registered.get(task);
  const i = entries === undefined ? -1 : entries.findIndex((entry) => entry.lot === lot);
  if (i < 0)
    throw new RuntimeError(
      'Attempted to remove a task as breaker for a lot it is not registered for',
    );
  unwatchTaskExit(task, entries![i]!.watcher);
  entries!.splice(i, 1);
}
