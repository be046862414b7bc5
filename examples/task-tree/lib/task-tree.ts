/**
 * A small program with tasks waiting on different things, and a look at its live task tree.
 */
import {
  CancelScope,
  Lock,
  moveOnAfter,
  openMemoryChannel,
  openNursery,
  serveTcp,
  sleep,
  sleepForever,
} from '@duet/trio';
import { dumpTaskTree } from '@duet/trio/lowlevel';

/** Starts the tasks, prints the tree once every task is blocked, then cancels everything. */
export async function showTaskTree(print: (line: string) => void = console.log): Promise<string> {
  const lock = new Lock();
  const [send, receive] = openMemoryChannel<string>(0);
  let tree = '';
  await openNursery(async (nursery) => {
    await lock.acquire(); // the main task holds the lock, so `waiter` queues for it

    nursery.startSoon(async function fetcher() {
      await moveOnAfter(30, () => sleep(3600)); // a sleep inside a scope with a deadline
    });
    nursery.startSoon(async function waiter() {
      using _held = await lock.hold();
    });
    nursery.startSoon(async function consumer() {
      using rx = receive;
      for await (const message of rx) print(message);
    });
    nursery.startSoon(async function cleanup() {
      // shielded: the nursery's cancel does not reach it; its own short deadline ends it
      await new CancelScope({ shield: true, relativeDeadline: 0.2 }).run(() => sleepForever());
    });
    nursery.startSoon(async function server() {
      await serveTcp(() => undefined, 0, { host: '127.0.0.1' }); // waits on a real socket
    });

    // Let every task reach its wait. (`waitAllTasksBlocked` would not return here: it waits for
    // every task to be parked in a *kernel* wait, and `server` waits on the OS.)
    await sleep(0.05);
    tree = dumpTaskTree();
    for (const line of tree.split('\n')) print(line);

    send.close();
    lock.release();
    nursery.cancelScope.cancel();
  });
  return tree;
}
