import {
  iterate,
  toAsyncIterable,
  toReadableStream,
  toWritableStream,
  awaitPromise,
} from '@duet/bridge';
import { PassThrough } from 'node:stream';
import {
  Queue,
  StreamReader,
  openConnection,
  run as aioRun,
  startServer,
  type StreamWriter,
} from '@duet/asyncio';
import { openNursery, sleep } from '@duet/kernel';
import {
  BrokenResourceError,
  ReadableReceiveStream,
  WritableSendStream,
  moveOnAfter,
  openMemoryChannel,
  run,
  sleepForever,
} from '@duet/trio';

function counting(): { stream: ReadableStream<number>; pulls: () => number; cancelled: unknown[] } {
  let n = 0;
  const cancelled: unknown[] = [];
  const stream = new ReadableStream<number>(
    {
      pull(c) {
        c.enqueue(++n);
      },
      cancel(reason) {
        cancelled.push(reason ?? 'no reason');
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulls: () => n, cancelled };
}

describe('iterate(ReadableStream)', () => {
  test('break cancels the stream and releases the lock', async () => {
    const { stream, cancelled } = counting();
    const seen: number[] = [];
    await run(async () => {
      for await (const x of iterate(stream)) {
        seen.push(x);
        if (x === 3) break;
      }
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(cancelled).toHaveLength(1);
    expect(stream.locked).toBe(false);
  });

  test('cancellation while a read is pending cancels the stream and releases the lock', async () => {
    const cancelled: unknown[] = [];
    const stream = new ReadableStream<number>({
      start(c) {
        c.enqueue(1); // then nothing more: the second read stays pending
      },
      cancel(reason) {
        cancelled.push(reason ?? 'no reason');
      },
    });
    const seen: number[] = [];
    await run(async () => {
      await moveOnAfter(0.02, async () => {
        for await (const x of iterate(stream)) seen.push(x);
      });
    });
    expect(seen).toEqual([1]);
    expect(cancelled).toHaveLength(1);
    expect(stream.locked).toBe(false);
  });
});

describe('ReadableReceiveStream / WritableSendStream over web streams', () => {
  // Node loads and compiles its fetch implementation (`Response`) on first use, which can take
  // longer than a test's 5 s timeout on a loaded machine or under coverage: do it before.
  beforeAll(async () => {
    await new Response('warm-up').text();
  }, 60_000);

  test('receives a web ReadableStream to its end, and aclose cancels one not finished', async () => {
    const text = await run(async () => {
      const body = new Response('hello web streams').body!;
      const stream = new ReadableReceiveStream(body);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks).toString();
    });
    expect(text).toBe('hello web streams');
    const { stream, cancelled } = counting();
    const bytes = stream.pipeThrough(
      new TransformStream<number, Uint8Array>({
        transform: (n, c) => c.enqueue(new Uint8Array([n])),
      }),
    );
    await run(async () => {
      const receive = new ReadableReceiveStream(bytes, 4);
      expect((await receive.receiveSome(1))[0]).toBe(1);
      await receive.aclose();
    });
    expect(cancelled).toHaveLength(1);
    // Web streams' first use (pipeThrough, TransformStream) compiles much of Node's streams code;
    // it timed out at 5 s under CI's load on Node 22 in one run (14 ms when quiet).
  }, 30_000);

  test('sendAll into a web WritableStream waits for it (back-pressure) and aclose closes it', async () => {
    let writes = 0;
    let closed = false;
    const gate: Array<() => void> = [];
    const sink = new WritableStream<Uint8Array>({
      write: () =>
        new Promise<void>((resolve) => {
          writes++;
          gate.push(resolve);
        }),
      close() {
        closed = true;
      },
    });
    const seen = await run(async () => {
      const send = new WritableSendStream(sink);
      let sent = 0;
      return openNursery(async (n) => {
        n.startSoon(async () => {
          for (let i = 0; i < 8; i++) {
            await send.sendAll(new Uint8Array(64 * 1024));
            sent++;
          }
          await send.aclose();
        });
        await sleep(0.03);
        const stuck = sent; // the sink has not finished any write
        while (!closed) {
          gate.shift()?.();
          await sleep(0.001);
        }
        return [stuck, sent, writes];
      });
    });
    expect(seen![0]).toBeLessThan(3);
    expect(seen!.slice(1)).toEqual([8, 8]);
  });
});

describe('toReadableStream', () => {
  test('a memory channel read from plain code, pulled on demand, closed at the end', async () => {
    const result = await run(async () => {
      const [send, receive] = openMemoryChannel<string>(0);
      let sent = 0;
      return openNursery(async (n) => {
        n.startSoon(async () => {
          for (const word of ['a', 'b', 'c']) {
            await send.send(word);
            sent++;
          }
          await send.aclose();
        });
        const stream = toReadableStream(receive, n);
        await sleep(0.02);
        const sentBeforeReading = sent; // nothing pulled yet: the unbuffered send is blocked
        const words: string[] = [];
        await awaitPromise(
          (async () => {
            for await (const w of stream) words.push(w);
          })(),
        );
        return [sentBeforeReading, words];
      });
    });
    expect(result).toEqual([0, ['a', 'b', 'c']]);
  });

  test('cancelling the web stream stops the pump; the nursery then exits', async () => {
    const got = await run(async () => {
      const [send, receive] = openMemoryChannel<number>(Infinity);
      for (let i = 0; i < 10; i++) send.sendNowait(i);
      return openNursery(async (n) => {
        const reader = toReadableStream(receive, n).getReader();
        const first = await awaitPromise(reader.read());
        await awaitPromise(reader.cancel('enough'));
        return [first.value, receive.statistics().currentBufferUsed];
      });
    });
    expect(got).toEqual([0, 9]);
  });

  test('a Trio ReceiveStream, an asyncio StreamReader and an asyncio Queue as web streams', async () => {
    const out = await run(async () =>
      openNursery(async (n) => {
        const trioStream = new ReadableReceiveStream(new Response('trio bytes').body!);
        const reader = new StreamReader();
        reader.feedData(Buffer.from('asyncio bytes'));
        reader.feedEof();
        const q = new Queue<number>();
        q.putNowait(1);
        q.putNowait(2);
        q.shutdown();
        const text = (s: ReadableStream<Uint8Array>) => awaitPromise(new Response(s).text());
        const items: number[] = [];
        const qs = toReadableStream(q, n);
        await awaitPromise(
          (async () => {
            for await (const i of qs) items.push(i);
          })(),
        );
        return [
          await text(toReadableStream(trioStream, n)),
          await text(toReadableStream(reader, n)),
          items,
        ];
      }),
    );
    expect(out).toEqual(['trio bytes', 'asyncio bytes', [1, 2]]);
  });

  test('a failing source errors the stream; bad arguments are TypeErrors', async () => {
    await run(async () =>
      openNursery(async (n) => {
        const failing = { receive: async () => Promise.reject(new Error('boom')) };
        const reader = toReadableStream(failing, n).getReader();
        await expect(awaitPromise(reader.read())).rejects.toThrow('boom');
        expect(() => toReadableStream({} as never, n)).toThrow(TypeError);
        expect(() => toWritableStream({} as never, n)).toThrow(TypeError);
        expect(() => toReadableStream(failing, null as never)).toThrow(TypeError);
      }),
    );
  });

  test('toAsyncIterable still serves a channel to plain code', async () => {
    const got = await run(async () => {
      const [send, receive] = openMemoryChannel<number>(1);
      return openNursery(async (n) => {
        n.startSoon(async () => {
          await send.send(7);
          await send.aclose();
        });
        const out: number[] = [];
        await awaitPromise(
          (async () => {
            for await (const v of toAsyncIterable(receive, n)) out.push(v);
          })(),
        );
        return out;
      });
    });
    expect(got).toEqual([7]);
  });
});

describe('toWritableStream', () => {
  test('plain code pipes into a channel; each write waits for the receiver; close closes the channel', async () => {
    const got = await run(async () => {
      const [send, receive] = openMemoryChannel<number>(0);
      return openNursery(async (n) => {
        const received: number[] = [];
        n.startSoon(async () => {
          for await (const v of receive) {
            received.push(v);
            await sleep(0.005);
          }
        });
        const source = new ReadableStream<number>({
          start(c) {
            for (const v of [1, 2, 3]) c.enqueue(v);
            c.close();
          },
        });
        await awaitPromise(source.pipeTo(toWritableStream(send, n)));
        return received;
      });
    });
    expect(got).toEqual([1, 2, 3]);
  });

  test('into a Queue (shut down at close); writes after the nursery is cancelled reject', async () => {
    const result = await run(async () => {
      const q = new Queue<string>(1);
      let writer!: WritableStreamDefaultWriter<string>;
      await openNursery(async (n) => {
        writer = toWritableStream(q, n).getWriter();
        await awaitPromise(writer.write('x'));
        n.cancelScope.cancel();
      });
      const late = await writer.write('y').then(
        () => 'written',
        (e: unknown) => e,
      );
      return [q.getNowait(), late];
    });
    expect(result[0]).toBe('x');
    expect(result[1]).toBeInstanceOf(BrokenResourceError);
  });

  test('a write pending when the nursery is cancelled rejects with BrokenResourceError', async () => {
    const outcome = await run(async () => {
      const [send] = openMemoryChannel<number>(0);
      let pending!: Promise<unknown>;
      await moveOnAfter(0.02, async () =>
        openNursery(async (n) => {
          pending = toWritableStream(send, n)
            .getWriter()
            .write(1)
            .catch((e: unknown) => e);
          await sleepForever();
        }),
      );
      return awaitPromise(pending);
    });
    expect(outcome).toBeInstanceOf(BrokenResourceError);
  });

  test('into a Trio SendStream: each write is a sendAll, close() closes the stream', async () => {
    const node = new PassThrough();
    const chunks: string[] = [];
    node.on('data', (c: Buffer) => chunks.push(c.toString()));
    await run(async () => {
      await openNursery(async (n) => {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            for (const word of ['one ', 'two ', 'three']) c.enqueue(new TextEncoder().encode(word));
            c.close();
          },
        });
        await awaitPromise(body.pipeTo(toWritableStream(new WritableSendStream(node), n)));
      });
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(chunks.join('')).toBe('one two three');
    expect(node.writableEnded || node.destroyed).toBe(true);
  });

  test('into an asyncio StreamWriter: written and drained in order; close() closes the connection', async () => {
    const received = await aioRun(async () => {
      let got = '';
      let done!: () => void;
      const eof = new Promise<void>((resolve) => (done = resolve));
      await using server = await startServer(
        async (reader: StreamReader, writer: StreamWriter) => {
          got = (await reader.read()).toString();
          writer.close();
          done();
        },
        '127.0.0.1',
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [, writer] = await openConnection('127.0.0.1', port);
      await openNursery(async (n) => {
        const out = toWritableStream<Uint8Array>(writer, n).getWriter();
        await awaitPromise(out.write(new TextEncoder().encode('hello ')));
        await awaitPromise(out.write(new TextEncoder().encode('asyncio')));
        await awaitPromise(out.close());
      });
      await awaitPromise(eof);
      return got;
    });
    expect(received).toBe('hello asyncio');
  });

  test('abort() stops the pump and closes the sink', async () => {
    const [closed, afterAbort] = await run(async () => {
      const [send, receive] = openMemoryChannel<number>(1);
      let late!: unknown;
      await openNursery(async (n) => {
        const writer = toWritableStream(send, n).getWriter();
        await awaitPromise(writer.abort('the producer gave up'));
        late = await awaitPromise(
          writer.write(1).then(
            () => 'written',
            (e: unknown) => e,
          ),
        );
      });
      const end = await receive.receive().then(
        () => 'a value',
        (e: unknown) => (e as Error).name,
      );
      return [end, late];
    });
    expect(closed).toBe('EndOfChannel');
    expect(afterAbort).toBe('the producer gave up'); // a web stream refuses writes once aborted
  });
});
