/**
 * The local "hosts" of the happy-eyeballs example. Each runs as a task started with
 * `nursery.start`, which returns its port once it is ready to be connected to.
 *
 * A connection counts as established when the server's greeting line arrives (as with SMTP or
 * SSH banners), so a server can be slow at the protocol level; the black hole is slow at the TCP
 * level for real.
 */
import {
  BufferedReceiveStream,
  CancelScope,
  TASK_STATUS_IGNORED,
  isCancelled,
  moveOnAfter,
  openProcess,
  openTcpListeners,
  openTcpStream,
  serveTcp,
  sleep,
  sleepForever,
  type SocketListener,
  type SocketStream,
  type TaskStatus,
} from '@duet/trio';

/**
 * A server that greets each connection after `greetingDelay` seconds, then waits for the client
 * to hang up. Reports its port through `taskStatus`.
 */
export async function greetingServer(
  name: string,
  greetingDelay: number,
  taskStatus: TaskStatus<number> = TASK_STATUS_IGNORED,
): Promise<never> {
  const handler = async (stream: SocketStream) => {
    try {
      await sleep(greetingDelay);
      await stream.sendAll(`hello from ${name}\n`);
      while ((await stream.receiveSome()).length > 0); // until the client hangs up
    } catch (err) {
      if (isCancelled(err)) throw err; // a reset by the client is not our problem
    }
  };
  const status = {
    started: (listeners: SocketListener[]) => taskStatus.started(listeners[0]!.getsockname().port),
  };
  return serveTcp(handler, 0, { host: '127.0.0.1' }, status);
}

/** A port on 127.0.0.1 where nothing listens (connecting is refused at once). */
export async function closedPort(): Promise<number> {
  const [listener] = await openTcpListeners(0, { host: '127.0.0.1' });
  const { port } = listener!.getsockname();
  await listener!.aclose();
  return port;
}

// The child listens with a backlog of 1 and then blocks its event loop forever (without using
// CPU), so it never calls accept(): once its accept queue is full, Linux drops new SYNs and a
// connect() just hangs, like one to a host that has gone away. (Shared with asyncio-servers.ts.)
export const BLACK_HOLE_CHILD = `
const net = require('node:net');
const server = net.createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n', () => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
});
`;

/**
 * A "black hole": a real child process whose listening socket never accepts, with its backlog
 * filled, so that new connections hang in connect(). Reports the port; kills the child when
 * cancelled. (Linux behaviour; on other systems a full backlog may refuse instead.)
 */
export async function blackHoleServer(
  taskStatus: TaskStatus<number> = TASK_STATUS_IGNORED,
): Promise<never> {
  const child = await openProcess([process.execPath, '-e', BLACK_HOLE_CHILD], {
    stdout: 'pipe',
  });
  const fillers: SocketStream[] = [];
  try {
    const line = await new BufferedReceiveStream(child.stdout!).receiveLine();
    const port = Number(line);
    // Fill the accept queue: connect until one connection does not complete within 0.1 s.
    for (let i = 0; i < 16; i++) {
      const stream = await moveOnAfter(0.1, () => openTcpStream('127.0.0.1', port));
      if (stream === undefined) break;
      fillers.push(stream);
    }
    taskStatus.started(port);
    return await sleepForever();
  } finally {
    // Cleanup runs while cancelled: a shielded scope lets it wait (at most 2 s) for the child.
    await new CancelScope({ shield: true, relativeDeadline: 2 }).run(async () => {
      for (const stream of fillers) await stream.aclose();
      child.kill();
      await child.wait();
    });
  }
}
