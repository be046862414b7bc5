// A missing `await` in asyncio style is a RuntimeError that reaches run()'s caller; the Jest guard
// fails the test if anything is left as an unhandled rejection.
import { ExceptionGroup, RuntimeError, TaskGroup, run, sleep } from '@duet/asyncio';

const NOT_AWAITED = /a Duet call was not awaited/;

test('regression: TaskGroup.run(...) without await, then an awaited sleep', async () => {
  const err = await run(async () => {
    void new TaskGroup().run(async (tg) => {
      tg.createTask(() => sleep(0.01));
    });
    await sleep(0.05);
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as Error).message).toMatch(NOT_AWAITED);
});

test('in a task of a TaskGroup: the group raises it in an ExceptionGroup', async () => {
  const err = await run(() =>
    new TaskGroup().run(async (tg) => {
      tg.createTask(async () => {
        void sleep(0.01);
        await sleep(0.05);
      });
    }),
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ExceptionGroup);
  expect(((err as ExceptionGroup).exceptions[0] as Error).message).toMatch(NOT_AWAITED);
});
