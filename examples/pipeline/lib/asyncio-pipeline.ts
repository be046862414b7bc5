/**
 * The same pipeline, asyncio style: producer → workers → consumer over `Queue`s.
 *
 * - Back-pressure: the jobs queue holds one item (`maxsize` 0 means unbounded in asyncio, unlike
 *   a Trio channel's 0), so the producer's `put` waits while the workers are busy; the results
 *   queue holds at most 2.
 * - Fan-out / fan-in: every worker `get`s from the same jobs queue and `put`s to the same results
 *   queue (an asyncio queue has any number of producers and consumers; there is nothing to clone).
 * - Clean shutdown with `Queue.shutdown()` (Python 3.13): the producer shuts the jobs queue down
 *   when it has put the last item; each worker's `get` then raises `QueueShutDown` once the queue
 *   is drained. The last worker to finish shuts the results queue down, which ends the consumer.
 */
import { QueueShutDown, Queue, TaskGroup, getRunningLoop, sleep } from '@duet/asyncio';
import type { PipelineOptions, Result } from './pipeline';

/** Runs the pipeline; resolves with the squares in the order the consumer got them. */
export async function pipeline({
  items = 12,
  workers = 3,
  unit = 0.05,
  print = console.log,
}: PipelineOptions = {}): Promise<number[]> {
  const loop = getRunningLoop();
  const start = loop.time();
  const at = () => `t=${(loop.time() - start).toFixed(2)}s`;
  const jobs = new Queue<number>(1);
  const results = new Queue<Result>(2);
  const perWorker = new Array<number>(workers).fill(0);
  let producerBlocked = 0;
  let running = workers;
  const received: number[] = [];

  async function producer() {
    for (let item = 1; item <= items; item++) {
      const before = loop.time();
      await jobs.put(item); // waits while the queue is full
      producerBlocked += loop.time() - before;
    }
    print(`${at()} producer: all ${items} items queued; shutting the jobs queue down`);
    jobs.shutdown(); // getters drain what is left, then raise QueueShutDown
  }

  async function worker(id: number) {
    try {
      for (;;) {
        const item = await jobs.get();
        await sleep(unit * (1 + (item % 3)));
        perWorker[id]!++;
        await results.put({ item, square: item * item, worker: id });
      }
    } catch (err) {
      if (!(err instanceof QueueShutDown)) throw err;
    }
    print(`${at()} worker ${id}: jobs queue shut down and drained, done`);
    if (--running === 0) results.shutdown(); // the last worker ends the consumer
  }

  async function consumer() {
    try {
      for (;;) {
        const { item, square, worker } = await results.get();
        received.push(square);
        print(`${at()} consumer: ${item}² = ${square} (from worker ${worker})`);
      }
    } catch (err) {
      if (!(err instanceof QueueShutDown)) throw err;
    }
    print(`${at()} consumer: the results queue is shut down, done`);
  }

  await new TaskGroup().run((tg) => {
    tg.createTask(producer, { name: 'producer' });
    for (let id = 0; id < workers; id++) tg.createTask(() => worker(id), { name: `worker ${id}` });
    tg.createTask(consumer, { name: 'consumer' });
  });

  print(
    `${at()} all done: ${received.length} results; jobs per worker: ${perWorker.join(', ')}; ` +
      `the producer spent ${producerBlocked.toFixed(2)}s blocked by back-pressure`,
  );
  return received;
}
