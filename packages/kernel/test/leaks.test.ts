// Nothing of a run is left behind once it has settled: timers, immediates, tasks.
import { CancelScope, openNursery, run, sleep } from '@duet/kernel';

function ourHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate')
    .length;
}

describe('leaks and exit', () => {
  test('after run() settles no timer or immediate of the run remains', async () => {
    const before = ourHandles();
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(() => sleep(0.002));
        n.startSoon(async () => {
          await new CancelScope({ relativeDeadline: 60 }).run(() => sleep(0.001));
        });
      });
    });
    expect(ourHandles()).toBeLessThanOrEqual(before);
  });

  test('a failed run leaves nothing behind either', async () => {
    const before = ourHandles();
    await expect(
      run(async () => {
        await new CancelScope({ relativeDeadline: 30 }).run(async () => {
          await sleep(0.001);
          throw new Error('fail');
        });
      }),
    ).rejects.toThrow('fail');
    expect(ourHandles()).toBeLessThanOrEqual(before);
  });
});
