// asyncioTest as any test runner sees it: the runner's arguments reach the body, the runner's abort
// signal cancels the main task, and `clock: 'system'` runs the loop on real time for real I/O.
import { SystemClock } from '@duet/kernel';
import {
  CancelledError,
  MockClock,
  TimeoutError,
  asyncioTest,
  getRunningLoop,
  sleep,
  waitFor,
} from '@duet/asyncio';

describe('asyncioTest and the test runner', () => {
  test('passes the runner’s arguments after the clock, and has no `done` parameter', async () => {
    const adapted = asyncioTest(async (clock, ctx: { name: string }, extra: number) => {
      expect(clock).toBeInstanceOf(MockClock);
      return `${ctx.name}/${extra}`;
    });
    expect(adapted.length).toBe(0);
    await expect(adapted({ name: 'ctx' }, 3)).resolves.toBe('ctx/3');
  });

  test('the runner’s abort signal cancels the main task', async () => {
    const controller = new AbortController();
    let cancelledInBody = false;
    const adapted = asyncioTest(
      async (_clock, _t: { signal: AbortSignal }) => {
        try {
          await sleep(60);
        } catch (err) {
          cancelledInBody = err instanceof CancelledError;
          throw err;
        }
      },
      { clock: 'system' },
    );
    const timer = setTimeout(() => controller.abort(new Error('test timed out')), 20);
    try {
      await expect(adapted({ signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    } finally {
      clearTimeout(timer);
    }
    expect(cancelledInBody).toBe(true);
  });
});

test("asyncioTest({ clock: 'system' }): waitFor around real slow work times out in real time", async () => {
  const adapted = asyncioTest(
    async (clock) => {
      expect(clock).toBeInstanceOf(SystemClock);
      const loop = getRunningLoop();
      const started = loop.time();
      let timer: ReturnType<typeof setTimeout> | undefined;
      // A real 3 s wait outside the loop (what a slow server is), adopted by waitFor.
      const slow = new Promise((resolve) => (timer = setTimeout(resolve, 3000)));
      try {
        await expect(waitFor(slow, 0.2)).rejects.toBeInstanceOf(TimeoutError);
      } finally {
        clearTimeout(timer);
      }
      return loop.time() - started;
    },
    { clock: 'system' },
  );
  const elapsed = await adapted();
  expect(elapsed).toBeGreaterThanOrEqual(0.19);
  expect(elapsed).toBeLessThan(2.5);
});
