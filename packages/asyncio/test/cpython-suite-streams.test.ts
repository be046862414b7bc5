/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_streams.py (and the StreamWriter.drain
 * rules of Lib/asyncio/streams.py), restated for Duet's API; each was checked on CPython 3.13.0
 * (/root/.pyenv/versions/3.13.0).
 */
import {
  CancelledError,
  RuntimeError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  run,
  sleep,
  waitFor,
  type ExceptionContext,
} from '@duet/asyncio';
import { startServer, type Server } from '../src/server';
import { openConnection } from '../src/connection';
import { ConnectionError, ConnectionResetError } from '../src/stream-errors';
import type { StreamReader } from '../src/stream-reader';
import type { StreamWriter } from '../src/stream-writer';

const HOST = '127.0.0.1';

/** A loopback server whose handler reads to EOF, then closes its writer; and its port. */
async function startReadToEndServer(): Promise<[Server, number]> {
  const server = await startServer(
    async (r: StreamReader, w: StreamWriter) => {
      await r.read();
      w.close();
    },
    HOST,
    0,
  );
  return [server, server.sockets[0]!.getsockname()[1]];
}

/** A server whose handler closes each connection after `delay` seconds. */
async function closingServer(delay: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = await startServer(
    async (_r: StreamReader, w: StreamWriter) => {
      await sleep(delay);
      w.close();
    },
    HOST,
    0,
  );
  const [, port] = server.sockets[0]!.getsockname();
  return {
    port,
    async close() {
      server.close();
      await server.waitClosed();
    },
  };
}

describe('CPython streams: StreamWriter.drain()', () => {
  test("drain() raises the paired reader's exception first", async () => {
    const got = await run(async () => {
      const server = await closingServer(0.2);
      const [reader, writer] = await openConnection(HOST, server.port);
      reader.setException(new ValueError('boom'));
      const err = await writer.drain().catch((e: unknown) => e);
      writer.close();
      await server.close();
      return err;
    });
    expect(got).toBeInstanceOf(ValueError);
    expect((got as Error).message).toBe('boom');
  });

  test('drain() after close() yields once, then raises ConnectionResetError (every time)', async () => {
    const got = await run(async () => {
      const server = await closingServer(0.2);
      const [, writer] = await openConnection(HOST, server.port);
      const log: string[] = [];
      const other = createTask(async () => {
        log.push('other');
      });
      writer.close();
      expect(writer.isClosing()).toBe(true);
      for (let i = 0; i < 2; i++) {
        const err = await writer.drain().catch((e: unknown) => e);
        log.push(err instanceof ConnectionResetError ? `reset: ${err.message}` : String(err));
      }
      await other;
      await server.close();
      return log;
    });
    expect(got).toEqual(['other', 'reset: Connection lost', 'reset: Connection lost']);
  });

  test('drain() after write() and close() with little buffered: ConnectionResetError', async () => {
    const got = await run(async () => {
      const server = await closingServer(0.2);
      const [, writer] = await openConnection(HOST, server.port);
      writer.write(Buffer.alloc(10, 1));
      writer.close();
      const err = await writer.drain().catch((e: unknown) => e);
      await server.close();
      return err;
    });
    expect(got).toBeInstanceOf(ConnectionResetError);
  });

  test('drain() after close() with a full buffer waits until it drains, then returns', async () => {
    const total = 10 * 1024 * 1024;
    const got = await run(async () => {
      let received = -1;
      const server = await startServer(
        async (r: StreamReader, w: StreamWriter) => {
          await sleep(0.2);
          received = (await r.read()).length;
          w.close();
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [, writer] = await openConnection(HOST, port);
      writer.write(Buffer.alloc(total, 1));
      writer.close();
      const err = await writer.drain().then(
        () => 'ok',
        (e: unknown) => e,
      );
      await writer.waitClosed();
      while (received < 0) await sleep(0.01);
      server.close();
      await server.waitClosed();
      return [err, received];
    });
    expect(got).toEqual(['ok', total]);
  });
});

/** Waits (real time, in small sleeps) until `cond()` holds. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(0.005);
}

describe('CPython test_server / test_streams: Server', () => {
  // test_server.py test_start_server_1: a handler closes the server while serveForever runs.
  test('close() while serveForever() runs: serveForever raises CancelledError; sockets are gone', async () => {
    const got = await run(async () => {
      const server = await startServer(
        async (r: StreamReader, w: StreamWriter) => {
          w.write(await r.readline());
          await w.drain();
          w.close();
          server.close();
        },
        HOST,
        0,
        { startServing: false },
      );
      const before = server.isServing();
      const main = createTask(async () => {
        await using _ = server;
        await server.serveForever();
      });
      await until(() => server.isServing());
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      writer.write('hi\n');
      const echo = (await reader.readline()).toString();
      const ended = await main.then(
        () => 'returned',
        (e: unknown) => (e instanceof CancelledError ? 'CancelledError' : e),
      );
      const again = await server.serveForever().catch((e: unknown) => e);
      writer.close();
      await writer.waitClosed();
      return [before, echo, ended, server.sockets, server.isServing(), again];
    });
    expect(got.slice(0, 5)).toEqual([false, 'hi\n', 'CancelledError', [], false]);
    expect(got[5]).toBeInstanceOf(RuntimeError);
    expect((got[5] as Error).message).toMatch(/is closed$/);
  });

  // test_server.py test_start_server_1 reads the port of a server made with start_serving=False.
  test('startServing: false binds at once: the port is known and a taken one fails at the call', async () => {
    const got = await run(async () => {
      const server = await startServer(
        async (r: StreamReader, w: StreamWriter) => {
          w.write(await r.readline());
          w.close();
        },
        HOST,
        0,
        { startServing: false },
      );
      const [, port] = server.sockets[0]!.getsockname();
      const taken = await startServer(() => {}, HOST, port, { startServing: false }).catch(
        (e: unknown) => e,
      );
      // Duet's rule (Node cannot bind without listening): a connection made before serving
      // waits, as in a listen backlog, and is served once serving starts (CPython refuses it).
      const [reader, writer] = await openConnection(HOST, port);
      writer.write('early\n');
      const serving = server.isServing();
      await server.startServing();
      const echo = (await reader.readline()).toString();
      writer.close();
      server.close();
      await server.waitClosed();
      return [port > 0, (taken as { code?: string }).code, serving, echo];
    });
    expect(got).toEqual([true, 'EADDRINUSE', false, 'early\n']);
  });

  test('a connection waiting for serving to start is dropped when the server closes first', async () => {
    const got = await run(async () => {
      const server = await startServer(() => {}, HOST, 0, { startServing: false });
      const [reader, writer] = await openConnection(HOST, server.sockets[0]!.getsockname()[1]);
      await sleep(0.02);
      server.close();
      const read = await reader.read().then(
        (b) => b.length,
        (e: unknown) => (e instanceof ConnectionError ? 'ConnectionError' : e),
      );
      writer.close();
      await server.waitClosed();
      return read;
    });
    expect([0, 'ConnectionError']).toContain(got);
  });

  test('a second serveForever() while one runs is a RuntimeError', async () => {
    const got = await run(async () => {
      const server = await startServer(async () => {}, HOST, 0);
      const first = createTask(() => server.serveForever());
      await sleep(0);
      const second = await server.serveForever().catch((e: unknown) => e);
      first.cancel();
      const firstEnded = await first.then(
        () => 'returned',
        (e: unknown) => (e instanceof CancelledError ? 'CancelledError' : e),
      );
      return [second, firstEnded, server.isServing()];
    });
    expect(got[0]).toBeInstanceOf(RuntimeError);
    expect((got[0] as Error).message).toMatch(/already being awaited on serveForever\(\)$/);
    expect(got.slice(1)).toEqual(['CancelledError', false]);
  });

  test('a cancelled serveForever() waits for the connections to end (as waitClosed) before raising', async () => {
    const got = await run(async () => {
      let held = false;
      const server = await startServer(
        async (r: StreamReader, w: StreamWriter) => {
          held = true;
          await r.read();
          w.close();
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const serving = createTask(() => server.serveForever());
      const [, writer] = await openConnection(HOST, port);
      await until(() => held);
      serving.cancel();
      await sleep(0.1);
      const doneWhileConnected = serving.done();
      writer.close();
      await writer.waitClosed();
      const ended = await serving.then(
        () => 'returned',
        (e: unknown) => (e instanceof CancelledError ? 'CancelledError' : e),
      );
      return [doneWhileConnected, ended];
    });
    expect(got).toEqual([false, 'CancelledError']);
  });

  test('a handler that raises: reported at once to the exception handler, and its connection closed', async () => {
    const got = await run(async () => {
      const contexts: ExceptionContext[] = [];
      getRunningLoop().setExceptionHandler((_loop, ctx) => contexts.push(ctx));
      const server = await startServer(
        async () => {
          throw new ValueError('boom');
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      const read = (await reader.read()).length;
      await until(() => contexts.length > 0);
      writer.close();
      server.close();
      await server.waitClosed();
      return [
        read,
        contexts.map((c) => [c.message, (c.exception as Error).message, 'transport' in c]),
      ];
    });
    expect(got).toEqual([0, [['Unhandled exception in client_connected_cb', 'boom', true]]]);
  });

  test('test_unhandled_cancel / test_start_server (a plain function): neither is reported', async () => {
    const got = await run(async () => {
      const contexts: ExceptionContext[] = [];
      getRunningLoop().setExceptionHandler((_loop, ctx) => contexts.push(ctx));
      const cancelling = await startServer(
        async (_r: StreamReader, w: StreamWriter) => {
          w.close();
          currentTask()!.cancel();
          await sleep(0);
        },
        HOST,
        0,
      );
      const plain = await startServer(
        (_r: StreamReader, w: StreamWriter) => {
          w.write('hi');
          w.close();
        },
        HOST,
        0,
      );
      const reads: string[] = [];
      for (const server of [cancelling, plain]) {
        const [reader, writer] = await openConnection(HOST, server.sockets[0]!.getsockname()[1]);
        reads.push((await reader.read()).toString());
        writer.close();
        server.close();
        await server.waitClosed();
      }
      return [reads, contexts.length];
    });
    expect(got).toEqual([['', 'hi'], 0]);
  });

  test('test_wait_closed_race: close() of the server and of the client from callbacks; waitClosed() returns', async () => {
    const got = await run(async () => {
      const [server, port] = await startReadToEndServer();
      const early = createTask(() => server.waitClosed());
      await sleep(0);
      const pending = !early.done();
      const [, writer] = await openConnection(HOST, port);
      getRunningLoop().callSoon(() => server.close());
      getRunningLoop().callSoon(() => writer.close());
      await waitFor(() => server.waitClosed(), 10);
      await early;
      return pending;
    });
    expect(got).toBe(true);
  });

  test('waitClosed() waits for close() and then for every connection; once closed it returns without yielding', async () => {
    const got = await run(async () => {
      const [server, port] = await startReadToEndServer();
      const closed = createTask(() => server.waitClosed());
      await sleep(0.01);
      const beforeClose = closed.done();
      const [, writer] = await openConnection(HOST, port);
      await sleep(0.01);
      server.close();
      await sleep(0.01);
      const clientOpen = closed.done();
      writer.close();
      await writer.waitClosed();
      await closed;
      const order: string[] = [];
      const other = createTask(async () => {
        order.push('other');
      });
      await server.waitClosed();
      order.push('waitClosed');
      await other;
      return [beforeClose, clientOpen, order];
    });
    expect(got).toEqual([false, false, ['waitClosed', 'other']]);
  });

  test('closeClients() closes the open connections (the peer reads EOF)', async () => {
    const got = await run(async () => {
      const server = await startServer(() => sleep(10), HOST, 0);
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      await sleep(0.01);
      server.close();
      server.closeClients();
      const read = (await reader.read()).length;
      await server.waitClosed();
      writer.close();
      return read;
    });
    expect(got).toBe(0);
  });

  // 3.13's Server.abort_clients(): the server's writers are closing at once, the peer reads b'',
  // and wait_closed() returns while the handlers still run (CPython 3.13.0, checked).
  test('abortClients() drops the connections: the peer reads EOF; waitClosed() does not wait for the handlers', async () => {
    const got = await run(async () => {
      const writers: StreamWriter[] = [];
      const server = await startServer(
        async (_r: StreamReader, w: StreamWriter) => {
          writers.push(w);
          await sleep(10);
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      while (writers.length === 0) await sleep(0.01);
      server.close();
      server.abortClients();
      const closing = writers[0]!.isClosing();
      const read = (await reader.read(10)).length;
      await waitFor(() => server.waitClosed(), 5);
      writer.close();
      return [closing, read];
    });
    expect(got).toEqual([true, 0]);
  });
});

describe('CPython test_streams: StreamWriter close', () => {
  test('test_eof_feed_when_closing_writer: after close() and waitClosed() the reader is at EOF', async () => {
    const got = await run(async () => {
      const [server, port] = await startReadToEndServer();
      const [reader, writer] = await openConnection(HOST, port);
      writer.close();
      await writer.waitClosed();
      const atEof = reader.atEof();
      const read = (await reader.read()).length;
      const closing = writer.isClosing();
      await writer.waitClosed(); // a second time is fine
      server.close();
      await server.waitClosed();
      return [atEof, read, closing];
    });
    expect(got).toEqual([true, 0, true]);
  });

  test('test_async_writer_api_exception_after_close: write() after close() is ignored; drain() raises', async () => {
    const got = await run(async () => {
      const server = await closingServer(0.2);
      const [, writer] = await openConnection(HOST, server.port);
      writer.close();
      writer.write('data');
      const err = await writer.drain().catch((e: unknown) => e);
      await server.close();
      return err;
    });
    expect(got).toBeInstanceOf(ConnectionResetError);
  });

  test('waitClosed() on a closed writer returns without yielding, as awaiting a done future', async () => {
    const got = await run(async () => {
      const server = await closingServer(0.2);
      const [, writer] = await openConnection(HOST, server.port);
      writer.close();
      await writer.waitClosed();
      const order: string[] = [];
      const other = createTask(async () => {
        order.push('other');
      });
      await writer.waitClosed();
      order.push('waitClosed');
      await other;
      await server.close();
      return order;
    });
    expect(got).toEqual(['waitClosed', 'other']);
  });
});

describe('CPython test_streams: connections', () => {
  // test_open_connection_error: the connection is lost with an error; reads raise it.
  test('a connection lost with an error: read() and drain() raise that error', async () => {
    const got = await run(async () => {
      const server = await closingServer(0.5);
      const [reader, writer] = await openConnection(HOST, server.port);
      const lost = new RangeError('lost');
      (writer.transport as unknown as { destroy(e: Error): void }).destroy(lost);
      const read = await reader.read().catch((e: unknown) => e);
      const drained = await writer.drain().catch((e: unknown) => e);
      await server.close();
      return [read === lost, drained === lost];
    });
    expect(got).toEqual([true, true]);
  });

  // test_drain_raises: the peer has gone; a write/drain loop ends in a ConnectionError.
  test('write() and drain() in a loop to a peer that closed: a ConnectionError ends the loop', async () => {
    const got = await run(async () => {
      const server = await startServer(
        async (_r: StreamReader, w: StreamWriter) => {
          w.close();
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [, writer] = await openConnection(HOST, port);
      let err: unknown = null;
      for (let i = 0; i < 100_000 && err === null; i++) {
        writer.write('foo\n');
        try {
          await writer.drain();
          if (i % 100 === 0) await sleep(0.001);
        } catch (e) {
          err = e;
        }
      }
      writer.close();
      server.close();
      await server.waitClosed();
      return err;
    });
    expect(got).toBeInstanceOf(ConnectionError);
  });

  // test_multiple_drain: several tasks wait in drain() on one paused writer; all wake.
  test('several tasks waiting in drain() on a full buffer all return once it drains', async () => {
    const got = await run(async () => {
      let serverReader = null as StreamReader | null;
      const server = await startServer(
        async (r: StreamReader) => {
          serverReader = r;
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [, writer] = await openConnection(HOST, port);
      // Far more than loopback socket buffers hold, so the writer stays paused while nobody reads.
      const total = 32 * 1024 * 1024;
      writer.write(Buffer.alloc(total, 1));
      const drains = [0, 1, 2].map(() => createTask(() => writer.drain()));
      await sleep(0.01);
      const waiting = drains.every((t) => !t.done());
      await until(() => serverReader !== null);
      let read = 0;
      while (read < total) read += (await serverReader!.read(1 << 20)).length;
      for (const t of drains) await t;
      writer.close();
      server.close();
      server.closeClients();
      await server.waitClosed();
      return [waiting, read];
    });
    expect(got).toEqual([true, 32 * 1024 * 1024]);
  });

  test('a reader over a socket: readline with a small limit, then iteration to EOF', async () => {
    const got = await run(async () => {
      const server = await startServer(
        async (_r: StreamReader, w: StreamWriter) => {
          w.write('x'.repeat(20) + '\nshort\nlast');
          await w.drain();
          w.close();
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port, { limit: 8 });
      const first = await reader.readline().catch((e: unknown) => e);
      const lines: string[] = [];
      for await (const line of reader) lines.push(line.toString());
      writer.close();
      server.close();
      await server.waitClosed();
      return [first instanceof ValueError, lines];
    });
    expect(got).toEqual([true, ['short\n', 'last']]);
  });
});
