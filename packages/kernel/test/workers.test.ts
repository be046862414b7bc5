import {
  Abort,
  CancelScope,
  MockClock,
  currentTask,
  openNursery,
  park,
  reschedule,
  run,
  runInWorker,
  sleep,
  workerPoolStatistics,
} from '@duet/kernel';

describe('runInWorker', () => {
  test('runs a self-contained function in a worker and returns its result', async () => {
    const double = (a: number): number => a * 2;
    const result = await run(() => runInWorker({ source: double.toString(), args: [21] }));
    expect(result).toBe(42);
  });

  test('raises the error thrown in the worker', async () => {
    const boom = (): never => {
      throw new RangeError('boom');
    };
    await expect(run(() => runInWorker({ source: boom.toString(), args: [] }))).rejects.toThrow(
      'boom',
    );
  });

  test('abandonOnCancel stops the wait at once; the worker finishes on its own', async () => {
    const slow = (ms: number): number => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      return ms;
    };
    const scope = new CancelScope();
    const started = Date.now();
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await scope.run(() =>
            runInWorker({ source: slow.toString(), args: [300] }, { abandonOnCancel: true }),
          );
        });
        await sleep(0.02);
        scope.cancel();
      });
    });
    expect(scope.cancelledCaught).toBe(true);
    expect(Date.now() - started).toBeLessThan(250);
    expect(workerPoolStatistics().busy).toBe(1);
    while (workerPoolStatistics().busy !== 0) await new Promise((r) => setTimeout(r, 10));
  });

  test('without abandonOnCancel the wait lasts until the call returns', async () => {
    const slow = (ms: number): string => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      return 'done';
    };
    let value: unknown;
    const scope = new CancelScope();
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await scope.run(async () => {
            value = await runInWorker({ source: slow.toString(), args: [50] });
          });
        });
        await sleep(0.01);
        scope.cancel();
      });
    });
    expect(value).toBe('done');
    expect(workerPoolStatistics().busy).toBe(0);
  });

  test('a foreign park keeps a MockClock from autojumping', async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const order: string[] = [];
    await run({ clock }, async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await sleep(100);
          order.push('sleeper');
        });
        const task = currentTask();
        setTimeout(() => reschedule(task), 20);
        await park({ abortWait: () => Abort.SUCCEEDED }, { foreign: true });
        order.push('io');
      });
    });
    expect(order).toEqual(['io', 'sleeper']);
  });
});
