/**
 * The same small program in asyncio style, and its live call graph (`formatCallGraph`, after
 * Python 3.14's `asyncio.format_call_graph`): tasks waiting on a timeout, a lock, a queue, a
 * shielded cleanup and a server.
 */
import {
  Event,
  Lock,
  Queue,
  QueueShutDown,
  TaskGroup,
  formatCallGraph,
  shield,
  sleep,
  startServer,
  timeout,
} from '@duet/asyncio';

/** Starts the tasks, prints the graph once every task is waiting, then cancels everything. */
export async function showCallGraph(print: (line: string) => void = console.log): Promise<string> {
  const lock = new Lock();
  const queue = new Queue<string>();
  const listening = new Event(); // the server's socket is bound: only its serveForever() is left
  const printed = new Event(); // what the shielded cleanup waits for
  let graph = '';
  await new TaskGroup().run(async (tg) => {
    await lock.acquire(); // the main task holds the lock, so `waiter` queues for it
    const tasks = [
      tg.createTask(() => timeout(30, () => sleep(3600)), { name: 'fetcher' }),
      tg.createTask(
        async () => {
          using _held = await lock.hold();
        },
        { name: 'waiter' },
      ),
      tg.createTask(
        async () => {
          try {
            for (;;) print(await queue.get());
          } catch (err) {
            if (!(err instanceof QueueShutDown)) throw err;
          }
        },
        { name: 'consumer' },
      ),
      tg.createTask(() => shield(() => printed.wait()), { name: 'cleanup' }),
      tg.createTask(
        async () => {
          const server = await startServer(() => undefined, '127.0.0.1', 0);
          listening.set();
          await server.serveForever(); // waits on a real socket
        },
        { name: 'server' },
      ),
    ];

    // Binding a real socket takes as long as the OS takes: wait for it, not for a fixed time.
    await listening.wait();
    await sleep(0.05); // let every task reach its wait
    graph = formatCallGraph();
    for (const line of graph.split('\n')) print(line);
    printed.set();

    queue.shutdown();
    lock.release();
    for (const task of tasks) task.cancel();
  });
  return graph;
}
