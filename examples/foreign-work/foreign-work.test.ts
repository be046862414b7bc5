// foreign-work against a real HTTP server on 127.0.0.1 (generous real-time bounds only).
import { run as aioRun } from '@duet/asyncio';
import { run as trioRun } from '@duet/trio';
import { cancelAFetch, fetchWithTimeout } from './lib/asyncio-work';
import { startSlowServer, type SlowServer } from './lib/server';
import { downloadWithCleanup, slowFetchBesideTicks } from './lib/trio-work';

let server: SlowServer;
beforeEach(async () => {
  server = await startSlowServer();
});
afterEach(() => server.close());

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

test('Trio: a slow fetch gives up at its deadline while a sibling keeps time', async () => {
  const start = performance.now();
  const { ticks, body } = await trioRun(() => slowFetchBesideTicks(`${server.origin}/?ms=5000`));
  expect(body).toBe('gave up');
  expect(ticks).toBe(5);
  expect(performance.now() - start).toBeLessThan(3000);
  await waitFor(() => server.abandoned === 1);
  expect(server.abandoned).toBe(1);
});

test('Trio: orderly teardown runs the cleanup before the scope exits', async () => {
  const log: string[] = [];
  await trioRun(() => downloadWithCleanup(`${server.origin}/?ms=5000`, log));
  expect(log).toEqual(['cleanup finished', 'scope exited']);
});

test('asyncio: timeout() and task.cancel() stop the request itself', async () => {
  const slow = `${server.origin}/?ms=5000`;
  expect(await aioRun(() => fetchWithTimeout(slow, 0.1))).toBe('timed out');
  expect(await aioRun(() => cancelAFetch(slow))).toBe('cancelled');
  expect(await aioRun(() => fetchWithTimeout(`${server.origin}/?ms=1`, 2))).toBe('waited 1 ms');
  await waitFor(() => server.abandoned === 2);
  expect(server.abandoned).toBe(2);
});
