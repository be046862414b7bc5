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
  type SocketListener,
  type TaskStatus,
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
    // Shielded: the nursery's cancel does not reach it. It is cancelled by itself once the tree
    // is printed; its deadline is only a backstop.
    const cleanupScope = new CancelScope({ shield: true, relativeDeadline: 30 });
    nursery.startSoon(async function cleanup() {
      await cleanupScope.run(() => sleepForever());
    });
    // `start` returns once the socket is bound and the accept loop waits on it: binding takes as
    // long as the OS takes, so the program waits for it rather than for a fixed time.
    await nursery.start(async function server(taskStatus: TaskStatus<SocketListener[]>) {
      await serveTcp(() => undefined, 0, { host: '127.0.0.1' }, taskStatus); // a real socket
    });

    // Let every task reach its wait. (`waitAllTasksBlocked` would not return here: it waits for
    // every task to be parked in a *kernel* wait, and `server` waits on the OS.)
    await sleep(0.05);
    tree = dumpTaskTree();
    for (const line of tree.split('\n')) print(line);
    cleanupScope.cancel();

    send.close();
    lock.release();
    nursery.cancelScope.cancel();
  });
  return tree;
}
