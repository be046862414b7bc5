// Fixtures run both ways: the asyncio original under asyncio's run and the migrated program under
// Trio's, in virtual time; each step happens at the same time, with the same result, in both.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asyncioTest } from '@duet/asyncio';
import { currentTime, sleep } from '@duet/trio';
import { trioTest } from '@duet/trio/testing';

interface QueueFixture {
  pipeline(items: number[], handle: (n: number) => Promise<void>): Promise<void>;
  lines(source: AsyncIterable<string>, print: (line: string) => void): Promise<void>;
  drain(words: string[]): Promise<string[]>;
  pair(): Promise<number>;
}

interface TaskGroupFixture {
  main(work: (n: number) => Promise<number>): Promise<number>;
}

/** A log line stamped with the virtual time. */
function logger(): { log: string[]; at(what: string): void } {
  const log: string[] = [];
  return { log, at: (what) => log.push(`t=${currentTime().toFixed(1)} ${what}`) };
}

/** What each fixture's programs are run with, and the log both must write. */
const runs = {
  queue: {
    async exercise(program: QueueFixture): Promise<string[]> {
      const { log, at } = logger();
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
    },
    expected: [
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
    ],
  },
  taskgroup: {
    async exercise(program: TaskGroupFixture): Promise<string[]> {
      const { log, at } = logger();
      const result = await program.main(async (n) => {
        await sleep(n * 0.2);
        at(`work(${n}) done`);
        return n * 10;
      });
      at(`main returned ${result}`);
      return log;
    },
    expected: ['t=0.2 work(1) done', 't=0.4 work(2) done', 't=1.0 main returned 20'],
  },
} satisfies Record<string, { exercise(program: never): Promise<string[]>; expected: string[] }>;

let dir: string;
const programs: Record<string, { asyncio: unknown; trio: unknown }> = {};
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'duet-migrate-runs-'));
  for (const name of Object.keys(runs)) {
    const load = async (side: 'in' | 'out') => {
      const file = path.join(dir, `${name}.${side}.ts`);
      copyFileSync(path.join(__dirname, 'fixtures', `${name}.${side}.txt`), file);
      return import(file);
    };
    programs[name] = { asyncio: await load('in'), trio: await load('out') };
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(Object.keys(runs) as (keyof typeof runs)[])('%s', (name) => {
  const { exercise, expected } = runs[name] as {
    exercise(program: unknown): Promise<string[]>;
    expected: string[];
  };
  test(
    'the asyncio original, under asyncio',
    asyncioTest(async () => expect(await exercise(programs[name]!.asyncio)).toEqual(expected)),
  );
  test(
    'the migrated program, under Trio',
    trioTest(async () => expect(await exercise(programs[name]!.trio)).toEqual(expected)),
  );
});
