// The codemod on the repo's asyncio-style examples: the converted programs are Trio style, type-check,
// and behave as the asyncio originals did when run under Trio's run(); a second run changes nothing.
import path from 'node:path';
import { main } from '@duet/migrate';
import { run as trioRun } from '@duet/trio';
import { MockClock, trioTest } from '@duet/trio/testing';
import { convertExample, snapshot, typeErrors, type Converted } from './convert-examples';

const converted: Record<string, Converted> = {};
beforeAll(() => {
  for (const name of ['hello', 'timeouts', 'fetch-all']) converted[name] = convertExample(name);
});
afterAll(() => {
  for (const c of Object.values(converted)) c.remove();
});

const load = async <T>(name: string, rel: string): Promise<T> =>
  (await import(path.join(converted[name]!.dir, rel))) as T;

test('hello and fetch-all no longer use @duet/asyncio; timeouts keeps only what it must', () => {
  for (const file of ['lib/asyncio-hello.ts', 'asyncio.ts'])
    expect(converted.hello!.read(file)).not.toContain('@duet/asyncio');
  expect(converted['fetch-all']!.read('lib/asyncio-fetch-all.ts')).not.toContain('@duet/asyncio');
  const timeouts = converted.timeouts!.read('lib/asyncio-timeouts.ts');
  expect(timeouts).toContain(
    "import { TimeoutError, createTask, shield, waitFor } from '@duet/asyncio';",
  );
  expect(timeouts).toContain('return aioAsTrio(async () => {');
  expect(converted.timeouts!.output).toMatch(/kept {2}shield\(\) of a running Task/);
});

test('running the codemod again changes nothing', () => {
  for (const c of Object.values(converted)) {
    const before = snapshot(c.dir);
    let out = '';
    main(['--dry-run', c.dir], { out: (t) => (out += t), err: (t) => (out += t) });
    expect(out).not.toMatch(/^(\+\+\+|---) /m);
    main([c.dir], { out: () => {}, err: () => {} });
    expect(snapshot(c.dir)).toEqual(before);
  }
});

test('the converted programs type-check', () => {
  const roots = Object.values(converted).flatMap((c) =>
    Object.keys(snapshot(c.dir)).map((rel) => path.join(c.dir, rel)),
  );
  expect(typeErrors(roots)).toEqual([]);
}, 60_000);

test('hello: the converted program prints what the asyncio one did, under Trio run()', async () => {
  const { hello } = await load<{ hello(print: (l: string) => void): Promise<void> }>(
    'hello',
    'lib/asyncio-hello.ts',
  );
  const lines: string[] = [];
  await trioRun({ clock: new MockClock({ autojumpThreshold: 0 }) }, hello, (l: string) =>
    lines.push(l),
  );
  expect(lines).toEqual([
    't=0.0s parent: created two tasks; the TaskGroup waits for both',
    't=0.1s greeter: hello from a task',
    't=0.2s slowpoke: TimeoutError after 0.2 s (asyncio.timeout)',
    't=0.2s parent: both tasks are done',
  ]);
});

test(
  'timeouts: the converted cookbook keeps every timing, under trioTest',
  trioTest(async () => {
    const { asyncioTimeouts } = await load<{
      asyncioTimeouts(print: (l: string) => void): Promise<void>;
    }>('timeouts', 'lib/asyncio-timeouts.ts');
    const lines: string[] = [];
    await asyncioTimeouts((l) => lines.push(l));
    expect(lines).toEqual([
      't=0.5s waitFor(sleep(10), 0.5): TimeoutError',
      't=0.6s waitFor(sleep(0.1), 0.5): returned "fast enough"',
      't=0.9s timeout(0.3): TimeoutError; the second sleep was interrupted',
      't=1.1s nested: the inner timeout(0.2) expired; the outer one keeps running',
      't=1.2s nested: the outer timeout(5) never fired',
      't=1.6s reschedule: 0.2 s became 0.5 s, and 0.4 s of work fit',
      't=1.7s shield: waitFor gave up after 0.1 s, the task is still running: true',
      't=1.9s shield: the task finished anyway with "saved"',
    ]);
  }),
);
