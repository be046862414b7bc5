/**
 * Scenarios of CPython 3.13's Lib/test/test_asyncio/test_events.py and test_base_events.py on
 * the loop API Duet has (callSoon / callLater / callAt / time, Handle and TimerHandle, the
 * exception handler), restated for Duet's API; each expected value is what CPython 3.13.0 gave.
 * Duet's own rules: a NaN delay is a `ValueError` and a callback that is not a function a
 * `TypeError` at the call (CPython checks that only in debug mode).
 */
import {
  MockClock,
  TimerHandle,
  createTask,
  getRunningLoop,
  run,
  sleep,
  type ExceptionContext,
} from '@duet/asyncio';

const clock = (): MockClock => new MockClock({ autojumpThreshold: 0 });
const noop = (): void => {};

describe('CPython test_events: scheduling callbacks', () => {
  test('callSoon runs in FIFO order; a callback scheduled by a callback runs at the next iteration', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        const log: string[] = [];
        loop.callSoon(() => {
          log.push('a');
          loop.callSoon(() => log.push('a2'));
        });
        loop.callSoon((x: string) => log.push(x), 'b');
        await sleep(0);
        const first = [...log];
        await sleep(0);
        return [first, log];
      },
      { clock: clock() },
    );
    expect(got).toEqual([
      ['a', 'b'],
      ['a', 'b', 'a2'],
    ]);
  });

  test('a negative callLater delay and a past callAt run at the next iteration, after the callbacks already ready', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        const log: string[] = [];
        loop.callLater(-1, () => log.push('negative delay'));
        loop.callAt(loop.time() - 5, () => log.push('past'));
        loop.callSoon(() => log.push('soon'));
        await sleep(0);
        const first = [...log];
        await sleep(0);
        return [first, log];
      },
      { clock: clock() },
    );
    // Both are due: the earlier due time first, as CPython's timer heap.
    expect(got).toEqual([['soon'], ['soon', 'past', 'negative delay']]);
  });

  test('timers run in time order; timers due at the same time in the order they were made', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        const log: (string | number)[] = [];
        const t = loop.time() + 0.01;
        for (let i = 0; i < 3; i++) loop.callAt(t, (x: number) => log.push(x), i);
        loop.callAt(t - 0.005, () => log.push('earlier'));
        await sleep(0.02);
        return log;
      },
      { clock: clock() },
    );
    expect(got).toEqual(['earlier', 0, 1, 2]);
  });

  test('when() is the due time; a cancelled timer never runs; cancel() after it ran still marks it', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        const log: string[] = [];
        const h = loop.callLater(10, noop);
        const when = h.when() - loop.time();
        const t = loop.callLater(0.01, () => log.push('x'));
        t.cancel();
        await sleep(0.02);
        const ran = loop.callSoon(noop);
        await sleep(0);
        ran.cancel();
        h.cancel();
        h.cancel(); // twice is fine
        return [when, log, ran.cancelled(), h.cancelled(), 'when' in ran];
      },
      { clock: clock() },
    );
    expect(got).toEqual([10, [], true, true, false]);
  });

  test('an infinite delay is a timer that never fires', async () => {
    const got = await run(
      async () => {
        const h = getRunningLoop().callLater(Infinity, noop);
        const when = h.when();
        h.cancel();
        return when;
      },
      { clock: clock() },
    );
    expect(got).toBe(Infinity);
  });

  test('test_handle_repr / test_timer_repr: what a handle shows, cancelled or not', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        function callback(): void {}
        const h = loop.callSoon(callback);
        const before = String(h);
        h.cancel();
        const t = loop.callAt(12.5, callback);
        const timer = String(t);
        t.cancel();
        return [before, String(h), timer, String(t), t instanceof TimerHandle];
      },
      { clock: clock() },
    );
    expect(got).toEqual([
      '<Handle callback()>',
      '<Handle cancelled>',
      '<TimerHandle when=12.5 callback()>',
      '<TimerHandle cancelled when=12.5>',
      true,
    ]);
  });
});

describe('CPython test_base_events: the exception handler', () => {
  test('a failing callback: message, exception and handle in the context', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        const seen: ExceptionContext[] = [];
        loop.setExceptionHandler((_l, c) => seen.push(c));
        const h = loop.callSoon(function bad() {
          throw new RangeError('x');
        });
        await sleep(0);
        const c = seen[0]!;
        return [Object.keys(c).sort(), c.message, c.handle === h, (c.exception as Error).message];
      },
      { clock: clock() },
    );
    expect(got).toEqual([
      ['exception', 'handle', 'message'],
      'Exception in callback bad',
      true,
      'x',
    ]);
  });

  test('an unretrieved error names its future (a task under "future" too, as CPython)', async () => {
    const seen: ExceptionContext[] = [];
    let task: unknown;
    let future: unknown;
    await run(
      async () => {
        const loop = getRunningLoop();
        loop.setExceptionHandler((_l, c) => seen.push(c));
        task = createTask(async () => {
          throw new RangeError('y');
        });
        const f = loop.createFuture();
        f.setException(new RangeError('z'));
        future = f;
        await sleep(0);
      },
      { clock: clock() },
    );
    const byMessage = Object.fromEntries(seen.map((c) => [c.message, c]));
    expect(byMessage['Task exception was never retrieved']!.future).toBe(task);
    expect(byMessage['Task exception was never retrieved']!.task).toBe(task);
    expect(byMessage['Future exception was never retrieved']!.future).toBe(future);
  });

  // CPython (outside debug mode) makes a coroutine of an async callback and never runs it; in
  // JavaScript it runs, and a rejection it ends in must reach the handler, not Node.
  test('an async callback that rejects is reported as a failing callback, never as an unhandled rejection', async () => {
    const got = await run(
      async () => {
        const loop = getRunningLoop();
        const seen: ExceptionContext[] = [];
        loop.setExceptionHandler((_l, c) => seen.push(c));
        const h = loop.callSoon(async function later() {
          await Promise.resolve();
          throw new RangeError('async cb');
        });
        const fut = loop.createFuture();
        fut.addDoneCallback(async function onDone() {
          throw new RangeError('async done cb');
        });
        fut.setResult(1);
        await sleep(0.01);
        // In the order the rejections come (microtasks): sorted, as only the reports matter.
        return seen
          .map((c) => [c.message, (c.exception as Error).message, c.handle === h])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      },
      { clock: clock() },
    );
    expect(got).toEqual([
      ['Exception in callback later', 'async cb', true],
      ['Exception in callback onDone', 'async done cb', false],
    ]);
  });

  test('a handler that raises: the default handler reports both; setExceptionHandler checks its argument', async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const got = await run(
        async () => {
          const loop = getRunningLoop();
          const failing = (): void => {
            throw new RangeError('handler failed');
          };
          loop.setExceptionHandler(failing);
          loop.callExceptionHandler({ message: 'm' });
          const kept = loop.getExceptionHandler() === failing;
          let typeError: unknown = null;
          try {
            loop.setExceptionHandler(1 as never);
          } catch (err) {
            typeError = err;
          }
          loop.setExceptionHandler(null);
          return [kept, typeError instanceof TypeError, loop.getExceptionHandler()];
        },
        { clock: clock() },
      );
      expect(got).toEqual([true, true, null]);
    } finally {
      spy.mockRestore();
    }
    expect(writes.join('')).toContain('Unhandled error in exception handler (m)');
    expect(writes.join('')).toContain('handler failed');
  });

  test('time() is a number that never goes back', async () => {
    const got = await run(async () => {
      const loop = getRunningLoop();
      const a = loop.time();
      await sleep(0.01);
      const b = loop.time();
      return [typeof a, b >= a + 0.005];
    });
    expect(got).toEqual(['number', true]);
  });
});
