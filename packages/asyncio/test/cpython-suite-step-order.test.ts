/**
 * The `await asyncio.sleep(0)` choreography of CPython 3.13's test_asyncio (its `run_briefly`):
 * a task woken before the current one yields has taken its whole step, up to its next wait,
 * when `sleep(0)` returns, because asyncio runs one step at a time in queue order. These
 * scenarios check exactly that ordering; each was run on CPython 3.13.0
 * (/root/.pyenv/versions/3.13.0), with the results written here.
 */
import {
  Barrier,
  CancelledError,
  Condition,
  Event,
  Future,
  Lock,
  Queue,
  Semaphore,
  createTask,
  gather,
  sleep,
  type Task,
} from '@duet/asyncio';
import { vrun } from './helpers';
import { outcome } from './outcomes';

describe('CPython test_tasks: one step at a time', () => {
  // The run_briefly pattern of test_tasks.py: a task woken before the current one yields has
  // taken its whole step when sleep(0) returns (CPython 3.11: all four are done).
  test('a task woken by a future, an event or a queue has run its step when sleep(0) returns', async () => {
    const out = await vrun(async () => {
      const fut = new Future<number>();
      const t1 = createTask(async () => (await fut) + 1);
      await sleep(0);
      fut.setResult(1);
      await sleep(0);
      const event = new Event();
      const t2 = createTask(async () => event.wait());
      await sleep(0);
      event.set();
      await sleep(0);
      const queue = new Queue<number>();
      const t3 = createTask(() => queue.get());
      await sleep(0);
      queue.putNowait(1);
      await sleep(0);
      return [t1.done(), t2.done(), t3.done()];
    });
    expect(out).toEqual([true, true, true]);
  });

  // test_cancel_task_catching / test_cancel_task_ignoring: the task waits on fut2 by now, so
  // cancel() cancels fut2 at once
  test('after fut1 is set and sleep(0), the task waits on fut2: cancel() cancels fut2 at once', async () => {
    const out = await vrun(async () => {
      const fut1 = new Future<void>();
      const fut2 = new Future<void>();
      const t = createTask(async () => {
        await fut1;
        try {
          await fut2;
        } catch (err) {
          if (err instanceof CancelledError) return 42;
          throw err;
        }
        return 0;
      });
      await sleep(0);
      fut1.setResult();
      await sleep(0);
      t.cancel();
      const fut2Cancelled = fut2.cancelled();
      return [fut2Cancelled, await t];
    });
    expect(out).toEqual([true, 42]);
  });
});

describe('CPython test_locks: one step at a time', () => {
  // test_wait / test_notify / test_notify_all
  test('notify(n) wakes n waiters in order; each re-acquires the lock before it returns', async () => {
    const out = await vrun(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const c = (n: number) => async (): Promise<boolean> => {
        await cond.acquire();
        try {
          await cond.wait();
          result.push(n);
          return true;
        } finally {
          cond.release();
        }
      };
      const tasks = [createTask(c(1)), createTask(c(2)), createTask(c(3))];
      await sleep(0);
      await cond.acquire();
      cond.notify(1);
      cond.release();
      await sleep(0);
      const after1 = [...result];
      await cond.acquire();
      cond.notify(1);
      cond.notify(2048);
      cond.release();
      await gather(...tasks);
      return [after1, result];
    });
    expect(out).toEqual([[1], [1, 2, 3]]);
  });

  // test_barrier / test_barrier_parties / test_filling_one_task / test_filling_task_by_task
  test('wait() returns each task its arrival index once all parties are there', async () => {
    const out = await vrun(async () => {
      const one = new Barrier(1);
      const solo = [await one.wait(), await one.wait()];
      const barrier = new Barrier(3);
      const tasks = [0, 1].map(() => createTask(() => barrier.wait()));
      await sleep(0);
      const waiting = barrier.nWaiting;
      tasks.push(createTask(() => barrier.wait()));
      const indices = await gather(...tasks);
      return [solo, barrier.parties, waiting, indices.sort(), barrier.nWaiting, barrier.broken];
    });
    expect(out).toEqual([[0, 0], 3, 2, [0, 1, 2], 0, false]);
  });

  // test_filling_tasks_cancel_one
  test('a waiter cancelled while filling leaves the count as if it never came (indices are arrival counts)', async () => {
    const out = await vrun(async () => {
      const barrier = new Barrier(3);
      const t1 = createTask(() => barrier.wait());
      const t2 = createTask(() => barrier.wait());
      await sleep(0);
      const before = barrier.nWaiting;
      t1.cancel();
      const r1 = await outcome(t1);
      const after = barrier.nWaiting;
      const t3 = createTask(() => barrier.wait());
      const t4 = createTask(() => barrier.wait());
      const rest = await gather(t2, t3, t4);
      return [before, r1, after, rest.sort(), barrier.broken];
    });
    expect(out).toEqual([2, 'Cancelled', 1, [1, 1, 2], false]);
  });

  // test_cancel_race
  test('the lock holder released and the first waiter cancelled: after sleep(0) the holder is done', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      const lockit = async (blocker: Future<void> | null): Promise<void> => {
        await lock.acquire();
        try {
          if (blocker !== null) await blocker;
        } finally {
          lock.release();
        }
      };
      const fa = new Future<void>();
      const ta = createTask(() => lockit(fa));
      await sleep(0);
      const log: unknown[] = [lock.locked()];
      const tb = createTask(() => lockit(null));
      await sleep(0);
      const tc = createTask(() => lockit(null));
      await sleep(0);
      fa.setResult();
      tb.cancel();
      await sleep(0);
      log.push(ta.done(), tb.cancelled());
      await tc;
      return log;
    });
    expect(out).toEqual([true, true, true]);
  });

  // test_acquire_fifo_order_4
  test('a successful acquire wakes every waiter the freed permits allow, in FIFO order', async () => {
    const out = await vrun(async () => {
      const sem = new Semaphore(0);
      const result: number[] = [];
      const seen: unknown[] = [];
      let t4: Task<void> | null = null;
      const t1 = createTask(async () => {
        await sem.acquire();
        t4 = createTask(async () => {
          result.push(4);
        });
        result.push(1);
      });
      const t2 = createTask(async () => {
        sem.release();
        sem.release();
        sem.release();
        seen.push(sem.locked()); // t1 has not resumed yet
        await sem.acquire();
        result.push(2);
      });
      const t3 = createTask(async () => {
        await sem.acquire();
        seen.push(sem.locked());
        result.push(3);
      });
      await sleep(0);
      await sleep(0);
      await gather(t1, t2, t3);
      await t4!;
      return [result, seen];
    });
    expect(out).toEqual([
      [1, 2, 3, 4],
      [true, true],
    ]);
  });
});

describe('CPython test_queues: one step at a time', () => {
  // test_maxsize
  test('a putter blocks after maxsize items and resumes right after a get', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>(2);
      const havePut: number[] = [];
      const t = createTask(async () => {
        for (let i = 0; i < 3; i++) {
          await q.put(i);
          havePut.push(i);
        }
        return true;
      });
      await sleep(0);
      await sleep(0);
      const log: unknown[] = [[...havePut], await q.get()];
      await sleep(0);
      log.push([...havePut], await q.get(), await q.get(), t.done(), t.result());
      return log;
    });
    expect(out).toEqual([[0, 1], 0, [0, 1, 2], 1, 2, true, true]);
  });

  // test_get_cancelled_race / test_put_cancelled_race
  test('cancelled getters and putters are done after one sleep(0); the others keep their turn', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>();
      const t1 = createTask(() => q.get());
      const t2 = createTask(() => q.get());
      await sleep(0);
      t1.cancel();
      await sleep(0);
      const log: unknown[] = [t1.done()];
      await q.put('a');
      await sleep(0);
      log.push(await t2);
      const bounded = new Queue<string>(1);
      const putA = createTask(() => bounded.put('a'));
      const putB = createTask(() => bounded.put('b'));
      const putC = createTask(() => bounded.put('X'));
      await sleep(0);
      log.push(putA.done(), putB.done());
      putC.cancel();
      await sleep(0);
      log.push(putC.done(), bounded.getNowait());
      await sleep(0);
      log.push(bounded.getNowait());
      await putB;
      return log;
    });
    expect(out).toEqual([true, 'a', true, false, true, 'a', 'b']);
  });
});
