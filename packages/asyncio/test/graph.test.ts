import {
  Lock,
  TaskGroup,
  asyncioTest,
  formatCallGraph,
  printCallGraph,
  sleep,
} from '@duet/asyncio';

test(
  'formatCallGraph shows every task with what it waits on',
  asyncioTest(async () => {
    const lock = new Lock();
    await lock.acquire();
    await new TaskGroup().run(async (tg) => {
      tg.createTask(() => sleep(5), { name: 'sleeper' });
      tg.createTask(() => lock.acquire(), { name: 'locker' });
      await sleep(1);
      const text = formatCallGraph();
      expect(text).toMatch(/sleeper: parked on sleep until t=5/);
      expect(text).toMatch(/locker: parked on/);
      const printed: string[] = [];
      printCallGraph((t) => printed.push(t));
      expect(printed[0]).toContain('sleeper');
      lock.release();
    });
    lock.release();
  }),
);
