// fetch-all against a real HTTP server on 127.0.0.1, with short delays and timeouts.
import { run as aioRun } from '@duet/asyncio';
import { run as trioRun } from '@duet/trio';
import { gatherAll, taskGroupAll } from './lib/asyncio-fetch-all';
import { failingPaths, mixedPaths } from './lib/paths';
import { startTestServer, type TestServer } from './lib/server';
import type { Row } from './lib/table';
import { fetchAll } from './lib/trio-fetch-all';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  // Node loads and compiles its fetch on first use, which can take longer than the tests'
  // timeouts on a loaded machine (or under coverage): do it before the clock matters.
  await (await fetch(`${server.origin}/warm-up`)).text();
});
afterEach(async () => {
  await server.close();
});

const outcomes = (rows: Row[]) => rows.map((r) => `${r.path.split('?')[0]} ${r.outcome}`);

// Per-request timeout of the mixed rounds: /b (90 ms) must beat it and /too-slow (1.5 s) must not.
// It was 0.3 s, which a loaded machine missed when it left this process unscheduled for 200-700 ms
// (wall time passing with almost no CPU time for it; deadlines and the server's own timers both
// lapsed), with or without the scheduler's host-turn budget: scripts/bench/FINDINGS.md.
const TIMEOUT = 1;

const mixedExpected = [
  '/a ok',
  '/b ok',
  '/c ok',
  '/missing http error',
  '/too-slow timed out',
  '/d ok',
  '/e ok',
  '/f ok',
];

function expectCancelledAfterFailure(rows: Row[], lines: string[]) {
  expect(outcomes(rows)).toEqual([
    '/g cancelled',
    '/h ok',
    '/broken failed',
    '/i cancelled',
    '/j cancelled',
    '/k cancelled',
  ]);
  expect(lines.at(-1)).toBe('first hard failure: /broken?delay=75&status=500 answered 500');
}

describe('Trio style', () => {
  test('a limiter, per-request timeouts, and a timed-out fetch really stops', async () => {
    const lines: string[] = [];
    const rows = await trioRun(() =>
      fetchAll(server.origin, mixedPaths(0.3), {
        limit: 3,
        timeout: TIMEOUT,
        print: (l) => lines.push(l),
      }),
    );
    expect(outcomes(rows)).toEqual(mixedExpected);
    expect(rows[3]!.status).toBe(404);
    expect(lines[0]).toMatch(/^request +outcome +status +bytes +time$/);
    expect(lines.at(-1)).toMatch(/^8 requests in .*: 6 ok, 1 http error, 1 timed out, 0 failed/);
    await server.settle();
    expect(server.abandoned).toBe(1);
  });

  test('the first hard failure cancels the other requests', async () => {
    const lines: string[] = [];
    const rows = await trioRun(() =>
      fetchAll(server.origin, failingPaths(0.5), {
        limit: 3,
        timeout: 1,
        print: (l) => lines.push(l),
      }),
    );
    expectCancelledAfterFailure(rows, lines);
    await server.settle();
    // /g was in flight; /i too, but its request may not have reached the server in the 50 ms
    // between its slot and the failure on a loaded machine (seen 1 in 4 runs).
    expect(server.abandoned).toBeGreaterThanOrEqual(1);
  });
});

describe('asyncio style', () => {
  test('gather with returnExceptions and waitFor per request', async () => {
    const lines: string[] = [];
    const rows = await aioRun(() =>
      gatherAll(server.origin, mixedPaths(0.3), {
        limit: 3,
        timeout: TIMEOUT,
        print: (l) => lines.push(l),
      }),
    );
    expect(outcomes(rows)).toEqual(mixedExpected);
    expect(lines.at(-1)).toBe('gather returned 8 results, 1 of them exceptions');
    await server.settle();
    expect(server.abandoned).toBe(1);
  });

  test('a TaskGroup cancels the other requests at the first hard failure', async () => {
    const lines: string[] = [];
    const rows = await aioRun(() =>
      taskGroupAll(server.origin, failingPaths(0.5), {
        limit: 3,
        timeout: 1,
        print: (l) => lines.push(l),
      }),
    );
    expectCancelledAfterFailure(rows, lines);
    await server.settle();
    expect(server.abandoned).toBeGreaterThanOrEqual(1); // as above
  });
});
