// hello-nursery, Trio style: the program whose bundle size docs/BENCHMARKS.md records.
import { openNursery, run, sleep } from '@duet/trio';

await run(async () => {
  await openNursery(async (nursery) => {
    nursery.startSoon(async () => {
      await sleep(0.01);
      console.log('hello from a child');
    });
  });
});
