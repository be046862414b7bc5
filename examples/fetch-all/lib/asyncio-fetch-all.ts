/**
 * fetch-all, asyncio style: a Semaphore bounds concurrency, `waitFor` gives each request its own
 * timeout, `gather(..., returnExceptions)` collects every outcome, and a `TaskGroup` cancels the
 * other requests at the first hard failure (HTTP 5xx). `fetch` gets an AbortSignal that is
 * aborted when the request's task is cancelled, so a cancelled request really stops.
 */
import {
  ExceptionGroup,
  Semaphore,
  TaskGroup,
  TimeoutError,
  gather,
  getRunningLoop,
  waitFor,
} from '@duet/asyncio';
import { awaitPromise } from '@duet/bridge';
import { isCancelled } from '@duet/kernel';
import { HttpError, formatTable, type Row } from './table';

/** Options of {@link gatherAll} and {@link taskGroupAll}. */
export interface FetchAllOptions {
  /** At most this many requests at once. */
  limit: number;
  /** Seconds each request may take, once it has a slot. */
  timeout: number;
  /** Where the output goes. */
  print?: (line: string) => void;
}

/** One GET; the AbortController is aborted on the way out, so cancelling the task stops it. */
async function get(url: string): Promise<{ status: number; bytes: number }> {
  const controller = new AbortController();
  try {
    const response = await awaitPromise(fetch(url, { signal: controller.signal }));
    const body = await awaitPromise(response.text());
    return { status: response.status, bytes: body.length };
  } finally {
    controller.abort(); // no-op when the body was read; stops the request when we were cancelled
  }
}

async function fetchOne(origin: string, row: Row, slots: Semaphore, timeout: number) {
  const loop = getRunningLoop();
  try {
    using _slot = await slots.hold();
    const start = loop.time();
    try {
      const { status, bytes } = await waitFor(() => get(origin + row.path), timeout);
      Object.assign(row, { status, bytes });
      if (status >= 500) throw new HttpError(row.path, status);
      row.outcome = status >= 400 ? 'http error' : 'ok';
    } finally {
      row.seconds = loop.time() - start;
    }
  } catch (err) {
    row.outcome =
      err instanceof TimeoutError ? 'timed out' : isCancelled(err) ? 'cancelled' : 'failed';
    throw err;
  }
}

function summary(rows: Row[], seconds: number, limit: number, print: (line: string) => void) {
  for (const line of formatTable(rows)) print(line);
  const count = (o: Row['outcome']) => rows.filter((r) => r.outcome === o).length;
  const neverStarted = rows.filter((r) => r.seconds === undefined).length;
  print(
    `${rows.length} requests in ${seconds.toFixed(2)}s, at most ${limit} at once: ` +
      `${count('ok')} ok, ${count('http error')} http error, ${count('timed out')} timed out, ` +
      `${count('failed')} failed, ${count('cancelled')} cancelled (${neverStarted} before getting a slot)`,
  );
}

/** `asyncio.gather(..., return_exceptions=True)`: every request runs to its own end. */
export async function gatherAll(
  origin: string,
  paths: readonly string[],
  { limit, timeout, print = console.log }: FetchAllOptions,
): Promise<Row[]> {
  const loop = getRunningLoop();
  const start = loop.time();
  const slots = new Semaphore(limit);
  const rows: Row[] = paths.map((path) => ({ path, outcome: 'waiting' }));
  const results = await gather.withOptions(
    { returnExceptions: true },
    ...rows.map((row) => () => fetchOne(origin, row, slots, timeout)),
  );
  summary(rows, loop.time() - start, limit, print);
  const errors = results.filter((r) => r instanceof Error).length;
  print(`gather returned ${results.length} results, ${errors} of them exceptions`);
  return rows;
}

/** `asyncio.TaskGroup`: the first failure cancels the other requests. */
export async function taskGroupAll(
  origin: string,
  paths: readonly string[],
  { limit, timeout, print = console.log }: FetchAllOptions,
): Promise<Row[]> {
  const loop = getRunningLoop();
  const start = loop.time();
  const slots = new Semaphore(limit);
  const rows: Row[] = paths.map((path) => ({ path, outcome: 'waiting' }));
  let failure: unknown = null;
  try {
    await new TaskGroup().run(async (tg) => {
      for (const row of rows) tg.createTask(() => fetchOne(origin, row, slots, timeout));
    });
  } catch (err) {
    if (!(err instanceof ExceptionGroup)) throw err;
    failure = err.exceptions[0];
  }
  summary(rows, loop.time() - start, limit, print);
  if (failure !== null) print(`first hard failure: ${(failure as Error).message}`);
  return rows;
}
