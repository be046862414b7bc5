// trio.testing's generic stream checks (check_one_way_stream, check_two_way_stream,
// check_half_closeable_stream), run as Trio's own suite runs them: on the memory and lockstep
// streams, and here on TCP too; and on streams broken on purpose, which must fail them.
import { AssertionError } from 'node:assert';
import {
  StapledStream,
  acloseForcefully,
  awaitForeign,
  checkpoint,
  openTcpListeners,
  type SocketStream,
} from '@duet/trio';
import {
  MemoryReceiveStream,
  checkHalfCloseableStream,
  checkOneWayStream,
  checkTwoWayStream,
  lockstepStreamOneWayPair,
  lockstepStreamPair,
  memoryStreamOneWayPair,
  memoryStreamPair,
  openStreamToSocketListener,
  trioTest,
} from '@duet/trio/testing';

describe('the streams of trio.testing pass the generic checks', () => {
  test(
    'memory streams: one way, and the pair as a half-closeable stream',
    trioTest(async () => {
      await checkOneWayStream(memoryStreamOneWayPair, null);
      await checkHalfCloseableStream(memoryStreamPair, null);
    }),
  );

  test(
    'lockstep streams, which are always clogged: one way and two way',
    trioTest(async () => {
      await checkOneWayStream(lockstepStreamOneWayPair, lockstepStreamOneWayPair);
      await checkTwoWayStream(lockstepStreamPair, lockstepStreamPair);
    }),
  );
});

test(
  'SocketStream over loopback TCP passes the half-closeable checks',
  trioTest(
    async () => {
      const [listener] = await openTcpListeners(0, { host: '127.0.0.1' });
      const makePair = async (): Promise<[SocketStream, SocketStream]> => {
        const client = await openStreamToSocketListener(listener!);
        return [client, await listener!.accept()];
      };
      // Clogged, both ways (the two-way checks flip the pair): each end has written until even
      // the kernel's socket buffers are full (Node's buffer stays past its high-water mark for
      // 100 ms), so a sendAll waits for the peer to read.
      const clog = async (stream: SocketStream): Promise<void> => {
        const chunk = Buffer.alloc(1 << 20, 0x78);
        for (;;) {
          if (stream.socket.write(chunk)) continue;
          const drained = await awaitForeign(
            new Promise<boolean>((resolve) => {
              const onDrain = () => {
                clearTimeout(timer);
                resolve(true);
              };
              const timer = setTimeout(() => {
                stream.socket.off('drain', onDrain);
                resolve(false);
              }, 100);
              stream.socket.once('drain', onDrain);
            }),
          );
          if (!drained) return;
        }
      };
      const makeCloggedPair = async (): Promise<[SocketStream, SocketStream]> => {
        const [client, server] = await makePair();
        await clog(client);
        await clog(server);
        return [client, server];
      };
      try {
        await checkHalfCloseableStream(makePair, makeCloggedPair);
      } finally {
        await listener!.aclose();
      }
    },
    // A dozen clogged pairs, each filled until 100 ms pass without a drain: give it real time.
    { clock: 'system', hangDetection: { deadlock: true, realTimeout: 60 } },
  ),
  90_000,
);

describe('a stream that breaks a rule fails the checks, naming the rule', () => {
  test(
    'a receiver that takes maxBytes 0',
    trioTest(async () => {
      const maker = () => {
        const [s, r] = memoryStreamOneWayPair();
        const receiveSome = r.receiveSome.bind(r);
        r.receiveSome = async (maxBytes?: number) =>
          maxBytes === 0 ? new Uint8Array() : receiveSome(maxBytes);
        return [s, r] as const;
      };
      const err = await checkOneWayStream(maker, null).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AssertionError);
      expect((err as Error).message).toMatch(/stream check "receiveSome wants a whole number/);
    }),
  );

  test(
    'a sender that stays open after aclose',
    trioTest(async () => {
      const maker = () => {
        const [s, r] = memoryStreamOneWayPair();
        s.aclose = async () => checkpoint();
        return [s, r] as const;
      };
      const err = await checkOneWayStream(maker, null).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AssertionError);
      expect((err as Error).message).toMatch(
        /"a closed stream cannot send": expected ClosedResourceError/,
      );
    }),
  );

  test(
    'a half-closeable stream whose sendEof closes both directions',
    trioTest(async () => {
      const maker = () => {
        const [a, b] = memoryStreamPair();
        const eofBoth = (s: StapledStream) => async () => {
          await s.sendStream.aclose();
          await (s.receiveStream as MemoryReceiveStream).aclose();
        };
        a.sendEof = eofBoth(a);
        b.sendEof = eofBoth(b);
        return [a, b] as const;
      };
      const err = await checkHalfCloseableStream(maker, null).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AssertionError);
      expect((err as Error).message).toMatch(
        /"sendEof ends one direction only": failed with a group of BrokenResourceError/,
      );
    }),
  );

  test(
    'a maker that is not a function is a TypeError',
    trioTest(async () => {
      await expect(checkOneWayStream(null as never, null)).rejects.toThrow(TypeError);
      await acloseForcefully(memoryStreamPair()[0]);
    }),
  );
});
