// Duet, Trio style: `@duet/trio` from its built dist; any export still missing there is taken from
// `@duet/kernel` and named in the row's label.
import { importDuet } from './duet-import.mjs';
import { duetWorkloads, kernelRendezvous } from './duet-common.mjs';

/** A SocketStream as the TCP echo's connection. */
const conn = (stream) => ({
  receiveSome: () => stream.receiveSome(),
  send: (data) => stream.sendAll(data),
  close: () => stream.aclose(),
});

export async function load() {
  const kernel = await importDuet('@duet/kernel');
  let trio = {};
  const fallbacks = [];
  try {
    trio = await importDuet('@duet/trio');
  } catch {
    fallbacks.push('all (no @duet/trio build)');
  }
  // DUET_BENCH_KERNEL=openMemoryChannel,... forces the kernel stand-in for those names: a way to
  // tell a facade's own overhead from the kernel's.
  const forced = (process.env.DUET_BENCH_KERNEL ?? '').split(',');
  const pick = (name, fromFacade, fromKernel) => {
    if (fromFacade && !forced.includes(name)) return fromFacade;
    if (!fallbacks[0]?.startsWith('all')) fallbacks.push(name);
    return fromKernel;
  };
  const run = pick('run', trio.run, kernel.run);
  const openNursery = pick('openNursery', trio.openNursery, kernel.openNursery);
  const checkpoint = pick('checkpoint', trio.checkpoint, kernel.checkpoint);
  const moveOnAfter = pick('moveOnAfter', trio.moveOnAfter, (seconds, body) =>
    new kernel.CancelScope({ relativeDeadline: seconds }).run(body),
  );
  const sleepForever = pick('sleepForever', trio.sleepForever, kernel.sleepForever);
  const channel = pick(
    'openMemoryChannel',
    trio.openMemoryChannel &&
      ((size = 0) => {
        const [send, receive] = trio.openMemoryChannel(size);
        return { send: (v) => send.send(v), receive: () => receive.receive() };
      }),
    kernelRendezvous(kernel),
  );
  const limiter = pick(
    'CapacityLimiter',
    trio.CapacityLimiter &&
      ((n) => {
        const limiter = new trio.CapacityLimiter(n);
        return { acquire: () => limiter.acquire(), release: () => limiter.release() };
      }),
    undefined,
  );
  const api = {
    run,
    group: (body) =>
      openNursery((nursery) =>
        body({
          spawn: (fn, ...args) => nursery.startSoon(fn, ...args),
          cancel: () => nursery.cancelScope.cancel(),
        }),
      ),
    yield0: checkpoint,
    timeout: moveOnAfter,
    channel,
    parkForever: sleepForever,
    limiter,
    awaitForeign: trio.awaitForeign ?? kernel.awaitForeign,
    tcp: trio.serveTcp && {
      serve: (handler, body) =>
        openNursery(async (nursery) => {
          const [listener] = await nursery.start(trio.serveTcp, (s) => handler(conn(s)), 0, {
            host: '127.0.0.1',
          });
          await body(listener.getsockname().port);
          nursery.cancelScope.cancel();
        }),
      connect: async (port) => conn(await trio.openTcpStream('127.0.0.1', port)),
    },
  };
  const label =
    fallbacks.length === 0 ? '@duet/trio' : `@duet/trio, kernel for: ${fallbacks.join(', ')}`;
  return { label, fallbacks, workloads: duetWorkloads(api) };
}
