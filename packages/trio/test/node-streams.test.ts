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

/** A receive stream over a PassThrough with `text` already buffered in it. */
async function bufferedReceiver(text: string): Promise<ReadableReceiveStream> {
  const source = new PassThrough();
  const stream = new ReadableReceiveStream(source);
  source.write(text);
  while (stream.bufferedBytes < text.length) await sleep(0.001);
  return stream;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

// Trio: every receive_some / send_all is a checkpoint, even when it does not block (checked with
// Trio 0.22: another task runs during it, and a cancelled scope raises Cancelled before any byte
// moves). These pin that for the fast paths, which do not wait.
describe('ReadableReceiveStream and WritableSendStream are checkpoints, as in Trio', () => {
  test('a receiveSome of buffered bytes is a schedule point', async () => {
    const log = await run(async () => {
      const stream = await bufferedReceiver('abc');
      const log: string[] = [];
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          log.push('another task ran');
        });
        log.push(`received ${text(await stream.receiveSome(1))}`);
      });
      await stream.aclose();
      return log;
    });
    expect(log).toEqual(['another task ran', 'received a']);
  });

  test('a receiveSome of buffered bytes in a cancelled scope raises Cancelled and consumes nothing', async () => {
    const got = await run(async () => {
      const stream = await bufferedReceiver('abc');
      let error: unknown;
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        try {
          await stream.receiveSome();
        } catch (err) {
          error = err;
          throw err;
        }
      });
      const after = text(await stream.receiveSome());
      await stream.aclose();
      return { error, after };
    });
    expect(got.error).toBeInstanceOf(Cancelled);
    expect(got.after).toBe('abc');
  });

  test("a second receiveSome during the first one's schedule point raises BusyResourceError", async () => {
    // Trio's FdStream (process pipes) holds its conflict detector for the whole call.
    const log = await run(async () => {
      const stream = await bufferedReceiver('abc');
      const log: string[] = [];
      const receive = async (name: string): Promise<void> => {
        try {
          log.push(`${name} received ${text(await stream.receiveSome(1))}`);
        } catch (err) {
          log.push(`${name}: ${err instanceof BusyResourceError ? 'busy' : String(err)}`);
        }
      };
      await openNursery(async (nursery) => {
        nursery.startSoon(receive, 'first');
        nursery.startSoon(receive, 'second');
      });
      log.push(`then received ${text(await stream.receiveSome())}`);
      await stream.aclose();
      return log;
    });
    expect(log).toEqual(['second: busy', 'first received a', 'then received bc']);
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

  test('a sendAll that does not block is a schedule point', async () => {
    const log = await run(async () => {
      const sink = new PassThrough();
      const stream = new WritableSendStream(sink);
      const log: string[] = [];
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          log.push('another task ran');
        });
        await stream.sendAll('x');
        log.push('sent');
      });
      await stream.aclose();
      return log;
    });
    expect(log).toEqual(['another task ran', 'sent']);
  });

  test('a sendAll in a cancelled scope raises Cancelled and sends nothing', async () => {
    const got = await run(async () => {
      const sink = new PassThrough();
      const stream = new WritableSendStream(sink);
      let error: unknown;
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        try {
          await stream.sendAll('never');
        } catch (err) {
          error = err;
          throw err;
        }
      });
      await stream.sendAll('after');
      const written = String(sink.read());
      await stream.aclose();
      return { error, written };
    });
    expect(got.error).toBeInstanceOf(Cancelled);
    expect(got.written).toBe('after');
  });

  test("a second sendAll during the first one's schedule point raises BusyResourceError", async () => {
    // As Trio 0.22's SocketStream.send_all: its conflict detector is held across the checkpoint.
    const log = await run(async () => {
      const sink = new PassThrough();
      const stream = new WritableSendStream(sink);
      const log: string[] = [];
      const send = async (name: string): Promise<void> => {
        try {
          await stream.sendAll(name);
          log.push(`${name} sent`);
        } catch (err) {
          log.push(`${name}: ${err instanceof BusyResourceError ? 'busy' : String(err)}`);
        }
      };
      await openNursery(async (nursery) => {
        nursery.startSoon(send, 'first');
        nursery.startSoon(send, 'second');
      });
      await stream.sendAll('|third');
      log.push(`written ${String(sink.read())}`);
      await stream.aclose();
      return log;
    });
    expect(log).toEqual(['second: busy', 'first sent', 'written first|third']);
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
