/**
 * The harness of the bad-input table (`bad-input.test.ts`, `bad-input-io.test.ts`): a row is one
 * mistake; running it checks the error class, that the message says what to do, that what the row
 * can observe did not change, that the call opened no host handle (socket, server, child, pipe,
 * file) and left none open after `run()`, and that the calling task can still wait (the Jest guard
 * fails a row that leaves an unhandled rejection or an uncaught exception).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- rows pass wrong types on purpose */
import * as kernel from '@duet/kernel';
import * as trio from '@duet/trio';
import * as aio from '@duet/asyncio';
import { MockClock } from '@duet/trio/testing';

type ErrorClass = abstract new (...args: never[]) => Error;

/** One mistake of the table. */
export interface Row<S = any> {
  /** The mistake, as the user wrote it. */
  name: string;
  /** Where the call is made: inside a Trio run, an asyncio run, or outside any run. */
  where: 'trio' | 'asyncio' | 'outside';
  setup?: () => S | Promise<S>;
  call: (s: S) => unknown;
  error: ErrorClass;
  /** What the message must say: the fix, or what is accepted. */
  hint: RegExp;
  /** A snapshot of what the call must not change. */
  state?: (s: S) => unknown;
  /** Closes what `setup` opened (inside the run). */
  teardown?: (s: S) => unknown;
}

/** Work that waits in the kernel: `work()` is the started Promise of the "pass a function" rows. */
export async function work(): Promise<number> {
  await kernel.sleep(1);
  return 1;
}

/** Work that waits in asyncio style. */
export const asyncioWork = async (): Promise<void> => {
  await aio.sleep(1);
};

/** A row, typed by its setup. */
export const row = <S>(r: Row<S>): Row => r as Row;

/** The host handles open now, by kind (timers are the Jest guard's business). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'Timeout' || kind === 'Immediate') continue;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** The kinds of handle of which more are open now than in `before`. */
function opened(before: Map<string, number>): string[] {
  return [...handles()].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([kind]) => kind);
}

async function check(r: Row): Promise<void> {
  const s = r.setup === undefined ? undefined : await r.setup();
  const before = r.state === undefined ? undefined : JSON.stringify(r.state(s));
  const open = handles();
  let caught: unknown = null;
  try {
    await r.call(s);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(r.error);
  expect((caught as Error).message).toMatch(r.hint);
  // The check came first: nothing was opened, then dropped or left for the end of the run.
  expect(opened(open)).toEqual([]);
  if (r.state !== undefined) expect(JSON.stringify(r.state(s))).toBe(before);
  await r.teardown?.(s);
  // The caller is not left "already waiting": its next kernel wait works.
  if (r.where !== 'outside') await kernel.sleep(0.5);
}

/** Runs a row where it belongs, then checks that no handle it opened outlives `run()` (1 s at most). */
export async function runRow(r: Row): Promise<void> {
  const open = handles();
  if (r.where === 'outside') await check(r);
  else if (r.where === 'trio')
    await trio.run({ clock: new MockClock({ autojumpThreshold: 0 }) }, () => check(r));
  else await aio.run(() => check(r), { clock: new MockClock({ autojumpThreshold: 0 }) });
  // Closed handles are released on a later turn of Node's loop.
  for (let i = 0; i < 100 && opened(open).length !== 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(opened(open)).toEqual([]);
}
