/**
 * Model test of Trio memory channels under random traffic (issue 16): actors share a few clones
 * of each end and, one operation after another, send, receive (waiting or not) and close a clone,
 * with deadlines and cancels from other tasks at the same virtual instants as the hand-offs (small
 * whole seconds on an autojumping MockClock, so they collide often). At a horizon the actors still
 * blocked are cancelled. Whatever the interleaving:
 * - no value is lost or duplicated: every value a send returned for is received once, left in the
 *   buffer, or dropped with the buffer when the last receive clone closed (Trio's rule); no value
 *   a send failed or was cancelled for is ever received;
 * - each failure is the one Trio gives: `BrokenResourceError` only once every receive clone is
 *   closed, `EndOfChannel` only once every send clone is, `ClosedResourceError` on a closed clone,
 *   `WouldBlock` only from the `Nowait` calls;
 * - every waiter ends: no task is left waiting in the channel, and the run ends (deadlock
 *   detection would fail it otherwise).
 *
 * Runs: DUET_PROPERTY_RUNS (default 1000), DUET_PROPERTY_SEED (a number, or `random`).
 */
import fc from 'fast-check';
import {
  BrokenResourceError,
  CancelScope,
  Cancelled,
  ClosedResourceError,
  EndOfChannel,
  WouldBlock,
  openMemoryChannel,
  openNursery,
  run,
  sleep,
  type MemoryReceiveChannel,
  type MemorySendChannel,
} from '@duet/trio';
import { MockClock } from '@duet/trio/testing';

type OpKind = 'send' | 'sendNowait' | 'receive' | 'receiveNowait' | 'closeSend' | 'closeReceive';

interface Op {
  kind: OpKind;
  /** Which clone of the end the operation uses. */
  handle: number;
  /** Seconds to sleep before the operation. */
  delay: number;
  /** The operation's scope has this relative deadline, or none. */
  deadline: number | null;
  /** Another task cancels the operation's scope this many seconds after it starts, or never. */
  cancelAfter: number | null;
}

interface Program {
  bufferSize: number;
  sendClones: number;
  receiveClones: number;
  actors: Op[][];
}

const small = fc.integer({ min: 0, max: 3 });
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<OpKind>(
    'send',
    'send',
    'receive',
    'receive',
    'sendNowait',
    'receiveNowait',
    'closeSend',
    'closeReceive',
  ),
  handle: fc.integer({ min: 0, max: 1 }),
  delay: small,
  deadline: fc.option(small, { nil: null, freq: 3 }),
  cancelAfter: fc.option(small, { nil: null, freq: 3 }),
});
const programArb: fc.Arbitrary<Program> = fc.record({
  bufferSize: fc.constantFrom(0, 0, 1, 2, Infinity),
  sendClones: fc.integer({ min: 1, max: 2 }),
  receiveClones: fc.integer({ min: 1, max: 2 }),
  actors: fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 5 }),
});

/** Whether an operation uses a send clone. */
const sending = (kind: OpKind): boolean => kind.startsWith('send') || kind === 'closeSend';

/** Later than anything a program does unless it is blocked for good. */
const HORIZON = 1000;

async function check(program: Program): Promise<void> {
  const [tx, rx] = openMemoryChannel<string>(program.bufferSize);
  const senders: MemorySendChannel<string>[] = Array.from({ length: program.sendClones }, () =>
    tx.clone(),
  );
  const receivers: MemoryReceiveChannel<string>[] = Array.from(
    { length: program.receiveClones },
    () => rx.clone(),
  );
  tx.close();
  rx.close();
  const closed = { send: new Set<number>(), receive: new Set<number>() };
  const sent = new Set<string>();
  const failed = new Set<string>();
  const got: string[] = [];
  let dropped = 0;
  const violations: string[] = [];

  const expectFailure = (item: string, op: Op, err: unknown): void => {
    const stats = tx.statistics();
    const nowait = op.kind === 'sendNowait' || op.kind === 'receiveNowait';
    const isSend = sending(op.kind);
    const ok =
      (err instanceof WouldBlock && nowait) ||
      (err instanceof BrokenResourceError && isSend && stats.openReceiveChannels === 0) ||
      (err instanceof EndOfChannel && !isSend && stats.openSendChannels === 0) ||
      (err instanceof ClosedResourceError &&
        (isSend ? closed.send : closed.receive).has(op.handle));
    if (!ok) violations.push(`${item} ${op.kind}(${op.handle}) failed with ${String(err)}`);
  };

  const perform = async (op: Op, item: string): Promise<void> => {
    const h = op.handle % (sending(op.kind) ? senders.length : receivers.length);
    const send = senders[h % senders.length]!;
    const receive = receivers[h % receivers.length]!;
    try {
      switch (op.kind) {
        case 'send':
          await send.send(item);
          sent.add(item);
          break;
        case 'sendNowait':
          send.sendNowait(item);
          sent.add(item);
          break;
        case 'receive':
          got.push(await receive.receive());
          break;
        case 'receiveNowait':
          got.push(receive.receiveNowait());
          break;
        case 'closeSend':
          closed.send.add(h);
          send.close();
          break;
        case 'closeReceive': {
          // The last receive clone takes the buffer with it.
          const stats = receive.statistics();
          if (!closed.receive.has(h) && stats.openReceiveChannels === 1)
            dropped += stats.currentBufferUsed;
          closed.receive.add(h);
          receive.close();
          break;
        }
      }
    } catch (err) {
      if (sending(op.kind)) failed.add(item);
      if (err instanceof Cancelled) throw err; // for its scope, or the horizon's
      expectFailure(item, { ...op, handle: h }, err);
    }
  };

  await openNursery(async (main) => {
    await openNursery(async (nursery) => {
      for (const [a, ops] of program.actors.entries()) {
        nursery.startSoon(async () => {
          for (const [i, op] of ops.entries()) {
            await sleep(op.delay);
            const item = `${a}.${i}`;
            const scope = new CancelScope(
              op.deadline === null ? {} : { relativeDeadline: op.deadline },
            );
            if (op.cancelAfter !== null) {
              const after = op.cancelAfter;
              main.startSoon(async () => {
                await sleep(after);
                scope.cancel();
              });
            }
            await scope.run(() => perform(op, item));
          }
        });
      }
      await sleep(HORIZON);
      nursery.cancelScope.cancel(); // what is still blocked (a full buffer, no sender) gives up
    });
    main.cancelScope.cancel(); // cancellers of operations long finished
  });

  const left: string[] = [];
  const open = receivers.find((_, h) => !closed.receive.has(h));
  if (open !== undefined) {
    for (;;) {
      try {
        left.push(open.receiveNowait());
      } catch (err) {
        if (!(err instanceof WouldBlock || err instanceof EndOfChannel)) throw err;
        break;
      }
    }
  }
  const stats = tx.statistics();
  expect(violations).toEqual([]);
  expect([stats.tasksWaitingSend, stats.tasksWaitingReceive, stats.currentBufferUsed]).toEqual([
    0, 0, 0,
  ]);
  const received = [...got, ...left];
  expect(new Set(received).size).toBe(received.length); // nothing duplicated
  expect(received.filter((v) => !sent.has(v))).toEqual([]); // nothing a failed send sent
  expect([...sent].filter((v) => failed.has(v))).toEqual([]);
  expect(sent.size - received.length).toBe(dropped); // nothing lost but what Trio drops
}

const RUNS = Number(process.env['DUET_PROPERTY_RUNS'] ?? 1000);
const SEED = process.env['DUET_PROPERTY_SEED'];
const seedOption = SEED === 'random' ? {} : { seed: Number(SEED ?? 1) };

test(`memory channels: ${RUNS} random programs lose and duplicate nothing, every waiter ends`, async () => {
  await fc.assert(
    fc.asyncProperty(programArb, (program) =>
      run(
        { clock: new MockClock({ autojumpThreshold: 0 }), hangDetection: { deadlock: true } },
        () => check(program),
      ),
    ),
    { numRuns: RUNS, ...seedOption },
  );
}, 60_000);
