// The workloads of both Duet styles, written once against a small `api` that each style fills in
// with its facade's functions (or the kernel's, while a facade export is missing).
import { permutation } from './raw.mjs';

/**
 * @param api.run            run(main)
 * @param api.group          group(body): opens a nursery / TaskGroup; body gets { spawn(fn), cancel() }
 * @param api.yield0         a checkpoint: trio `checkpoint()`, asyncio `sleep(0)`
 * @param api.timeout        timeout(seconds, body): `moveOnAfter` / `timeout`, never firing here
 * @param api.channel        a rendezvous channel (trio) or Queue(1) (asyncio): { send, receive }
 * @param api.parkForever    a wait that only cancellation ends
 * @param api.channel(size)  with a size: a channel of that buffer (trio) / Queue(size) (asyncio)
 * @param api.limiter(n)     n permits: trio `CapacityLimiter`, asyncio `Semaphore`: { acquire, release }
 * @param api.awaitForeign   awaitForeign(promise): a foreign Promise made a cancellable kernel wait
 * @param api.tcp            TCP on 127.0.0.1, or undefined (no TCP echo row): serve(handler, body)
 *                           runs body(port) while an echo server calls handler(conn) per connection;
 *                           connect(port) resolves with a conn: { receiveSome(), send(bytes), close() }
 */
export function duetWorkloads(api) {
  const { run, group, yield0, timeout, channel, parkForever, limiter, awaitForeign, tcp } = api;
  const child = async () => {
    await yield0();
  };
  const workloads = {
    async w1({ n }, perf) {
      const t0 = perf.now();
      await run(() =>
        group(async (g) => {
          for (let i = 0; i < n; i++) g.spawn(child);
        }),
      );
      return { ms: perf.now() - t0, ops: n };
    },
    async w2({ tasks, steps }, perf) {
      const worker = async () => {
        for (let k = 0; k < steps; k++) await yield0();
      };
      const t0 = perf.now();
      await run(() =>
        group(async (g) => {
          for (let i = 0; i < tasks; i++) g.spawn(worker);
        }),
      );
      return { ms: perf.now() - t0, ops: tasks * steps };
    },
    async w3({ messages }, perf) {
      let sum = 0;
      const t0 = perf.now();
      await run(async () => {
        const ch = channel();
        await group(async (g) => {
          g.spawn(async () => {
            for (let i = 0; i < messages; i++) await ch.send(i);
          });
          g.spawn(async () => {
            for (let i = 0; i < messages; i++) sum += await ch.receive();
          });
        });
      });
      if (sum !== (messages * (messages - 1)) / 2) throw new Error('lost messages');
      return { ms: perf.now() - t0, ops: messages };
    },
    async w4a({ n }, perf) {
      const body = () => yield0();
      const t0 = perf.now();
      await run(async () => {
        for (let i = 0; i < n; i++) await timeout(10, body);
      });
      return { ms: perf.now() - t0, ops: n };
    },
    async w4b({ n, perm }, perf) {
      const order = permutation(n, perm);
      const body = () => yield0();
      const scoped = (i) => timeout(10 + order[i] * 1e-3, body);
      const t0 = perf.now();
      await run(() =>
        group(async (g) => {
          for (let i = 0; i < n; i++) g.spawn(scoped, i);
        }),
      );
      return { ms: perf.now() - t0, ops: n };
    },
    // Fan-out: N tasks, each in its own timeout scope, takes one of `limit` permits and awaits a
    // foreign Promise (a setImmediate), as a crawler awaiting fetch under a limiter.
    async fanout({ n, limit }, perf) {
      let done = 0;
      const t0 = perf.now();
      await run(async () => {
        const permits = limiter(limit);
        const fetchOne = async () => {
          await permits.acquire();
          try {
            await awaitForeign(foreignWork());
            done++;
          } finally {
            permits.release();
          }
        };
        const one = () => timeout(10, fetchOne);
        await group(async (g) => {
          for (let i = 0; i < n; i++) g.spawn(one);
        });
      });
      if (done !== n) throw new Error(`fan-out: ${done} of ${n} fetches done`);
      return { ms: perf.now() - t0, ops: n };
    },
    // Pipeline: a producer, `workers` workers and a consumer, over two channels of `size`.
    async pipeline({ items, workers, size }, perf) {
      const t0 = perf.now();
      const sum = await run(() => pipelineBody(group, channel, items, workers, size));
      return checkPipeline(sum, items, perf, t0);
    },
    async w5({ n }, perf) {
      let ms = 0;
      let heapPerTask = 0;
      let t0 = 0;
      await run(async () => {
        await group(async (g) => {
          await yield0();
          globalThis.gc?.();
          const h0 = process.memoryUsage().heapUsed;
          for (let i = 0; i < n; i++) g.spawn(parkForever);
          await yield0();
          await yield0();
          globalThis.gc?.();
          heapPerTask = (process.memoryUsage().heapUsed - h0) / n;
          t0 = perf.now();
          g.cancel();
        });
        ms = perf.now() - t0;
      });
      return { ms, ops: n, heapPerTask };
    },
  };
  if (tcp) workloads.tcpecho = (params, perf) => tcpEcho(run, group, tcp, params, perf);
  return workloads;
}

/**
 * TCP echo: a server echoing each chunk it receives, and `connections` clients (one task each)
 * that send `messages` messages of `bytes` bytes one at a time, each after the echo of the last.
 */
async function tcpEcho(run, group, tcp, { connections, messages, bytes }, perf) {
  const payloads = echoPayloads(bytes);
  let echoed = 0;
  let received = 0;
  const echo = async (conn) => {
    for (;;) {
      const data = await conn.receiveSome();
      if (data.length === 0) return;
      echoed += data.length;
      await conn.send(data);
    }
  };
  const client = async (port, c) => {
    const conn = await tcp.connect(port);
    try {
      for (let i = 0; i < messages; i++) {
        const payload = payloads[(c + i) & 255];
        await conn.send(payload);
        let got = 0;
        while (got < bytes) got += checkEchoChunk(await conn.receiveSome(), payload);
        received += got;
      }
    } finally {
      await conn.close();
    }
  };
  const t0 = perf.now();
  await run(() =>
    tcp.serve(echo, (port) =>
      group(async (g) => {
        for (let c = 0; c < connections; c++) g.spawn(client, port, c);
      }),
    ),
  );
  return checkEcho({ connections, messages, bytes }, echoed, received, perf, t0);
}

/** The TCP echo's messages: payload v is `bytes` bytes of value v; client c sends v = (c + i) & 255. */
export function echoPayloads(bytes) {
  return Array.from({ length: 256 }, (_, v) => Buffer.alloc(bytes, v));
}

/** Checks one received chunk of the echo of `payload` (all bytes alike); returns its length. */
export function checkEchoChunk(data, payload) {
  if (data.length === 0) throw new Error('tcp echo: the connection closed before its echo');
  const v = payload[0];
  if (data[0] !== v || data[data.length - 1] !== v) throw new Error('tcp echo: wrong bytes back');
  return data.length;
}

/** The TCP echo's correctness check (every byte echoed once and read back) and result. */
export function checkEcho({ connections, messages, bytes }, echoed, received, perf, t0) {
  const total = connections * messages * bytes;
  if (echoed !== total || received !== total)
    throw new Error(`tcp echo: ${echoed} bytes echoed, ${received} received, of ${total}`);
  return { ms: perf.now() - t0, ops: connections * messages };
}

/** What the foreign work of the fan-out is, in every system: one host turn. */
export const foreignWork = () => new Promise((resolve) => setImmediate(resolve));

/** The pipeline's marker for "no more items", forwarded by each worker to the consumer. */
const DONE = -1;

/**
 * The pipeline of every system, over its `group(body)` and `channel(size)`: the producer sends
 * items 0..M-1 and then one DONE per worker; each worker forwards 2·item until its DONE; the
 * consumer adds up until it has seen every worker's DONE. Resolves with the sum.
 */
export async function pipelineBody(group, channel, items, workers, size) {
  const jobs = channel(size);
  const results = channel(size);
  let sum = 0;
  await group(async (g) => {
    g.spawn(async () => {
      for (let i = 0; i < items; i++) await jobs.send(i);
      for (let w = 0; w < workers; w++) await jobs.send(DONE);
    });
    for (let w = 0; w < workers; w++) {
      g.spawn(async () => {
        for (;;) {
          const item = await jobs.receive();
          if (item === DONE) break;
          await results.send(2 * item);
        }
        await results.send(DONE);
      });
    }
    g.spawn(async () => {
      for (let left = workers; left > 0;) {
        const value = await results.receive();
        if (value === DONE) left--;
        else sum += value;
      }
    });
  });
  return sum;
}

/** The pipeline's correctness check and result. */
export function checkPipeline(sum, items, perf, t0) {
  if (sum !== items * (items - 1)) throw new Error('pipeline: lost items');
  return { ms: perf.now() - t0, ops: items };
}

/** Kernel stand-in for a rendezvous memory channel, made of two ParkingLots (as Trio's). */
export function kernelRendezvous(kernel) {
  const { ParkingLot, checkpoint, cancelShieldedCheckpoint } = kernel;
  return () => {
    const receivers = new ParkingLot();
    const senders = new ParkingLot();
    const values = [];
    return {
      async send(value) {
        await kernel.checkpointIfCancelled();
        if (receivers.size !== 0) {
          receivers.unparkOne(value);
          await cancelShieldedCheckpoint();
          return;
        }
        values.push(value);
        await senders.park();
      },
      async receive() {
        if (senders.size !== 0) {
          const value = values.shift();
          senders.unparkOne();
          await cancelShieldedCheckpoint();
          return value;
        }
        return receivers.park();
      },
      checkpoint,
    };
  };
}

/** Kernel stand-in for asyncio's Queue(1): put and get block only when full / empty, as asyncio's. */
export function kernelQueue1(kernel) {
  const { ParkingLot } = kernel;
  return () => {
    const items = [];
    const getters = new ParkingLot();
    const putters = new ParkingLot();
    return {
      async send(value) {
        while (items.length >= 1) await putters.park();
        items.push(value);
        getters.unparkOne();
      },
      async receive() {
        while (items.length === 0) await getters.park();
        const value = items.shift();
        putters.unparkOne();
        return value;
      },
    };
  };
}
