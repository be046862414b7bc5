/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_locks.py (Lock, Event, Condition,
 * Semaphore, BoundedSemaphore, Barrier), restated for Duet's API; each was checked on CPython
 * 3.13.0 (/root/.pyenv/versions/3.13.0). Several follow CPython's `await asyncio.sleep(0)`
 * choreography, which relies on each woken task taking its whole step before the next one runs.
 */
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
  TimeoutError,
  ValueError,
  createTask,
  gather,
  getRunningLoop,
  sleep,
  timeout,
  waitFor,
  type Task,
} from '@duet/asyncio';
import { vrun } from './helpers';
import { outcome, thrown } from './outcomes';

describe('CPython test_locks: Lock', () => {
  // test_lock / test_acquire
  test('acquire() returns true; waiters get the lock in FIFO order', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      const result: number[] = [];
      const first = await lock.acquire();
      const worker = (n: number) => async (): Promise<boolean> => {
        await lock.acquire();
        result.push(n);
        return true;
      };
      const t1 = createTask(worker(1));
      const t2 = createTask(worker(2));
      await sleep(0);
      const t3 = createTask(worker(3));
      const log: unknown[] = [first, lock.locked(), [...result]];
      lock.release();
      await sleep(0);
      log.push([...result]);
      lock.release();
      await sleep(0);
      log.push([...result]);
      lock.release();
      await gather(t1, t2, t3);
      log.push([...result], lock.locked());
      lock.release();
      log.push(lock.locked());
      return log;
    });
    expect(out).toEqual([true, true, [], [1], [1, 2], [1, 2, 3], true, false]);
  });

  // test_acquire_cancel
  test('a cancelled acquire raises CancelledError and leaves no waiter', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      await lock.acquire();
      const task = createTask(() => lock.acquire());
      await sleep(0);
      task.cancel();
      const res = await outcome(task);
      lock.release();
      return [res, lock.locked()];
    });
    expect(out).toEqual(['Cancelled', false]);
  });

  // test_cancel_release_race (issue 32734)
  test('cancel one waiter and release from one callback: only one task takes the lock', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      let lockCount = 0;
      let callCount = 0;
      const lockit = async (): Promise<void> => {
        callCount++;
        await lock.acquire();
        lockCount++;
      };
      await lock.acquire();
      const t1: Task<void> = createTask(lockit);
      const t2 = createTask(lockit);
      const t3 = createTask(lockit);
      await sleep(0);
      getRunningLoop().callSoon(() => {
        t1.cancel();
        lock.release();
      });
      const r1 = await outcome(t1);
      await t2;
      const log = [r1, lockCount, callCount, t1.cancelled(), t2.done()];
      t3.cancel();
      await outcome(t3);
      log.push(t3.cancelled());
      return log;
    });
    expect(out).toEqual(['Cancelled', 1, 3, true, true, true]);
  });

  // test_finished_waiter_cancelled
  test('the woken waiter is cancelled before it runs: the next waiter gets the lock', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      await lock.acquire();
      const tb = createTask(() => lock.acquire());
      await sleep(0);
      const tc = createTask(() => lock.acquire());
      tb.cancel();
      lock.release();
      await tc;
      return [lock.locked(), tb.cancelled()];
    });
    expect(out).toEqual([true, true]);
  });

  // test_release_not_acquired / test_release_no_waiters
  test('release() of an unlocked lock is a RuntimeError; release without waiters unlocks', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      const notAcquired = thrown(() => lock.release());
      await lock.acquire();
      lock.release();
      return [notAcquired, lock.locked()];
    });
    expect(out).toEqual(['RuntimeError', false]);
    expect(RuntimeError).toBeDefined();
  });
});

describe('CPython test_locks: Event', () => {
  // test_wait / test_wait_on_set / test_clear / test_clear_with_waiters
  test('set() wakes every waiter with true (a task started before set() runs first); clear() lets waiters stay', async () => {
    const out = await vrun(async () => {
      const ev = new Event();
      const result: number[] = [];
      const c = (n: number) => async (): Promise<boolean> => {
        const r = await ev.wait();
        result.push(n);
        return r;
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      await sleep(0);
      const t3 = createTask(c(3));
      ev.set();
      const res = await gather(t1, t2, t3);
      const setAgain = await ev.wait();
      const ev2 = new Event();
      const waiter = createTask(() => ev2.wait());
      await sleep(0);
      ev2.set();
      ev2.clear();
      const cleared = [ev2.isSet(), await waiter];
      return [result, res, setAgain, cleared];
    });
    expect(out).toEqual([[3, 1, 2], [true, true, true], true, [false, true]]);
  });

  // test_wait_cancel
  test('a cancelled wait raises CancelledError', async () => {
    const out = await vrun(async () => {
      const ev = new Event();
      const wait = createTask(() => ev.wait());
      await sleep(0);
      wait.cancel();
      return [await outcome(wait), ev.isSet()];
    });
    expect(out).toEqual(['Cancelled', false]);
  });
});

describe('CPython test_locks: Condition', () => {
  // test_wait_unacquired / test_notify_unacquired / test_notify_all_unacquired / test_wait_for_unacquired
  test('wait, a waitFor that must wait, notify and notifyAll without the lock are RuntimeErrors', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      return [
        await outcome(cond.wait()),
        await outcome(cond.waitFor(() => false)),
        await cond.waitFor(() => [1, 2, 3]), // a predicate true at once needs no lock
        thrown(() => cond.notify()),
        thrown(() => cond.notifyAll()),
      ];
    });
    expect(out).toEqual([
      'RuntimeError',
      'RuntimeError',
      [1, 2, 3],
      'RuntimeError',
      'RuntimeError',
    ]);
  });

  // test_wait_for
  test('waitFor returns the predicate value once it is true', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      let presult = false;
      const t = createTask(async () => {
        await cond.acquire();
        try {
          return await cond.waitFor(() => presult);
        } finally {
          cond.release();
        }
      });
      await sleep(0);
      await cond.acquire();
      cond.notify();
      cond.release();
      await sleep(0);
      const early = t.done();
      presult = true;
      await cond.acquire();
      cond.notify();
      cond.release();
      return [early, await t];
    });
    expect(out).toEqual([false, true]);
  });

  // test_wait_cancel / test_wait_cancel_after_notify / test_wait_cancel_contested
  test('a cancelled wait re-acquires the lock before CancelledError comes out', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      let waited = false;
      let lockedInHandler: boolean | null = null;
      const waiter = createTask(async () => {
        await cond.acquire();
        try {
          waited = true;
          await cond.wait();
        } catch (err) {
          lockedInHandler = cond.locked();
          throw err;
        } finally {
          cond.release();
        }
      });
      await sleep(0);
      await cond.acquire();
      cond.notify();
      await sleep(0);
      waiter.cancel();
      await sleep(0);
      cond.release();
      const res = await outcome(waiter);
      return [res, waited, lockedInHandler, cond.locked()];
    });
    expect(out).toEqual(['Cancelled', true, true, false]);
  });

  // test_explicit_lock
  test('a Condition on an explicit Lock shares its state', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      const cond = new Condition(lock);
      await lock.acquire();
      const shared = cond.locked();
      lock.release();
      return [shared, cond.locked(), thrown(() => new Condition({} as never))];
    });
    expect(out).toEqual([true, false, 'TypeError']);
  });

  // test_timeout_in_block
  test('waitFor(cond.wait(), 0.5) times out and the lock is held again afterwards', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      await cond.acquire();
      const res = await outcome(waitFor(() => cond.wait(), 0.5));
      const held = cond.locked();
      cond.release();
      return [res, held];
    });
    expect(out).toEqual(['TimeoutError', true]);
    expect(TimeoutError).toBeDefined();
  });

  // test_cancelled_error_wakeup / test_cancelled_error_re_aquire
  test('the CancelledError of a cancelled waitFor is re-raised as it is, with its message', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      let raised: unknown = null;
      const task = createTask(async () => {
        await cond.acquire();
        try {
          await cond.waitFor(() => false);
        } catch (err) {
          raised = err;
          throw err;
        } finally {
          cond.release();
        }
      });
      await sleep(0);
      task.cancel('foo');
      try {
        await task;
        return 'not cancelled';
      } catch (err) {
        return [err instanceof CancelledError, (err as Error).message, err === raised];
      }
    });
    expect(out).toEqual([true, 'foo', true]);
  });

  // test_cancelled_wakeup / test_cancelled_wakeup_relock
  test('a waiter cancelled as it is notified does not lose the notification', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      let state = 0;
      const consumer = async (): Promise<void> => {
        await cond.acquire();
        try {
          for (;;) {
            await cond.waitFor(() => state !== 0);
            if (state < 0) return;
            state -= 1;
          }
        } finally {
          cond.release();
        }
      };
      const c = [createTask(consumer), createTask(consumer)];
      await sleep(0);
      await cond.acquire();
      state += 1;
      cond.notify(1);
      c[0]!.cancel();
      await outcome(timeout(0.01, () => cond.waitFor(() => state === 0)));
      const consumed = state;
      state = -1;
      cond.notifyAll();
      cond.release();
      await c[1];
      return [consumed, await outcome(c[0]!)];
    });
    expect(out).toEqual([0, 'Cancelled']);
  });
});

describe('CPython test_locks: Semaphore', () => {
  // test_initial_value_zero / test_semaphore / test_semaphore_value
  test('locked() when no permit is left; release() may raise the value above its start', async () => {
    const out = await vrun(async () => {
      const zero = new Semaphore(0);
      const sem = new Semaphore();
      const log: unknown[] = [zero.locked(), sem.locked(), await sem.acquire(), sem.locked()];
      sem.release();
      sem.release();
      await sem.acquire();
      log.push(sem.locked());
      log.push(thrown(() => new Semaphore(-1)));
      return log;
    });
    expect(out).toEqual([true, false, true, true, false, 'ValueError']);
    expect(ValueError).toBeDefined();
  });

  // test_acquire
  test('acquire waits for a permit; permits go to the waiters in order', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore(3);
      const result: number[] = [];
      const c = (n: number) => async (): Promise<boolean> => {
        await sem.acquire();
        result.push(n);
        return true;
      };
      await sem.acquire();
      await sem.acquire();
      const tasks = [1, 2, 3, 4].map((n) => createTask(c(n)));
      await sleep(0);
      const first = [...result];
      sem.release();
      sem.release();
      await sleep(0);
      await sleep(0);
      const second = [...result];
      sem.release();
      sem.release();
      await gather(...tasks);
      return [first, second, result];
    });
    expect(out).toEqual([[1], [1, 2, 3], [1, 2, 3, 4]]);
  });

  // test_acquire_cancel / test_acquire_cancel_before_awoken / test_acquire_hang
  test('cancelled waiters pass the permit on in FIFO order; nothing hangs', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore(0);
      const t = [1, 2, 3, 4].map(() => createTask(() => sem.acquire()));
      await sleep(0);
      t[0]!.cancel();
      t[1]!.cancel();
      sem.release();
      const third = await t[2]!;
      await sleep(0);
      const log: unknown[] = [third, t[3]!.done(), sem.locked()];
      t[3]!.cancel();
      for (const task of t) await outcome(task);
      log.push(t.map((task) => task.cancelled()));
      return log;
    });
    expect(out).toEqual([true, false, true, [true, true, false, true]]);
  });

  // test_acquire_fifo_order_2 / test_acquire_fifo_order_3
  test('a task that releases and re-acquires goes to the back of the queue', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore(1);
      const result: number[] = [];
      const t1 = createTask(async () => {
        await sem.acquire();
        result.push(1);
      });
      const t2 = createTask(async () => {
        await sem.acquire();
        result.push(2);
        sem.release();
        await sem.acquire();
        result.push(4);
      });
      const t3 = createTask(async () => {
        await sem.acquire();
        result.push(3);
      });
      await sleep(0);
      sem.release();
      sem.release();
      await gather(t1, t2, t3);
      const zero = new Semaphore(0);
      const order: number[] = [];
      const waiters = [1, 2, 3].map((n) =>
        createTask(async () => {
          await zero.acquire();
          order.push(n);
        }),
      );
      await sleep(0);
      waiters[0]!.cancel();
      await sleep(0);
      zero.release();
      zero.release();
      await gather.withOptions({ returnExceptions: true }, ...waiters);
      return [result, order];
    });
    expect(out).toEqual([
      [1, 2, 3, 4],
      [2, 3],
    ]);
  });

  // The FIFO rule behind test_acquire_fifo_order_2 / _4: a woken waiter that has not run yet
  // still stands first in line (Semaphore.locked() counts it), so an acquire in the meantime waits.
  test('a permit freed while a woken waiter has not run yet goes to nobody ahead of it', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore(0);
      const order: string[] = [];
      const w = createTask(async () => {
        await sem.acquire();
        order.push('W');
      });
      await sleep(0);
      sem.release();
      sem.release();
      const locked = sem.locked();
      await sem.acquire();
      order.push('main');
      await w;
      return [locked, order, sem.locked()];
    });
    expect(out).toEqual([true, ['W', 'main'], true]);
  });

  // test_release_not_acquired (BoundedSemaphore) / test_release_no_waiters
  test('BoundedSemaphore: a release above the initial value is a ValueError', async () => {
    const out = await vrun(async () => {
      const sem = new BoundedSemaphore();
      const over = thrown(() => sem.release());
      await sem.acquire();
      sem.release();
      return [over, sem.locked(), thrown(() => sem.release())];
    });
    expect(out).toEqual(['ValueError', false, 'ValueError']);
  });
});

describe('CPython test_locks: Barrier', () => {
  // test_filling_tasks_wait_twice / test_filling_tasks_check_return_value
  test('a barrier is reusable: two rounds give each round indices 0..parties-1', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(3);
      const rounds = await gather(
        ...[0, 1, 2].map(() => async () => [await barrier.wait(), await barrier.wait()]),
      );
      return [rounds.map((r) => r[0]).sort(), rounds.map((r) => r[1]).sort()];
    });
    expect(out).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });

  // test_reset_barrier / test_reset_barrier_while_tasks_waiting
  test('reset() breaks the current waiters with BrokenBarrierError and leaves the barrier usable', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(3);
      await barrier.reset(); // nobody waiting: stays filling
      const waiting = [0, 1].map(() => createTask(() => barrier.wait()));
      await sleep(0);
      await barrier.reset();
      const res: unknown[] = [];
      for (const t of waiting) res.push(await outcome(t));
      const again = await gather(...[0, 1, 2].map(() => () => barrier.wait()));
      return [res, barrier.broken, again.sort(), barrier.nWaiting];
    });
    expect(out).toEqual([['BrokenBarrierError', 'BrokenBarrierError'], false, [0, 1, 2], 0]);
  });

  // test_abort_barrier / test_abort_barrier_when_exception / ..._then_resetting
  test('abort() breaks the waiters and every later wait(); reset() repairs it', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(3);
      const waiting = [0, 1].map(() => createTask(() => barrier.wait()));
      await sleep(0);
      await barrier.abort();
      const res: unknown[] = [];
      for (const t of waiting) res.push(await outcome(t));
      const later = await outcome(barrier.wait());
      const broken = barrier.broken;
      await barrier.reset();
      const again = await gather(...[0, 1, 2].map(() => () => barrier.wait()));
      return [res, later, broken, barrier.broken, again.sort()];
    });
    expect(out).toEqual([
      ['BrokenBarrierError', 'BrokenBarrierError'],
      'BrokenBarrierError',
      true,
      false,
      [0, 1, 2],
    ]);
    expect(BrokenBarrierError).toBeDefined();
  });

  // test_blocking_tasks_while_draining
  test('tasks that arrive while the barrier drains wait for the next round', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(2);
      const first = [0, 1].map(() => createTask(() => barrier.wait()));
      await sleep(0);
      // The barrier is draining now: a newcomer belongs to the next round.
      const late = [0, 1].map(() => createTask(() => barrier.wait()));
      const a = await gather(...first);
      const b = await gather(...late);
      return [a.sort(), b.sort(), barrier.nWaiting];
    });
    expect(out).toEqual([[0, 1], [0, 1], 0]);
  });
});

// The test_repr methods: Duet's toString() carries CPython's bracketed state text, with the
// class name in place of the module path and address.
describe('CPython test_locks: toString() state text', () => {
  // LockTests.test_repr
  test('Lock: [unlocked], [locked], and the waiter count while tasks wait', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      const log = [String(lock)];
      await lock.acquire();
      log.push(String(lock));
      const waiter = createTask(() => lock.acquire());
      await sleep(0);
      log.push(String(lock));
      lock.release();
      // Handed to the waiter, which has not run yet: unlocked, as CPython, and not releasable.
      log.push(
        String(lock),
        String(lock.locked()),
        thrown(() => lock.release()),
      );
      await waiter;
      log.push(String(lock.locked()));
      lock.release();
      log.push(String(lock));
      return log;
    });
    expect(out).toEqual([
      '<Lock [unlocked]>',
      '<Lock [locked]>',
      '<Lock [locked, waiters:1]>',
      '<Lock [unlocked, waiters:1]>',
      'false',
      'RuntimeError',
      'true',
      '<Lock [unlocked]>',
    ]);
  });

  // EventTests.test_repr
  test('Event: [unset], [unset, waiters:n], [set]', async () => {
    const out = await vrun(async () => {
      const ev = new Event();
      const log = [String(ev)];
      const waiters = [createTask(() => ev.wait()), createTask(() => ev.wait())];
      await sleep(0);
      log.push(String(ev));
      ev.set();
      await gather(...waiters);
      log.push(String(ev));
      return log;
    });
    expect(out).toEqual(['<Event [unset]>', '<Event [unset, waiters:2]>', '<Event [set]>']);
  });

  // ConditionTests.test_repr
  test('Condition: [unlocked], [locked], [unlocked, waiters:n] while tasks wait', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      const log = [String(cond)];
      await cond.acquire();
      log.push(String(cond));
      cond.release();
      const waitOnce = async (): Promise<void> => {
        await cond.acquire();
        try {
          await cond.wait();
        } finally {
          cond.release();
        }
      };
      const waiters = [createTask(waitOnce), createTask(waitOnce)];
      await sleep(0);
      log.push(String(cond));
      await cond.acquire();
      cond.notifyAll();
      cond.release();
      await gather(...waiters);
      log.push(String(cond));
      return log;
    });
    expect(out).toEqual([
      '<Condition [unlocked]>',
      '<Condition [locked]>',
      '<Condition [unlocked, waiters:2]>',
      '<Condition [unlocked]>',
    ]);
  });

  // SemaphoreTests.test_repr
  test('Semaphore: [unlocked, value:n], [locked] without a waiter count, then [locked, waiters:n]', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore();
      const log = [String(sem), String(new BoundedSemaphore(3))];
      await sem.acquire();
      log.push(String(sem));
      const waiters = [createTask(() => sem.acquire()), createTask(() => sem.acquire())];
      await sleep(0);
      log.push(String(sem));
      sem.release(); // the woken waiter still counts until it resumes, as in CPython
      log.push(String(sem));
      sem.release();
      await gather(...waiters);
      log.push(String(sem));
      return log;
    });
    expect(out).toEqual([
      '<Semaphore [unlocked, value:1]>',
      '<BoundedSemaphore [unlocked, value:3]>',
      '<Semaphore [locked]>',
      '<Semaphore [locked, waiters:2]>',
      '<Semaphore [locked, waiters:2]>',
      '<Semaphore [locked]>',
    ]);
  });

  // BarrierTests.test_repr
  test('Barrier: filling with waiters:n/parties, draining, resetting, broken (no count)', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(3);
      const log = [String(barrier)];
      const tasks: Task<number>[] = [];
      const arrive = (k: number): void => {
        for (let i = 0; i < k; i++) tasks.push(createTask(() => barrier.wait()));
      };
      arrive(2);
      await sleep(0);
      log.push(String(barrier));
      arrive(1);
      await sleep(0);
      log.push(String(barrier));
      arrive(2); // they wait for the next round
      await sleep(0);
      await barrier.reset();
      log.push(String(barrier));
      arrive(2);
      await sleep(0);
      await barrier.abort();
      log.push(String(barrier));
      await gather(...tasks.map((t) => outcome(t)));
      return log;
    });
    expect(out).toEqual([
      '<Barrier [filling, waiters:0/3]>',
      '<Barrier [filling, waiters:2/3]>',
      '<Barrier [draining, waiters:0/3]>',
      '<Barrier [resetting, waiters:0/3]>',
      '<Barrier [broken]>',
    ]);
  });
});

describe('CPython test_locks: more races and Barrier rounds', () => {
  // LockTests.test_cancel_race
  test('a waiter cancelled as the holder releases: the next waiter gets the lock, nothing crashes', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      const fa = getRunningLoop().createFuture<void>();
      const lockit = (blocker?: PromiseLike<void>) => async (): Promise<void> => {
        await lock.acquire();
        try {
          if (blocker !== undefined) await blocker;
        } finally {
          lock.release();
        }
      };
      const ta = createTask(lockit(fa));
      await sleep(0);
      const tb = createTask(lockit());
      await sleep(0);
      const tc = createTask(lockit());
      await sleep(0);
      fa.setResult(undefined);
      tb.cancel();
      await sleep(0);
      const log: unknown[] = [lock.locked(), ta.done(), tb.cancelled()];
      await tc;
      log.push(lock.locked());
      return log;
    });
    expect(out).toEqual([false, true, true, false]);
  });

  // BarrierTests.test_filling_one_task / _twice / test_filling_task_by_task / test_draining_state
  test('Barrier(1) passes at once, twice; tasks arriving one by one fill it; the round drains', async () => {
    const out = await vrun(async () => {
      const one = new Barrier(1);
      const log: unknown[] = [await one.wait(), await one.wait(), one.nWaiting, one.broken];
      const barrier = new Barrier(3);
      const tasks: Task<number>[] = [];
      for (let i = 0; i < 2; i++) {
        tasks.push(createTask(() => barrier.wait()));
        await sleep(0);
        log.push(barrier.nWaiting);
      }
      tasks.push(createTask(() => barrier.wait()));
      await sleep(0);
      log.push(String(barrier).includes('draining'));
      log.push(await gather(...tasks), barrier.nWaiting, String(barrier));
      return log;
    });
    expect(out).toEqual([
      0,
      0,
      0,
      false,
      1,
      2,
      true,
      [0, 1, 2],
      0,
      '<Barrier [filling, waiters:0/3]>',
    ]);
  });

  // BarrierTests.test_reset_barrier_when_tasks_half_draining_half_blocking /
  // test_abort_barrier_when_tasks_half_draining_half_blocking: the tasks out of a round early wait
  // again (blocked till the round drains); a later one resets or aborts. The blocked ones break;
  // after a reset they wait again and fill a round with the others, after an abort they stop.
  test.each([
    ['reset', [2, 0, 0, false]],
    ['abort', [2, 2, 0, true]],
  ] as const)(
    '%s by a task of the drained half while the others are blocked',
    async (action, expected) => {
      const N = 5;
      const blocking = Math.floor(N / 2);
      const out = await vrun(async () => {
        const barrier = new Barrier(N);
        let broken = 0; // BrokenBarrierError in the first wait (blocked, not drained)
        let brokenAgain = 0; // BrokenBarrierError in the second wait of a drained task
        let count = 0;
        const isBroken = (err: unknown): void => {
          if (!(err instanceof BrokenBarrierError)) throw err;
        };
        const coro = async (): Promise<void> => {
          try {
            await barrier.wait();
          } catch (err) {
            isBroken(err);
            broken++;
            if (action === 'reset') await barrier.wait();
            return;
          }
          count++;
          if (count > blocking) {
            await barrier[action]();
            if (action === 'reset') await barrier.wait();
            return;
          }
          try {
            await barrier.wait();
          } catch (err) {
            isBroken(err);
            brokenAgain++;
          }
        };
        await gather(...Array.from({ length: N }, () => createTask(coro)));
        return [broken, brokenAgain, barrier.nWaiting, barrier.broken];
      });
      expect(out).toEqual(expected);
    },
  );

  // BarrierTests.test_reset_barrier_while_tasks_waiting_and_waiting_again
  test('waiters broken by a reset wait again and pass with one newcomer', async () => {
    const N = 5;
    const out = await vrun(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const coro1 = async (): Promise<void> => {
        try {
          await barrier.wait();
        } catch (err) {
          if (err instanceof BrokenBarrierError) results1.push(true);
          else throw err;
        } finally {
          await barrier.wait();
          results2.push(true);
        }
      };
      const tasks = Array.from({ length: N - 1 }, () => createTask(coro1));
      createTask(() => barrier.reset());
      await sleep(0);
      const last = createTask(async () => {
        await barrier.wait();
        results2.push(true);
      });
      await gather(...tasks, last);
      return [results1.length, results2.length, barrier.nWaiting, barrier.broken];
    });
    expect(out).toEqual([N - 1, N, 0, false]);
  });

  // BarrierTests.test_reset_barrier_while_tasks_draining
  test('a reset by the last task out of a round does not break the tasks already waiting again', async () => {
    const N = 5;
    const out = await vrun(async () => {
      const barrier = new Barrier(N);
      let count = 0;
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      const coro = async (): Promise<void> => {
        await barrier.wait();
        count++;
        if (count === N) {
          await barrier.reset();
          await barrier.wait();
        } else {
          try {
            await barrier.wait();
            results1.push(true);
          } catch {
            results2.push(true);
          }
        }
        await barrier.wait();
        results3.push(true);
      };
      await gather(...Array.from({ length: N }, () => createTask(coro)));
      return [results1.length, results2.length, results3.length, barrier.nWaiting, barrier.broken];
    });
    expect(out).toEqual([N - 1, 0, N, 0, false]);
  });
});

describe('CPython test_locks: Condition notify choreography', () => {
  const waiter = (cond: Condition, result: number[], n: number) => async (): Promise<boolean> => {
    await cond.acquire();
    if (await cond.wait()) {
      result.push(n);
      cond.release();
    }
    return true;
  };

  // ConditionTests.test_notify
  test('notify(1) wakes the first waiter; notify(1) then notify(2048) wake the rest within one step', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const tasks = [1, 2, 3].map((n) => createTask(waiter(cond, result, n)));
      await sleep(0);
      const log: unknown[] = [[...result]];
      await cond.acquire();
      cond.notify(1);
      cond.release();
      await sleep(0);
      log.push([...result]);
      await cond.acquire();
      cond.notify(1);
      cond.notify(2048);
      cond.release();
      await sleep(0);
      log.push(
        [...result],
        tasks.map((t) => t.done() && t.result()),
      );
      return log;
    });
    expect(out).toEqual([[], [1], [1, 2, 3], [true, true, true]]);
  });

  // ConditionTests.test_notify_all / test_context_manager
  test('notifyAll wakes every waiter within one step; hold() takes the lock for a block', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const tasks = [1, 2].map((n) => createTask(waiter(cond, result, n)));
      await sleep(0);
      const log: unknown[] = [[...result]];
      {
        using _ = await cond.hold();
        log.push(cond.locked());
        cond.notifyAll();
      }
      log.push(cond.locked());
      await sleep(0);
      log.push(
        [...result],
        tasks.map((t) => t.done() && t.result()),
      );
      return log;
    });
    expect(out).toEqual([[], true, false, [1, 2], [true, true]]);
  });
});

describe('CPython test_locks: Semaphore, a woken holder-to-be cancelled', () => {
  // SemaphoreTests.test_acquire_no_hang
  test('the holder releases to a waiter and cancels it: the permit comes back, a later acquire gets it', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore(1);
      // t1 reaches t2.cancel() only after t2 exists (tasks start at the next step).
      const t1 = createTask(async () => {
        {
          using _ = await sem.hold();
          await sleep(0);
        }
        t2.cancel();
      });
      const t2 = createTask(async () => {
        using _ = await sem.hold();
        throw new Error('t2 must not get the permit');
      });
      const [r1, r2] = await gather.withOptions({ returnExceptions: true }, t1, t2);
      const got = await waitFor(sem.acquire(), 1);
      return [r1, r2 instanceof CancelledError, got, String(sem)];
    });
    expect(out).toEqual([undefined, true, true, '<Semaphore [locked]>']);
  });
});
