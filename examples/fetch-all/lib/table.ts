/** One line of the summary table of the fetch-all example. */
export interface Row {
  /** The path and query fetched (without the origin). */
  path: string;
  /** What happened. */
  outcome: 'waiting' | 'ok' | 'http error' | 'timed out' | 'cancelled' | 'failed';
  /** The HTTP status, when one arrived. */
  status?: number;
  /** Bytes of body read. */
  bytes?: number;
  /** Seconds from getting a slot to the end; undefined if it never got a slot. */
  seconds?: number;
}

/** Formats rows as a fixed-width table. */
export function formatTable(rows: readonly Row[]): string[] {
  const header = ['request', 'outcome', 'status', 'bytes', 'time'];
  const cells = rows.map((r) => [
    r.path,
    r.outcome,
    r.status === undefined ? '-' : String(r.status),
    r.bytes === undefined ? '-' : String(r.bytes),
    r.seconds === undefined ? '-' : `${r.seconds.toFixed(2)}s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c.map((s, i) => (i >= 2 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
}

/** An HTTP status of 500 or more: a hard failure that cancels the other requests. */
export class HttpError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
  ) {
    super(`${path} answered ${status}`);
    this.name = 'HttpError';
  }
}
