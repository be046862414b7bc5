import { MockClock } from '@duet/trio/testing';
import { main } from './lib/main';

test('the migration example runs both styles both ways and stops on an outside abort', async () => {
  const lines: string[] = [];
  // Virtual time, so that job 5 (0.25 s) always beats its 0.27 s waitFor: in real time a loaded
  // machine that stalls the process past both lets the timeout land first. The clock jumps only
  // after 50 real ms of idleness, so the second run still lasts past its real 0.12 s abort.
  await main((l) => lines.push(l), { clock: new MockClock({ autojumpThreshold: 0.05 }) });
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
