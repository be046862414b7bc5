// Effection 4, the leading JS structured-concurrency library, on the same workloads. It has no
// checkpoint: the nearest yield is `until(Promise.resolve())` (its `sleep(0)` is a 1 ms host timer).
// Its timeouts are `race([op, sleep(ms)])`; its channels have no backpressure (a send never waits).
import { createChannel, race, run, sleep, spawn, suspend, until } from 'effection';
import { permutation } from './raw.mjs';

export async function load() {
  const yield0 = () => until(Promise.resolve());
  function* child() {
    yield* yield0();
  }
  const workloads = {
    async w1({ n }, perf) {
      const t0 = perf.now();
      await run(function* () {
        const tasks = new Array(n);
        for (let i = 0; i < n; i++) tasks[i] = yield* spawn(child);
        for (let i = 0; i < n; i++) yield* tasks[i];
      });
      return { ms: perf.now() - t0, ops: n };
    },
    async w2({ tasks, steps }, perf) {
      function* worker() {
        for (let k = 0; k < steps; k++) yield* yield0();
      }
      const t0 = perf.now();
      await run(function* () {
        const all = new Array(tasks);
        for (let i = 0; i < tasks; i++) all[i] = yield* spawn(worker);
        for (let i = 0; i < tasks; i++) yield* all[i];
      });
      return { ms: perf.now() - t0, ops: tasks * steps };
    },
    async w3({ messages }, perf) {
      let sum = 0;
      const t0 = perf.now();
      await run(function* () {
        const channel = createChannel();
        const subscription = yield* channel;
        const consumer = yield* spawn(function* () {
          for (let i = 0; i < messages; i++) sum += (yield* subscription.next()).value;
        });
        const producer = yield* spawn(function* () {
          for (let i = 0; i < messages; i++) yield* channel.send(i);
        });
        yield* producer;
        yield* consumer;
      });
      if (sum !== (messages * (messages - 1)) / 2) throw new Error('lost messages');
      return { ms: perf.now() - t0, ops: messages };
    },
    async w4a({ n }, perf) {
      const t0 = perf.now();
      await run(function* () {
        for (let i = 0; i < n; i++) yield* race([child(), sleep(10_000)]);
      });
      return { ms: perf.now() - t0, ops: n };
    },
    async w4b({ n, perm }, perf) {
      const order = permutation(n, perm);
      const t0 = perf.now();
      await run(function* () {
        const tasks = new Array(n);
        for (let i = 0; i < n; i++) {
          const ms = 10_000 + order[i];
          tasks[i] = yield* spawn(() => race([child(), sleep(ms)]));
        }
        for (let i = 0; i < n; i++) yield* tasks[i];
      });
      return { ms: perf.now() - t0, ops: n };
    },
    async w5({ n }, perf) {
      let ms = 0;
      let heapPerTask = 0;
      await run(function* () {
        yield* yield0();
        globalThis.gc?.();
        const h0 = process.memoryUsage().heapUsed;
        const parent = yield* spawn(function* () {
          for (let i = 0; i < n; i++) yield* spawn(suspend);
          yield* suspend();
        });
        yield* yield0();
        yield* yield0();
        globalThis.gc?.();
        heapPerTask = (process.memoryUsage().heapUsed - h0) / n;
        const t0 = perf.now();
        yield* parent.halt();
        ms = perf.now() - t0;
      });
      return { ms, ops: n, heapPerTask };
    },
  };
  return { label: 'effection 4', workloads };
}
