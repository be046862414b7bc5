/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_queues.py (with 3.13's `shutdown`),
 * restated for Duet's API; each was checked on CPython 3.13.0 (/root/.pyenv/versions/3.13.0).
 */
import {
  CancelledError,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TaskGroup,
  ValueError,
  createTask,
  getRunningLoop,
  sleep,
  waitFor,
} from '@duet/asyncio';
import { now, vrun } from './helpers';
import { outcome, thrown } from './outcomes';

describe('CPython test_queues: basics', () => {
  // test_empty / test_full / test_maxsize / test_float_maxsize
  test('empty(), full() and qsize() follow puts and gets; a fractional maxsize is compared as it is, as in CPython', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>();
      const log: unknown[] = [q.empty(), q.full(), q.qsize()];
      q.putNowait(1);
      log.push(q.empty(), q.qsize(), q.getNowait(), q.empty());
      const bounded = new Queue<number>(1);
      log.push(bounded.full());
      bounded.putNowait(1);
      log.push(
        bounded.full(),
        thrown(() => bounded.putNowait(2)),
      );
      const fractional = new Queue<number>(1.3);
      fractional.putNowait(1);
      fractional.putNowait(2);
      log.push(
        fractional.full(),
        thrown(() => fractional.putNowait(3)),
        fractional.maxsize,
      );
      return log;
    });
    expect(out).toEqual([
      true,
      false,
      0,
      false,
      1,
      1,
      true,
      false,
      true,
      'QueueFull',
      true,
      'QueueFull',
      1.3,
    ]);
  });

  // test_order (Queue, LifoQueue, PriorityQueue)
  test('FIFO, LIFO and smallest-first orders', async () => {
    const out = await vrun(async () => {
      const drain = (q: Queue<number>): number[] => {
        for (const i of [1, 3, 2]) q.putNowait(i);
        return [q.getNowait(), q.getNowait(), q.getNowait()];
      };
      return [drain(new Queue()), drain(new LifoQueue()), drain(new PriorityQueue())];
    });
    expect(out).toEqual([
      [1, 3, 2],
      [2, 3, 1],
      [1, 2, 3],
    ]);
  });

  // test_nonblocking_get_exception / test_nonblocking_put_exception
  test('getNowait on an empty queue is QueueEmpty, putNowait on a full one QueueFull', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>(1);
      const log = [thrown(() => q.getNowait())];
      q.putNowait(1);
      log.push(thrown(() => q.putNowait(2)));
      return log;
    });
    expect(out).toEqual(['QueueEmpty', 'QueueFull']);
    expect([QueueEmpty, QueueFull]).toHaveLength(2);
  });

  // test_blocking_get / test_blocking_get_wait / test_blocking_put_wait
  test('get waits for a put, put waits for a free slot', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>(1);
      const loop = getRunningLoop();
      loop.callLater(0.01, () => q.putNowait('a'));
      const got = await q.get();
      const t1 = now();
      q.putNowait('b');
      loop.callLater(0.01, () => q.getNowait());
      await q.put('c');
      return [got, t1, q.getNowait(), now()];
    });
    expect(out).toEqual(['a', 0.01, 'c', 0.02]);
  });

  // test_get_with_waiting_putters
  test('blocked putters are served in order', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>(1);
      createTask(() => q.put('a'));
      createTask(() => q.put('b'));
      return [await q.get(), await q.get()];
    });
    expect(out).toEqual(['a', 'b']);
  });

  // test_why_are_getters_waiting / test_why_are_putters_waiting
  test('a producer and a consumer over Queue(1) finish together', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>(1);
      const got: number[] = [];
      await new TaskGroup().run((tg) => {
        tg.createTask(async () => {
          for (let i = 0; i < 5; i++) await q.put(i);
        });
        tg.createTask(async () => {
          for (let i = 0; i < 5; i++) got.push(await q.get());
        });
      });
      return [got, q.empty()];
    });
    expect(out).toEqual([[0, 1, 2, 3, 4], true]);
  });
});

describe('CPython test_queues: cancellation', () => {
  // test_get_cancel_drop_one_pending_reader
  test('a getter cancelled after the items arrived drops nothing: the next get has the first item', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>();
      let reader = createTask(() => q.get());
      await sleep(0);
      q.putNowait(1);
      q.putNowait(2);
      reader.cancel();
      try {
        await reader;
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        reader = createTask(() => q.get());
        await reader;
      }
      return reader.result();
    });
    expect(out).toBe(1);
  });

  // test_get_cancel_drop_many_pending_readers
  test('many readers, one cancelled: every item is read by the others', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>();
      const readers = Array.from({ length: 4 }, () => createTask(() => q.get()));
      await sleep(0);
      for (const i of [1, 2, 3]) q.putNowait(i);
      readers[0]!.cancel();
      const results: unknown[] = [];
      for (const r of readers) results.push(await outcome(r));
      return [
        results.filter((r) => typeof r === 'number').sort(),
        results.filter((r) => r === 'Cancelled').length,
        q.empty(),
      ];
    });
    expect(out).toEqual([[1, 2, 3], 1, true]);
  });

  // test_put_cancel_drop
  test('a putter cancelled after a slot freed adds nothing: the retried put adds the item once', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      let writer = createTask(() => q.put(2));
      await sleep(0);
      const value1 = q.getNowait();
      writer.cancel();
      try {
        await writer;
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        writer = createTask(() => q.put(2));
        await writer;
      }
      return [value1, q.getNowait(), q.qsize()];
    });
    expect(out).toEqual([1, 2, 0]);
  });

  // test_cancelled_put_silence_value_error_exception
  test('a putter cancelled after its slot was freed raises CancelledError, nothing else', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const putTask = createTask(() => q.put(1));
      await sleep(0);
      q.getNowait();
      putTask.cancel();
      return outcome(putTask);
    });
    expect(out).toBe('Cancelled');
  });

  // test_cancelled_getters_not_being_held_in_self_getters / ..._putters_...
  test('timed-out getters and putters leave no waiter behind', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>(1);
      const e1 = await outcome(waitFor(() => q.get(), 0.1));
      q.putNowait(1);
      const e2 = await outcome(waitFor(() => q.put(2), 0.1));
      q.getNowait();
      // No stale waiter takes these: both go straight through.
      q.putNowait(3);
      return [e1, e2, q.getNowait(), q.empty()];
    });
    expect(out).toEqual(['TimeoutError', 'TimeoutError', 3, true]);
  });
});

describe('CPython test_queues: taskDone, join, shutdown (3.13)', () => {
  // test_task_done_underflow / test_join_empty_queue
  test('taskDone() more often than items were put is a ValueError; join() of a queue with nothing unfinished returns', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>();
      const under = thrown(() => q.taskDone());
      await q.join();
      q.putNowait(1);
      q.getNowait();
      q.taskDone();
      await q.join();
      return [under, thrown(() => q.taskDone()), now()];
    });
    expect(out).toEqual(['ValueError', 'ValueError', 0]);
    expect(ValueError).toBeDefined();
  });

  // test_task_done
  test('join() returns once every item put was marked done by the workers', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>();
      for (let i = 0; i < 100; i++) q.putNowait(i);
      let accumulator = 0;
      let running = true;
      let atJoin = 0;
      await new TaskGroup().run(async (tg) => {
        for (let w = 0; w < 2; w++) {
          tg.createTask(async () => {
            while (running) {
              const item = await q.get();
              accumulator += item;
              q.taskDone();
            }
          });
        }
        await q.join();
        atJoin = accumulator;
        running = false;
        q.putNowait(0);
        q.putNowait(0);
      });
      return atJoin;
    });
    expect(out).toBe(4950);
  });

  // test_shutdown_empty
  test('shutdown of an empty queue: join returns, a waiting get raises QueueShutDown, so do put and get', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>();
      const getTask = createTask(() => q.get());
      await sleep(0);
      q.shutdown();
      await q.join();
      return [
        q.qsize(),
        await outcome(getTask),
        await outcome(q.put('data')),
        thrown(() => q.putNowait('data')),
        await outcome(q.get()),
        thrown(() => q.getNowait()),
      ];
    });
    expect(out).toEqual([
      0,
      'QueueShutDown',
      'QueueShutDown',
      'QueueShutDown',
      'QueueShutDown',
      'QueueShutDown',
    ]);
    expect(QueueShutDown).toBeDefined();
  });

  // test_shutdown_nonempty
  test('shutdown of a non-empty queue: a blocked put raises, the items can still be got, join waits for taskDone', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>(1);
      q.putNowait('data');
      const joinTask = createTask(() => q.join());
      const putTask = createTask(() => q.put('data2'));
      await sleep(0);
      const log: unknown[] = [putTask.done()];
      q.shutdown();
      log.push(q.qsize(), await outcome(putTask), await q.get());
      await sleep(0);
      log.push(joinTask.done(), await outcome(q.put('data')), await outcome(q.get()));
      q.taskDone();
      await joinTask;
      log.push(thrown(() => q.taskDone()));
      return log;
    });
    expect(out).toEqual([
      false,
      1,
      'QueueShutDown',
      'data',
      false,
      'QueueShutDown',
      'QueueShutDown',
      'ValueError',
    ]);
  });

  // test_shutdown_immediate
  test('shutdown(true) drops the items, counting them done: join returns', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>();
      q.putNowait('data');
      const joinTask = createTask(() => q.join());
      q.shutdown(true);
      const size = q.qsize();
      await joinTask;
      return [
        size,
        await outcome(q.get()),
        thrown(() => q.putNowait('data')),
        thrown(() => q.taskDone()),
      ];
    });
    expect(out).toEqual([0, 'QueueShutDown', 'QueueShutDown', 'ValueError']);
  });

  // test_shutdown_immediate_with_unfinished
  test('shutdown(true) with an item got but not done: join waits for that taskDone', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>();
      q.putNowait('data');
      q.putNowait('data');
      const joinTask = createTask(() => q.join());
      const first = await q.get();
      q.shutdown(true);
      const size = q.qsize();
      await sleep(0);
      const doneBefore = joinTask.done();
      q.taskDone();
      const extra = thrown(() => q.taskDone());
      await joinTask;
      return [first, size, doneBefore, extra];
    });
    expect(out).toEqual(['data', 0, false, 'ValueError']);
  });

  // test_shutdown_*: blocked getters and putters wake with QueueShutDown
  test('shutdown wakes every blocked getter with QueueShutDown', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>();
      const getters = Array.from({ length: 3 }, () => createTask(() => q.get()));
      await sleep(0);
      q.shutdown();
      const res: unknown[] = [];
      for (const g of getters) res.push(await outcome(g));
      return res;
    });
    expect(out).toEqual(['QueueShutDown', 'QueueShutDown', 'QueueShutDown']);
  });
});

describe('CPython test_queues: toString() (test_repr, test_str, test_format)', () => {
  // QueueBasicTests._test_repr_or_str, _QueueJoinTestMixin.test_format,
  // _QueueShutdownTestMixin.test_format: Python's str(queue), items shown as Python lists them.
  test('maxsize, the items, waiting getters and putters, unfinished tasks, shutdown', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      let q = new Queue<number>();
      log.push(String(q));
      const getter = createTask(() => q.get());
      await sleep(0);
      log.push(String(q));
      q.putNowait(0);
      await getter;
      log.push(String(q));
      q = new Queue<number>(1);
      q.putNowait(1);
      const putter = createTask(() => q.put(2));
      await sleep(0);
      log.push(String(q));
      q.getNowait();
      await putter;
      log.push(String(q));
      const lifo = new LifoQueue<unknown>();
      lifo.putNowait('a');
      lifo.putNowait([1, 'b']);
      lifo.putNowait(2.5);
      log.push(String(lifo));
      lifo.getNowait();
      lifo.taskDone();
      lifo.shutdown();
      log.push(String(lifo), String(new PriorityQueue(1.5)));
      return log;
    });
    expect(out).toEqual([
      '<Queue maxsize=0>',
      '<Queue maxsize=0 _getters[1]>',
      '<Queue maxsize=0 tasks=1>',
      '<Queue maxsize=1 _queue=[1] _putters[1] tasks=1>',
      '<Queue maxsize=1 _queue=[2] tasks=2>',
      "<LifoQueue maxsize=0 _queue=['a', [1, 'b'], 2.5] tasks=3>",
      "<LifoQueue maxsize=0 _queue=['a', [1, 'b']] tasks=2 shutdown>",
      '<PriorityQueue maxsize=1.5>',
    ]);
  });
});

describe('CPython test_queues: puts by other tasks', () => {
  // QueuePutTests.test_put_cancelled / test_put_with_waiting_getters / test_blocking_put
  test('a put by another task is got; a put to a waiting getter reaches it', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number | string>();
      const t = createTask(async () => {
        await q.put(1);
        return true;
      });
      const log: unknown[] = [await q.get(), t.done() && t.result()];
      const getter = createTask(() => q.get());
      await sleep(0);
      await q.put('a');
      log.push(await getter);
      await q.put(2); // an unbounded queue never blocks a put
      log.push(q.qsize());
      return log;
    });
    expect(out).toEqual([1, true, 'a', 1]);
  });
});

describe("CPython test_queues: PriorityQueue keeps heapq's layout", () => {
  // PriorityQueueTests.test_order, with ties: Python's heapq decides which of equal items comes
  // out first (as with a dataclass(order=True) whose payload is compare=False). Expected values
  // from CPython 3.13.0.
  const priorities = [0, 0, 0, 20, 17, 0, 12, 6, 13, 0, 16, 7];

  test('items of equal priority come out in the order CPython gives them', () => {
    const q = new PriorityQueue<{ priority: number; name: string }>(
      0,
      (a, b) => a.priority - b.priority,
    );
    priorities.forEach((priority, i) =>
      q.putNowait({ priority, name: String.fromCharCode(97 + i) }),
    );
    let order = '';
    while (!q.empty()) order += q.getNowait().name;
    expect(order).toBe('acfbjhlgiked');
  });

  test('the heap after two gets is the list CPython shows', () => {
    const q = new PriorityQueue<number>();
    for (const p of priorities) q.putNowait(p);
    q.getNowait();
    q.getNowait();
    expect(String(q)).toBe(
      '<PriorityQueue maxsize=0 _queue=[0, 0, 7, 6, 0, 16, 12, 20, 13, 17] tasks=12>',
    );
  });
});
