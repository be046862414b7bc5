/**
 * Happy Eyeballs (RFC 8305), Trio's classic example: try several addresses, starting the next
 * attempt when the previous one has failed or `delay` seconds have passed, whichever comes first;
 * the first attempt to succeed cancels all the others.
 */
import {
  BufferedReceiveStream,
  Event,
  currentTime,
  isCancelled,
  moveOnAfter,
  openNursery,
  openTcpStream,
  type SocketStream,
} from '@duet/trio';
import { blackHoleServer, closedPort, greetingServer } from './servers';

/** Somewhere to connect to. */
export interface Target {
  /** A name for the log. */
  name: string;
  /** A port on 127.0.0.1. */
  port: number;
}

/** The winning connection. */
export interface Connection {
  target: Target;
  stream: SocketStream;
  greeting: string;
}

/**
 * Connects to the first target that answers: attempt i starts at once if attempt i-1 failed,
 * else `delay` seconds after it started.
 */
export async function connectFirst(
  targets: readonly Target[],
  delay: number,
  print: (line: string) => void,
): Promise<Connection> {
  const start = currentTime();
  const at = () => `t=${(currentTime() - start).toFixed(2)}s`;
  let winner: Connection | null = null;
  const errors: string[] = [];
  await openNursery(async (nursery) => {
    const attempt = async (target: Target, failed: Event) => {
      print(`${at()} ${target.name}: connecting`);
      try {
        const stream = await openTcpStream('127.0.0.1', target.port);
        let greeting: string | null;
        try {
          greeting = await new BufferedReceiveStream(stream).receiveLine();
        } catch (err) {
          await stream.aclose();
          throw err;
        }
        if (greeting === null) throw new Error('closed without a greeting');
        print(`${at()} ${target.name}: connected ("${greeting}"), cancelling the others`);
        winner = { target, stream, greeting };
        nursery.cancelScope.cancel();
      } catch (err) {
        if (isCancelled(err)) {
          print(`${at()} ${target.name}: cancelled`);
          throw err;
        }
        const message = (err as { code?: string }).code ?? (err as Error).message;
        print(`${at()} ${target.name}: failed (${message}), starting the next attempt now`);
        errors.push(`${target.name}: ${message}`);
        failed.set();
      }
    };
    for (const target of targets) {
      const failed = new Event();
      nursery.startSoon(attempt, target, failed);
      await moveOnAfter(delay, () => failed.wait()); // the stagger
    }
  });
  if (winner === null) throw new Error(`every attempt failed: ${errors.join('; ')}`);
  return winner;
}

/** Options of {@link happyEyeballs}. */
export interface HappyEyeballsOptions {
  /** Seconds between attempts (RFC 8305 suggests 0.25). */
  delay?: number;
  /** Seconds the slow server takes to greet. */
  slowGreeting?: number;
  /** Leave out the good server (then the slow one should win). */
  withoutGood?: boolean;
  print?: (line: string) => void;
}

/** Starts local "hosts" (refusing, black hole, slow, good) and races connections to them. */
export async function happyEyeballs({
  delay = 0.25,
  slowGreeting = 0.6,
  withoutGood = false,
  print = console.log,
}: HappyEyeballsOptions = {}): Promise<Target> {
  let target: Target | null = null;
  await openNursery(async (servers) => {
    // start() returns once each server is ready, with its port: no sleeps, no retries.
    const targets: Target[] = [
      { name: 'refused', port: await closedPort() },
      { name: 'black-hole', port: await servers.start(blackHoleServer) },
      { name: 'slow', port: await servers.start(greetingServer, 'slow', slowGreeting) },
    ];
    if (!withoutGood) {
      targets.push({ name: 'good', port: await servers.start(greetingServer, 'good', 0) });
    }
    print(
      `targets on 127.0.0.1: ${targets.map((t) => `${t.name}:${t.port}`).join(', ')}; ` +
        `${delay} s between attempts`,
    );
    const connection = await connectFirst(targets, delay, print);
    target = connection.target;
    print(`winner: ${connection.target.name} on port ${connection.target.port}`);
    await connection.stream.aclose();
    servers.cancelScope.cancel(); // stop the servers (and kill the black hole's child process)
  });
  return target!;
}
