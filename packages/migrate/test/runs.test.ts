// The Queue → memory channel fixture run both ways: the asyncio original under asyncio's run and
// the migrated program under Trio's, in virtual time; each step happens at the same time in both.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asyncioTest } from '@duet/asyncio';
import { currentTime, sleep } from '@duet/trio';
import { trioTest } from '@duet/trio/testing';
import { typeErrors } from './convert-examples';

interface Program {
  pipeline(items: number[], handle: (n: number) => Promise<void>): Promise<void>;
  lines(source: AsyncIterable<string>, print: (line: string) => void): Promise<void>;
  drain(words: string[]): Promise<string[]>;
  pair(): Promise<number>;
}

let dir: string;
const programs: Record<'asyncio' | 'trio', Program> = {} as never;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'duet-migrate-queue-'));
  for (const [style, fixture] of [
    ['asyncio', 'queue.in.txt'],
    ['trio', 'queue.out.txt'],
  ] as const) {
    const file = path.join(dir, `${style}.ts`);
    copyFileSync(path.join(__dirname, 'fixtures', fixture), file);
    programs[style] = (await import(file)) as Program;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs each program of the fixture, logging what happens and when. */
async function exercise(program: Program): Promise<string[]> {
  const log: string[] = [];
  const at = (what: string) => log.push(`t=${currentTime().toFixed(1)} ${what}`);
  await program.pipeline([1, 2, 3, 4], async (n) => {
    await sleep(0.5);
    at(`handled ${n}`);
  });
  at('pipeline returned');
  async function* source() {
    for (const line of [' a ', 'b ', ' c']) {
      await sleep(0.1);
      yield line;
    }
  }
  await program.lines(source(), (line) => at(`line ${JSON.stringify(line)}`));
  at('lines returned');
  at(`drain: ${(await program.drain(['x', 'y', 'z'])).join(',')}`);
  at(`pair: ${await program.pair()}`);
  return log;
}

const expected = [
  't=0.5 handled 1',
  't=1.0 handled 2',
  't=1.5 handled 3',
  't=2.0 handled 4',
  't=2.0 pipeline returned',
  't=2.1 line "a"',
  't=2.2 line "b"',
  't=2.3 line "c"',
  't=2.3 lines returned',
  't=2.3 drain: x,y,z',
  't=2.3 pair: 1',
];

test(
  'the asyncio original, under asyncio',
  asyncioTest(async () => expect(await exercise(programs.asyncio)).toEqual(expected)),
);

test(
  'the migrated program, under Trio',
  trioTest(async () => expect(await exercise(programs.trio)).toEqual(expected)),
);

test('both programs type-check (the channel type lost the sentinel)', () => {
  expect(typeErrors(['asyncio.ts', 'trio.ts'].map((f) => path.join(dir, f)))).toEqual([]);
}, 60_000);
