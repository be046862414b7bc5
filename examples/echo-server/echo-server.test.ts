// The echo server on real loopback sockets: load, then a graceful shutdown.
import { run as aioRun } from '@duet/asyncio';
import { run } from '@duet/trio';
import { echoDemo as aioEchoDemo } from './lib/asyncio-echo-server';
import { echoDemo, type EchoDemoOptions } from './lib/echo-server';

const small = { clients: 40, concurrency: 20, messages: 3, lingering: 3, grace: 0.2 };

const styles = [
  ['Trio style', (o: EchoDemoOptions) => run(() => echoDemo(o))],
  ['asyncio style', (o: EchoDemoOptions) => aioRun(() => aioEchoDemo(o))],
] as const;

test.each(styles)(
  '%s: serves every client, then stops accepting, lets work finish and cancels idle connections',
  async (_style, demo) => {
    const lines: string[] = [];
    const stats = await demo({ ...small, trigger: 'direct', print: (l) => lines.push(l) });
    // 40 clients + 3 lingering + 1 still working at shutdown
    expect(stats.accepted).toBe(44);
    expect(stats.finishedByThemselves).toBe(41);
    expect(stats.cancelledAtDeadline).toBe(3);
    expect(lines[1]).toMatch(/^40 clients \(20 at a time\) sent 120 lines and got \d+ bytes back/);
    expect(lines.slice(2)).toEqual([
      'shutdown: stopped accepting; 4 connection(s) open, 0.2 s to finish',
      'shutdown: done — 41 connection(s) closed by their clients, 3 cancelled at the deadline',
    ]);
  },
);

// The SIGTERM path is exercised by the demo programs (trio.ts, asyncio.ts), not here: Jest hands tests a
// sandboxed `process` whose listeners do not receive the worker's real signals.
