/**
 * Hello, Trio style: a nursery with two children, one of which is too slow for its timeout.
 */
import { currentTime, moveOnAfter, openNursery, sleep } from '@duet/trio';

/** Runs the example, reporting each step through `print`. */
export async function hello(print: (line: string) => void = console.log): Promise<void> {
  const start = currentTime();
  const at = () => `t=${(currentTime() - start).toFixed(1)}s`;
  await openNursery(async (nursery) => {
    nursery.startSoon(async function greeter() {
      await sleep(0.1);
      print(`${at()} greeter: hello from a child task`);
    });
    nursery.startSoon(async function slowpoke() {
      await moveOnAfter(0.2, async () => {
        await sleep(10);
        print('slowpoke: never printed, the timeout cancels the sleep');
      });
      print(`${at()} slowpoke: gave up after 0.2 s (moveOnAfter)`);
    });
    print(`${at()} parent: started two children; the nursery waits for both`);
  });
  print(`${at()} parent: both children are done`);
}
