/**
 * A pipeline, Trio style: producer → workers → consumer over memory channels.
 *
 * - Back-pressure: the jobs channel has no buffer, so the producer can only hand a job over when
 *   a worker is free, and the results channel holds at most 2 results.
 * - Fan-out / fan-in: each worker gets its own clone of the jobs receiver and of the results
 *   sender; the originals are closed at once.
 * - Clean shutdown by closing: when the producer closes its sender, each worker's `for await` ends;
 *   when the last worker's results clone closes, the consumer's `for await` ends. No flags, no
 *   sentinels, no cancellation.
 */
import {
  currentTime,
  openMemoryChannel,
  openNursery,
  sleep,
  type MemoryReceiveChannel,
  type MemorySendChannel,
} from '@duet/trio';

/** Options of {@link pipeline}. */
export interface PipelineOptions {
  items?: number;
  workers?: number;
  /** Seconds a worker spends per unit of work (item i costs 1 + i % 3 units). */
  unit?: number;
  print?: (line: string) => void;
}

/** A finished job. */
export interface Result {
  item: number;
  square: number;
  worker: number;
}

/** Runs the pipeline; resolves with the squares in the order the consumer got them. */
export async function pipeline({
  items = 12,
  workers = 3,
  unit = 0.05,
  print = console.log,
}: PipelineOptions = {}): Promise<number[]> {
  const start = currentTime();
  const at = () => `t=${(currentTime() - start).toFixed(2)}s`;
  const [sendJobs, receiveJobs] = openMemoryChannel<number>(0);
  const [sendResults, receiveResults] = openMemoryChannel<Result>(2);
  const perWorker = new Array<number>(workers).fill(0);
  let producerBlocked = 0;
  const received: number[] = [];

  async function producer(jobs: MemorySendChannel<number>) {
    using tx = jobs; // closed when the producer returns: that is the end-of-input signal
    for (let item = 1; item <= items; item++) {
      const before = currentTime();
      await tx.send(item); // waits until a worker takes it
      producerBlocked += currentTime() - before;
    }
    print(`${at()} producer: all ${items} items handed out; closing the jobs channel`);
  }

  async function worker(
    id: number,
    jobs: MemoryReceiveChannel<number>,
    results: MemorySendChannel<Result>,
  ) {
    using rx = jobs;
    using tx = results;
    for await (const item of rx) {
      await sleep(unit * (1 + (item % 3)));
      perWorker[id]!++;
      await tx.send({ item, square: item * item, worker: id });
    }
    print(`${at()} worker ${id}: jobs channel closed and drained, done`);
  }

  async function consumer(results: MemoryReceiveChannel<Result>) {
    using rx = results;
    for await (const { item, square, worker } of rx) {
      received.push(square);
      print(`${at()} consumer: ${item}² = ${square} (from worker ${worker})`);
    }
    print(`${at()} consumer: every results sender is closed, done`);
  }

  await openNursery(async (nursery) => {
    nursery.startSoon(producer, sendJobs);
    for (let id = 0; id < workers; id++) {
      nursery.startSoon(worker, id, receiveJobs.clone(), sendResults.clone());
    }
    // Only the clones are used from here on: close the originals, or the channels never end.
    receiveJobs.close();
    sendResults.close();
    nursery.startSoon(consumer, receiveResults);
  });

  print(
    `${at()} all done: ${received.length} results; jobs per worker: ${perWorker.join(', ')}; ` +
      `the producer spent ${producerBlocked.toFixed(2)}s blocked by back-pressure`,
  );
  return received;
}
