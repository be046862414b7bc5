/**
 * Trio's generic stream checks (`trio.testing.check_one_way_stream`, `check_two_way_stream`,
 * `check_half_closeable_stream`): the rules every stream implementation must follow (what a
 * send, a receive, a close and a cancel do, alone and at once), run against pairs of connected
 * streams that the caller makes. A broken rule is an `AssertionError` that names it.
 */
import { AssertionError } from 'node:assert';
import {
  CancelScope,
  Cancelled,
  ExceptionGroup,
  checkFunction,
  waitAllTasksBlocked,
} from '@duet/kernel';
import { assertCheckpoints } from './checkpoint-asserts';
import { BrokenResourceError, BusyResourceError, ClosedResourceError } from './errors';
import { openNursery } from './run';
import {
  acloseForcefully,
  type HalfCloseableStream,
  type ReceiveStream,
  type SendStream,
  type Stream,
} from './stream-abc';

/**
 * Makes a fresh pair of connected streams: data sent on the first arrives on the second. A
 * "clogged" maker makes a pair whose `sendAll` blocks until the receiver reads (a stream with no
 * buffer space left), or pass `null` when a stream cannot be clogged.
 */
export type StreamMaker<S, R = S> = () => Promise<readonly [S, R]> | readonly [S, R];

type ErrorClass = abstract new (...args: never[]) => unknown;

function broken(rule: string, detail: string): never {
  throw new AssertionError({ message: `stream check "${rule}": ${detail}` });
}

/** Runs `fn`; an error other than a check's own is reported as breaking `rule`. */
async function underRule(rule: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof AssertionError) throw err;
    throw new AssertionError({ message: `stream check "${rule}": failed with ${describe(err)}` });
  }
}

function describe(err: unknown): string {
  if (err instanceof ExceptionGroup) return `a group of ${err.exceptions.map(describe).join(', ')}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** True for `err` itself an instance of one of `classes`, or a group of nothing else. */
function isOneOf(err: unknown, classes: readonly ErrorClass[]): boolean {
  if (err instanceof ExceptionGroup) return err.exceptions.every((e) => isOneOf(e, classes));
  return classes.some((cls) => err instanceof cls);
}

/** `operation` must fail with one of `classes` (or a nursery's group of them). */
async function expectFailure(
  rule: string,
  classes: readonly ErrorClass[],
  operation: () => Promise<unknown>,
): Promise<void> {
  try {
    await operation();
  } catch (err) {
    if (isOneOf(err, classes)) return;
    broken(rule, `expected ${classes.map((c) => c.name).join(' or ')}, got ${describe(err)}`);
  }
  broken(rule, `expected ${classes.map((c) => c.name).join(' or ')}, but it succeeded`);
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

async function expectReceived(rule: string, r: ReceiveStream, want: string, maxBytes?: number) {
  const got = text(await r.receiveSome(maxBytes));
  if (got !== want)
    broken(rule, `received ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

/** Runs the two functions as concurrent tasks; both must finish. */
async function together(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<void> {
  await openNursery(async (n) => {
    n.startSoon(a);
    n.startSoon(b);
  });
}

/** Runs `body` on a fresh pair, then closes both ends forcefully whatever happened. */
async function withPair<S extends SendStream, R extends ReceiveStream>(
  maker: StreamMaker<S, R>,
  body: (s: S, r: R) => Promise<void>,
): Promise<void> {
  const [s, r] = await maker();
  try {
    await body(s, r);
  } finally {
    await acloseForcefully(s);
    await acloseForcefully(r);
  }
}

/** Sends until the stream reports the receiver gone; a stream that never does breaks `rule`. */
async function sendUntilBroken(rule: string, s: SendStream): Promise<void> {
  await expectFailure(rule, [BrokenResourceError], async () => {
    for (let i = 0; i < 100_000; i++) await s.sendAll('x'.repeat(100));
    broken(rule, 'the sender kept accepting data after the receiver closed');
  });
}

/** Runs `fn` in a cancelled scope; it must raise `Cancelled` (it is a checkpoint). */
async function expectCancelled(rule: string, fn: () => Promise<unknown>): Promise<void> {
  const scope = new CancelScope();
  scope.cancel();
  await scope.run(() => expectFailure(rule, [Cancelled], fn));
}

async function checkDataFlow(maker: StreamMaker<SendStream, ReceiveStream>): Promise<void> {
  await withPair(maker, async (s, r) => {
    const rule = 'data sent is received';
    await together(
      () => s.sendAll('x'),
      () => expectReceived(rule, r, 'x', 1),
    );
    await together(
      async () => {
        await s.sendAll(''); // an empty send carries no meaning
        await s.sendAll('y');
      },
      () => expectReceived('an empty send is not the end of the stream', r, 'y', 1),
    );
    const view = new Uint8Array([0, 0x31, 0]).subarray(1, 2);
    await together(
      () => s.sendAll(view),
      () => expectReceived('sendAll sends a view of a larger buffer as the view', r, '1', 1),
    );
    await together(
      () => s.sendAll(Buffer.from('2')),
      () => expectReceived(rule, r, '2'),
    );

    const sizeRule = 'receiveSome wants a whole number of bytes >= 1';
    await expectFailure(sizeRule, [RangeError], () => r.receiveSome(0));
    await expectFailure(sizeRule, [RangeError], () => r.receiveSome(-1));
    await expectFailure(sizeRule, [RangeError, TypeError], () => r.receiveSome(1.5));
    await expectFailure(sizeRule, [TypeError], () => r.receiveSome('1' as never));

    await expectFailure('two receives at once raise BusyResourceError', [BusyResourceError], () =>
      together(
        () => r.receiveSome(1),
        () => r.receiveSome(1),
      ),
    );

    // With nothing buffered and a receiver waiting, a send could go through at once.
    await openNursery(async (n) => {
      n.startSoon(async () => {
        await assertCheckpoints(() => s.waitSendAllMightNotBlock());
        n.cancelScope.cancel();
      });
      n.startSoon(() => r.receiveSome(1));
    });

    await together(
      () => sendUntilBroken('closing the receiver breaks the sender', s),
      () => r.aclose(),
    );
    await expectFailure('a broken stream stays broken', [BrokenResourceError], () =>
      s.sendAll('x'.repeat(100)),
    );
    await expectFailure('a closed stream cannot receive', [ClosedResourceError], () =>
      r.receiveSome(4096),
    );
    await r.aclose(); // closing again is harmless
    await r.aclose();

    await s.aclose();
    const closedRule = 'a closed stream cannot send';
    await expectFailure(closedRule, [ClosedResourceError], () => s.sendAll('x'.repeat(100)));
    await expectFailure(closedRule, [ClosedResourceError], () => s.sendAll(''));
    await expectFailure(closedRule, [ClosedResourceError], () => s.waitSendAllMightNotBlock());
    await s.aclose();
    await s.aclose();
  });
}

async function checkClosing(maker: StreamMaker<SendStream, ReceiveStream>): Promise<void> {
  await withPair(maker, async (s, r) => {
    const rule = 'data sent before a graceful close arrives, then the end of the stream';
    await together(
      async () => {
        await s.sendAll('y');
        await s.aclose();
      },
      async () => {
        await waitAllTasksBlocked(); // the sender gets as far as it can before anything is read
        await expectReceived(rule, r, 'y', 1);
        await expectReceived(rule, r, '', 1);
        await r.aclose();
      },
    );
  });

  await withPair(maker, async (s, r) => {
    await acloseForcefully(r);
    await sendUntilBroken('a receiver closed forcefully breaks the sender', s);
    await expectFailure('a closed stream cannot receive', [ClosedResourceError], () =>
      r.receiveSome(4096),
    );
  });

  await withPair(maker, async (s, r) => {
    await acloseForcefully(s);
    await expectFailure('a closed stream cannot send', [ClosedResourceError], () =>
      s.sendAll('123'),
    );
    // The receiver sees a clean end or a broken stream, never data.
    try {
      await expectReceived('a sender closed forcefully sends nothing more', r, '', 1);
    } catch (err) {
      if (!(err instanceof BrokenResourceError)) throw err;
    }
  });

  await withPair(maker, async (s, r) => {
    await acloseForcefully(r); // an aclose in a cancelled scope
    await acloseForcefully(s);
    const rule = 'a cancelled aclose still closes';
    await expectFailure(rule, [ClosedResourceError], () => s.sendAll('123'));
    await expectFailure(rule, [ClosedResourceError], () => r.receiveSome(4096));
  });

  await withPair(maker, async (s, r) => {
    await together(
      () => expectCancelled('sendAll is a checkpoint', () => s.sendAll('x')),
      () => expectCancelled('receiveSome is a checkpoint', () => r.receiveSome(1)),
    );
    // Cancelled calls leave the streams able to close gracefully.
    await together(
      () => s.aclose(),
      () => r.aclose(),
    );
  });

  await withPair(maker, async (_s, r) => {
    await openNursery(async (n) => {
      n.startSoon(() =>
        expectFailure(
          'closing a stream wakes its blocked receiveSome with ClosedResourceError',
          [ClosedResourceError],
          () => r.receiveSome(10),
        ),
      );
      await waitAllTasksBlocked();
      await acloseForcefully(r);
    });
  });
}

async function checkClogged(clogged: StreamMaker<SendStream, ReceiveStream>): Promise<void> {
  await withPair(clogged, async (s, r) => {
    const record: string[] = [];
    await openNursery(async (n) => {
      n.startSoon(async () => {
        record.push('waiter sleeping');
        await assertCheckpoints(() => s.waitSendAllMightNotBlock());
        record.push('waiter woke up');
        n.cancelScope.cancel();
      });
      await waitAllTasksBlocked();
      n.startSoon(async () => {
        await waitAllTasksBlocked();
        record.push('receiver starting');
        for (;;) await r.receiveSome(16384);
      });
    });
    const want = ['waiter sleeping', 'receiver starting', 'waiter woke up'];
    if (record.join() !== want.join()) {
      broken('waitSendAllMightNotBlock waits until the receiver reads', `saw ${record.join(', ')}`);
    }
  });

  const busy = 'two send-side calls at once raise BusyResourceError';
  await withPair(clogged, async (s) => {
    await expectFailure(busy, [BusyResourceError], () =>
      together(
        () => s.waitSendAllMightNotBlock(),
        () => s.waitSendAllMightNotBlock(),
      ),
    );
    await expectFailure(busy, [BusyResourceError], () =>
      together(
        () => s.waitSendAllMightNotBlock(),
        () => s.sendAll('123'),
      ),
    );
  });
  await withPair(clogged, async (s) => {
    await expectFailure(busy, [BusyResourceError], () =>
      together(
        () => s.sendAll('123'),
        () => s.sendAll('123'),
      ),
    );
  });

  // Closing the receiver ends a wait for room, with or without an error.
  const waitEnds = async (s: SendStream): Promise<void> => {
    try {
      await assertCheckpoints(() => s.waitSendAllMightNotBlock());
    } catch (err) {
      if (!(err instanceof BrokenResourceError)) throw err;
    }
  };
  await withPair(clogged, async (s, r) => {
    await together(
      () => waitEnds(s),
      async () => {
        await waitAllTasksBlocked();
        await acloseForcefully(r);
      },
    );
  });
  await withPair(clogged, async (s, r) => {
    await acloseForcefully(r);
    await waitEnds(s);
  });

  const wakes = 'closing a stream wakes its blocked send-side call with ClosedResourceError';
  for (const call of [
    (s: SendStream) => s.sendAll('xyzzy'),
    (s: SendStream) => s.waitSendAllMightNotBlock(),
  ]) {
    await withPair(clogged, async (s) => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await waitAllTasksBlocked();
          await acloseForcefully(s);
        });
        await expectFailure(wakes, [ClosedResourceError], () => call(s));
      });
    });
  }
}

/**
 * `trio.testing.check_one_way_stream`: runs the generic checks of a one-way stream on pairs from
 * `streamMaker` (data flow, argument checks, conflicts, closing either end gracefully or
 * forcefully, cancelled calls and closes), and with `cloggedStreamMaker` also the checks of
 * `waitSendAllMightNotBlock` and of calls blocked on a full stream. Call it inside a run (e.g. in
 * `trioTest`). Rejects with an `AssertionError` naming the first rule the streams break.
 *
 * @example
 * ```ts
 * test('my stream', trioTest(() => checkOneWayStream(makeMyPair, makeMyCloggedPair)));
 * ```
 */
export async function checkOneWayStream(
  streamMaker: StreamMaker<SendStream, ReceiveStream>,
  cloggedStreamMaker: StreamMaker<SendStream, ReceiveStream> | null,
): Promise<void> {
  checkFunction('checkOneWayStream()', streamMaker);
  if (cloggedStreamMaker !== null) checkFunction('checkOneWayStream()', cloggedStreamMaker);
  await checkDataFlow(streamMaker);
  await checkClosing(streamMaker);
  if (cloggedStreamMaker !== null) await checkClogged(cloggedStreamMaker);
}

function flipped<S extends Stream>(maker: StreamMaker<S>): StreamMaker<S> {
  return async () => {
    const [a, b] = await maker();
    return [b, a] as const;
  };
}

/** A small seeded generator, so a failing exchange is the same exchange on every run. */
function seededRandom(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

const EXCHANGE_BYTES = 1 << 16;

async function checkBothWays(maker: StreamMaker<Stream>): Promise<void> {
  await withPair(maker, async (a, b) => {
    const random = seededRandom(0x5eed);
    const payload = (): Uint8Array =>
      Uint8Array.from({ length: EXCHANGE_BYTES }, () => random(256));
    const fromA = payload();
    const fromB = payload();
    const send = async (s: Stream, data: Uint8Array): Promise<void> => {
      for (let at = 0; at < data.length;) {
        const size = 1 + random(4096);
        await s.sendAll(data.subarray(at, at + size));
        at += size;
      }
    };
    const receive = async (r: Stream, want: Uint8Array): Promise<void> => {
      const got: Uint8Array[] = [];
      let size = 0;
      while (size < want.length) {
        const chunk = await r.receiveSome(1 + random(4096));
        if (chunk.length === 0) broken('both directions at once', 'the stream ended early');
        got.push(Uint8Array.from(chunk));
        size += chunk.length;
      }
      if (!Buffer.concat(got).equals(want)) {
        broken('both directions at once', 'the bytes received are not the bytes sent');
      }
    };
    await openNursery(async (n) => {
      n.startSoon(() => send(a, fromA));
      n.startSoon(() => send(b, fromB));
      n.startSoon(() => receive(b, fromA));
      n.startSoon(() => receive(a, fromB));
    });
  });
}

/**
 * `trio.testing.check_two_way_stream`: the checks of {@link checkOneWayStream} in both
 * directions, then both ends sending and receiving at once (64 KiB each way, in chunks of random
 * sizes from a fixed seed). `streamMaker` returns two connected {@link Stream}s.
 *
 * @example
 * ```ts
 * test('memory pair', trioTest(() => checkTwoWayStream(memoryStreamPair, null)));
 * ```
 */
export async function checkTwoWayStream(
  streamMaker: StreamMaker<Stream>,
  cloggedStreamMaker: StreamMaker<Stream> | null,
): Promise<void> {
  checkFunction('checkTwoWayStream()', streamMaker);
  if (cloggedStreamMaker !== null) checkFunction('checkTwoWayStream()', cloggedStreamMaker);
  await checkOneWayStream(streamMaker, cloggedStreamMaker);
  await checkOneWayStream(
    flipped(streamMaker),
    cloggedStreamMaker === null ? null : flipped(cloggedStreamMaker),
  );
  await checkBothWays(streamMaker);
}

/**
 * `trio.testing.check_half_closeable_stream`: the checks of {@link checkTwoWayStream}, then
 * `sendEof`: it checkpoints, the peer receives what was sent and then the end, sending after it is
 * a `ClosedResourceError`, a second `sendEof` is harmless, and the other direction still works;
 * with `cloggedStreamMaker`, `sendEof` during another send-side call is a `BusyResourceError`.
 *
 * @example
 * ```ts
 * test('TCP', trioTest(() => checkHalfCloseableStream(makeTcpPair, null)));
 * ```
 */
export async function checkHalfCloseableStream(
  streamMaker: StreamMaker<HalfCloseableStream>,
  cloggedStreamMaker: StreamMaker<HalfCloseableStream> | null,
): Promise<void> {
  checkFunction('checkHalfCloseableStream()', streamMaker);
  if (cloggedStreamMaker !== null) checkFunction('checkHalfCloseableStream()', cloggedStreamMaker);
  await checkTwoWayStream(streamMaker, cloggedStreamMaker);

  const rule = 'sendEof ends one direction only';
  const sendThenEof = async (s: HalfCloseableStream): Promise<void> => {
    await s.sendAll('x');
    await assertCheckpoints(() => s.sendEof());
  };
  const expectThenEnd = async (r: HalfCloseableStream): Promise<void> => {
    await waitAllTasksBlocked();
    await expectReceived(rule, r, 'x', 10);
    await expectReceived(rule, r, '', 10);
  };
  await withPair(streamMaker, (a, b) =>
    underRule(rule, async () => {
      await together(
        () => sendThenEof(a),
        () => expectThenEnd(b),
      );
      await expectFailure('no sending after sendEof', [ClosedResourceError], () => a.sendAll('y'));
      await assertCheckpoints(() => a.sendEof());
      await together(
        () => sendThenEof(b),
        () => expectThenEnd(a),
      );
    }),
  );

  if (cloggedStreamMaker === null) return;
  const busy = 'sendEof during another send-side call raises BusyResourceError';
  for (const call of [
    (s: HalfCloseableStream) => s.sendAll('x'),
    (s: HalfCloseableStream) => s.waitSendAllMightNotBlock(),
  ]) {
    await withPair(cloggedStreamMaker, async (a) => {
      await expectFailure(busy, [BusyResourceError], () =>
        together(
          () => call(a),
          async () => {
            await waitAllTasksBlocked();
            await a.sendEof();
          },
        ),
      );
    });
  }
}
