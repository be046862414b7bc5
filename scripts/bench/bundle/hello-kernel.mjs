// hello-nursery on the kernel alone: the floor under both facades' bundle sizes.
import { openNursery, run, sleep } from '@duet/kernel';

await run(async () => {
  await openNursery(async (nursery) => {
    nursery.startSoon(async () => {
      await sleep(0.01);
      console.log('hello from a child');
    });
  });
});
