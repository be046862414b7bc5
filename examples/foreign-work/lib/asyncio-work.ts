// Plain `await` in asyncio style: task.cancel() and timeout() reach foreign work too.
import { TimeoutError, createTask, currentSignal, sleep, timeout } from '@duet/asyncio';

/** A fetch under asyncio's timeout(): TimeoutError, and the request really stops. */
export async function fetchWithTimeout(url: string, seconds: number): Promise<string> {
  try {
    return await timeout(seconds, async () => {
      const res = await fetch(url, { signal: currentSignal() });
      return res.text();
    });
  } catch (err) {
    if (err instanceof TimeoutError) return 'timed out';
    throw err;
  }
}

/** `task.cancel()` aborts the fetch the task is in the middle of. */
export async function cancelAFetch(url: string): Promise<string> {
  const task = createTask(async () => {
    const res = await fetch(url, { signal: currentSignal() });
    return res.text();
  });
  await sleep(0.05);
  task.cancel('no longer needed');
  return task.then(
    () => 'finished',
    () => (task.cancelled() ? 'cancelled' : 'failed'),
  );
}
