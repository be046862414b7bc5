// trioTest as any test runner sees it: the runner's arguments reach the body, the runner's abort
// signal cancels the run, and `clock: 'system'` runs the test on real time for real I/O.
import http from 'node:http';
import { awaitForeign, currentSignal } from '@duet/kernel';
import { TooSlowError, currentTime, failAfter, sleep } from '@duet/trio';
import { MockClock, SystemClock, trioTest } from '@duet/trio/testing';

describe('trioTest and the test runner', () => {
  test('passes the runner’s arguments after the clock, and has no `done` parameter', async () => {
    const context = { name: 'a test context' };
    const adapted = trioTest(async (clock, ctx: typeof context, extra: number) => {
      expect(clock).toBeInstanceOf(MockClock);
      return `${ctx.name}/${extra}`;
    });
    expect(adapted.length).toBe(0); // node:test and Jest treat length >= 1 or 2 as callback style
    await expect(adapted(context, 7)).resolves.toBe('a test context/7');
  });

  test('the runner’s abort signal (t.signal) cancels the run and fails the test', async () => {
    const controller = new AbortController();
    const reason = new Error('test timed out');
    let cancelledInBody = false;
    const adapted = trioTest(
      async (_clock, _t: { signal: AbortSignal }) => {
        try {
          await sleep(60);
        } catch (err) {
          cancelledInBody = true;
          throw err;
        }
      },
      { clock: 'system' },
    );
    const timer = setTimeout(() => controller.abort(reason), 20);
    const started = Date.now();
    try {
      await expect(adapted({ signal: controller.signal })).rejects.toBe(reason);
    } finally {
      clearTimeout(timer);
    }
    expect(cancelledInBody).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('an already aborted signal cancels the body at its first checkpoint', async () => {
    const reason = new Error('bail');
    const steps: string[] = [];
    const adapted = trioTest(async (_clock, _signal: AbortSignal) => {
      steps.push('started');
      await sleep(1);
      steps.push('after sleep');
    });
    await expect(adapted(AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(steps).toEqual(['started']);
  });

  test('a run without a signal is not affected by a context that has none', async () => {
    const adapted = trioTest(async (_clock, ctx: { signal?: unknown }) => {
      await sleep(5);
      return [currentTime(), ctx.signal];
    });
    await expect(adapted({ signal: 'not a signal' })).resolves.toEqual([5, 'not a signal']);
  });
});

describe("trioTest({ clock: 'system' }) for real I/O", () => {
  test('a timeout around a slow real request fires in real time', async () => {
    const server = http.createServer((_req, res) => {
      const timer = setTimeout(() => res.end('late'), 3000);
      res.on('close', () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const adapted = trioTest(
        async (clock) => {
          expect(clock).toBeInstanceOf(SystemClock);
          const started = currentTime();
          await expect(
            failAfter(0.2, () =>
              awaitForeign(
                fetch(`http://127.0.0.1:${port}/`, { signal: currentSignal() }).then((r) =>
                  r.text(),
                ),
              ),
            ),
          ).rejects.toBeInstanceOf(TooSlowError);
          return currentTime() - started;
        },
        { clock: 'system' },
      );
      const elapsed = await adapted();
      expect(elapsed).toBeGreaterThanOrEqual(0.19);
      expect(elapsed).toBeLessThan(2.5);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a bad clock option is a TypeError when the test is declared', () => {
    expect(() => trioTest(async () => {}, { clock: 'wall' as unknown as 'system' })).toThrow(
      /clock must be a MockClock or 'system', got wall/,
    );
  });
});
