import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  CancelledError,
  Condition,
  Event,
  Lock,
  RuntimeError,
  Semaphore,
  ValueError,
  createTask,
  gather,
  getRunningLoop,
  sleep,
} from '@duet/asyncio';
import { vrun } from './helpers';

const now = () => getRunningLoop().time();
const settle = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    () => 'ok',
    (e: unknown) => (e as Error).name,
  );

test('Lock and Semaphore acquire: a wait that cannot start rejects, as a coroutine does', async () => {
  const lock = new Lock();
  const sem = new Semaphore(1);
  expect(await lock.acquire()).toBe(true); // free: needs no run
  expect(await sem.acquire()).toBe(true);
  // Taken: waiting needs a running task, and outside a run that is an error, as a rejection.
  expect(await settle(lock.acquire())).toBe('RuntimeError');
  expect(await settle(sem.acquire())).toBe('RuntimeError');
  const out = await vrun(async () => {
    const taken = new Lock();
    await taken.acquire();
    const waiter = createTask(() => taken.acquire());
    await sleep(0);
    taken.release();
    return [await waiter, taken.locked()];
  });
  expect(out).toEqual([true, true]);
});

describe('Event', () => {
  test('wait blocks until set; set wakes every waiter; clear resets', async () => {
    const out = await vrun(async () => {
      const ev = new Event();
      const log: string[] = [];
      const waiters = [1, 2, 3].map((i) =>
        createTask(async () => {
          const r = await ev.wait();
          log.push(`w${i}:${r}@${now()}`);
        }),
      );
      await sleep(1);
      expect(ev.isSet()).toBe(false);
      ev.set();
      ev.set(); // idempotent
      await gather(...waiters);
      expect(await ev.wait()).toBe(true); // at once when set
      ev.clear();
      expect(ev.isSet()).toBe(false);
      return log;
    });
    expect(out).toEqual(['w1:true@1', 'w2:true@1', 'w3:true@1']);
  });

  test('a cancelled waiter leaves no trace', async () => {
    const out = await vrun(async () => {
      const ev = new Event();
      const a = createTask(() => ev.wait());
      const b = createTask(() => ev.wait());
      await sleep(0);
      a.cancel();
      await settle(a);
      ev.set();
      return [a.cancelled(), await b];
    });
    expect(out).toEqual([true, true]);
  });
});

describe('Lock', () => {
  test('waiters get the lock in FIFO order; using releases it', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      const order: number[] = [];
      await lock.acquire();
      const tasks = [1, 2, 3].map((i) =>
        createTask(async () => {
          using _held = await lock.hold();
          order.push(i);
          await sleep(1);
        }),
      );
      await sleep(0);
      expect(lock.locked()).toBe(true);
      lock.release();
      await gather(...tasks);
      return [order, lock.locked(), now()];
    });
    expect(out).toEqual([[1, 2, 3], false, 3]);
  });

  test('release of an unlocked lock is a RuntimeError; acquire returns true at once when free', async () => {
    await vrun(async () => {
      const lock = new Lock();
      expect(() => lock.release()).toThrow(RuntimeError);
      expect(() => lock.release()).toThrow('Lock is not acquired.');
      expect(await lock.acquire()).toBe(true);
      lock.release(); // not owner-checked: any task may release
      expect(lock.locked()).toBe(false);
    });
  });

  test('a cancelled waiter leaves no trace; the next waiter gets the lock', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      await lock.acquire();
      const got: string[] = [];
      const mk = (n: string) =>
        createTask(async () => {
          await lock.acquire();
          got.push(n);
          lock.release();
        });
      const a = mk('a');
      const b = mk('b');
      const c = mk('c');
      await sleep(0);
      b.cancel();
      await sleep(0);
      lock.release();
      await gather.withOptions({ returnExceptions: true }, a, b, c);
      return [got, b.cancelled(), lock.locked()];
    });
    expect(out).toEqual([['a', 'c'], true, false]);
  });

  test('a waiter cancelled just after being handed the lock does not lose it', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      await lock.acquire();
      const a = createTask(async () => {
        using _held = await lock.hold();
        await sleep(1); // the pending cancel is delivered here; the lock is released by using
      });
      const b = createTask(async () => {
        using _held = await lock.hold();
        return 'b got the lock';
      });
      await sleep(0);
      lock.release(); // hands the lock to a
      a.cancel(); // a has been woken but has not run yet
      return [await settle(a), await b, lock.locked()];
    });
    expect(out).toEqual(['Cancelled', 'b got the lock', false]);
  });
});

describe('Semaphore and BoundedSemaphore', () => {
  test('at most value holders; FIFO; locked()', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore(2);
      let active = 0;
      let peak = 0;
      const order: number[] = [];
      const tasks = [1, 2, 3, 4, 5].map((i) =>
        createTask(async () => {
          using _held = await sem.hold();
          order.push(i);
          active++;
          peak = Math.max(peak, active);
          await sleep(1);
          active--;
        }),
      );
      await sleep(0);
      const lockedWhileBusy = sem.locked();
      await gather(...tasks);
      return [order, peak, lockedWhileBusy, sem.locked(), now()];
    });
    expect(out).toEqual([[1, 2, 3, 4, 5], 2, true, false, 3]);
  });

  test('release may raise the value above its start; BoundedSemaphore refuses', async () => {
    await vrun(async () => {
      const sem = new Semaphore(0);
      expect(sem.locked()).toBe(true);
      sem.release();
      sem.release();
      await sem.acquire();
      await sem.acquire();
      expect(sem.locked()).toBe(true);
      const b = new BoundedSemaphore(1);
      expect(() => b.release()).toThrow(ValueError);
      await b.acquire();
      b.release();
      expect(() => b.release()).toThrow('BoundedSemaphore released too many times');
      expect(() => new Semaphore(-1)).toThrow(ValueError);
    });
  });

  test('a cancelled waiter leaves no trace; a woken-then-cancelled waiter hands its permit on', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore(1);
      await sem.acquire();
      const a = createTask(() => sem.acquire());
      const b = createTask(() => sem.acquire());
      const c = createTask(() => sem.acquire());
      await sleep(0);
      a.cancel();
      await settle(a);
      sem.release(); // to b
      b.cancel(); // before b resumes: b raises and its permit goes to c (as asyncio)
      const bGot = await settle(b);
      await c;
      return [a.cancelled(), bGot, sem.locked()];
    });
    expect(out).toEqual([true, 'Cancelled', true]);
  });
});

describe('Condition', () => {
  test('wait and notify need the lock', async () => {
    await vrun(async () => {
      const cond = new Condition();
      await expect(cond.wait()).rejects.toThrow('cannot wait on un-acquired lock');
      expect(() => cond.notify()).toThrow('cannot notify on un-acquired lock');
      expect(() => cond.notifyAll()).toThrow(RuntimeError);
    });
  });

  test('notify(n) wakes n waiters in order, notifyAll the rest; each re-acquires the lock', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      const log: string[] = [];
      const tasks = [1, 2, 3].map((i) =>
        createTask(async () => {
          using _held = await cond.hold();
          await cond.wait();
          log.push(`w${i} locked=${cond.locked()}`);
        }),
      );
      await sleep(0);
      {
        using _held = await cond.hold();
        cond.notify(2);
      }
      await sleep(1);
      log.push('--');
      {
        using _held = await cond.hold();
        cond.notifyAll();
      }
      await gather(...tasks);
      return log;
    });
    expect(out).toEqual(['w1 locked=true', 'w2 locked=true', '--', 'w3 locked=true']);
  });

  test('waitFor checks the predicate first and after each wake-up', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      let x = 0;
      const waiter = createTask(async () => {
        using _held = await cond.hold();
        return await cond.waitFor(() => (x >= 3 ? `x=${x}` : 0));
      });
      for (let i = 0; i < 3; i++) {
        await sleep(1);
        using _held = await cond.hold();
        x++;
        cond.notifyAll();
      }
      return [await waiter, now()];
    });
    expect(out).toEqual(['x=3', 3]);
  });

  test('a cancelled wait re-acquires the lock before raising', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      const cond = new Condition(lock);
      const log: string[] = [];
      const t = createTask(async () => {
        await cond.acquire();
        try {
          await cond.wait();
        } catch (err) {
          log.push(`${(err as Error).name}, locked=${lock.locked()}`);
          throw err;
        } finally {
          cond.release();
        }
      });
      await sleep(0);
      await lock.acquire(); // hold the lock while cancelling: the waiter must wait for it
      t.cancel();
      await sleep(1);
      log.push('releasing');
      lock.release();
      await settle(t);
      return [log, lock.locked()];
    });
    expect(out).toEqual([['releasing', 'Cancelled, locked=true'], false]);
  });

  test('a notified waiter cancelled at the same moment passes the wake-up on (3.13)', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      const a = createTask(async () => {
        using _held = await cond.hold();
        await cond.wait();
        return 'a woke';
      });
      const b = createTask(async () => {
        using _held = await cond.hold();
        await cond.wait();
        return 'b woke';
      });
      await sleep(0);
      await cond.acquire();
      cond.notify(1); // wakes a
      a.cancel(); // ... which is cancelled before it runs
      cond.release();
      return [await settle(a), await b];
    });
    expect(out).toEqual(['Cancelled', 'b woke']);
  });
});

describe('Barrier', () => {
  test('releases all parties together with distinct indices; reusable', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(3);
      const run = () =>
        gather(
          ...[0, 1, 2].map((i) => async () => {
            await sleep(i);
            const idx = await barrier.wait();
            return [idx, now()];
          }),
        );
      const first = await run();
      const second = await run();
      return [first, second, barrier.nWaiting, barrier.broken, barrier.parties];
    });
    expect(out).toEqual([
      [
        [0, 2],
        [1, 2],
        [2, 2],
      ],
      [
        [0, 4],
        [1, 4],
        [2, 4],
      ],
      0,
      false,
      3,
    ]);
  });

  test('abort breaks the barrier for waiters and later callers', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(3);
      const a = createTask(() => barrier.wait());
      await sleep(1); // time moves only once a is blocked in wait()
      const waiting = barrier.nWaiting;
      await barrier.abort();
      return [waiting, await settle(a), await settle(barrier.wait()), barrier.broken];
    });
    expect(out).toEqual([1, 'BrokenBarrierError', 'BrokenBarrierError', true]);
  });

  test('reset breaks the current waiters, then the barrier is usable again', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(2);
      const a = createTask(() => barrier.wait());
      await sleep(0);
      await barrier.reset();
      const r = await settle(a);
      const again = await gather(
        () => barrier.wait(),
        () => barrier.wait(),
      );
      return [r, again.sort(), barrier.broken];
    });
    expect(out).toEqual(['BrokenBarrierError', [0, 1], false]);
  });

  test('a cancelled waiter leaves the count as it was', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(2);
      const a = createTask(() => barrier.wait());
      await sleep(0);
      a.cancel();
      const r = await settle(a);
      const n = barrier.nWaiting;
      const again = await gather(
        () => barrier.wait(),
        () => barrier.wait(),
      );
      return [r, n, again.sort()];
    });
    expect(out).toEqual(['Cancelled', 0, [0, 1]]);
  });

  test('parties must be >= 1; BrokenBarrierError is a RuntimeError', () => {
    expect(() => new Barrier(0)).toThrow(ValueError);
    expect(new BrokenBarrierError('x')).toBeInstanceOf(RuntimeError);
    expect(new CancelledError()).toBeInstanceOf(Error);
  });
});
