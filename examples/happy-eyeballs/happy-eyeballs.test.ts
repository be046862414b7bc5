// Happy Eyeballs against real listeners on 127.0.0.1 (and a real child process for the black hole),
// in both styles.
import { run as aioRun } from '@duet/asyncio';
import { run } from '@duet/trio';
import { happyEyeballs as aioHappyEyeballs } from './lib/asyncio-happy-eyeballs';
import { happyEyeballs, type HappyEyeballsOptions } from './lib/happy-eyeballs';

const withoutTimes = (lines: string[]) =>
  lines.slice(1).map((l) => l.replace(/^t=\d+\.\d+s /, '').replace(/ on port \d+$/, ''));

// Real time: each attempt must see its refusal before the next one's delay is up, even on a busy
// machine (0.1 s was too short under a load of 14 on 2 cores).
const DELAY = 0.25;

type Style = (options: HappyEyeballsOptions) => Promise<{ name: string }>;

const styles: Array<[string, Style, string[]]> = [
  // The last item: the order in which each style's cancelled attempts report.
  ['Trio', (o) => run(() => happyEyeballs(o)), ['slow: cancelled', 'black-hole: cancelled']],
  // Task.cancel() is delivered in the order the attempts were cancelled: oldest first.
  [
    'asyncio',
    (o) => aioRun(() => aioHappyEyeballs(o)),
    ['black-hole: cancelled', 'slow: cancelled'],
  ],
];

describe.each(styles)('%s style', (_style, happy, cancelledOrder) => {
  test('the first to answer wins and the other attempts are cancelled', async () => {
    const lines: string[] = [];
    const winner = await happy({
      delay: DELAY,
      slowGreeting: 3 * DELAY,
      print: (l) => lines.push(l),
    });
    expect(winner.name).toBe('good');
    expect(withoutTimes(lines)).toEqual([
      'refused: connecting',
      'refused: failed (ECONNREFUSED), starting the next attempt now',
      'black-hole: connecting',
      'slow: connecting',
      'good: connecting',
      'good: connected ("hello from good"), cancelling the others',
      ...cancelledOrder,
      'winner: good',
    ]);
    // The stagger: good starts two delays after black-hole.
    const started = lines.find((l) => l.endsWith('good: connecting'))!;
    expect(Number(/t=(\d+\.\d+)s/.exec(started)![1])).toBeGreaterThanOrEqual(2 * DELAY - 0.01);
  });

  test('without the good host the slow one wins, after its greeting delay', async () => {
    const lines: string[] = [];
    const winner = await happy({
      delay: DELAY,
      slowGreeting: 2 * DELAY,
      withoutGood: true,
      print: (l) => lines.push(l),
    });
    expect(winner.name).toBe('slow');
    expect(withoutTimes(lines)).toEqual([
      'refused: connecting',
      'refused: failed (ECONNREFUSED), starting the next attempt now',
      'black-hole: connecting',
      'slow: connecting',
      'slow: connected ("hello from slow"), cancelling the others',
      'black-hole: cancelled',
      'winner: slow',
    ]);
  });
});
