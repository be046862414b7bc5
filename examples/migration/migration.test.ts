import { main } from './lib/main';

test('the migration example runs both styles both ways and stops on an outside abort', async () => {
  const lines: string[] = [];
  await main((l) => lines.push(l));
  expect(lines.slice(0, 9)).toEqual([
    '1) a run that finishes (jobs 1-6; job 6 takes 0.3 s, more than its 0.27 s waitFor)',
    '  job 1: enriched',
    '  job 2: enriched',
    '  job 3: enriched',
    '  job 4: enriched',
    '  job 5: enriched',
    '  job 6: timed out after 0.27s',
    'pipeline finished: 6 jobs',
    '2) a run aborted by its caller after 0.12 s',
  ]);
  expect(lines.at(-1)).toBe('   aborted: the client went away');
}, 10_000);
