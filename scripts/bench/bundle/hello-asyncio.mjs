// hello-nursery, asyncio style: the program whose bundle size docs/BENCHMARKS.md records.
import { TaskGroup, run, sleep } from '@duet/asyncio';

await run(async () => {
  await new TaskGroup().run(async (tg) => {
    tg.createTask(async () => {
      await sleep(0.01);
      console.log('hello from a task');
    });
  });
});
