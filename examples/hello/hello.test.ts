import { MockClock as AioMockClock, run as aioRun } from '@duet/asyncio';
import { run as trioRun } from '@duet/trio';
import { MockClock } from '@duet/trio/testing';
import { hello as aioHello } from './lib/asyncio-hello';
import { hello as trioHello } from './lib/trio-hello';

test('the Trio-style hello prints in virtual time', async () => {
  const lines: string[] = [];
  await trioRun({ clock: new MockClock({ autojumpThreshold: 0 }) }, trioHello, (l: string) =>
    lines.push(l),
  );
  expect(lines).toEqual([
    't=0.0s parent: started two children; the nursery waits for both',
    't=0.1s greeter: hello from a child task',
    't=0.2s slowpoke: gave up after 0.2 s (moveOnAfter)',
    't=0.2s parent: both children are done',
  ]);
});

test('the asyncio-style hello prints in virtual time', async () => {
  const lines: string[] = [];
  await aioRun(() => aioHello((l) => lines.push(l)), {
    clock: new AioMockClock({ autojumpThreshold: 0 }),
  });
  expect(lines).toEqual([
    't=0.0s parent: created two tasks; the TaskGroup waits for both',
    't=0.1s greeter: hello from a task',
    't=0.2s slowpoke: TimeoutError after 0.2 s (asyncio.timeout)',
    't=0.2s parent: both tasks are done',
  ]);
});
