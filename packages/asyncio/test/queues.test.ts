import {
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
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
    (v) => `value:${String(v)}`,
    (e: unknown) => (e as Error).name,
  );

describe('Queue', () => {
  test('FIFO; sizes; nowait errors', async () => {
    await vrun(async () => {
      const q = new Queue<number>(2);
      expect([q.empty(), q.full(), q.qsize(), q.maxsize]).toEqual([true, false, 0, 2]);
      q.putNowait(1);
      await q.put(2);
      expect(q.full()).toBe(true);
      expect(() => q.putNowait(3)).toThrow(QueueFull);
      expect(q.getNowait()).toBe(1);
      expect(await q.get()).toBe(2);
      expect(() => q.getNowait()).toThrow(QueueEmpty);
      const unbounded = new Queue<number>();
      for (let i = 0; i < 100; i++) unbounded.putNowait(i);
      expect(unbounded.full()).toBe(false);
    });
  });

  test('put waits while full, get waits while empty', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>(1);
      const log: string[] = [];
      const producer = createTask(async () => {
        for (const x of ['a', 'b', 'c']) {
          await q.put(x);
          log.push(`put ${x}@${now()}`);
        }
      });
      const consumer = createTask(async () => {
        for (let i = 0; i < 3; i++) {
          await sleep(1);
          log.push(`got ${await q.get()}@${now()}`);
        }
      });
      await gather(producer, consumer);
      return log;
    });
    expect(out).toEqual(['put a@0', 'got a@1', 'put b@1', 'got b@2', 'put c@2', 'got c@3']);
  });

  test('a cancelled get loses no item', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>();
      const a = createTask(() => q.get());
      const b = createTask(() => q.get());
      await sleep(0);
      a.cancel();
      await settle(a);
      q.putNowait('x');
      q.putNowait('y');
      return [a.cancelled(), await b, q.qsize(), q.getNowait()];
    });
    expect(out).toEqual([true, 'x', 1, 'y']);
  });

  test('a getter woken with an item and cancelled at the same moment leaves it in the queue', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>();
      const got: string[] = [];
      const a = createTask(async () => {
        got.push(await q.get()); // the cancel lands here, before the item is taken
      });
      await sleep(0);
      q.putNowait('x');
      a.cancel();
      return [await settle(a), got, q.qsize()];
    });
    expect(out).toEqual(['Cancelled', [], 1]);
  });

  test('a cancelled put adds no item', async () => {
    const out = await vrun(async () => {
      const q = new Queue<string>(1);
      q.putNowait('first');
      const p = createTask(() => q.put('second'));
      await sleep(0);
      p.cancel();
      await settle(p);
      return [p.cancelled(), q.getNowait(), q.qsize()];
    });
    expect(out).toEqual([true, 'first', 0]);
  });

  test('join waits until every item put is marked done; taskDone too often is a ValueError', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>();
      await q.join(); // nothing to wait for
      for (let i = 0; i < 3; i++) q.putNowait(i);
      const worker = createTask(async () => {
        for (;;) {
          await q.get();
          await sleep(1);
          q.taskDone();
        }
      });
      await q.join();
      const t = now();
      worker.cancel();
      await settle(worker);
      expect(() => q.taskDone()).toThrow(ValueError);
      return t;
    });
    expect(out).toBe(3);
  });

  test('shutdown: put raises, get drains then raises, blocked getters and putters wake with QueueShutDown', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>(1);
      const empty = new Queue<number>();
      const getter = createTask(() => empty.get());
      q.putNowait(1);
      const putter = createTask(() => q.put(2));
      await sleep(0);
      empty.shutdown();
      q.shutdown();
      return [
        await settle(getter),
        await settle(putter),
        await settle(q.put(3)),
        q.getNowait(),
        await settle(q.get()),
        (() => {
          try {
            q.getNowait();
          } catch (e) {
            return (e as Error).name;
          }
          return 'no error';
        })(),
      ];
    });
    expect(out).toEqual([
      'QueueShutDown',
      'QueueShutDown',
      'QueueShutDown',
      1,
      'QueueShutDown',
      'QueueShutDown',
    ]);
  });

  test('a put or get that fails without waiting rejects (no throw at the call), as a coroutine does', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>(2);
      q.shutdown();
      const put = q.put(1); // not full: fails at once, but as a rejection
      const get = q.get(); // empty and shut down
      return [await settle(put), await settle(get), q.qsize()];
    });
    expect(out).toEqual(['QueueShutDown', 'QueueShutDown', 0]);
  });

  test('shutdown(immediate) drops the items and releases join', async () => {
    const out = await vrun(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      q.putNowait(2);
      const joiner = createTask(() => q.join());
      await sleep(1);
      q.shutdown(true);
      return [await settle(joiner), q.qsize(), await settle(q.get()), now()];
    });
    expect(out).toEqual(['value:undefined', 0, 'QueueShutDown', 1]);
  });

  test('QueueShutDown, QueueEmpty and QueueFull are distinct error classes', () => {
    expect(new QueueShutDown()).not.toBeInstanceOf(QueueEmpty);
    expect(new QueueFull()).toBeInstanceOf(Error);
  });
});

describe('PriorityQueue and LifoQueue', () => {
  test('PriorityQueue returns the smallest first, comparing arrays like tuples', async () => {
    await vrun(async () => {
      const q = new PriorityQueue<[number, string]>();
      for (const item of [
        [3, 'c'],
        [1, 'b'],
        [2, 'x'],
        [1, 'a'],
      ] as [number, string][])
        q.putNowait(item);
      const out: [number, string][] = [];
      while (!q.empty()) out.push(await q.get());
      expect(out).toEqual([
        [1, 'a'],
        [1, 'b'],
        [2, 'x'],
        [3, 'c'],
      ]);
      const byLength = new PriorityQueue<string>(0, (a, b) => a.length - b.length);
      byLength.putNowait('ccc');
      byLength.putNowait('a');
      expect(byLength.getNowait()).toBe('a');
    });
  });

  test('LifoQueue returns the newest first', async () => {
    await vrun(async () => {
      const q = new LifoQueue<number>();
      [1, 2, 3].forEach((x) => q.putNowait(x));
      expect([q.getNowait(), q.getNowait(), await q.get()]).toEqual([3, 2, 1]);
    });
  });
});
