/** A timeout error says how long the timeout was and when its deadline fell. */
import * as trio from '@duet/trio';
import * as aio from '@duet/asyncio';
import { MockClock } from '@duet/trio/testing';

const clock = () => new MockClock({ autojumpThreshold: 0 });

async function rejection(go: () => Promise<unknown>): Promise<Error> {
  return (await go().then(
    () => new Error('no error'),
    (e: unknown) => e,
  )) as Error;
}

describe('timeout messages carry the timeout', () => {
  test.each([
    [
      'trio failAfter(2.5)',
      () => trio.run({ clock: clock() }, () => trio.failAfter(2.5, () => trio.sleep(10))),
      trio.TooSlowError,
      /2\.5 s, deadline t=2\.5 on the run's clock/,
    ],
    [
      'trio failAt(4)',
      () => trio.run({ clock: clock() }, () => trio.failAt(4, () => trio.sleep(10))),
      trio.TooSlowError,
      /\(deadline t=4 on the run's clock\)/,
    ],
    [
      'asyncio timeout(1.5)',
      () => aio.run(() => aio.timeout(1.5, () => aio.sleep(10)), { clock: clock() }),
      aio.TimeoutError,
      /1\.5 s, deadline t=1\.5 on the loop's clock/,
    ],
    [
      'asyncio timeoutAt(3)',
      () => aio.run(() => aio.timeoutAt(3, () => aio.sleep(10)), { clock: clock() }),
      aio.TimeoutError,
      /\(deadline t=3 on the loop's clock\)/,
    ],
    [
      'asyncio waitFor(f, 0.25)',
      () => aio.run(() => aio.waitFor(() => aio.sleep(10), 0.25), { clock: clock() }),
      aio.TimeoutError,
      /0\.25 s/,
    ],
    [
      'asyncio waitFor(f, 0)',
      () => aio.run(() => aio.waitFor(() => aio.sleep(10), 0), { clock: clock() }),
      aio.TimeoutError,
      /waitFor\(\) timed out after 0 s/,
    ],
    [
      'asyncio asCompleted(..., { timeout: 2 })',
      () =>
        aio.run(
          async () => {
            for (const next of aio.asCompleted([() => aio.sleep(10)], { timeout: 2 })) await next;
          },
          { clock: clock() },
        ),
      aio.TimeoutError,
      /asCompleted\(\) timed out after 2 s/,
    ],
  ] as const)('%s', async (_name, go, cls, message) => {
    const err = await rejection(go);
    expect(err).toBeInstanceOf(cls);
    expect(err.message).toMatch(message);
  });
});
