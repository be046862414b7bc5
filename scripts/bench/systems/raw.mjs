// Raw Promises: what each workload costs with no structured concurrency at all. With `als`, every
// spawned async function runs inside `als.run(...)`, as a kernel built on AsyncLocalStorage must:
// that is the floor of any such kernel (on Node 20 the promise hooks it turns on cost a lot).
import { AsyncLocalStorage } from 'node:async_hooks';
import net from 'node:net';
import {
  checkEcho,
  checkEchoChunk,
  checkPipeline,
  echoPayloads,
  foreignWork,
  pipelineBody,
} from './duet-common.mjs';

export async function load({ als }) {
  const storage = als ? new AsyncLocalStorage() : null;
  // Start `fn()` as a "task": inside its own ALS context when measuring the ALS floor.
  const spawn = storage ? (fn, ctx) => storage.run(ctx, fn) : (fn) => fn();
  const noop = () => {};

  /** A rendezvous channel of plain promises: send waits for a receiver, receive for a sender. */
  class RawChannel {
    receivers = [];
    senders = [];
    send(value) {
      if (this.receivers.length !== 0) {
        this.receivers.shift()(value);
        return Promise.resolve();
      }
      return new Promise((resolve) => this.senders.push({ value, resolve }));
    }
    receive() {
      if (this.senders.length !== 0) {
        const { value, resolve } = this.senders.shift();
        resolve();
        return Promise.resolve(value);
      }
      return new Promise((resolve) => this.receivers.push(resolve));
    }
  }

  /** A bounded channel of plain promises (`size` 0: rendezvous), FIFO both ways. */
  class RawBoundedChannel extends RawChannel {
    buffer = [];
    constructor(size) {
      super();
      this.size = size;
    }
    send(value) {
      if (this.receivers.length !== 0) {
        this.receivers.shift()(value);
        return Promise.resolve();
      }
      if (this.buffer.length < this.size) {
        this.buffer.push(value);
        return Promise.resolve();
      }
      return new Promise((resolve) => this.senders.push({ value, resolve }));
    }
    receive() {
      if (this.buffer.length !== 0) {
        const value = this.buffer.shift();
        if (this.senders.length !== 0) {
          const sender = this.senders.shift();
          this.buffer.push(sender.value);
          sender.resolve();
        }
        return Promise.resolve(value);
      }
      return super.receive();
    }
  }

  /** A counting semaphore of plain promises: what p-limit does. */
  class RawSemaphore {
    waiters = [];
    constructor(n) {
      this.free = n;
    }
    acquire() {
      if (this.free > 0) {
        this.free--;
        return Promise.resolve();
      }
      return new Promise((resolve) => this.waiters.push(resolve));
    }
    release() {
      if (this.waiters.length !== 0) this.waiters.shift()();
      else this.free++;
    }
  }

  /** Children started with `spawn` (each in its own ALS context), joined with Promise.all. */
  const group = async (body) => {
    const children = [];
    await body({ spawn: (fn) => children.push(spawn(fn, children.length)) });
    await Promise.all(children);
  };

  const workloads = {
    // TCP echo with `node:net` callbacks: the server writes back each chunk in its 'data' handler;
    // each client writes its next message from the 'data' handler that completes the last echo.
    async tcpecho({ connections, messages, bytes }, perf) {
      const payloads = echoPayloads(bytes);
      let echoed = 0;
      let received = 0;
      const t0 = perf.now();
      const server = net.createServer({ noDelay: true }, (socket) => {
        socket.on('data', (data) => {
          echoed += data.length;
          socket.write(data);
        });
        socket.on('error', noop);
      });
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const { port } = server.address();
      const client = (c) =>
        new Promise((resolve, reject) => {
          const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
          let i = 0;
          let got = 0;
          socket.on('connect', () => socket.write(payloads[c & 255]));
          socket.on('data', (data) => {
            try {
              got += checkEchoChunk(data, payloads[(c + i) & 255]);
            } catch (err) {
              socket.destroy(err);
              return;
            }
            if (got < bytes) return;
            received += got;
            got = 0;
            if (++i < messages) socket.write(payloads[(c + i) & 255]);
            else socket.end();
          });
          socket.on('error', reject);
          socket.on('close', () =>
            i === messages ? resolve() : reject(new Error('tcp echo: closed before its echo')),
          );
        });
      try {
        await spawn(
          () =>
            group(async (g) => {
              for (let c = 0; c < connections; c++) g.spawn(() => client(c));
            }),
          'root',
        );
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      return checkEcho({ connections, messages, bytes }, echoed, received, perf, t0);
    },
    // Fan-out: N async functions, each with its own timer (the timeout), a permit of `limit`, and
    // one foreign await.
    async fanout({ n, limit }, perf) {
      let done = 0;
      const permits = new RawSemaphore(limit);
      const one = async () => {
        const timer = setTimeout(noop, 10_000);
        await permits.acquire();
        try {
          await foreignWork();
          done++;
        } finally {
          permits.release();
          clearTimeout(timer);
        }
      };
      const t0 = perf.now();
      await spawn(
        () =>
          group(async (g) => {
            for (let i = 0; i < n; i++) g.spawn(one);
          }),
        'root',
      );
      if (done !== n) throw new Error(`fan-out: ${done} of ${n} fetches done`);
      return { ms: perf.now() - t0, ops: n };
    },
    // Pipeline: the same body as Duet's, over bounded promise channels.
    async pipeline({ items, workers, size }, perf) {
      const t0 = perf.now();
      const sum = await spawn(
        () => pipelineBody(group, (n) => new RawBoundedChannel(n), items, workers, size),
        'root',
      );
      return checkPipeline(sum, items, perf, t0);
    },
    // W1: N async functions, each awaiting once, joined with Promise.all.
    async w1({ n }, perf) {
      const child = async () => {
        await undefined;
      };
      const t0 = perf.now();
      await spawn(async () => {
        const all = new Array(n);
        for (let i = 0; i < n; i++) all[i] = spawn(child, i);
        await Promise.all(all);
      }, 'root');
      return { ms: perf.now() - t0, ops: n };
    },
    // W2: T async functions × K `await undefined`.
    async w2({ tasks, steps }, perf) {
      const child = async () => {
        for (let k = 0; k < steps; k++) await undefined;
      };
      const t0 = perf.now();
      await spawn(async () => {
        const all = new Array(tasks);
        for (let i = 0; i < tasks; i++) all[i] = spawn(child, i);
        await Promise.all(all);
      }, 'root');
      return { ms: perf.now() - t0, ops: tasks * steps };
    },
    // W3: M messages from one async function to another over a promise rendezvous channel.
    async w3({ messages }, perf) {
      const ch = new RawChannel();
      let sum = 0;
      const t0 = perf.now();
      await spawn(async () => {
        const producer = spawn(async () => {
          for (let i = 0; i < messages; i++) await ch.send(i);
        }, 'producer');
        const consumer = spawn(async () => {
          for (let i = 0; i < messages; i++) sum += await ch.receive();
        }, 'consumer');
        await Promise.all([producer, consumer]);
      }, 'root');
      if (sum !== (messages * (messages - 1)) / 2) throw new Error('lost messages');
      return { ms: perf.now() - t0, ops: messages };
    },
    // W4a: N times setTimeout(10 s) + one await + clearTimeout, one after the other.
    async w4a({ n }, perf) {
      const t0 = perf.now();
      await spawn(async () => {
        for (let i = 0; i < n; i++) {
          const timer = setTimeout(noop, 10_000);
          await undefined;
          clearTimeout(timer);
        }
      }, 'root');
      return { ms: perf.now() - t0, ops: n };
    },
    // W4b: N concurrent async functions, each with its own timer of a distinct duration.
    async w4b({ n, perm }, perf) {
      const order = permutation(n, perm);
      const child = async (i) => {
        const timer = setTimeout(noop, 10_000 + order[i]);
        await undefined;
        clearTimeout(timer);
      };
      const t0 = perf.now();
      await spawn(async () => {
        const all = new Array(n);
        for (let i = 0; i < n; i++) all[i] = spawn(() => child(i), i);
        await Promise.all(all);
      }, 'root');
      return { ms: perf.now() - t0, ops: n };
    },
    // W5: N async functions each awaiting a promise that is then rejected ("reject-all").
    async w5({ n }, perf) {
      const rejects = new Array(n);
      const all = new Array(n);
      let ms = 0;
      let heapPerTask = 0;
      await spawn(async () => {
        const child = async (i) => {
          try {
            await new Promise((_, reject) => {
              rejects[i] = reject;
            });
          } catch {
            return;
          }
        };
        await undefined;
        globalThis.gc?.();
        const h0 = process.memoryUsage().heapUsed;
        for (let i = 0; i < n; i++) all[i] = spawn(() => child(i), i);
        await undefined;
        await undefined;
        globalThis.gc?.();
        heapPerTask = (process.memoryUsage().heapUsed - h0) / n;
        const cancelled = new Error('cancelled');
        const t0 = perf.now();
        for (let i = 0; i < n; i++) rejects[i](cancelled);
        await Promise.all(all);
        ms = perf.now() - t0;
      }, 'root');
      return { ms, ops: n, heapPerTask };
    },
  };
  return { label: als ? 'Promises + als.run per task' : 'Promises', workloads };
}

/** The same pseudo-random permutation of 0..n-1 in every system (a linear congruential shuffle). */
export function permutation(n, seed = 1) {
  const order = new Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let x = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
