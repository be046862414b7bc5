import { LifoQueue, Queue, createTask, sleep, timeout, TimeoutError } from '@duet/asyncio';
import { vrun } from './helpers';

describe('for await over a Queue', () => {
  test('yields items as they are put and ends at shutdown() once drained', async () => {
    const seen = await vrun(async () => {
      const q = new Queue<number>(1);
      const producer = createTask(async () => {
        for (const i of [1, 2, 3]) await q.put(i);
        q.shutdown();
      });
      const out: number[] = [];
      for await (const item of q) {
        out.push(item);
        q.taskDone();
        await sleep(0.01);
      }
      await producer;
      return out;
    });
    expect(seen).toEqual([1, 2, 3]);
  });

  test('shutdown(true) ends the loop without the items left', async () => {
    const seen = await vrun(async () => {
      const q = new LifoQueue<string>();
      q.putNowait('a');
      q.putNowait('b');
      const out: string[] = [];
      for await (const item of q) {
        out.push(item);
        q.shutdown(true);
      }
      return [out, q.qsize()];
    });
    expect(seen).toEqual([['b'], 0]);
  });

  test('a blocked step is a cancel point, and breaking out leaves the queue usable', async () => {
    const result = await vrun(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      const got: number[] = [];
      await expect(
        timeout(1, async () => {
          for await (const item of q) got.push(item);
        }),
      ).rejects.toBeInstanceOf(TimeoutError);
      q.putNowait(2);
      q.putNowait(3);
      for await (const item of q) {
        got.push(item);
        break;
      }
      return [got, q.qsize()];
    });
    expect(result).toEqual([[1, 2], 1]);
  });
});
