/** The same cookbook in asyncio style: `waitFor` and `timeout` side by side. */
import {
  TimeoutError,
  createTask,
  getRunningLoop,
  shield,
  sleep,
  timeout,
  waitFor,
} from '@duet/asyncio';

/** Runs every recipe in turn. */
export async function asyncioTimeouts(print: (line: string) => void = console.log): Promise<void> {
  const loop = getRunningLoop();
  const start = loop.time();
  const at = () => `t=${(loop.time() - start).toFixed(1)}s`;

  // 1. waitFor: one awaitable, one timeout; on expiry it is cancelled and waited for.
  try {
    await waitFor(() => sleep(10), 0.5);
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    print(`${at()} waitFor(sleep(10), 0.5): TimeoutError`);
  }
  const result = await waitFor(() => sleep(0.1, 'fast enough'), 0.5);
  print(`${at()} waitFor(sleep(0.1), 0.5): returned ${JSON.stringify(result)}`);

  // 2. timeout: a block with a deadline (asyncio.timeout, 3.11+).
  try {
    await timeout(0.3, async () => {
      await sleep(0.1);
      await sleep(10);
    });
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    print(`${at()} timeout(0.3): TimeoutError; the second sleep was interrupted`);
  }

  // 3. Nested: the earlier deadline fires; only the scope that expired raises TimeoutError.
  try {
    await timeout(5, async () => {
      try {
        await timeout(0.2, () => sleep(10));
      } catch (err) {
        if (!(err instanceof TimeoutError)) throw err;
        print(`${at()} nested: the inner timeout(0.2) expired; the outer one keeps running`);
      }
      await sleep(0.1);
    });
    print(`${at()} nested: the outer timeout(5) never fired`);
  } catch {
    print('never printed');
  }

  // 4. reschedule: move the deadline from inside.
  await timeout(0.2, async (cm) => {
    cm.reschedule(loop.time() + 0.5);
    await sleep(0.4);
  });
  print(`${at()} reschedule: 0.2 s became 0.5 s, and 0.4 s of work fit`);

  // 5. shield: the outer wait times out, the shielded work carries on and can be awaited.
  const work = createTask(() => sleep(0.3, 'saved'), { name: 'important' });
  try {
    await waitFor(shield(work), 0.1);
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    print(
      `${at()} shield: waitFor gave up after 0.1 s, the task is still running: ${!work.done()}`,
    );
  }
  const saved = await work;
  print(`${at()} shield: the task finished anyway with ${JSON.stringify(saved)}`);
}
