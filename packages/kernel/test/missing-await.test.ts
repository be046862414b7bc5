/**
 * A missing `await` is a clear error that reaches the caller of run(), never a crash: the Jest
 * guard fails any of these tests that leaves an unhandled rejection or an uncaught exception.
 */
import {
  CancelScope,
  ExceptionGroup,
  RuntimeError,
  openNursery,
  run,
  sleep,
  sleepForever,
} from '@duet/kernel';

const NOT_AWAITED =
  /started a wait \(.+\) while it was still in another \(.+\): a Duet call was not awaited/;

describe('a wait started while another is pending', () => {
  test('regression: openNursery(...) without await, then an awaited sleep', async () => {
    const err = await run(async () => {
      void openNursery(async (n) => {
        n.startSoon(sleep, 0.01);
      });
      await sleep(0.05);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(NOT_AWAITED);
    expect((err as Error).message).toMatch(/joining 1 child task/);
  });

  test('regression: a scope body left running without await', async () => {
    const err = await run(async () => {
      void new CancelScope().run(() => sleep(0.01));
      await sleep(0.05);
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(NOT_AWAITED);
  });

  test('in a child task: the error reaches the nursery and cancels the siblings', async () => {
    const start = performance.now();
    const err = await run(() =>
      openNursery(async (n) => {
        n.startSoon(async function forgetful() {
          void sleep(0.01);
          await sleep(0.05);
        });
        n.startSoon(sleepForever);
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExceptionGroup);
    const [only] = (err as ExceptionGroup).exceptions;
    expect((only as Error).message).toMatch(/forgetful/);
    expect((only as Error).message).toMatch(NOT_AWAITED);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  test('returning while a wait is pending names the wait', async () => {
    const err = await run(async () => {
      void sleep(0.01);
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /returned while a wait it started \(sleep until t=.+\) was still pending: a Duet call was not awaited/,
    );
  });

  test('the caller can go on: a later run works normally', async () => {
    await run(async () => {
      void sleep(1);
      await sleep(1);
    }).catch(() => {});
    await expect(run(async () => (await sleep(0), 'ok'))).resolves.toBe('ok');
  });
});
