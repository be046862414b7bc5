import {
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  createTask,
  sleep as aioSleep,
} from '@duet/asyncio';
import { channelAsQueue, queueAsChannels } from '@duet/bridge';
import { CancelScope, MockClock, checkpoint, run, waitAllTasksBlocked } from '@duet/kernel';
import {
  BrokenResourceError,
  ClosedResourceError,
  EndOfChannel,
  WouldBlock,
  openMemoryChannel,
  openNursery,
} from '@duet/trio';

const vrun = <T>(fn: () => Promise<T>) =>
  run({ clock: new MockClock({ autojumpThreshold: 0 }) }, fn);

describe('queueAsChannels', () => {
  test('Trio code drains an asyncio queue; shutdown ends the iteration', async () => {
    const got = await vrun(async () => {
      const queue = new Queue<number>(2);
      const [send, receive] = queueAsChannels(queue);
      const received: number[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          for await (const v of receive) received.push(v);
        });
        for (let i = 0; i < 5; i++) await send.send(i);
        send.close();
      });
      await expect(send.send(9)).rejects.toBeInstanceOf(ClosedResourceError);
      return received;
    });
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  test('nowait calls map QueueFull/QueueEmpty to WouldBlock; receive close breaks senders', async () => {
    await vrun(async () => {
      const [send, receive] = queueAsChannels(new Queue<string>(1));
      expect(() => receive.receiveNowait()).toThrow(WouldBlock);
      send.sendNowait('a');
      expect(() => send.sendNowait('b')).toThrow(WouldBlock);
      receive.close();
      await expect(send.send('c')).rejects.toBeInstanceOf(BrokenResourceError);
      expect(() => queueAsChannels({} as Queue<string>)).toThrow(TypeError);
    });
  });
});

describe('channelAsQueue', () => {
  test('asyncio code feeds a Trio channel; shutdown drains then raises QueueShutDown', async () => {
    const got = await vrun(async () => {
      const [send, receive] = openMemoryChannel<number>(1);
      const queue = channelAsQueue(send, receive);
      const producer = createTask(async () => {
        for (let i = 0; i < 3; i++) await queue.put(i);
        queue.shutdown();
      });
      const items: number[] = [];
      for (;;) {
        try {
          items.push(await queue.get());
        } catch (e) {
          expect(e).toBeInstanceOf(QueueShutDown);
          break;
        }
      }
      await producer;
      return items;
    });
    expect(got).toEqual([0, 1, 2]);
  });

  test('nowait errors and immediate shutdown', async () => {
    await vrun(async () => {
      const [send, receive] = openMemoryChannel<number>(1);
      const queue = channelAsQueue(send, receive);
      expect(() => queue.getNowait()).toThrow(QueueEmpty);
      queue.putNowait(1);
      expect(queue.qsize()).toBe(1);
      expect(() => queue.putNowait(2)).toThrow(QueueFull);
      queue.shutdown(true);
      await expect(queue.get()).rejects.toBeInstanceOf(QueueShutDown);
      await expect(queue.put(3)).rejects.toBeInstanceOf(QueueShutDown);
      await aioSleep(0);
      expect(new EndOfChannel()).toBeInstanceOf(Error);
    });
  });
});

describe('a cancel racing the wake-up loses no item (issue 15)', () => {
  test('queueAsChannels: a Trio receiver cancelled by its scope in the step of the put keeps the item (Trio rule)', async () => {
    const got = await vrun(async () => {
      const queue = new Queue<string>();
      const [, receive] = queueAsChannels(queue);
      const scope = new CancelScope();
      const received: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(() =>
          scope.run(async () => {
            received.push(await receive.receive());
            await checkpoint(); // the cancel lands here
            received.push('not cancelled');
          }),
        );
        await waitAllTasksBlocked();
        queue.putNowait('x');
        scope.cancel();
      });
      return [received, queue.qsize()];
    });
    expect(got).toEqual([['x'], 0]);
  });

  test('queueAsChannels: an asyncio task cancelled in the step of the put leaves the item queued (asyncio rule)', async () => {
    const got = await vrun(async () => {
      const queue = new Queue<string>();
      const [, receive] = queueAsChannels(queue);
      const t = createTask(() => receive.receive());
      await aioSleep(0);
      queue.putNowait('x');
      t.cancel();
      const outcome = await Promise.resolve(t).then(
        () => 'value',
        () => 'cancelled',
      );
      return [outcome, queue.qsize()];
    });
    expect(got).toEqual(['cancelled', 1]);
  });

  test('channelAsQueue: an asyncio getter cancelled in the step of the send keeps the item (the channel hands it over)', async () => {
    const got = await vrun(async () => {
      const [send, receive] = openMemoryChannel<string>(0);
      const queue = channelAsQueue(send, receive);
      const received: string[] = [];
      const t = createTask(async () => {
        received.push(await queue.get());
        await aioSleep(1); // the cancel lands here
      });
      await aioSleep(0);
      send.sendNowait('x');
      t.cancel();
      await Promise.resolve(t).catch(() => undefined);
      return [received, t.cancelled(), queue.qsize()];
    });
    expect(got).toEqual([['x'], true, 0]);
  });
});
