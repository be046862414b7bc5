// Duet, asyncio style: `@duet/asyncio` from its built dist; any export still missing there is
// taken from `@duet/kernel` and named in the row's label.
import { importDuet } from './duet-import.mjs';
import { duetWorkloads, kernelQueue1 } from './duet-common.mjs';

/** The callback form of TaskGroup, whichever shape the facade gives it. */
function detectTaskGroup(a) {
  if (typeof a.taskGroup === 'function') return (body) => a.taskGroup(body);
  const TG = a.TaskGroup;
  if (typeof TG === 'function') {
    if (typeof TG.run === 'function') return (body) => TG.run(body);
    if (typeof TG.open === 'function') return (body) => TG.open(body);
    if (typeof TG.prototype?.run === 'function') return (body) => new TG().run(body);
  }
  return undefined;
}

/** A StreamReader and StreamWriter as the TCP echo's connection. */
const conn = (reader, writer) => ({
  receiveSome: () => reader.read(65536),
  send: (data) => {
    writer.write(data);
    return writer.drain();
  },
  close: () => {
    writer.close();
    return writer.waitClosed();
  },
});

export async function load() {
  const kernel = await importDuet('@duet/kernel');
  let asyncio = {};
  const fallbacks = [];
  try {
    asyncio = await importDuet('@duet/asyncio');
  } catch {
    fallbacks.push('all (no @duet/asyncio build)');
  }
  // DUET_BENCH_KERNEL=openMemoryChannel,... forces the kernel stand-in for those names: a way to
  // tell a facade's own overhead from the kernel's.
  const forced = (process.env.DUET_BENCH_KERNEL ?? '').split(',');
  const pick = (name, fromFacade, fromKernel) => {
    if (fromFacade && !forced.includes(name)) return fromFacade;
    if (!fallbacks[0]?.startsWith('all')) fallbacks.push(name);
    return fromKernel;
  };
  const run = pick('run', asyncio.run, kernel.run);
  const taskGroup = detectTaskGroup(asyncio);
  const group = pick(
    'TaskGroup',
    taskGroup &&
      ((body) =>
        taskGroup((tg) => {
          const tasks = [];
          return body({
            // createTask takes a function of no arguments: one with arguments is wrapped, but a
            // function that takes none is passed as is, as asyncio-style code does
            // (`tg.createTask(child)`), not in a second closure of its own per task.
            spawn: (fn, ...args) =>
              tasks.push(tg.createTask(args.length === 0 ? fn : () => fn(...args))),
            cancel: () => {
              for (const task of tasks) task.cancel();
            },
          });
        })),
    // Kernel: a nursery, and asyncio-style edge cancellation of each task (Task.requestCancel).
    (body) =>
      kernel.openNursery((nursery) => {
        const tasks = [];
        return body({
          spawn: (fn, ...args) => tasks.push(nursery.spawn(fn, args)),
          cancel: () => {
            for (const task of tasks) task.requestCancel();
          },
        });
      }),
  );
  const yield0 = pick('sleep', asyncio.sleep && (() => asyncio.sleep(0)), kernel.checkpoint);
  const timeout = pick(
    'timeout',
    asyncio.timeout &&
      ((seconds, body) => {
        const r = asyncio.timeout(seconds, body);
        return typeof r?.then === 'function' ? r : r.run(body);
      }),
    (seconds, body) => new kernel.CancelScope({ relativeDeadline: seconds }).run(body),
  );
  const channel = pick(
    'Queue',
    typeof asyncio.Queue === 'function' &&
      ((size = 1) => {
        const queue = new asyncio.Queue(size);
        return { send: (v) => queue.put(v), receive: () => queue.get() };
      }),
    kernelQueue1(kernel),
  );
  let parkForever;
  if (typeof asyncio.Event === 'function') {
    const event = new asyncio.Event();
    parkForever = () => event.wait();
  } else {
    parkForever = pick('Event', undefined, kernel.sleepForever);
  }
  const limiter = pick(
    'Semaphore',
    typeof asyncio.Semaphore === 'function' &&
      ((n) => {
        const semaphore = new asyncio.Semaphore(n);
        return { acquire: () => semaphore.acquire(), release: () => semaphore.release() };
      }),
    undefined,
  );
  const awaitForeign = asyncio.awaitForeign ?? kernel.awaitForeign;
  const tcp = typeof asyncio.startServer === 'function' && {
    async serve(handler, body) {
      // As in asyncio, the server leaves a connection open when its callback returns: close it.
      const serveOne = async (reader, writer) => {
        const c = conn(reader, writer);
        try {
          await handler(c);
        } finally {
          await c.close();
        }
      };
      const server = await asyncio.startServer(serveOne, '127.0.0.1', 0);
      try {
        await body(server.sockets[0].getsockname()[1]);
      } finally {
        server.close();
        await server.waitClosed();
      }
    },
    async connect(port) {
      const [reader, writer] = await asyncio.openConnection('127.0.0.1', port);
      return conn(reader, writer);
    },
  };
  const api = { run, group, yield0, timeout, channel, parkForever, limiter, awaitForeign, tcp };
  const label =
    fallbacks.length === 0 ? '@duet/asyncio' : `@duet/asyncio, kernel for: ${fallbacks.join(', ')}`;
  return { label, fallbacks, workloads: duetWorkloads(api) };
}
