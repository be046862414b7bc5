// Plain `await` in Trio style: foreign Promises inside cancel scopes, with the task's signal.
import { setTimeout as delay } from 'node:timers/promises';
import { awaitForeign, currentSignal, moveOnAfter, openNursery, sleep } from '@duet/trio';

/** A fetch with a deadline: a plain await, stopped by the scope through `currentSignal()`. */
export async function fetchOrGiveUp(url: string, seconds: number): Promise<string> {
  const text = await moveOnAfter(seconds, async () => {
    const res = await fetch(url, { signal: currentSignal() });
    return res.text();
  });
  return text ?? 'gave up';
}

/** A sibling that ticks on time while the other task is out in foreign code. */
export async function slowFetchBesideTicks(url: string): Promise<{ ticks: number; body: string }> {
  let ticks = 0;
  let body = '';
  await openNursery(async (n) => {
    n.startSoon(async () => {
      body = await fetchOrGiveUp(url, 0.3);
    });
    n.startSoon(async () => {
      for (let i = 0; i < 5; i++) {
        await sleep(0.05);
        ticks++;
      }
    });
  });
  return { ticks, body };
}

/**
 * Orderly teardown: the work gets its own signal; on cancellation the kernel aborts it and waits
 * (up to `settle` seconds) until its cleanup has run, so nothing it started outlives the scope.
 */
export async function downloadWithCleanup(url: string, log: string[]): Promise<void> {
  await moveOnAfter(0.1, () =>
    awaitForeign(
      async (signal) => {
        try {
          await fetch(url, { signal });
        } finally {
          await delay(20); // e.g. deleting a partial file
          log.push('cleanup finished');
        }
      },
      { settle: 2 },
    ),
  );
  log.push('scope exited');
}
