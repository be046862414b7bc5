import {
  CancelledError,
  Future,
  InvalidStateError,
  RuntimeError,
  createTask,
  currentTask,
  getRunningLoop,
  isFuture,
  sleep,
} from '@duet/asyncio';
import { vrun } from './helpers';

describe('Future', () => {
  test('result() and exception() before done raise InvalidStateError', async () => {
    await vrun(async () => {
      const fut = new Future<number>();
      expect(() => fut.result()).toThrow(InvalidStateError);
      expect(() => fut.result()).toThrow('Result is not set.');
      expect(() => fut.exception()).toThrow(InvalidStateError);
      expect(fut.done()).toBe(false);
      expect(isFuture(fut)).toBe(true);
    });
  });

  test('setResult / setException twice, or after cancel, raise InvalidStateError', async () => {
    await vrun(async () => {
      const a = new Future<number>();
      a.setResult(1);
      expect(() => a.setResult(2)).toThrow(InvalidStateError);
      expect(() => a.setException(new Error('x'))).toThrow(InvalidStateError);
      expect(a.result()).toBe(1);
      expect(a.exception()).toBeNull();
      const b = new Future<number>();
      expect(b.cancel()).toBe(true);
      expect(() => b.setResult(1)).toThrow(InvalidStateError);
      expect(b.cancel()).toBe(false);
      // A future that failed is FINISHED too (asyncio's pure-Python message), even with `undefined`.
      const c = new Future<number>();
      c.setException(undefined);
      expect(() => c.setResult(1)).toThrow(/^FINISHED: <Future finished exception=undefined>$/);
      let thrown: unknown = 'nothing';
      try {
        c.result();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeUndefined();
      expect(c.exception()).toBeUndefined();
    });
  });

  test('a cancelled future raises CancelledError from result(), exception() and await', async () => {
    await vrun(async () => {
      const fut = new Future<number>();
      fut.cancel('why');
      expect(fut.cancelled()).toBe(true);
      expect(() => fut.result()).toThrow(CancelledError);
      expect(() => fut.exception()).toThrow(CancelledError);
      await expect(fut).rejects.toThrow('why');
    });
  });

  test('an error is raised by result() and await, and returned by exception()', async () => {
    await vrun(async () => {
      const fut = new Future<number>();
      const err = new Error('boom');
      fut.setException(err);
      expect(fut.exception()).toBe(err);
      expect(() => fut.result()).toThrow(err);
      await expect(fut).rejects.toBe(err);
    });
  });

  test('done callbacks are scheduled, never called inside setResult, in registration order', async () => {
    const order = await vrun(async () => {
      const order: string[] = [];
      const fut = new Future<number>();
      fut.addDoneCallback(() => order.push('cb1'));
      fut.addDoneCallback((f) => order.push(`cb2:${f.result()}`));
      fut.setResult(7);
      order.push('after setResult');
      await sleep(0);
      // A callback added once done is scheduled too, not called at once.
      fut.addDoneCallback(() => order.push('late'));
      order.push('after add');
      await sleep(0);
      return order;
    });
    expect(order).toEqual(['after setResult', 'cb1', 'cb2:7', 'after add', 'late']);
  });

  test('callbacks of two futures, and one added once done, run in the order they were scheduled (as CPython 3.11)', async () => {
    const log = await vrun(async () => {
      const log: unknown[] = [];
      const a = new Future<number>();
      const b = new Future<number>();
      const cb = (name: string) => (f: Future<number>) => log.push([name, f.result()]);
      const a1 = cb('a1');
      a.addDoneCallback(a1);
      a.addDoneCallback(cb('a2'));
      b.addDoneCallback(cb('b1'));
      a.setResult(1);
      b.setResult(2);
      a.addDoneCallback(cb('a3'));
      // Once done, the callbacks are scheduled: removing one is too late.
      log.push(['removed', a.removeDoneCallback(a1)]);
      await sleep(0);
      return log;
    });
    expect(log).toEqual([
      ['removed', 0],
      ['a1', 1],
      ['a2', 1],
      ['b1', 2],
      ['a3', 1],
    ]);
  });

  test('removeDoneCallback removes every registration and returns the count', async () => {
    const calls = await vrun(async () => {
      let calls = 0;
      const cb = () => calls++;
      const fut = new Future<void>();
      fut.addDoneCallback(cb);
      fut.addDoneCallback(cb);
      fut.addDoneCallback(() => (calls += 10));
      expect(fut.removeDoneCallback(cb)).toBe(2);
      expect(fut.removeDoneCallback(cb)).toBe(0);
      fut.setResult();
      await sleep(0);
      return calls;
    });
    expect(calls).toBe(10);
  });

  test('an error in a done callback goes to the exception handler, not to the run', async () => {
    const seen: string[] = [];
    await vrun(async () => {
      getRunningLoop().setExceptionHandler((_loop, ctx) =>
        seen.push(`${ctx.message}: ${String(ctx.exception)}`),
      );
      const fut = new Future<void>();
      fut.addDoneCallback(function badCallback() {
        throw new Error('cb failed');
      });
      fut.setResult();
      await sleep(0);
    });
    expect(seen).toEqual(['Exception in callback badCallback: Error: cb failed']);
  });

  test('cancelling a task that awaits a future cancels the future', async () => {
    await vrun(async () => {
      const fut = new Future<number>();
      const t = createTask(() => fut);
      await sleep(0);
      expect(t.cancel('stop')).toBe(true);
      await expect(t).rejects.toThrow(CancelledError);
      expect(fut.cancelled()).toBe(true);
      expect(t.cancelled()).toBe(true);
    });
  });

  test('a task with a pending cancel that awaits a future cancels that future (as must_cancel)', async () => {
    await vrun(async () => {
      const fut = new Future<number>();
      const t = createTask(async () => {
        currentTask()!.cancel(); // requested while running: pending
        return await fut;
      });
      await expect(t).rejects.toThrow(CancelledError);
      expect(fut.cancelled()).toBe(true);
      expect(t.cancelled()).toBe(true);
    });
  });

  test('await of a Future inside a task parks the task in the kernel (AsyncLocalStorage reaches then())', async () => {
    await vrun(async () => {
      const fut = new Future<number>();
      const t = createTask(() => fut);
      await sleep(0);
      // The kernel task behind t is parked on the future, not "running" on a foreign Promise.
      expect(t._kernelTask.state).toBe('parked');
      expect(t._kernelTask.waitingOn).toContain('awaiting <Future pending>');
      fut.setResult(1);
      expect(await t).toBe(1);
    });
  });

  test('awaiting a future outside a task resolves like a Promise', async () => {
    let fut!: Future<number>;
    await vrun(async () => {
      fut = new Future<number>();
      fut.setResult(3);
    });
    await expect(fut).resolves.toBe(3);
  });

  test('new Future() outside run() is a RuntimeError', () => {
    expect(() => new Future()).toThrow(RuntimeError);
  });
});
