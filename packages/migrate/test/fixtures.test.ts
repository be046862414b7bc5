// Fixture tests: each fixtures/<case>.in.txt migrates to <case>.out.txt with the report in
// <case>.report.txt, migrating the output again changes nothing, and both sides type-check.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatReport, migrateSource } from '@duet/migrate';
import { KEPT } from '../src/kept';
import { typeErrors } from './convert-examples';

const dir = path.join(__dirname, 'fixtures');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.in.txt'))
  .map((f) => f.slice(0, -'.in.txt'.length));
const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');

test('there is a fixture for every rewrite and every case left as is', () => {
  const reports = cases.map((c) => read(`${c}.report.txt`)).join('\n');
  for (const reason of Object.values(KEPT)) expect(reports).toContain(`kept  ${reason}`);
  // The rewrites, and the reasons that name what they keep.
  for (const what of [
    'TaskGroup().run(...) → openNursery(...)',
    'tg.createTask(fn) → nursery.startSoon(fn)',
    'await nursery.start',
    '→ gatherInNursery',
    '→ settleInNursery',
    'waitFor(fn, t) → failAfter(t, fn)',
    'timeout(...) → failAfter(...)',
    'timeoutAt(...) → failAt(...)',
    'catch TimeoutError → TooSlowError',
    'Semaphore used as a limiter → CapacityLimiter',
    'loop.time() → currentTime()',
    'sleep(s, value)',
    'run(fn, { clock })',
    'CancelledError → Cancelled',
    'Promise.all over async calls',
    'AbortSignal.timeout(ms) → failAfter',
    'setTimeout + AbortController timeout',
    'wrapped with aioAsTrio',
    'used producer/consumer-style → openMemoryChannel(2); taskDone() dropped',
    'used producer/consumer-style → openMemoryChannel(Infinity)',
    'put(null) sentinel → queueSend.close()',
    'put(DONE) sentinel → jobsSend.close()',
    "the consumer's get() loop → for await",
    'kept  Task.uncancel()',
    'kept  Task.cancelling()',
    'kept  this TaskGroup keeps a Task',
    'kept  Semaphore is used for more',
    'kept  Queue.qsize() has no memory channel equivalent',
    'kept  a LifoQueue takes items out of FIFO order',
    'kept  takenSend or takenReceive is taken',
    'kept  the Timeout object t escapes the block',
    'kept  Timeout.expired() has no CancelScope equivalent here',
    'kept  this TaskGroup escapes as a value (keep(tg))',
    'kept  this TaskGroup gets createTask options other than a literal name',
  ])
    expect(reports).toContain(what);
});

describe.each(cases)('%s', (name) => {
  const input = read(`${name}.in.txt`);
  const expected = read(`${name}.out.txt`);

  test('migrates to the expected output and report', () => {
    const { output, changed, report } = migrateSource(input);
    expect(output).toBe(expected);
    expect(changed).toBe(true);
    expect(`${formatReport('input.ts', report)}\n`).toBe(read(`${name}.report.txt`));
  });

  test('is idempotent', () => {
    const again = migrateSource(expected);
    expect(again.output).toBe(expected);
    expect(again.changed).toBe(false);
    expect(again.report.filter((e) => e.kind !== 'kept')).toEqual([]);
  });
});

test('a file without asyncio or Duet imports is left alone', () => {
  const plain = 'export const all = (xs: Promise<number>[]) => Promise.all(xs);\n';
  expect(migrateSource(plain)).toEqual({ output: plain, changed: false, report: [] });
});

test('every fixture type-checks, before and after (the rewrites keep the types)', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'duet-migrate-fixtures-'));
  try {
    const files = cases.flatMap((c) =>
      ['in', 'out'].map((side) => {
        const file = path.join(tmp, `${c}.${side}.ts`);
        copyFileSync(path.join(dir, `${c}.${side}.txt`), file);
        return file;
      }),
    );
    expect(typeErrors(files)).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}, 60_000);
