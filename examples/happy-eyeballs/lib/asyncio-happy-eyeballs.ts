/**
 * Happy Eyeballs (RFC 8305), asyncio style. The attempts are Tasks of a `TaskGroup`, started by a
 * `launcher` task that waits `delay` seconds (`waitFor` on the previous attempt's "failed" event)
 * between them; the first attempt to succeed cancels the launcher and every other attempt with
 * `Task.cancel()`. (Python 3.12's `open_connection(happy_eyeballs_delay=...)` does this for you;
 * here it is spelled out.)
 */
import {
  CancelledError,
  Event,
  TaskGroup,
  TimeoutError,
  currentTask,
  getRunningLoop,
  openConnection,
  waitFor,
  type StreamWriter,
  type Task,
} from '@duet/asyncio';
import { blackHoleServer, closedPort, greetingServer, type Host } from './asyncio-servers';
import type { HappyEyeballsOptions, Target } from './happy-eyeballs';

/** The winning connection. */
export interface Connection {
  target: Target;
  writer: StreamWriter;
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
  const loop = getRunningLoop();
  const start = loop.time();
  const at = () => `t=${(loop.time() - start).toFixed(2)}s`;
  let winner: Connection | null = null;
  const errors: string[] = [];
  await new TaskGroup().run((tg) => {
    const attempts: Task<void>[] = [];
    const attempt = async (target: Target, failed: Event) => {
      print(`${at()} ${target.name}: connecting`);
      let writer: StreamWriter | null = null;
      try {
        const [reader, w] = await openConnection('127.0.0.1', target.port);
        writer = w;
        const line = (await reader.readline()).toString().trimEnd();
        if (line === '') throw new Error('closed without a greeting');
        print(`${at()} ${target.name}: connected ("${line}"), cancelling the others`);
        winner = { target, writer, greeting: line };
        writer = null; // the winner's connection is handed over, not closed here
        launcher.cancel();
        for (const other of attempts) if (other !== currentTask()) other.cancel();
      } catch (err) {
        if (err instanceof CancelledError) {
          print(`${at()} ${target.name}: cancelled`);
          throw err;
        }
        const message = (err as { code?: string }).code ?? (err as Error).message;
        print(`${at()} ${target.name}: failed (${message}), starting the next attempt now`);
        errors.push(`${target.name}: ${message}`);
        failed.set();
      } finally {
        writer?.close();
      }
    };
    const launcher = tg.createTask(
      async () => {
        for (const target of targets) {
          const failed = new Event();
          attempts.push(tg.createTask(() => attempt(target, failed), { name: target.name }));
          try {
            await waitFor(() => failed.wait(), delay); // the stagger
          } catch (err) {
            if (!(err instanceof TimeoutError)) throw err;
          }
        }
      },
      { name: 'launcher' },
    );
  });
  if (winner === null) throw new Error(`every attempt failed: ${errors.join('; ')}`);
  return winner;
}

/** Starts local "hosts" (refusing, black hole, slow, good) and races connections to them. */
export async function happyEyeballs({
  delay = 0.25,
  slowGreeting = 0.6,
  withoutGood = false,
  print = console.log,
}: HappyEyeballsOptions = {}): Promise<Target> {
  const hosts: Host[] = [];
  const started = async (name: string, host: Promise<Host>): Promise<Target> => {
    hosts.push(await host);
    return { name, port: hosts.at(-1)!.port };
  };
  try {
    const targets: Target[] = [
      { name: 'refused', port: await closedPort() },
      await started('black-hole', blackHoleServer()),
      await started('slow', greetingServer('slow', slowGreeting)),
    ];
    if (!withoutGood) targets.push(await started('good', greetingServer('good', 0)));
    print(
      `targets on 127.0.0.1: ${targets.map((t) => `${t.name}:${t.port}`).join(', ')}; ` +
        `${delay} s between attempts`,
    );
    const connection = await connectFirst(targets, delay, print);
    print(`winner: ${connection.target.name} on port ${connection.target.port}`);
    connection.writer.close();
    await connection.writer.waitClosed();
    return connection.target;
  } finally {
    for (const host of hosts) await host.aclose(); // stop the servers, kill the black hole
  }
}
