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
 */
export function duetWorkloads(api) {
  const { run, group, yield0, timeout, channel, parkForever } = api;
  const child = async () => {
    await yield0();
  };
  return {
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
