/**
 * `openTcpStream`: connecting, with Happy Eyeballs (RFC 8305) when a name resolves to several
 * addresses. Sockets are opened with `allowHalfOpen`, so `sendEof` closes only our direction.
 * Cancellation abandons a pending connect and destroys the half-made socket, so no handle stays open.
 */
import net from 'node:net';
import { promises as dns } from 'node:dns';
import {
  ExceptionGroup,
  ValueError,
  awaitForeign,
  checkNumber,
  checkOptions,
  checkString,
  checkpoint,
  isCancelled,
} from '@duet/kernel';
import { openNursery } from './run';
import { SocketStream, checkPort, connectSocket } from './socket-stream';
import { Event } from './sync';
import { moveOnAfter } from './timeouts';

/**
 * Options of {@link openTcpStream}.
 *
 * @example
 * ```ts
 * await openTcpStream('example.com', 443, { happyEyeballsDelay: 0.1 });
 * ```
 */
export interface OpenTcpStreamOptions {
  /**
   * Seconds to wait for an attempt before starting the next one in parallel (RFC 8305
   * "Happy Eyeballs"); 0.25 by default, as Trio. `Infinity` tries one address at a time.
   */
  happyEyeballsDelay?: number;
  /** The local address to bind before connecting. */
  localAddress?: string;
}

interface Target {
  address: string;
  family: 4 | 6;
}

const OPEN_TCP_STREAM_OPTIONS = ['happyEyeballsDelay', 'localAddress'] as const;

/** Resolves `host`; the families alternate, the first resolved address first (RFC 8305). */
async function resolveTargets(host: string): Promise<Target[]> {
  const literal = net.isIP(host);
  if (literal !== 0) {
    await checkpoint();
    return [{ address: host, family: literal as 4 | 6 }];
  }
  const found = await awaitForeign(dns.lookup(host, { all: true, verbatim: true }));
  const first = found.filter((a) => a.family === found[0]?.family);
  const other = found.filter((a) => a.family !== found[0]?.family);
  const out: Target[] = [];
  for (let i = 0; i < Math.max(first.length, other.length); i++) {
    if (i < first.length) out.push(first[i] as Target);
    if (i < other.length) out.push(other[i] as Target);
  }
  return out;
}

function connectOne(target: Target, port: number, localAddress?: string): Promise<net.Socket> {
  return connectSocket(
    {
      host: target.address,
      port,
      family: target.family,
      ...(localAddress !== undefined ? { localAddress } : {}),
    },
    `connect(${target.address}:${port})`,
  );
}

/**
 * `trio.open_tcp_stream`: connects to `host:port` and returns a {@link SocketStream}. When `host`
 * resolves to several addresses, attempts start one after the other, `happyEyeballsDelay` apart
 * or as soon as the previous one fails, and the first to connect wins (the others are cancelled).
 * If every attempt fails: the error itself for a single address, else an `Error` whose `cause` is
 * an `ExceptionGroup` of all of them (its `code` is the first one's, e.g. `'ECONNREFUSED'`).
 *
 * @example
 * ```ts
 * const stream = await openTcpStream('localhost', 8080);
 * try { await stream.sendAll('GET / HTTP/1.0\r\n\r\n'); } finally { await stream.aclose(); }
 * ```
 */
export async function openTcpStream(
  host: string,
  port: number,
  options: OpenTcpStreamOptions = {},
): Promise<SocketStream> {
  const api = 'openTcpStream()';
  // Trio: "host cannot be None" is a ValueError (there is nothing to connect to), not a type error.
  if (host === null || host === undefined)
    throw new ValueError(`${api}: host cannot be ${String(host)}: pass a name or an IP address`);
  checkString(api, 'host', host, { nonEmpty: true });
  checkPort(api, port);
  checkOptions(api, options, OPEN_TCP_STREAM_OPTIONS);
  const delay = options.happyEyeballsDelay ?? 0.25;
  checkNumber(api, 'happyEyeballsDelay', delay, { min: 0, unit: 'seconds' });
  checkString(api, 'localAddress', options.localAddress, { nonEmpty: true, optional: true });
  const targets = await resolveTargets(host);
  if (targets.length === 0) throw new Error(`no address found for ${host}`);

  let winner: net.Socket | null = null;
  const errors: unknown[] = [];
  try {
    await openNursery(async (nursery) => {
      const attempt = async (target: Target, failed: Event): Promise<void> => {
        try {
          const socket = await connectOne(target, port, options.localAddress);
          if (winner !== null) {
            socket.destroy();
            return;
          }
          winner = socket;
          nursery.cancelScope.cancel();
        } catch (err) {
          if (isCancelled(err)) throw err;
          errors.push(err);
          failed.set();
        }
      };
      for (const target of targets) {
        const failed = new Event();
        nursery.startSoon(attempt, target, failed);
        await moveOnAfter(delay, () => failed.wait());
      }
    });
  } catch (err) {
    (winner as net.Socket | null)?.destroy();
    throw err;
  }
  if (winner !== null) return new SocketStream(winner);
  if (errors.length === 1) throw errors[0];
  const group = new ExceptionGroup(`connecting to ${host}:${port}`, errors as Error[]);
  const error = new Error(`all ${errors.length} attempts to connect to ${host}:${port} failed`, {
    cause: group,
  });
  Object.assign(error, { code: (errors[0] as { code?: string }).code });
  throw error;
}
