/**
 * Web streams (`ReadableStream` / `WritableStream`, the WHATWG API of `fetch`, `CompressionStream`,
 * Deno and browsers) both ways: a Duet channel, stream or queue exposed as a web stream for plain
 * code, and a web `ReadableStream` iterated from Duet code with cancellation that reaches it.
 */
import { Queue, QueueShutDown, StreamReader, StreamWriter } from '@duet/asyncio';
import type { Nursery } from '@duet/kernel';
import { BrokenResourceError, EndOfChannel, type ReceiveStream, type SendStream } from '@duet/trio';
import type { Receiver } from './plain';
import { Pump } from './pump';

/** Something with `send()` and `aclose()`: a Trio send channel. */
export interface Sender<T> {
  /** Sends a value, waiting while the channel is full. */
  send(value: T): Promise<void>;
  /** Closes this end. */
  aclose(): Promise<void>;
}

/**
 * What {@link toReadableStream} reads from, inside the run: a Trio receive channel, a Trio
 * `ReceiveStream` (chunks until end of stream), an asyncio `StreamReader` (chunks until EOF) or an
 * asyncio `Queue` (items until it is shut down and empty).
 */
export type ReadSource<T> =
  Receiver<T> | (T extends Uint8Array ? ReceiveStream | StreamReader : never) | Queue<T>;

/**
 * What {@link toWritableStream} writes to, inside the run: a Trio send channel, a Trio
 * `SendStream`, an asyncio `StreamWriter` (each write drained) or an asyncio `Queue`.
 */
export type WriteSink<T> =
  Sender<T> | (T extends Uint8Array ? SendStream | StreamWriter : never) | Queue<T>;

/** The next value of any {@link ReadSource}, as an iterator result. */
function pullFrom<T>(source: ReadSource<T>): () => Promise<IteratorResult<T, undefined>> {
  const done = { done: true, value: undefined } as const;
  if (source instanceof Queue) {
    return async () => {
      try {
        return { done: false, value: await source.get() };
      } catch (err) {
        if (err instanceof QueueShutDown) return done;
        throw err;
      }
    };
  }
  if (
    source instanceof StreamReader ||
    typeof (source as ReceiveStream).receiveSome === 'function'
  ) {
    const read = (): Promise<Uint8Array> =>
      source instanceof StreamReader ? source.read(65536) : (source as ReceiveStream).receiveSome();
    return async () => {
      const chunk = await read();
      return chunk.length === 0 ? done : { done: false, value: chunk as T };
    };
  }
  if (typeof (source as Receiver<T>).receive === 'function') {
    return async () => {
      try {
        return { done: false, value: await (source as Receiver<T>).receive() };
      } catch (err) {
        if (err instanceof EndOfChannel) return done;
        throw err;
      }
    };
  }
  throw new TypeError(
    'expected a receive channel, a ReceiveStream, an asyncio StreamReader or an asyncio Queue',
  );
}

function sinkOf<T>(sink: WriteSink<T>): { write(v: T): Promise<void>; close(): Promise<void> } {
  if (sink instanceof Queue) {
    return { write: (v) => sink.put(v), close: async () => sink.shutdown() };
  }
  if (sink instanceof StreamWriter) {
    return {
      write: async (v) => {
        sink.write(v as Uint8Array);
        await sink.drain();
      },
      close: async () => {
        sink.close();
        await sink.waitClosed();
      },
    };
  }
  if (typeof (sink as SendStream).sendAll === 'function') {
    const s = sink as SendStream;
    return { write: (v) => s.sendAll(v as Uint8Array), close: () => s.aclose() };
  }
  if (typeof (sink as Sender<T>).send === 'function') {
    const s = sink as Sender<T>;
    return { write: (v) => s.send(v), close: () => s.aclose() };
  }
  throw new TypeError(
    'expected a send channel, a SendStream, an asyncio StreamWriter or an asyncio Queue',
  );
}

/**
 * @internal A pump that reads one value of `source` per request; after the end (or after the pump
 * stopped) each request gets `done`.
 */
export function readPump<T>(
  source: ReadSource<T>,
  nursery: Nursery,
  api: string,
): Pump<void, IteratorResult<T, undefined>> {
  const pull = pullFrom(source);
  checkNursery(nursery, api);
  return new Pump(
    nursery,
    `${api} pump`,
    async () => {
      const step = await pull();
      return { result: step, last: step.done === true };
    },
    (entry) => entry.resolve({ done: true, value: undefined }),
  );
}

function checkNursery(nursery: Nursery, api: string): void {
  if (nursery === null || typeof nursery !== 'object' || typeof nursery.spawn !== 'function') {
    throw new TypeError(`${api} expects a nursery to run its pump task in`);
  }
}

/**
 * Exposes a Duet source as a web `ReadableStream` for plain code (call it inside the run). A pump
 * task in `nursery` reads one value each time the stream's consumer pulls, so nothing is read ahead
 * of demand (back-pressure). The stream closes when the source ends, errors when it fails, and
 * cancelling it (`reader.cancel()`, leaving a `for await` early) stops the pump; the source itself
 * stays open. If the nursery is cancelled, the stream closes.
 *
 * @example
 * ```ts
 * await openNursery(async (n) => {
 *   const [send, receive] = openMemoryChannel<string>(0);
 *   n.startSoon(produce, send);
 *   await awaitPromise(new Response(toReadableStream(receive, n).pipeThrough(encoder)).text());
 * });
 * ```
 */
export function toReadableStream<T>(source: ReadSource<T>, nursery: Nursery): ReadableStream<T> {
  const pump = readPump(source, nursery, 'toReadableStream');
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const step = await pump.request();
        if (step.done === true) controller.close();
        else controller.enqueue(step.value);
      },
      cancel() {
        pump.stop();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Exposes a Duet sink as a web `WritableStream` for plain code (call it inside the run). A pump
 * task in `nursery` hands each chunk to the sink and the write resolves only when the sink took it
 * (a full channel or a slow socket slows the writer: back-pressure). `close()` closes the sink
 * (`aclose()`, or `shutdown()` for a queue); `abort()` stops the pump and closes the sink too. If the
 * nursery is cancelled, later writes reject with `BrokenResourceError`.
 *
 * @example
 * ```ts
 * const [send, receive] = openMemoryChannel<Uint8Array>(1);
 * await fetchResponse.body!.pipeTo(toWritableStream(send, nursery));
 * ```
 */
export function toWritableStream<T>(sink: WriteSink<T>, nursery: Nursery): WritableStream<T> {
  const target = sinkOf(sink);
  checkNursery(nursery, 'toWritableStream');
  type Req = { chunk: T } | { close: true };
  const pump = new Pump<Req, void>(
    nursery,
    'toWritableStream pump',
    async (req) => {
      if ('close' in req) {
        await target.close();
        return { result: undefined, last: true };
      }
      await target.write(req.chunk);
      return { result: undefined };
    },
    (entry) =>
      entry.reject(new BrokenResourceError('the task that fed this WritableStream has stopped')),
  );
  return new WritableStream<T>(
    {
      write: (chunk) => pump.request({ chunk }),
      close: () => pump.request({ close: true }),
      abort: () => pump.request({ close: true }),
    },
    { highWaterMark: 1 },
  );
}
