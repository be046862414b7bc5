import {
  BrokenResourceError,
  BusyResourceError,
  CancelScope,
  Cancelled,
  ClosedResourceError,
  EndOfChannel,
  MemoryReceiveChannel,
  MemorySendChannel,
  ValueError,
  WouldBlock,
  checkpoint,
  currentTime,
  moveOnAfter,
  openMemoryChannel,
  openNursery,
  sleep,
} from '@duet/trio';
import { assertCheckpoints, trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

describe('openMemoryChannel', () => {
  test('validates maxBufferSize', () => {
    expect(() => openMemoryChannel(-1)).toThrow(ValueError);
    expect(() => openMemoryChannel(1.5)).toThrow(TypeError);
    expect(() => openMemoryChannel(NaN)).toThrow(TypeError);
    expect(() => openMemoryChannel('3' as never)).toThrow(TypeError);
    const [tx, rx] = openMemoryChannel<number>(Infinity);
    expect(tx).toBeInstanceOf(MemorySendChannel);
    expect(rx).toBeInstanceOf(MemoryReceiveChannel);
    expect(tx.statistics().maxBufferSize).toBe(Infinity);
  });

  test('BusyResourceError is exported as an Error class', () => {
    expect(new BusyResourceError('x')).toBeInstanceOf(Error);
  });
});

describe('rendezvous channel (buffer 0)', () => {
  test(
    'send blocks until a receiver takes the value',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<string>(0);
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await tx.send('hello');
          log.push(`send returned at ${currentTime()}`);
        });
        await sleep(3);
        expect(tx.statistics().tasksWaitingSend).toBe(1);
        expect(tx.statistics().currentBufferUsed).toBe(0);
        log.push(`received ${await rx.receive()} at ${currentTime()}`);
      });
      // The receive wakes the sender before its own schedule point, so the sender runs first.
      expect(log).toEqual(['send returned at 3', 'received hello at 3']);
    }),
  );

  test(
    'a waiting receiver gets the value handed over directly',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(0);
      const got: number[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          got.push(await rx.receive());
        });
        await waitAllTasksBlocked();
        expect(rx.statistics().tasksWaitingReceive).toBe(1);
        tx.sendNowait(7); // does not block: a receiver is waiting
        expect(rx.statistics()).toMatchObject({ tasksWaitingReceive: 0, currentBufferUsed: 0 });
      });
      expect(got).toEqual([7]);
    }),
  );

  test(
    'nowait calls raise WouldBlock when nobody is on the other side',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(0);
      expect(() => tx.sendNowait(1)).toThrow(WouldBlock);
      expect(() => rx.receiveNowait()).toThrow(WouldBlock);
    }),
  );

  test(
    'FIFO among waiting senders and among waiting receivers',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<string>(0);
      const received: string[] = [];
      await openNursery(async (n) => {
        for (const v of ['a', 'b', 'c']) n.startSoon(() => tx.send(v));
        await waitAllTasksBlocked();
        for (let i = 0; i < 3; i++) received.push(await rx.receive());
      });
      expect(received).toEqual(['a', 'b', 'c']);

      const order: string[] = [];
      await openNursery(async (n) => {
        for (const name of ['r1', 'r2', 'r3']) {
          n.startSoon(async () => {
            order.push(`${name}:${await rx.receive()}`);
          });
        }
        await waitAllTasksBlocked();
        for (const v of ['x', 'y', 'z']) await tx.send(v);
      });
      expect(order).toEqual(['r1:x', 'r2:y', 'r3:z']);
    }),
  );
});

describe('buffered channel', () => {
  test(
    'send does not block until the buffer is full; order is kept through blocked senders',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(2);
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          for (let i = 1; i <= 4; i++) {
            await tx.send(i);
            log.push(`sent ${i} at ${currentTime()}`);
          }
        });
        await sleep(1);
        expect(tx.statistics()).toMatchObject({ currentBufferUsed: 2, tasksWaitingSend: 1 });
        const values: number[] = [];
        for (let i = 0; i < 4; i++) values.push(await rx.receive());
        expect(values).toEqual([1, 2, 3, 4]);
      });
      expect(log).toEqual(['sent 1 at 0', 'sent 2 at 0', 'sent 3 at 1', 'sent 4 at 1']);
    }),
  );

  test(
    'unbounded buffer never blocks senders',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(Infinity);
      for (let i = 0; i < 1000; i++) tx.sendNowait(i);
      expect(rx.statistics().currentBufferUsed).toBe(1000);
      expect(rx.receiveNowait()).toBe(0);
    }),
  );

  test(
    'statistics are shared by both ends',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(5);
      const tx2 = tx.clone();
      tx.sendNowait(1);
      const expected = {
        currentBufferUsed: 1,
        maxBufferSize: 5,
        openSendChannels: 2,
        openReceiveChannels: 1,
        tasksWaitingSend: 0,
        tasksWaitingReceive: 0,
      };
      expect(tx.statistics()).toEqual(expected);
      expect(rx.statistics()).toEqual(expected);
      tx2.close();
      expect(rx.statistics().openSendChannels).toBe(1);
    }),
  );
});

describe('closing', () => {
  test(
    'closing every sender: receivers drain the buffer, then EndOfChannel',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(3);
      tx.sendNowait(1);
      tx.sendNowait(2);
      tx.close();
      expect(await rx.receive()).toBe(1);
      expect(rx.receiveNowait()).toBe(2);
      await expect(rx.receive()).rejects.toBeInstanceOf(EndOfChannel);
      expect(() => rx.receiveNowait()).toThrow(EndOfChannel);
    }),
  );

  test(
    'closing the last sender wakes a waiting receiver with EndOfChannel',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(0);
      let caught: unknown;
      await openNursery(async (n) => {
        n.startSoon(async () => {
          try {
            await rx.receive();
          } catch (err) {
            caught = err;
          }
        });
        await sleep(2);
        tx.close();
      });
      expect(caught).toBeInstanceOf(EndOfChannel);
      expect(currentTime()).toBe(2);
    }),
  );

  test(
    'using a closed handle is ClosedResourceError; close is idempotent',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(1);
      tx.close();
      tx.close();
      await expect(tx.send(1)).rejects.toBeInstanceOf(ClosedResourceError);
      expect(() => tx.sendNowait(1)).toThrow(ClosedResourceError);
      expect(() => tx.clone()).toThrow(ClosedResourceError);
      rx.close();
      await expect(rx.receive()).rejects.toBeInstanceOf(ClosedResourceError);
      expect(() => rx.receiveNowait()).toThrow(ClosedResourceError);
      expect(() => rx.clone()).toThrow(ClosedResourceError);
    }),
  );

  test(
    'closing every receiver: senders get BrokenResourceError and the buffer is discarded',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(1);
      let caught: unknown;
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await tx.send(1);
          try {
            await tx.send(2);
          } catch (err) {
            caught = err;
          }
        });
        await waitAllTasksBlocked();
        expect(rx.statistics()).toMatchObject({ currentBufferUsed: 1, tasksWaitingSend: 1 });
        rx.close();
      });
      expect(caught).toBeInstanceOf(BrokenResourceError);
      expect(tx.statistics()).toMatchObject({
        currentBufferUsed: 0,
        openReceiveChannels: 0,
        tasksWaitingSend: 0,
      });
      expect(() => tx.sendNowait(3)).toThrow(BrokenResourceError);
    }),
  );

  test(
    'closing a handle wakes the tasks blocked on that handle with ClosedResourceError',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(0);
      const rx2 = rx.clone();
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await rx.receive().catch((e: unknown) => log.push(`rx: ${(e as Error).name}`));
        });
        n.startSoon(async () => {
          log.push(`rx2 got ${await rx2.receive()}`);
        });
        await waitAllTasksBlocked();
        rx.close();
        await waitAllTasksBlocked();
        await tx.send(5); // rx2 is still open and waiting
      });
      expect(log).toEqual(['rx: ClosedResourceError', 'rx2 got 5']);
    }),
  );

  test(
    'clones: the receiver sees the end only when every send clone is closed',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<string>(0);
      const received: string[] = [];
      await openNursery(async (n) => {
        for (const name of ['p1', 'p2', 'p3']) {
          const mine = tx.clone();
          n.startSoon(async () => {
            using sender = mine;
            await sleep(name === 'p2' ? 2 : 1);
            await sender.send(name);
          });
        }
        tx.close();
        for await (const v of rx) received.push(v);
      });
      expect(received.sort()).toEqual(['p1', 'p2', 'p3']);
      expect(currentTime()).toBe(2);
    }),
  );

  test(
    'aclose closes and checkpoints; using / await using close the handle',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(0);
      await assertCheckpoints(() => tx.aclose());
      expect(rx.statistics().openSendChannels).toBe(0);
      {
        using _r = rx;
      }
      expect(tx.statistics().openReceiveChannels).toBe(0);
      const [tx2, rx2] = openMemoryChannel<number>(0);
      {
        await using _t = tx2;
      }
      expect(rx2.statistics().openSendChannels).toBe(0);
    }),
  );
});

describe('async iteration', () => {
  test(
    'ends at EndOfChannel; breaking out does not close the channel',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(10);
      for (let i = 0; i < 5; i++) tx.sendNowait(i);
      const first: number[] = [];
      for await (const v of rx) {
        first.push(v);
        if (v === 1) break;
      }
      expect(first).toEqual([0, 1]);
      expect(rx.statistics().openReceiveChannels).toBe(1);
      tx.close();
      const rest: number[] = [];
      for await (const v of rx) rest.push(v);
      expect(rest).toEqual([2, 3, 4]);
    }),
  );
});

describe('cancellation loses nothing', () => {
  test(
    'a cancelled send does not deliver its value',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<string>(0);
      const scope = moveOnAfter(1);
      await scope.run(() => tx.send('lost'));
      expect(scope.cancelledCaught).toBe(true);
      expect(tx.statistics().tasksWaitingSend).toBe(0);
      expect(() => rx.receiveNowait()).toThrow(WouldBlock);
    }),
  );

  test(
    'a cancelled receive consumes nothing: the next receiver gets the value',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<string>(0);
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await moveOnAfter(1, () => rx.receive());
          log.push('first receiver gave up');
        });
        n.startSoon(async () => {
          await sleep(0.5);
          log.push(`second receiver got ${await rx.receive()}`);
        });
        await sleep(2);
        await tx.send('kept');
      });
      expect(log).toEqual(['first receiver gave up', 'second receiver got kept']);
    }),
  );

  test(
    'send/receive in a cancelled scope raise Cancelled even when they could complete, and move nothing',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(1);
      await new CancelScope().run(async (s) => {
        s.cancel();
        await expect(tx.send(1)).rejects.toBeInstanceOf(Cancelled);
        expect(tx.statistics().currentBufferUsed).toBe(0);
      });
      tx.sendNowait(2);
      await new CancelScope().run(async (s) => {
        s.cancel();
        await expect(rx.receive()).rejects.toBeInstanceOf(Cancelled);
      });
      expect(rx.receiveNowait()).toBe(2);
    }),
  );

  test(
    'many producers and consumers with random cancellations: every delivered value is received once',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(1);
      const sent: number[] = [];
      const received: number[] = [];
      await openNursery(async (n) => {
        for (let p = 0; p < 4; p++) {
          n.startSoon(async () => {
            for (let i = 0; i < 20; i++) {
              const v = p * 100 + i;
              await moveOnAfter((i % 3) * 0.5, async () => {
                await tx.send(v);
                sent.push(v);
              });
            }
          });
        }
        for (let c = 0; c < 3; c++) {
          n.startSoon(async () => {
            for (;;) {
              const done = await moveOnAfter(c + 0.25, async () => {
                received.push(await rx.receive());
                return false;
              });
              if (done === undefined && currentTime() > 50) return;
              await checkpoint();
            }
          });
        }
      });
      // a send that completed (even if its scope fired afterwards) was received exactly once
      expect(received.slice().sort((a, b) => a - b)).toEqual(sent.slice().sort((a, b) => a - b));
    }),
  );

  test(
    'every send and receive is a checkpoint, also when it does not block',
    trioTest(async () => {
      const [tx, rx] = openMemoryChannel<number>(1);
      await assertCheckpoints(() => tx.send(1));
      await assertCheckpoints(() => rx.receive());
      await assertCheckpoints(() => moveOnAfter(1, () => rx.receive()));
      await assertCheckpoints(() => rx.aclose());
    }),
  );
});
