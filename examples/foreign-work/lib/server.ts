// A local HTTP server whose answers take as long as the request's ?ms= says; it counts the requests
// a client abandoned (closed before the answer), so the programs can show that aborts are real.
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface SlowServer {
  origin: string;
  /** Requests the client abandoned before the answer. */
  readonly abandoned: number;
  close(): Promise<void>;
}

export async function startSlowServer(): Promise<SlowServer> {
  let abandoned = 0;
  const server = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    const timer = setTimeout(() => res.end(`waited ${ms} ms`), ms);
    res.on('close', () => {
      if (!res.writableEnded) abandoned++;
      clearTimeout(timer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get abandoned() {
      return abandoned;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
