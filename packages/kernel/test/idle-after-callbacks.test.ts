import { MockClock, callAt, currentRunner, currentTime, run, sleep } from '@duet/kernel';

test('autojump still happens when the last batch ran only callbacks', async () => {
  const t = await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, async () => {
    const runner = currentRunner();
    let fired = 0;
    // At t=1 a timer callback runs (a batch with no task step); every task stays blocked.
    callAt(runner, 1, () => {
      fired++;
      runner.callSoon(() => fired++);
    });
    await sleep(3);
    expect(fired).toBe(2);
    return currentTime();
  });
  expect(t).toBe(3);
}, 2000);
