/**
 * The Trio-style half of the migration example: a nursery, a channel and moveOnAfter, newly
 * written in Trio style. It calls the asyncio-style worker pool through `aioAsTrio`.
 */
import { aioAsTrio } from '@duet/bridge';
import { moveOnAfter, openMemoryChannel, openNursery, sleep } from '@duet/trio';
import { processBatch } from './aio-workers';

/** A Trio-style step: "enriching" job `n` takes n × 50 ms. */
export async function enrich(n: number): Promise<string> {
  await sleep(n * 0.05);
  return `job ${n}: enriched`;
}

/** The asyncio worker pool, callable from Trio code; Trio cancellation reaches it as Task.cancel(). */
const processBatchTrio = aioAsTrio(processBatch);

/**
 * Produces `count` jobs into a channel, consumes them in batches of 4 through the asyncio worker
 * pool, and stops after `budget` seconds (moveOnAfter). Prints as it goes; returns what it printed.
 */
export async function pipeline(
  print: (line: string) => void,
  count: number,
  budget: number,
): Promise<number> {
  const [send, receive] = openMemoryChannel<number>(4);
  let done = 0;
  const finished = await moveOnAfter(budget, async () => {
    await openNursery(async (nursery) => {
      nursery.startSoon(async () => {
        await using out = send;
        for (let job = 1; job <= count; job++) await out.send(job);
      });
      nursery.startSoon(async () => {
        let batch: number[] = [];
        const flush = async () => {
          for (const line of await processBatchTrio(batch, 0.27)) print(`  ${line}`);
          done += batch.length;
          batch = [];
        };
        for await (const job of receive) {
          batch.push(job);
          if (batch.length === 4) await flush();
        }
        if (batch.length !== 0) await flush();
      });
    });
    return true;
  });
  print(
    finished
      ? `pipeline finished: ${done} jobs`
      : `pipeline stopped by its ${budget}s budget after ${done} jobs`,
  );
  return done;
}
