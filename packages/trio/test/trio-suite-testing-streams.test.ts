// trio.testing's in-memory and lockstep streams and open_stream_to_socket_listener, as Trio's own
// suite uses them (trio/_tests/test_testing.py); each expectation was checked against trio 0.22.
import {
  BrokenResourceError,
  BusyResourceError,
  CancelScope,
  Cancelled,
  ClosedResourceError,
  ExceptionGroup,
  StapledStream,
  WouldBlock,
  currentTime,
  moveOnAfter,
  openNursery,
  openTcpListeners,
  sleep,
} from '@duet/trio';
import {
  MemoryReceiveStream,
  MemorySendStream,
  assertCheckpoints,
  lockstepStreamOneWayPair,
  lockstepStreamPair,
  memoryStreamOneWayPair,
  memoryStreamPair,
  memoryStreamPump,
  openStreamToSocketListener,
  trioTest,
  waitAllTasksBlocked,
} from '@duet/trio/testing';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** The error a nursery raised, unwrapped from its group when it is the only one. */
async function failureOf(body: () => Promise<unknown>): Promise<unknown> {
  try {
    await body();
  } catch (err) {
    return err instanceof ExceptionGroup && err.exceptions.length === 1 ? err.exceptions[0] : err;
  }
  throw new Error('expected a failure');
}

describe('MemorySendStream', () => {
  test(
    'buffers what is sent; getData takes up to maxBytes, getDataNowait raises WouldBlock when empty',
    trioTest(async () => {
      const s = new MemorySendStream();
      await s.sendAll('abc');
      await s.sendAll(new Uint8Array([100, 101]));
      expect(text(await s.getData(2))).toBe('ab');
      expect(text(s.getDataNowait())).toBe('cde');
      expect(() => s.getDataNowait()).toThrow(WouldBlock);
    }),
  );

  test(
    'after close: sending raises ClosedResourceError; getData drains what is left, then empty',
    trioTest(async () => {
      const s = new MemorySendStream();
      await s.sendAll('xy');
      s.close();
      await expect(s.sendAll('z')).rejects.toThrow(ClosedResourceError);
      await expect(s.waitSendAllMightNotBlock()).rejects.toThrow(ClosedResourceError);
      expect(text(s.getDataNowait())).toBe('xy');
      expect(s.getDataNowait().length).toBe(0);
      expect((await s.getData()).length).toBe(0);
    }),
  );

  test(
    'maxBytes must be a positive integer',
    trioTest(async () => {
      const s = new MemorySendStream();
      await s.sendAll('abc');
      expect(() => s.getDataNowait(0)).toThrow(RangeError);
      expect(() => s.getDataNowait(1.5)).toThrow(/maxBytes/);
      await expect(s.getData(0)).rejects.toThrow(RangeError);
    }),
  );

  test(
    'the sendAll hook runs after the data is buffered; the close hook on every close',
    trioTest(async () => {
      const seen: string[] = [];
      const s = new MemorySendStream({ closeHook: () => seen.push('close') });
      s.sendAllHook = async () => {
        seen.push(`hook sees ${text(s.getDataNowait())}`);
      };
      await s.sendAll('hi');
      s.close();
      s.close();
      await s.aclose();
      expect(seen).toEqual(['hook sees hi', 'close', 'close', 'close']);
    }),
  );

  test(
    'two tasks sending at once, or sending and waiting: BusyResourceError',
    trioTest(async () => {
      const s = new MemorySendStream();
      const err = await failureOf(() =>
        openNursery(async (n) => {
          n.startSoon(() => s.sendAll('a'));
          n.startSoon(() => s.waitSendAllMightNotBlock());
        }),
      );
      expect(err).toBeInstanceOf(BusyResourceError);
      expect((err as Error).message).toBe('another task is using this stream');
    }),
  );

  test(
    'two tasks in getData at once: BusyResourceError; a waiting getData gets an empty chunk on close',
    trioTest(async () => {
      const s = new MemorySendStream();
      const err = await failureOf(() =>
        openNursery(async (n) => {
          n.startSoon(() => s.getData());
          n.startSoon(() => s.getData());
        }),
      );
      expect(err).toBeInstanceOf(BusyResourceError);
      expect((err as Error).message).toBe('another task is already fetching data');

      const t = new MemorySendStream();
      let got: Uint8Array | undefined;
      await openNursery(async (n) => {
        n.startSoon(async () => {
          got = await t.getData();
        });
        await waitAllTasksBlocked();
        t.close();
      });
      expect(got?.length).toBe(0);
    }),
  );

  test(
    'a waiting getData(1) is woken by a send and leaves the rest',
    trioTest(async () => {
      const s = new MemorySendStream();
      let got = '';
      await openNursery(async (n) => {
        n.startSoon(async () => {
          got = text(await s.getData(1));
        });
        await waitAllTasksBlocked();
        await s.sendAll('abc');
      });
      expect(got).toBe('a');
      expect(text(s.getDataNowait())).toBe('bc');
    }),
  );

  test(
    'every operation checkpoints; a cancelled sendAll buffers nothing, a cancelled getData takes nothing',
    trioTest(async () => {
      const s = new MemorySendStream();
      await assertCheckpoints(() => s.sendAll('x'));
      await assertCheckpoints(() => s.waitSendAllMightNotBlock());
      await assertCheckpoints(() => s.getData());
      await assertCheckpoints(() => s.aclose());

      const t = new MemorySendStream();
      const scope = new CancelScope();
      await scope.run(async () => {
        scope.cancel();
        await expect(t.sendAll('lost')).rejects.toThrow(Cancelled);
      });
      expect(() => t.getDataNowait()).toThrow(WouldBlock);
      await t.sendAll('kept');
      const again = new CancelScope();
      await again.run(async () => {
        again.cancel();
        await expect(t.getData()).rejects.toThrow(Cancelled);
      });
      expect(text(t.getDataNowait())).toBe('kept');
    }),
  );

  test(
    'the buffer holds a copy: changing the sent array later changes nothing',
    trioTest(async () => {
      const s = new MemorySendStream();
      const bytes = new Uint8Array([1, 2, 3]);
      await s.sendAll(bytes);
      bytes[0] = 9;
      expect([...s.getDataNowait()]).toEqual([1, 2, 3]);
      await expect(s.sendAll(42 as never)).rejects.toThrow(TypeError);
    }),
  );
});

describe('MemoryReceiveStream', () => {
  test(
    'returns what was put, up to maxBytes; after putEof, what is left and then empty chunks',
    trioTest(async () => {
      const r = new MemoryReceiveStream();
      r.putData('abc');
      r.putData('de');
      expect(text(await r.receiveSome(2))).toBe('ab');
      expect(text(await r.receiveSome())).toBe('cde');
      r.putData('f');
      r.putEof();
      expect(text(await r.receiveSome())).toBe('f');
      expect((await r.receiveSome()).length).toBe(0);
      expect((await r.receiveSome()).length).toBe(0);
      expect(() => r.putData('x')).toThrow(ClosedResourceError);
      await expect(r.receiveSome(0)).rejects.toThrow(RangeError);
    }),
  );

  test(
    'close drops the buffer: receiving and putting raise ClosedResourceError, putEof does not',
    trioTest(async () => {
      const closes: number[] = [];
      const r = new MemoryReceiveStream({ closeHook: () => closes.push(1) });
      r.putData('abc');
      r.close();
      await expect(r.receiveSome()).rejects.toThrow(ClosedResourceError);
      expect(() => r.putData('x')).toThrow(ClosedResourceError);
      expect(() => r.putEof()).not.toThrow();
      await r.aclose();
      expect(closes).toEqual([1, 1]);
    }),
  );

  test(
    'a receive waiting when the stream is closed raises ClosedResourceError',
    trioTest(async () => {
      const r = new MemoryReceiveStream();
      let failure: unknown;
      await openNursery(async (n) => {
        n.startSoon(async () => {
          failure = await r.receiveSome().catch((err: unknown) => err);
        });
        await waitAllTasksBlocked();
        r.close();
      });
      expect(failure).toBeInstanceOf(ClosedResourceError);
    }),
  );

  test(
    'two receives at once: BusyResourceError; the hook runs before the buffer is read',
    trioTest(async () => {
      const r = new MemoryReceiveStream();
      const err = await failureOf(() =>
        openNursery(async (n) => {
          n.startSoon(() => r.receiveSome());
          n.startSoon(() => r.receiveSome());
        }),
      );
      expect(err).toBeInstanceOf(BusyResourceError);
      expect((err as Error).message).toBe('another task is using this stream');

      const h = new MemoryReceiveStream();
      h.receiveSomeHook = async () => h.putData('from hook');
      expect(text(await h.receiveSome())).toBe('from hook');
      h.receiveSomeHook = async () => {
        throw new TypeError('boom');
      };
      h.putData('x');
      await expect(h.receiveSome()).rejects.toThrow('boom');
    }),
  );

  test(
    'receiveSome checkpoints, and a cancelled one leaves the data; for await reads to the end',
    trioTest(async () => {
      const r = new MemoryReceiveStream();
      r.putData('abc');
      const scope = new CancelScope();
      await scope.run(async () => {
        scope.cancel();
        await expect(r.receiveSome()).rejects.toThrow(Cancelled);
      });
      await assertCheckpoints(async () => expect(text(await r.receiveSome())).toBe('abc'));
      r.putData('d');
      r.putData('e');
      r.putEof();
      const chunks: string[] = [];
      for await (const chunk of r) chunks.push(text(chunk));
      expect(chunks).toEqual(['de']);
    }),
  );
});

describe('memoryStreamPump and the memory pairs', () => {
  test(
    'the pump moves up to maxBytes and says whether it moved anything; then the end of stream',
    trioTest(async () => {
      const s = new MemorySendStream();
      const r = new MemoryReceiveStream();
      await s.sendAll('abc');
      expect(memoryStreamPump(s, r, { maxBytes: 1 })).toBe(true);
      expect(memoryStreamPump(s, r)).toBe(true);
      expect(memoryStreamPump(s, r)).toBe(false);
      expect(text(await r.receiveSome())).toBe('abc');
      s.close();
      expect(memoryStreamPump(s, r)).toBe(true);
      expect((await r.receiveSome()).length).toBe(0);
    }),
  );

  test(
    'a one-way pair: data crosses on send, EOF on close; a closed receiver breaks the sender',
    trioTest(async () => {
      const [s, r] = memoryStreamOneWayPair();
      await s.sendAll('hi');
      expect(text(await r.receiveSome())).toBe('hi');
      await s.aclose();
      expect((await r.receiveSome()).length).toBe(0);

      const [s2, r2] = memoryStreamOneWayPair();
      await r2.aclose();
      const err = await s2.sendAll('x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrokenResourceError);
      expect((err as Error).message).toBe('MemoryReceiveStream was closed');
      await s2.aclose(); // the EOF into a closed receiver is no error
    }),
  );

  test(
    'a one-way pair with the send hook removed moves data only when pumped',
    trioTest(async () => {
      const [s, r] = memoryStreamOneWayPair();
      s.sendAllHook = null;
      await s.sendAll('abc');
      const got = await moveOnAfter(1, () => r.receiveSome());
      expect(got).toBeUndefined();
      expect(memoryStreamPump(s, r)).toBe(true);
      expect(text(await r.receiveSome())).toBe('abc');
    }),
  );

  test(
    'an empty send is not an end of stream',
    trioTest(async () => {
      const [s, r] = memoryStreamOneWayPair();
      await s.sendAll('');
      const before = currentTime();
      expect(await moveOnAfter(1, () => r.receiveSome())).toBeUndefined();
      expect(currentTime() - before).toBe(1);
    }),
  );

  test(
    'memoryStreamPair: two stapled streams; sendEof ends one direction only',
    trioTest(async () => {
      const [a, b] = memoryStreamPair();
      expect(a).toBeInstanceOf(StapledStream);
      await a.sendAll('x');
      await b.sendAll('y');
      expect(text(await b.receiveSome())).toBe('x');
      expect(text(await a.receiveSome())).toBe('y');
      await a.sendEof();
      expect((await b.receiveSome()).length).toBe(0);
      await expect(a.sendAll('z')).rejects.toThrow(ClosedResourceError);
      await b.sendAll('still open');
      expect(text(await a.receiveSome())).toBe('still open');
    }),
  );
});

describe('lockstep streams', () => {
  test(
    'sendAll returns only once the receiver has taken every byte',
    trioTest(async (clock) => {
      clock.autojumpThreshold = 0;
      const [s, r] = lockstepStreamOneWayPair();
      const log: [string, string, number][] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await s.sendAll('abcdef');
          log.push(['send done', '', currentTime()]);
        });
        await sleep(1);
        log.push(['receive', text(await r.receiveSome(2)), currentTime()]);
        await sleep(1);
        log.push(['receive', text(await r.receiveSome()), currentTime()]);
      });
      expect(log).toEqual([
        ['receive', 'ab', 1],
        ['receive', 'cdef', 2],
        ['send done', '', 2],
      ]);
    }),
  );

  test(
    'waitSendAllMightNotBlock returns once a receiver waits (at once if one is waiting already)',
    trioTest(async (clock) => {
      clock.autojumpThreshold = 0;
      const [s, r] = lockstepStreamOneWayPair();
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await s.waitSendAllMightNotBlock();
          log.push(`wait done at ${currentTime()}`);
        });
        await sleep(1);
        n.startSoon(async () => {
          log.push(`received ${text(await r.receiveSome())}`);
        });
        await sleep(1);
        await assertCheckpoints(() => s.waitSendAllMightNotBlock());
        await s.sendAll('z');
      });
      expect(log).toEqual(['wait done at 1', 'received z']);
    }),
  );

  test(
    'closing the receiver breaks a waiting send; later sends raise BrokenResourceError, waits return',
    trioTest(async (clock) => {
      clock.autojumpThreshold = 0;
      const [s, r] = lockstepStreamOneWayPair();
      const err = await failureOf(() =>
        openNursery(async (n) => {
          n.startSoon(() => s.sendAll('abc'));
          await sleep(1);
          await r.aclose();
        }),
      );
      expect(err).toBeInstanceOf(BrokenResourceError);
      await expect(s.sendAll('x')).rejects.toThrow(BrokenResourceError);
      await expect(s.waitSendAllMightNotBlock()).resolves.toBeUndefined();
      await expect(r.receiveSome()).rejects.toThrow(ClosedResourceError);
    }),
  );

  test(
    'closing the sender: a waiting receive gets an empty chunk; the sender raises ClosedResourceError',
    trioTest(async (clock) => {
      clock.autojumpThreshold = 0;
      const [s, r] = lockstepStreamOneWayPair();
      let got: Uint8Array | undefined;
      await openNursery(async (n) => {
        n.startSoon(async () => {
          got = await r.receiveSome();
        });
        await sleep(1);
        await s.aclose();
      });
      expect(got?.length).toBe(0);
      await expect(s.sendAll('x')).rejects.toThrow(ClosedResourceError);
      await expect(s.waitSendAllMightNotBlock()).rejects.toThrow(ClosedResourceError);
      expect((await r.receiveSome()).length).toBe(0);

      // Closed by its own side while waiting: the sender fails, the bytes still reach the receiver.
      const [s2, r2] = lockstepStreamOneWayPair();
      const failures: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await s2.sendAll('abc').catch((e: Error) => failures.push(e.name));
        });
        n.startSoon(async () => {
          await s2.waitSendAllMightNotBlock().catch((e: Error) => failures.push(e.name));
        });
        await sleep(1);
        s2.close();
      });
      expect(failures).toEqual(['BusyResourceError', 'ClosedResourceError']);
      expect(text(await r2.receiveSome())).toBe('abc');
    }),
  );

  test(
    'a cancelled send leaves its unreceived bytes for the receiver',
    trioTest(async (clock) => {
      clock.autojumpThreshold = 0;
      const [s, r] = lockstepStreamOneWayPair();
      let cancelledAt = -1;
      let rest = '';
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await moveOnAfter(1.5, () => s.sendAll('abcd'));
          cancelledAt = currentTime();
        });
        await sleep(1);
        expect(text(await r.receiveSome(1))).toBe('a');
        await sleep(1);
        rest = text(await r.receiveSome());
      });
      expect(cancelledAt).toBe(1.5);
      expect(rest).toBe('bcd');
    }),
  );

  test(
    'an empty send returns after a checkpoint; one sender and one receiver at a time',
    trioTest(async (clock) => {
      clock.autojumpThreshold = 0;
      const [s, r] = lockstepStreamOneWayPair();
      await assertCheckpoints(() => s.sendAll(''));
      const sendErr = await failureOf(() =>
        openNursery(async (n) => {
          n.startSoon(() => s.sendAll('a'));
          n.startSoon(() => s.sendAll('b'));
        }),
      );
      expect((sendErr as Error).message).toBe('another task is already sending');
      const receiveErr = await failureOf(() =>
        openNursery(async (n) => {
          n.startSoon(() => r.receiveSome());
          n.startSoon(() => r.receiveSome());
        }),
      );
      expect(receiveErr).toBeInstanceOf(BusyResourceError);
      expect((receiveErr as Error).message).toBe('another task is already receiving');
      await expect(r.receiveSome(0)).rejects.toThrow(RangeError);
    }),
  );

  test(
    'lockstepStreamPair: two stapled streams talking both ways',
    trioTest(async () => {
      const [a, b] = lockstepStreamPair();
      expect(a).toBeInstanceOf(StapledStream);
      const got: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(() => a.sendAll('ping'));
        got.push(text(await b.receiveSome()));
        n.startSoon(() => b.sendAll('pong'));
        got.push(text(await a.receiveSome()));
      });
      expect(got).toEqual(['ping', 'pong']);
      await a.sendEof();
      expect((await b.receiveSome()).length).toBe(0);
    }),
  );
});

describe('openStreamToSocketListener', () => {
  test.each([['127.0.0.1'], ['0.0.0.0']])(
    'connects to a listener bound to %s',
    trioTest(async (_clock, host: string) => {
      const [listener] = await openTcpListeners(0, { host });
      expect(listener!.getsockname().address).toBe(host);
      try {
        const client = await openStreamToSocketListener(listener!);
        const server = await listener!.accept();
        await client.sendAll('hi');
        expect(text(await server.receiveSome())).toBe('hi');
        expect(client.getpeername().port).toBe(listener!.getsockname().port);
        await client.aclose();
        await server.aclose();
      } finally {
        await listener!.aclose();
      }
    }),
  );

  test(
    'anything but a SocketListener is a TypeError',
    trioTest(async () => {
      await expect(openStreamToSocketListener({} as never)).rejects.toThrow(TypeError);
    }),
  );
});

test(
  'docs/testing.md: an echo handler over memoryStreamPair',
  trioTest(async () => {
    const [client, server] = memoryStreamPair();
    await openNursery(async (n) => {
      n.startSoon(async () => {
        for await (const chunk of server) await server.sendAll(chunk);
      });
      await client.sendAll('ping');
      expect(Buffer.from(await client.receiveSome()).toString()).toBe('ping');
      await client.sendEof();
    });
  }),
);
