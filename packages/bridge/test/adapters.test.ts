import {
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  createTask,
  sleep as aioSleep,
} from '@duet/asyncio';
import { channelAsQueue, queueAsChannels } from '@duet/bridge';
import { MockClock, run } from '@duet/kernel';
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
