// The timeouts cookbook in virtual time: the same output on every run, in milliseconds.
import { MockClock, run as aioRun } from '@duet/asyncio';
import { trioTest } from '@duet/trio/testing';
import { asyncioTimeouts } from './lib/asyncio-timeouts';
import { trioTimeouts } from './lib/trio-timeouts';

test(
  'Trio style',
  trioTest(async () => {
    const lines: string[] = [];
    await trioTimeouts((l) => lines.push(l));
    expect(lines).toEqual([
      't=0.5s moveOnAfter(0.5): moved on, cancelledCaught=true',
      't=0.6s moveOnAfter(0.5, body): the body returned "fast enough"',
      't=0.9s failAfter(0.3): raised TooSlowError',
      't=0.9s nested: inner asks for 5 s, effective deadline in 1.0 s',
      't=1.9s nested: the outer 1 s deadline ended both scopes',
      't=2.4s shield: cleanup finished its 0.3 s of work after the 0.2 s timeout',
      't=2.9s deadline moved: 0.2 s became 0.5 s',
    ]);
  }),
);

test('asyncio style', async () => {
  const lines: string[] = [];
  await aioRun(() => asyncioTimeouts((l) => lines.push(l)), {
    clock: new MockClock({ autojumpThreshold: 0 }),
  });
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
});
