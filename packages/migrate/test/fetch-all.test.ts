// The converted fetch-all example against a real HTTP server: the checks of the hand-written
// Trio version (examples/fetch-all/fetch-all.test.ts), run on the codemod's output under Trio run().
// The per-request timeout is 1 s, not 0.3 s: the first fetch of a busy Jest worker can take longer.
import path from 'node:path';
import { run as trioRun } from '@duet/trio';
import { convertExample, type Converted } from './convert-examples';
import { failingPaths, mixedPaths } from '../../../examples/fetch-all/lib/paths';
import { startTestServer, type TestServer } from '../../../examples/fetch-all/lib/server';
import type { Row } from '../../../examples/fetch-all/lib/table';

type FetchAll = (
  origin: string,
  paths: readonly string[],
  options: { limit: number; timeout: number; print?: (line: string) => void },
) => Promise<Row[]>;

let converted: Converted;
let lib: { gatherAll: FetchAll; taskGroupAll: FetchAll };
let server: TestServer;
beforeAll(async () => {
  converted = convertExample('fetch-all');
  lib = await import(path.join(converted.dir, 'lib/asyncio-fetch-all.ts'));
});
afterAll(() => converted.remove());
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

const outcomes = (rows: Row[]) => rows.map((r) => `${r.path.split('?')[0]} ${r.outcome}`);

test('gather → settleInNursery: every outcome, and the timed-out fetch really stops', async () => {
  const lines: string[] = [];
  const rows = await trioRun(() =>
    lib.gatherAll(server.origin, mixedPaths(0.3), {
      limit: 3,
      timeout: 1,
      print: (l) => lines.push(l),
    }),
  );
  expect(outcomes(rows)).toEqual([
    '/a ok',
    '/b ok',
    '/c ok',
    '/missing http error',
    '/too-slow timed out',
    '/d ok',
    '/e ok',
    '/f ok',
  ]);
  expect(rows[3]!.status).toBe(404);
  expect(lines.at(-1)).toBe('gather returned 8 results, 1 of them exceptions');
  await server.settle();
  expect(server.abandoned).toBe(1);
});

test('TaskGroup → nursery: the first hard failure cancels the other requests', async () => {
  const lines: string[] = [];
  const rows = await trioRun(() =>
    lib.taskGroupAll(server.origin, failingPaths(0.5), {
      limit: 3,
      timeout: 1,
      print: (l) => lines.push(l),
    }),
  );
  expect(outcomes(rows)).toEqual([
    '/g cancelled',
    '/h ok',
    '/broken failed',
    '/i cancelled',
    '/j cancelled',
    '/k cancelled',
  ]);
  expect(lines.at(-1)).toBe('first hard failure: /broken?delay=75&status=500 answered 500');
  await server.settle();
  expect(server.abandoned).toBeGreaterThanOrEqual(2);
});
