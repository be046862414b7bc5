import {
  EventLoop,
  MockClock,
  ValueError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  type ExceptionContext,
} from '@duet/asyncio';
import { vrun } from './helpers';

describe('getRunningLoop', () => {
  test('time() reads the run clock; callSoon runs in FIFO order at the next iteration', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      expect(loop).toBeInstanceOf(EventLoop);
      expect(loop.getDebug()).toBe(false);
      const log: string[] = [];
      loop.callSoon((a: string) => log.push(a), 'one');
      loop.callSoon(() => log.push('two'));
      const h = loop.callSoon(() => log.push('cancelled'));
      h.cancel();
      expect(h.cancelled()).toBe(true);
      log.push('sync');
      await sleep(0);
      await sleep(5);
      return [log, loop.time()];
    });
    expect(out).toEqual([['sync', 'one', 'two'], 5]);
  });

  test('callLater and callAt run at their time; handles cancel; when()', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const log: string[] = [];
      const a = loop.callLater(2, (x: number) => log.push(`later ${x} @${loop.time()}`), 7);
      const b = loop.callAt(1, () => log.push(`at @${loop.time()}`));
      const c = loop.callLater(1.5, () => log.push('never'));
      c.cancel();
      expect([a.when(), b.when()]).toEqual([2, 1]);
      await sleep(3);
      return log;
    });
    expect(out).toEqual(['at @1', 'later 7 @2']);
  });

  test('bad arguments are rejected at the call', async () => {
    await vrun(async () => {
      const loop = getRunningLoop();
      expect(() => loop.callLater(NaN, () => 1)).toThrow(ValueError);
      expect(() => loop.callSoon(42 as never)).toThrow(TypeError);
      expect(() => loop.setExceptionHandler(42 as never)).toThrow(TypeError);
    });
  });

  test('createFuture and createTask belong to the loop', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const fut = loop.createFuture<number>();
      loop.callLater(1, () => fut.setResult(1));
      const t = loop.createTask(async () => (await fut) + 1, { name: 'adder' });
      return [fut.getLoop() === loop, t.getName(), await t];
    });
    expect(out).toEqual([true, 'adder', 2]);
  });

  test('callback errors go to the exception handler; callExceptionHandler; null restores the default', async () => {
    const seen: ExceptionContext[] = [];
    const writes: string[] = [];
    const spy = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      });
    try {
      await vrun(async () => {
        const loop = getRunningLoop();
        loop.setExceptionHandler((l, ctx) => {
          expect(l).toBe(loop);
          seen.push(ctx);
        });
        expect(loop.getExceptionHandler()).not.toBeNull();
        loop.callSoon(function failing() {
          throw new Error('in callback');
        });
        await sleep(0);
        loop.callExceptionHandler({ message: 'custom' });
        loop.setExceptionHandler(null);
        loop.callExceptionHandler({ message: 'to stderr', exception: new Error('shown') });
      });
    } finally {
      spy.mockRestore();
    }
    expect(seen.map((c) => c.message)).toEqual(['Exception in callback failing', 'custom']);
    expect(seen[0]!.handle).toBeDefined();
    expect(writes.join('')).toContain('to stderr');
    expect(writes.join('')).toContain('shown');
  });
});

describe('debug mode', () => {
  function captureWarnings(): { messages: string[]; stop(): void } {
    const messages: string[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((w: string | Error) => {
      messages.push(String(w));
    }) as typeof process.emitWarning);
    return { messages, stop: () => spy.mockRestore() };
  }

  test('warns when a task swallows CancelledError and returns normally', async () => {
    const w = captureWarnings();
    try {
      await run(
        async () => {
          expect(getRunningLoop().getDebug()).toBe(true);
          const t = createTask(
            async () => {
              try {
                await sleep(10);
              } catch {
                // swallowed
              }
              return 'went on';
            },
            { name: 'stubborn' },
          );
          await sleep(0);
          t.cancel();
          await t;
        },
        { debug: true, clock: new MockClock({ autojumpThreshold: 0 }) },
      );
    } finally {
      w.stop();
    }
    expect(w.messages.some((m) => m.includes("name='stubborn'") && m.includes('swallow'))).toBe(
      true,
    );
  });

  test('warns when a step blocks the loop longer than slowCallbackDuration', async () => {
    const w = captureWarnings();
    try {
      await run(
        async () => {
          getRunningLoop().slowCallbackDuration = 0.005;
          const t = createTask(
            async () => {
              const end = performance.now() + 15;
              while (performance.now() < end) {
                // busy: blocks the loop
              }
              await sleep(0);
            },
            { name: 'busy' },
          );
          await t;
          getRunningLoop().callSoon(function slowCallback() {
            const end = performance.now() + 15;
            while (performance.now() < end) {
              // busy
            }
          });
          await sleep(0);
        },
        { debug: true, clock: new MockClock({ autojumpThreshold: 0 }) },
      );
    } finally {
      w.stop();
    }
    expect(w.messages.some((m) => m.includes('busy') && m.includes('blocked the loop'))).toBe(true);
    expect(
      w.messages.some((m) => m.includes('slowCallback') && m.includes('blocked the loop')),
    ).toBe(true);
  });

  test('no debug warnings without debug mode', async () => {
    const w = captureWarnings();
    try {
      await vrun(async () => {
        const t = createTask(async () => {
          try {
            await sleep(10);
          } catch {
            // swallowed
          }
        });
        await sleep(0);
        t.cancel();
        await t;
      });
    } finally {
      w.stop();
    }
    expect(w.messages).toEqual([]);
  });
});
