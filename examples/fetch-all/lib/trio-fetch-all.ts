/**
 * fetch-all, Trio style: many requests at once, at most `limit` in flight (a CapacityLimiter),
 * each with its own timeout (a cancel scope whose AbortSignal goes to `fetch`, so a cancelled
 * request really stops), and the first hard failure (HTTP 5xx) cancels all the others.
 */
import {
  CapacityLimiter,
  ExceptionGroup,
  currentTime,
  isCancelled,
  moveOnAfter,
  openNursery,
} from '@duet/trio';
import { awaitPromise } from '@duet/bridge';
import { HttpError, formatTable, type Row } from './table';

/** Options of {@link fetchAll}. */
export interface FetchAllOptions {
  /** At most this many requests at once. */
  limit: number;
  /** Seconds each request may take, once it has a slot. */
  timeout: number;
  /** Where the output goes. */
  print?: (line: string) => void;
}

/** Fetches `origin + path` for every path; prints and returns one row per request. */
export async function fetchAll(
  origin: string,
  paths: readonly string[],
  { limit, timeout, print = console.log }: FetchAllOptions,
): Promise<Row[]> {
  const limiter = new CapacityLimiter(limit);
  const rows: Row[] = paths.map((path) => ({ path, outcome: 'waiting' }));
  const started = currentTime();

  async function fetchOne(row: Row): Promise<void> {
    try {
      using _slot = await limiter.hold(); // returned to the limiter when the block exits
      const start = currentTime();
      try {
        const scope = moveOnAfter(timeout); // a scope, not entered yet
        await scope.run(async () => {
          // The scope's signal aborts when cancellation reaches this scope: our own timeout,
          // or the nursery being cancelled by a sibling's failure.
          const response = await awaitPromise(fetch(origin + row.path, { signal: scope.signal }));
          const body = await awaitPromise(response.text());
          row.status = response.status;
          row.bytes = body.length;
          if (response.status >= 500) throw new HttpError(row.path, response.status);
        });
        row.outcome = scope.cancelledCaught
          ? 'timed out'
          : row.status! >= 500
            ? 'failed'
            : row.status! >= 400
              ? 'http error'
              : 'ok';
      } finally {
        row.seconds = currentTime() - start;
      }
    } catch (err) {
      row.outcome = isCancelled(err) ? 'cancelled' : 'failed';
      throw err;
    }
  }

  let failure: unknown = null;
  try {
    await openNursery(async (nursery) => {
      for (const row of rows) nursery.startSoon(fetchOne, row);
    });
  } catch (err) {
    if (!(err instanceof ExceptionGroup)) throw err;
    failure = err.exceptions[0];
  }
  for (const line of formatTable(rows)) print(line);
  const count = (o: Row['outcome']) => rows.filter((r) => r.outcome === o).length;
  const neverStarted = rows.filter((r) => r.seconds === undefined).length;
  print(
    `${rows.length} requests in ${(currentTime() - started).toFixed(2)}s, at most ${limit} at once: ` +
      `${count('ok')} ok, ${count('http error')} http error, ${count('timed out')} timed out, ` +
      `${count('failed')} failed, ${count('cancelled')} cancelled (${neverStarted} before getting a slot)`,
  );
  if (failure !== null) print(`first hard failure: ${(failure as Error).message}`);
  return rows;
}
