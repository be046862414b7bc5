// Memory-channel behaviours that Trio's own suite checks (trio/_tests/test_channel.py: buffer
// sizes, closing each end, clones, statistics, fairness, rendezvous), written afresh for Duet.
import {
  BrokenResourceError,
  ClosedResourceError,
  EndOfChannel,
  ValueError,
  WouldBlock,
  moveOnAfter,
  openMemoryChannel,
  openNursery,
  type MemoryReceiveChannel,
  type MemorySendChannel,
} from '@duet/trio';
import { assertCheckpoints, trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

async function collect<T>(rx: AsyncIterable<T>): Promise<T[]> {
  const got: T[] = [];
  for await (const value of rx) got.push(value);
  return got;
}

describe('memory channels', () => {
  test(
    'a buffered channel: send, receive, WouldBlock, close each end, ClosedResourceError after',
    trioTest(async () => {
      // Trio: a size that is not an integer (nor Infinity) is a TypeError, a negative one a
      // ValueError, each with its own fixed message.
      for (const bad of [1.5, NaN, -Infinity, '1' as unknown as number]) {
        expect(() => openMemoryChannel(bad)).toThrow(TypeError);
        expect(() => openMemoryChannel(bad)).toThrow(
          /^maxBufferSize must be an integer or Infinity$/,
        );
      }
      expect(() => openMemoryChannel(-1)).toThrow(ValueError);
      expect(() => openMemoryChannel(-1)).toThrow(/^maxBufferSize must be >= 0$/);

      const [s, r] = openMemoryChannel<number | string | null>(2);
      s.sendNowait(1);
      await assertCheckpoints(() => s.send(2));
      expect(() => s.sendNowait(null)).toThrow(WouldBlock);
      expect(await assertCheckpoints(() => r.receive())).toBe(1);
      expect(r.receiveNowait()).toBe(2);
      expect(() => r.receiveNowait()).toThrow(WouldBlock);

      s.sendNowait('last');
      await s.aclose();
      await expect(s.send('too late')).rejects.toBeInstanceOf(ClosedResourceError);
      expect(() => s.sendNowait('too late')).toThrow(ClosedResourceError);
      expect(() => s.clone()).toThrow(ClosedResourceError);
      await s.aclose(); // idempotent

      expect(r.receiveNowait()).toBe('last');
      await expect(r.receive()).rejects.toBeInstanceOf(EndOfChannel);
      await r.aclose();
      await expect(r.receive()).rejects.toBeInstanceOf(ClosedResourceError);
      expect(() => r.receiveNowait()).toThrow(ClosedResourceError);
      await r.aclose();
    }),
  );

  test(
    'a receive cancelled by a timeout takes nothing; a later send still fits the buffer',
    trioTest(async () => {
      const [s, r] = openMemoryChannel<string>(1);
      const scope = moveOnAfter(10);
      await scope.run(() => r.receive());
      expect(scope.cancelledCaught).toBe(true);
      await s.send('Test for PR #553');
      expect(r.receiveNowait()).toBe('Test for PR #553');
    }),
  );

  test(
    'many producers on clones: the receivers end when the last clone closes',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(0);
      const producer = async (sender: MemorySendChannel<number>, i: number): Promise<void> => {
        await using _closing = sender;
        for (let j = 3 * i; j < 3 * (i + 1); j++) await sender.send(j);
      };
      await openNursery(async (nursery) => {
        {
          await using _closing = tx;
          for (let i = 0; i < 10; i++) nursery.startSoon(producer, tx.clone(), i);
        }
        const got = await collect(rx);
        expect(got.sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
      });
    }),
  );

  test(
    'many consumers on one receive handle share the values, each once',
    trioTest(async () => {
      const receivers = new Set<number>();
      const received: number[] = [];
      const consumer = async (rx: MemoryReceiveChannel<number>, i: number): Promise<void> => {
        for await (const value of rx) {
          receivers.add(i);
          received.push(value);
        }
      };
      await openNursery(async (nursery) => {
        const [tx, rx] = openMemoryChannel<number>(1);
        await using _closing = tx;
        for (let i = 0; i < 5; i++) nursery.startSoon(consumer, rx, i);
        await waitAllTasksBlocked();
        for (let i = 0; i < 10; i++) await tx.send(i);
      });
      expect(receivers).toEqual(new Set([0, 1, 2, 3, 4]));
      expect(received).toHaveLength(10);
      expect(new Set(received)).toEqual(new Set([...Array(10).keys()]));
    }),
  );

  for (const how of ['aclose', 'close'] as const) {
    const shut = (end: { aclose(): Promise<void>; close(): void }) =>
      how === 'aclose' ? end.aclose() : end.close();

    test(
      `${how}(): closing the send end fails its blocked sender and ends the receivers; closing the receive end breaks senders`,
      trioTest(async () => {
        const sendBlock = async (
          tx: MemorySendChannel<null>,
          expected: new (...args: never[]) => Error,
        ): Promise<void> => {
          await expect(tx.send(null)).rejects.toBeInstanceOf(expected);
        };

        let [s, r] = openMemoryChannel<null>(0);
        await openNursery(async (nursery) => {
          nursery.startSoon(sendBlock, s, ClosedResourceError);
          await waitAllTasksBlocked();
          await shut(s);
        });
        expect(() => s.sendNowait(null)).toThrow(ClosedResourceError);
        await expect(s.send(null)).rejects.toBeInstanceOf(ClosedResourceError);
        expect(() => r.receiveNowait()).toThrow(EndOfChannel);
        await expect(r.receive()).rejects.toBeInstanceOf(EndOfChannel);

        [s, r] = openMemoryChannel<null>(0);
        await openNursery(async (nursery) => {
          nursery.startSoon(sendBlock, s, BrokenResourceError);
          await waitAllTasksBlocked();
          await shut(r);
        });
        expect(() => s.sendNowait(null)).toThrow(BrokenResourceError);
        await expect(s.send(null)).rejects.toBeInstanceOf(BrokenResourceError);

        const [, r2] = openMemoryChannel<number>(0);
        await openNursery(async (nursery) => {
          nursery.startSoon(async () => {
            await expect(r2.receive()).rejects.toBeInstanceOf(ClosedResourceError);
          });
          await waitAllTasksBlocked();
          await shut(r2);
        });
        expect(() => r2.receiveNowait()).toThrow(ClosedResourceError);
        await expect(r2.receive()).rejects.toBeInstanceOf(ClosedResourceError);
      }),
    );
  }

  test(
    'receive clones: the channel breaks only when the last one closes',
    trioTest(async () => {
      const [s, r] = openMemoryChannel<null>(10);
      const r2 = r.clone();
      const r3 = r.clone();
      s.sendNowait(null);
      await r.aclose();
      {
        using _closing = r2;
      }
      expect(() => r.clone()).toThrow(ClosedResourceError);
      expect(() => r2.clone()).toThrow(ClosedResourceError);
      s.sendNowait(null); // r3 is still open
      await r3.aclose();
      expect(() => s.sendNowait(null)).toThrow(BrokenResourceError);
    }),
  );

  test(
    'closing one send handle fails only the senders that used it',
    trioTest(async () => {
      const [s1, r] = openMemoryChannel<string>(0);
      const s2 = s1.clone();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await expect(s1.send('nope')).rejects.toBeInstanceOf(ClosedResourceError);
        });
        nursery.startSoon(() => s2.send('ok'));
        await waitAllTasksBlocked();
        await s1.aclose();
        expect(await r.receive()).toBe('ok');
      });
    }),
  );

  test(
    'closing one receive handle fails only the receivers that used it',
    trioTest(async () => {
      const [s, r1] = openMemoryChannel<string>(0);
      const r2 = r1.clone();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await expect(r1.receive()).rejects.toBeInstanceOf(ClosedResourceError);
        });
        nursery.startSoon(async () => {
          expect(await r2.receive()).toBe('ok');
        });
        await waitAllTasksBlocked();
        await r1.aclose();
        await s.send('ok');
      });
    }),
  );

  test(
    'an Infinity buffer never blocks a sender',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(Infinity);
      {
        using _closing = tx;
        for (let i = 0; i < 10; i++) tx.sendNowait(i);
      }
      expect(await collect(rx)).toEqual([...Array(10).keys()]);
    }),
  );

  test(
    'statistics are shared by both ends and track handles, buffer and waiting tasks',
    trioTest(async () => {
      const [s, r] = openMemoryChannel<null>(2);
      expect(s.statistics()).toEqual(r.statistics());
      expect(s.statistics()).toEqual({
        currentBufferUsed: 0,
        maxBufferSize: 2,
        openSendChannels: 1,
        openReceiveChannels: 1,
        tasksWaitingSend: 0,
        tasksWaitingReceive: 0,
      });
      s.sendNowait(null);
      expect(s.statistics().currentBufferUsed).toBe(1);
      const s2 = s.clone();
      expect(s.statistics().openSendChannels).toBe(2);
      await s.aclose();
      expect(s2.statistics().openSendChannels).toBe(1);
      const r2 = r.clone();
      expect(s2.statistics().openReceiveChannels).toBe(2);
      await r2.aclose();
      expect(s2.statistics().openReceiveChannels).toBe(1);

      await openNursery(async (nursery) => {
        s2.sendNowait(null); // the buffer is full now
        expect(s.statistics().currentBufferUsed).toBe(2);
        nursery.startSoon(() => s2.send(null));
        nursery.startSoon(() => s2.send(null));
        await waitAllTasksBlocked();
        expect(s.statistics().tasksWaitingSend).toBe(2);
        nursery.cancelScope.cancel();
      });
      expect(s.statistics().tasksWaitingSend).toBe(0);

      for (;;) {
        try {
          r.receiveNowait();
        } catch (err) {
          if (err instanceof WouldBlock) break;
          throw err;
        }
      }
      await openNursery(async (nursery) => {
        nursery.startSoon(() => r.receive());
        await waitAllTasksBlocked();
        expect(s.statistics().tasksWaitingReceive).toBe(1);
        nursery.cancelScope.cancel();
      });
      expect(s.statistics().tasksWaitingReceive).toBe(0);
    }),
  );

  test(
    'fairness: a value sent while a receiver waits is that receiver’s; a freed slot is a waiting sender’s',
    trioTest(async () => {
      let [s, r] = openMemoryChannel<number | null>(1);
      s.sendNowait(1);
      expect(r.receiveNowait()).toBe(1);
      s.sendNowait(2);
      expect(r.receiveNowait()).toBe(2);

      let result: number | null | undefined;
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          result = await r.receive();
        });
        await waitAllTasksBlocked();
        s.sendNowait(2);
        expect(() => r.receiveNowait()).toThrow(WouldBlock);
      });
      expect(result).toBe(2);

      [s, r] = openMemoryChannel<number | null>(1);
      s.sendNowait(1);
      expect(() => s.sendNowait(null)).toThrow(WouldBlock);
      await openNursery(async (nursery) => {
        nursery.startSoon(() => s.send(2));
        await waitAllTasksBlocked();
        expect(r.receiveNowait()).toBe(1);
        expect(() => s.sendNowait(3)).toThrow(WouldBlock);
        expect(await r.receive()).toBe(2);
      });
    }),
  );

  test(
    'a rendezvous channel: nothing without a partner, and both sides checkpoint',
    trioTest(async () => {
      const [s, r] = openMemoryChannel<number>(0);
      expect(() => r.receiveNowait()).toThrow(WouldBlock);
      expect(() => s.sendNowait(1)).toThrow(WouldBlock);
      await openNursery(async (nursery) => {
        nursery.startSoon(() => assertCheckpoints(() => s.send(1)));
        expect(await assertCheckpoints(() => r.receive())).toBe(1);
      });
      expect(() => r.receiveNowait()).toThrow(WouldBlock);
    }),
  );
});
