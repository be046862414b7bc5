// The codemod on the repo's asyncio-style examples, run the way a user runs it: the CLI, in place,
// on a copy of the whole example, its test file included. The converted programs are Trio style,
// type-check, and pass the example's own tests, which the codemod converted too: their asyncio
// `run` is Trio's `run` now, so the converted code runs under Trio with the same expected output
// (and the hand-written Trio version beside it passes its tests unchanged).
import path from 'node:path';
import { main } from '@duet/migrate';
import { convertExample, snapshot, typeErrors, type Converted } from './convert-examples';

const names = ['hello', 'timeouts', 'fetch-all'];
// Converted while Jest collects the tests: the examples' own test files are loaded below.
const converted: Record<string, Converted> = Object.fromEntries(
  names.map((name) => [name, convertExample(name)]),
);
afterAll(() => {
  for (const c of Object.values(converted)) c.remove();
});

// First, while nothing else has loaded the process (fetch-all's tests measure real requests).
describe.each(names)('examples/%s, converted, against its own tests', (name) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers that file's tests here
  require(path.join(converted[name]!.dir, `${name}.test.ts`));
});

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

test('the converted tests run the converted programs under Trio run()', () => {
  for (const name of names) {
    const tests = converted[name]!.read(`${name}.test.ts`);
    expect(tests).not.toContain('@duet/asyncio');
    expect(tests).toMatch(/import \{[^}]*\brun as aioRun\b[^}]*\} from '@duet\/trio';/);
    expect(tests).toMatch(/from '\.\/lib\/asyncio-[a-z-]+';/);
  }
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
