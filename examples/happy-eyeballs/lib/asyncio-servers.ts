/**
 * The local "hosts" of the happy-eyeballs example, asyncio style: each starter returns once the
 * host is ready, with its port and an `aclose()` that stops it (asyncio has no `nursery.start`;
 * the caller closes what it started, in a `finally`).
 */
import {
  ConnectionError,
  PIPE,
  TimeoutError,
  createSubprocessExec,
  openConnection,
  sleep,
  startServer,
  waitFor,
  type StreamReader,
  type StreamWriter,
} from '@duet/asyncio';
import { BLACK_HOLE_CHILD } from './servers';

/** A running host: its port on 127.0.0.1, and how to stop it. */
export interface Host {
  port: number;
  aclose(): Promise<void>;
}

/** A server that greets each connection after `greetingDelay` seconds, then waits for EOF. */
export async function greetingServer(name: string, greetingDelay: number): Promise<Host> {
  const handler = async (reader: StreamReader, writer: StreamWriter) => {
    try {
      await sleep(greetingDelay);
      writer.write(`hello from ${name}\n`);
      await writer.drain();
      await reader.read(); // until the client hangs up
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err; // a reset by the client is not our problem
    } finally {
      writer.close();
    }
  };
  const server = await startServer(handler, '127.0.0.1', 0);
  return {
    port: server.sockets[0]!.getsockname()[1],
    async aclose() {
      server.close();
      server.abortClients();
      await server.waitClosed();
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (connecting is refused at once). */
export async function closedPort(): Promise<number> {
  const host = await greetingServer('closed', 0);
  await host.aclose();
  return host.port;
}

/**
 * A "black hole": a child process whose listening socket never accepts, with its backlog filled,
 * so that new connections hang in connect() (Linux behaviour).
 */
export async function blackHoleServer(): Promise<Host> {
  const child = await createSubprocessExec(process.execPath, '-e', BLACK_HOLE_CHILD, {
    stdout: PIPE,
  });
  const fillers: StreamWriter[] = [];
  const aclose = async () => {
    for (const writer of fillers) writer.close();
    child.kill();
    await child.wait();
  };
  try {
    const port = Number(await child.stdout!.readline());
    // Fill the accept queue: connect until one connection does not complete within 0.1 s.
    for (let i = 0; i < 16; i++) {
      try {
        const [, writer] = await waitFor(() => openConnection('127.0.0.1', port), 0.1);
        fillers.push(writer);
      } catch (err) {
        if (err instanceof TimeoutError) break;
        throw err;
      }
    }
    return { port, aclose };
  } catch (err) {
    await aclose();
    throw err;
  }
}
