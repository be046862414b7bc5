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

test('an idle check made early (by the host timer) leaves no immediate behind when the run ends', async () => {
  const immediates = () => process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;
  const before = immediates();
  await run(async () => {
    const runner = currentRunner();
    // What the host timer does when it fires while an idle check is already queued for the host
    // turn: it checks at once. The run then ends before that host turn comes.
    runner.idle.schedule();
    runner.idle.check();
  });
  expect(immediates()).toBe(before);
});
