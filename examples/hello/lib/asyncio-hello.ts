/**
 * Hello, asyncio style: a TaskGroup with two children, one of which is too slow for its timeout.
 */
import { TaskGroup, TimeoutError, getRunningLoop, sleep, timeout } from '@duet/asyncio';

/** Runs the example, reporting each step through `print`. */
export async function hello(print: (line: string) => void = console.log): Promise<void> {
  const loop = getRunningLoop();
  const start = loop.time();
  const at = () => `t=${(loop.time() - start).toFixed(1)}s`;
  await new TaskGroup().run(async (tg) => {
    tg.createTask(
      async () => {
        await sleep(0.1);
        print(`${at()} greeter: hello from a task`);
      },
      { name: 'greeter' },
    );
    tg.createTask(
      async () => {
        try {
          await timeout(0.2, () => sleep(10));
          print('slowpoke: never printed, the timeout cancels the sleep');
        } catch (err) {
          if (!(err instanceof TimeoutError)) throw err;
          print(`${at()} slowpoke: TimeoutError after 0.2 s (asyncio.timeout)`);
        }
      },
      { name: 'slowpoke' },
    );
    print(`${at()} parent: created two tasks; the TaskGroup waits for both`);
  });
  print(`${at()} parent: both tasks are done`);
}
