/**
 * An echo server, Trio style: every connection is served in its own task of a nursery; on
 * shutdown it stops accepting, gives open connections a grace period, then cancels them.
 */
import {
  CapacityLimiter,
  Event,
  TASK_STATUS_IGNORED,
  currentTime,
  isCancelled,
  openNursery,
  openSignalReceiver,
  openTcpStream,
  serveTcp,
  sleep,
  type SocketStream,
  type TaskStatus,
} from '@duet/trio';

/** What the server counted. */
export interface EchoStats {
  accepted: number;
  bytesEchoed: number;
  finishedByThemselves: number;
  cancelledAtDeadline: number;
}

/** Options of {@link serveEcho}. */
export interface ServeEchoOptions {
  /** Seconds open connections get to finish after shutdown begins. */
  grace: number;
  print: (line: string) => void;
}

/**
 * Serves until `shutdown` is set, then shuts down gracefully. Reports its port through
 * `taskStatus` once it accepts connections; resolves with its statistics when every connection
 * has ended.
 */
export async function serveEcho(
  shutdown: Event,
  { grace, print }: ServeEchoOptions,
  taskStatus: TaskStatus<number> = TASK_STATUS_IGNORED,
): Promise<EchoStats> {
  const stats: EchoStats = {
    accepted: 0,
    bytesEchoed: 0,
    finishedByThemselves: 0,
    cancelledAtDeadline: 0,
  };
  let open = 0;
  const echo = async (stream: SocketStream) => {
    stats.accepted++;
    open++;
    try {
      for await (const chunk of stream) {
        await stream.sendAll(chunk);
        stats.bytesEchoed += chunk.length;
      }
      stats.finishedByThemselves++;
    } catch (err) {
      if (isCancelled(err)) stats.cancelledAtDeadline++;
      throw err;
    } finally {
      open--;
    }
  };

  await openNursery(async (connections) => {
    // The listener lives in its own nursery, so it can be stopped without touching connections.
    await openNursery(async (accepting) => {
      const [listener] = await accepting.start(serveTcp, echo, 0, {
        host: '127.0.0.1',
        backlog: 512,
        handlerNursery: connections,
      });
      taskStatus.started(listener!.getsockname().port);
      await shutdown.wait();
      accepting.cancelScope.cancel(); // closes the listener: no new connections
    });
    print(`shutdown: stopped accepting; ${open} connection(s) open, ${grace} s to finish`);
    // The connections' nursery now only waits for its children: give them a deadline.
    connections.cancelScope.deadline = currentTime() + grace;
  });
  print(
    `shutdown: done — ${stats.finishedByThemselves} connection(s) closed by their clients, ` +
      `${stats.cancelledAtDeadline} cancelled at the deadline`,
  );
  return stats;
}

/** Waits for the first of `signals` and returns its name (it stops listening after, as Trio does). */
export function untilSignal(...signals: NodeJS.Signals[]): Promise<string> {
  return openSignalReceiver(signals, (received) => received.receive());
}

/** One client: connects, sends `messages` lines, checks every echo, hangs up. */
async function client(port: number, id: number, messages: number): Promise<number> {
  await using stream = await openTcpStream('127.0.0.1', port);
  let bytes = 0;
  for (let i = 0; i < messages; i++) {
    const message = Buffer.from(`client ${id} message ${i}\n`);
    await stream.sendAll(message);
    let echoed = 0;
    while (echoed < message.length) {
      const chunk = await stream.receiveSome();
      if (chunk.length === 0) throw new Error(`client ${id}: the server hung up`);
      echoed += chunk.length;
    }
    bytes += echoed;
  }
  return bytes;
}

/** Sends one line and waits for its echo: the server is now serving this connection. */
async function hello(stream: SocketStream): Promise<void> {
  await stream.sendAll('hello\n');
  await stream.receiveSome();
}

/** A client that connects and stays idle until the server hangs up on it. */
async function lingeringClient(port: number, connected: () => void): Promise<void> {
  await using stream = await openTcpStream('127.0.0.1', port);
  await hello(stream);
  connected();
  try {
    while ((await stream.receiveSome()).length > 0);
  } catch {
    // a reset by the server is how this ends, too
  }
}

/** A client still working when shutdown begins: it finishes well inside the grace period. */
async function finishingClient(port: number, seconds: number, connected: () => void) {
  await using stream = await openTcpStream('127.0.0.1', port);
  await hello(stream);
  connected();
  const end = currentTime() + seconds;
  while (currentTime() < end) {
    await stream.sendAll('tick\n');
    await stream.receiveSome();
    await sleep(seconds / 5);
  }
}

/** Options of {@link echoDemo}. */
export interface EchoDemoOptions {
  /** How many short-lived clients; `concurrency` of them at once. */
  clients: number;
  concurrency: number;
  /** Lines each client sends. */
  messages: number;
  /** Idle clients still connected at shutdown (cancelled at the deadline). */
  lingering: number;
  /** Seconds of grace at shutdown. */
  grace: number;
  /** `'signal'`: the program sends itself SIGTERM; `'direct'`: the same shutdown, called. */
  trigger: 'signal' | 'direct';
  print?: (line: string) => void;
}

/** The load of the demo programs (`trio.ts`, `asyncio.ts`): 300 clients, then a real SIGTERM. */
export const DEMO_OPTIONS: EchoDemoOptions = {
  clients: 300,
  concurrency: 100,
  messages: 5,
  lingering: 5,
  grace: 0.5,
  trigger: 'signal',
};

/** Starts the server, drives the client load, then shuts the server down. */
export async function echoDemo(options: EchoDemoOptions): Promise<EchoStats> {
  const { clients, concurrency, messages, lingering, grace, trigger } = options;
  const print = options.print ?? console.log;
  const shutdown = new Event();
  let stats: EchoStats | null = null;
  await openNursery(async (nursery) => {
    const port = await nursery.start(async (status: TaskStatus<number>) => {
      stats = await serveEcho(shutdown, { grace, print }, status);
    });
    print(`echo server listening on 127.0.0.1:${port}`);
    if (trigger === 'signal') {
      nursery.startSoon(async () => {
        const signal = await untilSignal('SIGINT', 'SIGTERM');
        print(`received ${signal}`);
        shutdown.set();
      });
    }

    const start = currentTime();
    const limiter = new CapacityLimiter(concurrency);
    let bytes = 0;
    await openNursery(async (load) => {
      for (let id = 0; id < clients; id++) {
        load.startSoon(async () => {
          using _slot = await limiter.hold();
          const echoed = await client(port, id, messages); // not `bytes += await ...`: that
          bytes += echoed; // would add to the value `bytes` had before the await
        });
      }
    });
    const seconds = currentTime() - start;
    print(
      `${clients} clients (${concurrency} at a time) sent ${clients * messages} lines and got ` +
        `${bytes} bytes back intact in ${seconds.toFixed(2)}s`,
    );

    // Some clients are still connected when the shutdown comes.
    let connected = 0;
    const allConnected = new Event();
    const onConnect = () => {
      if (++connected === lingering + 1) allConnected.set();
    };
    for (let i = 0; i < lingering; i++) nursery.startSoon(lingeringClient, port, onConnect);
    nursery.startSoon(finishingClient, port, grace / 2, onConnect);
    await allConnected.wait();

    if (trigger === 'signal') {
      print(`sending SIGTERM to myself (pid ${process.pid})`);
      process.kill(process.pid, 'SIGTERM');
    } else {
      shutdown.set();
    }
  });
  return stats!;
}
