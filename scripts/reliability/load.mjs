#!/usr/bin/env node
// Load test (issue 9): many concurrent loopback connections against an echo server of each facade
// for a bounded time, then a shutdown. Not part of `npm test`; run it on the built packages
// (`npm run build` first):
//
//   node scripts/reliability/load.mjs [--connections N] [--seconds S] [--facades trio,asyncio]
//
// Per facade, in a fresh Node process with --expose-gc: an echo server on 127.0.0.1 (Trio:
// `serveTcp` with a handler per connection; asyncio: `startServer`), and N (default 1,000) plain
// `net` clients in the same process, each sending a 64-byte message and waiting for its echo,
// again and again for S seconds (default 30). Then the server is shut down while every client is
// still connected (Trio: its nursery is cancelled; asyncio: the serving task is cancelled and the
// connection tasks with it). It prints round trips per second, errors (a socket error, a wrong
// echo, a client not closed by the shutdown), how many connections the shutdown closed, the heap
// after a full GC during the load (1 s in, then five samples), its change from the second sample to
// the end, after the shutdown, and how long the process took to exit after run().
import net from 'node:net';
import { flag, harness, heapAfterGc } from './lib.mjs';

const CONNECTIONS = Number(flag('connections', 1_000));
const SECONDS = Number(flag('seconds', 30));
const MESSAGE = Buffer.alloc(64, 'x');

/**
 * Plain Node clients: each connects, then sends MESSAGE and waits for all of it back, until
 * `stop()`; `closed` resolves when the server has closed every connection.
 */
function startClients(port, stats) {
  let sending = true;
  let open = 0;
  let resolveClosed;
  const closed = new Promise((resolve) => (resolveClosed = resolve));
  let resolveConnected;
  const connected = new Promise((resolve) => (resolveConnected = resolve));
  for (let i = 0; i < CONNECTIONS; i++) {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let pending = 0;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      if (++open === CONNECTIONS) resolveConnected();
      pending = MESSAGE.length;
      socket.write(MESSAGE);
    });
    socket.on('data', (chunk) => {
      for (const byte of chunk) if (byte !== 0x78) stats.errors++;
      pending -= chunk.length;
      if (pending < 0) stats.errors++;
      if (pending === 0) {
        stats.roundTrips++;
        if (sending) {
          pending = MESSAGE.length;
          socket.write(MESSAGE);
        }
      }
    });
    socket.on('error', () => stats.errors++);
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      if (sending)
        stats.errors++; // closed before the shutdown
      else stats.closedAtShutdown++;
      if (--open === 0) resolveClosed();
    });
  }
  return {
    connected,
    closed,
    stop() {
      sending = false;
    },
  };
}

/** Load for SECONDS, stop sending, let the last echoes arrive; returns the measured rate. */
async function drive(port, stats, sleep, shutdown) {
  const clients = startClients(port, stats);
  await clients.connected;
  // The heap under load, once warm (after 1 s) and at the end: a leak shows as growth between.
  await sleep(1);
  stats.heapStart = heapAfterGc();
  const start = performance.now();
  const before = stats.roundTrips;
  // Samples in between tell steady growth (a leak) from a one-off rise.
  stats.heapSamples = [];
  for (let i = 1; i <= 5; i++) {
    await sleep(SECONDS / 5);
    stats.heapSamples.push(heapAfterGc());
  }
  stats.heapEnd = stats.heapSamples.at(-1);
  clients.stop();
  const seconds = (performance.now() - start) / 1000;
  const roundTrips = stats.roundTrips - before;
  await sleep(0.2); // the echoes in flight
  const shutdownStart = performance.now();
  await shutdown(clients.closed);
  stats.shutdownMs = performance.now() - shutdownStart;
  if (stats.closedAtShutdown !== CONNECTIONS) stats.errors++;
  stats.roundTripsPerSecond = Math.round(roundTrips / seconds);
}

async function trioLoad() {
  const trio = await import('@duet/trio');
  const { awaitPromise } = await import('@duet/bridge');
  const stats = { roundTrips: 0, errors: 0, closedAtShutdown: 0 };
  await trio.run(async () => {
    await trio.openNursery(async (nursery) => {
      const echo = async (stream) => {
        for await (const chunk of stream) await stream.sendAll(chunk);
      };
      const [listener] = await nursery.start(trio.serveTcp, echo, 0, {
        host: '127.0.0.1',
        backlog: 2048,
      });
      await drive(listener.getsockname().port, stats, trio.sleep, async (closed) => {
        nursery.cancelScope.cancel();
        await new trio.CancelScope({ shield: true }).run(() => awaitPromise(closed));
      });
    });
    stats.heapAfterShutdown = heapAfterGc();
  });
  return stats;
}

async function asyncioLoad() {
  const aio = await import('@duet/asyncio');
  const { awaitPromise } = await import('@duet/bridge');
  const stats = { roundTrips: 0, errors: 0, closedAtShutdown: 0 };
  await aio.run(async () => {
    const server = await aio.startServer(
      async (reader, writer) => {
        try {
          for (;;) {
            const data = await reader.read(65536);
            if (data.length === 0) break;
            writer.write(data);
            await writer.drain();
          }
        } finally {
          writer.close();
        }
      },
      '127.0.0.1',
      0,
      { backlog: 2048 },
    );
    const serving = aio.createTask(() => server.serveForever());
    const [, port] = server.sockets[0].getsockname();
    await drive(port, stats, aio.sleep, async (closed) => {
      serving.cancel();
      await serving.then(
        () => {},
        () => {},
      );
      server.closeClients();
      await server.waitClosed();
      await awaitPromise(closed);
    });
    stats.heapAfterShutdown = heapAfterGc();
  });
  return stats;
}

await harness(import.meta.url, { trio: trioLoad, asyncio: asyncioLoad }, (result) => {
  // 1,000 connections take some seconds to reach their steady buffers: growth is measured from
  // the second sample (after 2/5 of the load) to the end.
  const warm = result.heapSamples[1];
  result.heapChangeAfterWarmup = (result.heapEnd - warm) / warm;
});
