/**
 * The echo server, asyncio style: `startServer` runs each connection as its own Task; on shutdown
 * `server.close()` stops accepting, `waitFor(server.waitClosed(), grace)` gives open connections
 * a grace period, and the handlers still running at the deadline are cancelled.
 */
import {
  CancelledError,
  FIRST_COMPLETED,
  Event,
  Semaphore,
  TaskGroup,
  TimeoutError,
  createTask,
  currentTask,
  gather,
  getRunningLoop,
  openConnection,
  sleep,
  startServer,
  wait,
  waitFor,
  type StreamReader,
  type StreamWriter,
  type Task,
} from '@duet/asyncio';
import { awaitEvent } from '@duet/bridge';
import type { EchoDemoOptions, EchoStats, ServeEchoOptions } from './echo-server';

/**
 * Serves until `shutdown` is set, then shuts down gracefully. Calls `listening(port)` once it
 * accepts connections; resolves with its statistics when every connection has ended.
 */
export async function serveEcho(
  shutdown: Event,
  { grace, print }: ServeEchoOptions,
  listening: (port: number) => void,
): Promise<EchoStats> {
  const stats: EchoStats = {
    accepted: 0,
    bytesEchoed: 0,
    finishedByThemselves: 0,
    cancelledAtDeadline: 0,
  };
  const handlers = new Set<Task<unknown>>();
  const echo = async (reader: StreamReader, writer: StreamWriter) => {
    const task = currentTask()!;
    handlers.add(task);
    stats.accepted++;
    try {
      for (
        let chunk = await reader.read(65536);
        chunk.length > 0;
        chunk = await reader.read(65536)
      ) {
        writer.write(chunk);
        await writer.drain();
        stats.bytesEchoed += chunk.length;
      }
      stats.finishedByThemselves++;
    } catch (err) {
      if (err instanceof CancelledError) stats.cancelledAtDeadline++;
      throw err;
    } finally {
      handlers.delete(task);
      writer.close();
    }
  };

  const server = await startServer(echo, '127.0.0.1', 0, { backlog: 512 });
  listening(server.sockets[0]!.getsockname()[1]);
  await shutdown.wait();
  server.close(); // no new connections; the open ones go on
  print(`shutdown: stopped accepting; ${handlers.size} connection(s) open, ${grace} s to finish`);
  try {
    await waitFor(() => server.waitClosed(), grace);
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    const late = [...handlers];
    for (const task of late) task.cancel();
    await gather.withOptions({ returnExceptions: true }, ...late);
    await server.waitClosed();
  }
  print(
    `shutdown: done — ${stats.finishedByThemselves} connection(s) closed by their clients, ` +
      `${stats.cancelledAtDeadline} cancelled at the deadline`,
  );
  return stats;
}

/** Waits for the first of `signals` and returns its name (the other waits are cancelled). */
export async function untilSignal(...signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  const waits = signals.map((signal) =>
    createTask(async () => {
      await awaitEvent(process, signal);
      return signal;
    }),
  );
  try {
    const [done] = await wait(waits, { returnWhen: FIRST_COMPLETED });
    return [...done][0]!.result();
  } finally {
    for (const task of waits) task.cancel();
  }
}

/** Sends `line` and reads its echo back. */
async function exchange(reader: StreamReader, writer: StreamWriter, line: string): Promise<number> {
  const message = Buffer.from(line);
  writer.write(message);
  await writer.drain();
  return (await reader.readexactly(message.length)).length;
}

/** One client: connects, sends `messages` lines, checks every echo, hangs up. */
async function client(port: number, id: number, messages: number): Promise<number> {
  const [reader, writer] = await openConnection('127.0.0.1', port);
  try {
    let bytes = 0;
    for (let i = 0; i < messages; i++) {
      bytes += await exchange(reader, writer, `client ${id} message ${i}\n`);
    }
    return bytes;
  } finally {
    writer.close();
    await writer.waitClosed();
  }
}

/** A client that connects and stays idle until the server hangs up on it. */
async function lingeringClient(port: number, connected: () => void): Promise<void> {
  const [reader, writer] = await openConnection('127.0.0.1', port);
  await exchange(reader, writer, 'hello\n');
  connected();
  await reader.read(); // until EOF: the server hung up
  writer.close();
}

/** A client still working when shutdown begins: it finishes well inside the grace period. */
async function finishingClient(port: number, seconds: number, connected: () => void) {
  const [reader, writer] = await openConnection('127.0.0.1', port);
  await exchange(reader, writer, 'hello\n');
  connected();
  const loop = getRunningLoop();
  const end = loop.time() + seconds;
  while (loop.time() < end) {
    await exchange(reader, writer, 'tick\n');
    await sleep(seconds / 5);
  }
  writer.close();
  await writer.waitClosed();
}

/** Starts the server, drives the client load, then shuts the server down. */
export async function echoDemo(options: EchoDemoOptions): Promise<EchoStats> {
  const { clients, concurrency, messages, lingering, grace, trigger } = options;
  const print = options.print ?? console.log;
  const loop = getRunningLoop();
  const shutdown = new Event();
  const listening = loop.createFuture<number>();
  let server!: Task<EchoStats>;
  await new TaskGroup().run(async (tg) => {
    server = tg.createTask(
      () => serveEcho(shutdown, { grace, print }, (port) => listening.setResult(port)),
      { name: 'server' },
    );
    const port = await listening;
    print(`echo server listening on 127.0.0.1:${port}`);
    if (trigger === 'signal') {
      tg.createTask(async () => {
        const signal = await untilSignal('SIGINT', 'SIGTERM');
        print(`received ${signal}`);
        shutdown.set();
      });
    }

    const start = loop.time();
    const limiter = new Semaphore(concurrency);
    const echoed = await new TaskGroup().run((load) =>
      Array.from({ length: clients }, (_, id) =>
        load.createTask(async () => {
          using _slot = await limiter.hold();
          return client(port, id, messages);
        }),
      ),
    );
    const bytes = (await gather(...echoed)).reduce((a, b) => a + b, 0);
    print(
      `${clients} clients (${concurrency} at a time) sent ${clients * messages} lines and got ` +
        `${bytes} bytes back intact in ${(loop.time() - start).toFixed(2)}s`,
    );

    // Some clients are still connected when the shutdown comes.
    let connected = 0;
    const allConnected = new Event();
    const onConnect = () => {
      if (++connected === lingering + 1) allConnected.set();
    };
    for (let i = 0; i < lingering; i++) tg.createTask(() => lingeringClient(port, onConnect));
    tg.createTask(() => finishingClient(port, grace / 2, onConnect));
    await allConnected.wait();

    if (trigger === 'signal') {
      print(`sending SIGTERM to myself (pid ${process.pid})`);
      process.kill(process.pid, 'SIGTERM');
    } else {
      shutdown.set();
    }
  });
  return server.result();
}
