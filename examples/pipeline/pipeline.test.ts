// The pipeline in virtual time: trioTest / asyncioTest give the run a MockClock that autojumps.
import { asyncioTest } from '@duet/asyncio';
import { trioTest } from '@duet/trio/testing';
import { pipeline as aioPipeline } from './lib/asyncio-pipeline';
import { pipeline } from './lib/pipeline';

test(
  'every item comes through once, back-pressure holds the producer, closing ends each stage',
  trioTest(async () => {
    const lines: string[] = [];
    const squares = await pipeline({
      items: 12,
      workers: 3,
      unit: 0.05,
      print: (l) => lines.push(l),
    });
    expect([...squares].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i + 1) ** 2),
    );
    expect(lines.filter((l) => l.includes('consumer: ') && l.includes('²'))).toHaveLength(12);
    // Stages end in order: producer, then every worker, then the consumer.
    const ends = lines.filter((l) => l.includes('done') || l.includes('closing'));
    const who = ends.map((l) => l.replace(/^t=\S+ /, '').split(':')[0]);
    expect(who[0]).toBe('producer');
    expect(who.slice(1, 4).sort()).toEqual(['worker 0', 'worker 1', 'worker 2']);
    expect(who.slice(4)).toEqual(['consumer', 'all done']);
    // Which worker gets a job depends on ties in virtual time; the totals do not.
    const last =
      /^t=0\.45s all done: 12 results; jobs per worker: (\d+), (\d+), (\d+); the producer spent 0\.35s blocked by back-pressure$/.exec(
        lines.at(-1)!,
      );
    expect(last).not.toBeNull();
    expect(Number(last![1]) + Number(last![2]) + Number(last![3])).toBe(12);
  }),
);

test(
  'one worker: the same results, in order, three times slower',
  trioTest(async () => {
    const lines: string[] = [];
    const squares = await pipeline({ items: 6, workers: 1, print: (l) => lines.push(l) });
    expect(squares).toEqual([1, 4, 9, 16, 25, 36]);
    expect(lines.at(-1)).toMatch(/^t=0\.60s all done: 6 results; jobs per worker: 6;/);
  }),
);

test(
  'asyncio style: every item once, the bounded queue holds the producer, shutdown ends each stage',
  asyncioTest(async () => {
    const lines: string[] = [];
    const squares = await aioPipeline({ items: 12, workers: 3, print: (l) => lines.push(l) });
    expect([...squares].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i + 1) ** 2),
    );
    const ends = lines.filter((l) => l.includes('done') || l.includes('shutting'));
    const who = ends.map((l) => l.replace(/^t=\S+ /, '').split(':')[0]);
    expect(who[0]).toBe('producer');
    expect(who.slice(1, 4).sort()).toEqual(['worker 0', 'worker 1', 'worker 2']);
    expect(who.slice(4)).toEqual(['consumer', 'all done']);
    const last =
      /^t=0\.45s all done: 12 results; jobs per worker: (\d+), (\d+), (\d+); the producer spent 0\.30s blocked by back-pressure$/.exec(
        lines.at(-1)!,
      );
    expect(last).not.toBeNull();
    expect(Number(last![1]) + Number(last![2]) + Number(last![3])).toBe(12);
  }),
);

test(
  'asyncio style, one worker: the same results, in order',
  asyncioTest(async () => {
    const lines: string[] = [];
    const squares = await aioPipeline({ items: 6, workers: 1, print: (l) => lines.push(l) });
    expect(squares).toEqual([1, 4, 9, 16, 25, 36]);
    expect(lines.at(-1)).toMatch(/^t=0\.60s all done: 6 results; jobs per worker: 6;/);
  }),
);
