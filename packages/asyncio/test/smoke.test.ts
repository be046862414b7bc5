import { MockClock, createTask, getRunningLoop, run, sleep, CancelledError, currentTask } from '@duet/asyncio';

const opts = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

test('smoke', async () => {
  const r = await run(async () => {
    const t = createTask(async () => { await sleep(5); return 7; });
    const t2 = createTask(async () => { await sleep(100); return 8; });
    const v = await t;
    t2.cancel('bye');
    await expect(t2).rejects.toThrow(CancelledError);
    expect(t2.cancelled()).toBe(true);
    expect(currentTask()!.getName()).toBe('Task-1');
    return [v, getRunningLoop().time()];
  }, opts());
  expect(r).toEqual([7, 5]);
});
