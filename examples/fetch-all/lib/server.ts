/**
 * A real HTTP server on 127.0.0.1 for the fetch-all example, built with node:http.
 *
 * `GET /<name>?delay=<ms>&status=<code>` answers `status` (200 by default) after `delay` ms. A
 * request whose client goes away before the answer is counted in `abandoned`, and its timer is
 * cleared: that is how the example shows that a cancelled `fetch` really stopped.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Requests answered. */
  readonly answered: number;
  /** Requests whose client hung up before the answer. */
  readonly abandoned: number;
  /** Resolves once no request is in progress (or after `maxMs`). */
  settle(maxMs?: number): Promise<void>;
  /** Stops the server and drops every connection. */
  close(): Promise<void>;
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startTestServer(): Promise<TestServer> {
  let answered = 0;
  let abandoned = 0;
  const pending = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const delay = Number(url.searchParams.get('delay') ?? 0);
    const status = Number(url.searchParams.get('status') ?? 200);
    const timer = setTimeout(() => {
      pending.delete(timer);
      answered++;
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${url.pathname}: ${status}\n`.repeat(status === 200 ? 20 : 1));
    }, delay);
    pending.add(timer);
    res.on('close', () => {
      if (!pending.delete(timer)) return;
      clearTimeout(timer);
      abandoned++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    get answered() {
      return answered;
    },
    get abandoned() {
      return abandoned;
    },
    async settle(maxMs = 1000) {
      for (let waited = 0; pending.size > 0 && waited < maxMs; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}
