import { PassThrough } from 'node:stream';
import {
  BrokenResourceError,
  BusyResourceError,
  CancelScope,
  Cancelled,
  ReadableReceiveStream,
  WritableSendStream,
  openNursery,
  run,
  sleep,
} from '@duet/trio';

/** A receive stream over a PassThrough with `data` already buffered in it. */
async function bufferedReceiver(data: string): Promise<ReadableReceiveStream> {
  const source = new PassThrough();
  const stream = new ReadableReceiveStream(source);
  source.write(data);
  while (stream.bufferedBytes < data.length) await sleep(0.001);
  return stream;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

/** What happens in order when `op` runs right after another task was started. */
async function orderWithAnotherTask(op: () => Promise<string>): Promise<string[]> {
  const log: string[] = [];
  await openNursery(async (nursery) => {
    nursery.startSoon(async () => {
      log.push('another task ran');
    });
    log.push(await op());
  });
  return log;
}

/** The error `op` raises inside an already cancelled scope. */
async function errorWhenCancelled(op: () => Promise<unknown>): Promise<unknown> {
  let error: unknown;
  await new CancelScope().run(async (scope) => {
    scope.cancel();
    error = await op().then(
      () => undefined,
      (err: unknown) => err,
    );
  });
  return error;
}

/** Starts two tasks running `op` at once; what each got (`busy` for `BusyResourceError`). */
async function twoAtOnce(op: () => Promise<string>): Promise<string[]> {
  const log: string[] = [];
  const attempt = async (name: string): Promise<void> => {
    const got = await op().catch((err: unknown) =>
      err instanceof BusyResourceError ? 'busy' : String(err),
    );
    log.push(`${name}: ${got}`);
  };
  await openNursery(async (nursery) => {
    nursery.startSoon(attempt, 'first');
    nursery.startSoon(attempt, 'second');
  });
  return log;
}

// Trio: every receive_some / send_all is a checkpoint, even when it does not block (checked with
// Trio 0.22: another task runs during it, and a cancelled scope raises Cancelled before any byte
// moves). These pin that for the fast paths, which do not wait.
describe('ReadableReceiveStream and WritableSendStream are checkpoints, as in Trio', () => {
  test('a receiveSome of buffered bytes and a sendAll that does not block are schedule points', async () => {
    const logs = await run(async () => {
      const receiver = await bufferedReceiver('abc');
      const sender = new WritableSendStream(new PassThrough());
      const logs = [
        await orderWithAnotherTask(async () => `received ${text(await receiver.receiveSome(1))}`),
        await orderWithAnotherTask(async () => {
          await sender.sendAll('x');
          return 'sent';
        }),
      ];
      await receiver.aclose();
      await sender.aclose();
      return logs;
    });
    expect(logs).toEqual([
      ['another task ran', 'received a'],
      ['another task ran', 'sent'],
    ]);
  });

  test("a second receiveSome during the first one's schedule point raises BusyResourceError", async () => {
    // Trio's FdStream (process pipes) holds its conflict detector for the whole call.
    const log = await run(async () => {
      const stream = await bufferedReceiver('abc');
      const log = await twoAtOnce(async () => text(await stream.receiveSome(1)));
      log.push(`then ${text(await stream.receiveSome())}`);
      await stream.aclose();
      return log;
    });
    expect(log).toEqual(['second: busy', 'first: a', 'then bc']);
  });

  test('a failed source makes receiveSome raise BrokenResourceError once its bytes are read', async () => {
    const got = await run(async () => {
      const source = new PassThrough();
      const stream = new ReadableReceiveStream(source);
      source.write('ab');
      while (stream.bufferedBytes < 2) await sleep(0.001);
      source.destroy(new Error('disk on fire'));
      await sleep(0.01);
      const first = text(await stream.receiveSome());
      const second = await stream.receiveSome().catch((err: unknown) => err);
      await stream.aclose();
      return { first, second };
    });
    expect(got.first).toBe('ab');
    expect(got.second).toBeInstanceOf(BrokenResourceError);
    expect((got.second as Error).message).toContain('disk on fire');
  });

  test('in a cancelled scope, receiveSome and sendAll raise Cancelled and move no byte', async () => {
    const got = await run(async () => {
      const receiver = await bufferedReceiver('abc');
      const sink = new PassThrough();
      const sender = new WritableSendStream(sink);
      const errors = [
        await errorWhenCancelled(() => receiver.receiveSome()),
        await errorWhenCancelled(() => sender.sendAll('never')),
      ];
      const received = text(await receiver.receiveSome());
      await sender.sendAll('after');
      const written = String(sink.read());
      await receiver.aclose();
      await sender.aclose();
      return { errors, received, written };
    });
    expect(got.errors[0]).toBeInstanceOf(Cancelled);
    expect(got.errors[1]).toBeInstanceOf(Cancelled);
    expect(got.received).toBe('abc');
    expect(got.written).toBe('after');
  });

  test("a second sendAll during the first one's schedule point raises BusyResourceError", async () => {
    // As Trio 0.22's SocketStream.send_all: its conflict detector is held across the checkpoint.
    const log = await run(async () => {
      const sink = new PassThrough();
      const stream = new WritableSendStream(sink);
      let n = 0;
      const log = await twoAtOnce(async () => {
        const data = `${++n}|`;
        await stream.sendAll(data);
        return `sent ${data}`;
      });
      log.push(`written ${String(sink.read())}`);
      await stream.aclose();
      return log;
    });
    expect(log).toEqual(['second: busy', 'first: sent 1|', 'written 1|']);
  });

  test('an error from the checks is a rejected promise, not a throw', async () => {
    const got = await run(async () => {
      const stream = new WritableSendStream(new PassThrough());
      const receiver = await bufferedReceiver('a');
      const sending = stream.sendAll(42 as unknown as string);
      const receiving = receiver.receiveSome(0);
      const errors = [
        await sending.catch((err: unknown) => err),
        await receiving.catch((err: unknown) => err),
      ];
      await stream.aclose();
      await receiver.aclose();
      return errors;
    });
    expect(got[0]).toBeInstanceOf(TypeError);
    expect(got[1]).toBeInstanceOf(Error);
  });
});
