// High-level networking behaviours that Trio's own suite checks (trio/_tests/
// test_highlevel_open_tcp_listeners.py, test_highlevel_serve_listeners.py,
// test_highlevel_open_tcp_stream.py, test_highlevel_socket.py), written afresh for Duet.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import nodePath from 'node:path';
import {
  ClosedResourceError,
  Path,
  SocketListener,
  SocketStream,
  TASK_STATUS_IGNORED,
  ValueError,
  checkpoint,
  currentEffectiveDeadline,
  moveOnAfter,
  openMemoryChannel,
  openNursery,
  openTcpListeners,
  openTcpStream,
  openUnixSocket,
  run,
  serveListeners,
  serveTcp,
  sleep,
  type Listener,
  type Nursery,
  type Stream,
  type TaskStatus,
} from '@duet/trio';
import {
  MockClock,
  assertCheckpoints,
  memoryStreamPair,
  openStreamToSocketListener,
  waitAllTasksBlocked,
} from '@duet/trio/testing';
import { leakedIoHandles, recordIoHandles } from './helpers-io';

const HOST = '127.0.0.1';
const text = (b: Uint8Array): string => Buffer.from(b).toString();

beforeEach(recordIoHandles);
afterEach(async () => {
  expect(await leakedIoHandles()).toEqual([]);
});

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('openTcpListeners', () => {
  test('port 0 on every interface: wildcard listeners that accept several clients', async () => {
    await run(async () => {
      const listeners = await openTcpListeners(0);
      expect(Array.isArray(listeners)).toBe(true);
      for (const l of listeners) {
        expect(l).toBeInstanceOf(SocketListener);
        expect(['0.0.0.0', '::']).toContain(l.getsockname().address);
      }
      const listener = listeners[0]!;
      // The backlog is at least 2.
      const c1 = await openStreamToSocketListener(listener);
      const c2 = await openStreamToSocketListener(listener);
      const s1 = await listener.accept();
      const s2 = await listener.accept();
      await s1.sendAll('x');
      await s2.sendAll('x');
      expect(text(await c1.receiveSome(1))).toBe('x');
      expect(text(await c2.receiveSome(1))).toBe('x');
      for (const r of [c1, c2, s1, s2, ...listeners]) await r.aclose();
    });
  });

  test('a specific port on a specific host', async () => {
    const port = await freePort();
    await run(async () => {
      const listeners = await openTcpListeners(port, { host: HOST });
      expect(listeners).toHaveLength(1);
      await using listener = listeners[0]!;
      expect(listener.getsockname()).toMatchObject({ address: HOST, port });
    });
  });

  test('the port can be bound again while a closed connection lingers (SO_REUSEADDR)', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const port = listener!.getsockname().port;
      const client = await openStreamToSocketListener(listener!);
      const server = await listener!.accept();
      // The server side closes first, so its end of the connection goes to TIME_WAIT.
      await server.aclose();
      expect(await client.receiveSome()).toHaveLength(0);
      await client.aclose();
      await listener!.aclose();
      const [again] = await openTcpListeners(port, { host: HOST });
      expect(again!.getsockname().port).toBe(port);
      await again!.aclose();
    });
  });

  test('a port that is not an integer from 0 to 65535 is a TypeError or a RangeError', async () => {
    await run(async () => {
      for (const host of [HOST, undefined]) {
        const options = host === undefined ? {} : { host };
        for (const bad of [null, '80', 'http', undefined])
          await expect(openTcpListeners(bad as never, options)).rejects.toThrow(TypeError);
        await expect(openTcpListeners(1.5, options)).rejects.toThrow();
        await expect(openTcpListeners(70000, options)).rejects.toThrow();
      }
    });
  });

  test('a failure to bind one of several addresses closes the ones already open', async () => {
    // The port is taken on 127.0.0.1; 'localhost' resolves to it (and maybe to ::1 as well).
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await run(async () => {
        await expect(openTcpListeners(port, { host: 'localhost' })).rejects.toMatchObject({
          code: 'EADDRINUSE',
        });
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('the backlog must be a whole number; a huge one is fine', async () => {
    await run(async () => {
      await expect(openTcpListeners(0, { host: HOST, backlog: 1.5 })).rejects.toThrow();
      for (const backlog of [1, 10, 99999999]) {
        const [l] = await openTcpListeners(0, { host: HOST, backlog });
        await l!.aclose();
      }
    });
  });
});

describe('serveTcp', () => {
  test('with nursery.start it returns the listeners; the handler gets a stream', async () => {
    await run(async () => {
      await openNursery(async (nursery) => {
        const listeners = await nursery.start(
          serveTcp,
          async (stream: SocketStream) => {
            await stream.sendAll('x');
          },
          0,
          { host: HOST },
        );
        await using stream = await openStreamToSocketListener(listeners[0]!);
        expect(text(await stream.receiveSome(1))).toBe('x');
        nursery.cancelScope.cancel();
      });
    });
  });
});

describe('serveTcp handler errors', () => {
  test('a handler that raises ends the server: the error comes out of its nursery, the listener is closed', async () => {
    class HandlerFailed extends Error {}
    const err = await run({ strictExceptionGroups: false }, async () => {
      let listener: SocketListener | undefined;
      try {
        await openNursery(async (nursery) => {
          [listener] = await nursery.start(
            serveTcp,
            async () => {
              throw new HandlerFailed('boom');
            },
            0,
            { host: HOST },
          );
          await using client = await openStreamToSocketListener(listener!);
          expect(await client.receiveSome()).toHaveLength(0); // the handler's stream was closed
          await sleep(10); // until the failure cancels this task
        });
      } catch (e) {
        await expect(listener!.accept()).rejects.toThrow(ClosedResourceError);
        return e;
      }
      return undefined;
    });
    expect(err).toBeInstanceOf(HandlerFailed);
  });
});

/** A listener over memory streams, as a test stand-in for a socket listener. */
class MemoryListener implements Listener<Stream> {
  closed = false;
  accepted: Stream[] = [];
  acceptHook: (() => Promise<void>) | null = null;
  private readonly queue = openMemoryChannel<Stream>(1);

  async connect(): Promise<Stream> {
    expect(this.closed).toBe(false);
    const [client, server] = memoryStreamPair();
    await this.queue[0].send(server);
    return client;
  }

  async accept(): Promise<Stream> {
    await checkpoint();
    expect(this.closed).toBe(false);
    if (this.acceptHook !== null) await this.acceptHook();
    const stream = await this.queue[1].receive();
    this.accepted.push(stream);
    return stream;
  }

  async aclose(): Promise<void> {
    this.closed = true;
    await checkpoint();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

describe('serveListeners with any Listener', () => {
  test('handlers run per connection; streams are closed forcefully; cancelling closes the listeners', async () => {
    await run(async () => {
      const listeners = [new MemoryListener(), new MemoryListener()];
      const record: string[] = [];
      const closeHook = (): void => {
        // A forceful close: inside an already-cancelled scope.
        expect(currentEffectiveDeadline()).toBe(-Infinity);
        record.push('closed');
      };
      const handler = async (stream: Stream): Promise<void> => {
        await stream.sendAll('123');
        expect(text(await stream.receiveSome(10))).toBe('456');
        const s = stream as unknown as {
          sendStream: { closeHook: () => void };
          receiveStream: { closeHook: () => void };
        };
        s.sendStream.closeHook = closeHook;
        s.receiveStream.closeHook = closeHook;
      };
      const client = async (listener: MemoryListener): Promise<void> => {
        const s = await listener.connect();
        expect(text(await s.receiveSome(10))).toBe('123');
        await s.sendAll('456');
      };
      await openNursery(async (nursery) => {
        const l2 = await nursery.start(serveListeners<Stream, MemoryListener>, handler, listeners);
        expect(l2).toEqual(listeners);
        nursery.startSoon(async () => {
          await openNursery(async (clients) => {
            for (const listener of listeners)
              for (let i = 0; i < 3; i++) clients.startSoon(client, listener);
          });
          await waitAllTasksBlocked();
          expect(record).toHaveLength(12); // 6 streams, both directions each
          nursery.cancelScope.cancel();
        });
      });
      for (const listener of listeners) expect(listener.closed).toBe(true);
    });
  });

  test('an unrecognised accept error propagates as itself', async () => {
    for (const error of [
      new TypeError('boom'),
      Object.assign(new Error('aborted'), { code: 'ECONNABORTED' }),
    ]) {
      const listener = new MemoryListener();
      listener.acceptHook = () => Promise.reject(error);
      const caught = await run({ strictExceptionGroups: false }, async () => {
        try {
          await serveListeners<Stream>(async () => {}, [listener]);
        } catch (err) {
          return err;
        }
        return undefined;
      });
      expect(caught).toBe(error);
    }
  });

  test('out of file descriptors: the accept is retried every 100 ms', async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const listener = new MemoryListener();
    const warnings: string[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((w: string | Error) => {
      warnings.push(String(w));
    }) as typeof process.emitWarning);
    let calls = 0;
    listener.acceptHook = () => {
      calls++;
      return Promise.reject(
        Object.assign(new Error('out of file descriptors'), { code: 'EMFILE' }),
      );
    };
    try {
      await run({ clock }, async () => {
        await moveOnAfter(0.95, () => serveListeners<Stream>(async () => {}, [listener]));
      });
    } finally {
      spy.mockRestore();
    }
    // At 0, 0.1, ..., 0.9 s.
    expect(calls).toBe(10);
    expect(warnings).toHaveLength(10);
    for (const w of warnings) expect(w).toMatch(/retrying/);
  });

  test('handlerNursery: handler tasks run in the nursery given', async () => {
    class Done extends Error {}
    const clock = new MockClock({ autojumpThreshold: 0 });
    const err = await run({ clock, strictExceptionGroups: false }, async () => {
      const listener = new MemoryListener();
      const watcher = async (
        taskStatus: TaskStatus<Nursery> = TASK_STATUS_IGNORED,
      ): Promise<void> => {
        await openNursery(async (handlers) => {
          taskStatus.started(handlers);
          await waitAllTasksBlocked();
          expect(handlers.childTasks.size).toBe(10);
          throw new Done();
        });
      };
      try {
        await openNursery(async (nursery) => {
          const handlerNursery = await nursery.start(watcher);
          await nursery.start(serveListeners<Stream, MemoryListener>, () => sleep(1), [listener], {
            handlerNursery,
          });
          for (let i = 0; i < 10; i++) nursery.startSoon(() => listener.connect());
        });
      } catch (e) {
        return e;
      }
      return undefined;
    });
    expect(err).toBeInstanceOf(Done);
  });
});

describe('SocketListener', () => {
  test('accept and aclose checkpoint, aclose twice is fine, accept after close is a ClosedResourceError', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openStreamToSocketListener(listener!);
      await sleep(0.05); // let the connection arrive
      const server = await assertCheckpoints(() => listener!.accept());
      expect(server).toBeInstanceOf(SocketStream);
      expect(listener!.socket).toBe(listener!.server);
      expect(listener!.socket).toBeInstanceOf(net.Server);
      expect(server.getsockname()).toEqual(listener!.getsockname());
      expect(server.getpeername()).toEqual(client.getsockname());
      await assertCheckpoints(() => listener!.aclose());
      await assertCheckpoints(() => listener!.aclose());
      await assertCheckpoints(() =>
        expect(listener!.accept()).rejects.toThrow(ClosedResourceError),
      );
      await client.aclose();
      await server.aclose();
    });
  });

  test('a server closed underfoot: accept raises ClosedResourceError', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      listener!.server.close();
      await assertCheckpoints(() =>
        expect(listener!.accept()).rejects.toThrow(ClosedResourceError),
      );
      await listener!.aclose();
    });
  });

  test('a server closed underfoot while a task waits in accept wakes it with ClosedResourceError', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await expect(listener!.accept()).rejects.toThrow(ClosedResourceError);
        });
        await waitAllTasksBlocked();
        listener!.server.close();
      });
      await listener!.aclose();
    });
  });
});

describe('SocketStream', () => {
  test('a non-socket is a TypeError', () => {
    expect(() => new SocketStream({} as never)).toThrow(TypeError);
  });

  test('stream.socket is the net.Socket it wraps', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openStreamToSocketListener(listener!);
      const server = await listener!.accept();
      expect(client.socket).toBeInstanceOf(net.Socket);
      expect(new SocketStream(client.socket).socket).toBe(client.socket);
      for (const r of [client, server, listener!]) await r.aclose();
    });
  });

  test('it reads what the peer sent before closing, then EOF', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openStreamToSocketListener(listener!);
      const server = await listener!.accept();
      await client.sendAll('x');
      await client.aclose();
      await sleep(0.05);
      expect(text(await server.receiveSome(1))).toBe('x');
      expect(await server.receiveSome(1)).toHaveLength(0);
      await server.aclose();
      await listener!.aclose();
    });
  });

  test('sendAll of 10 MB to a reader that starts late arrives whole; then a byte and EOF', async () => {
    await run(async () => {
      const BIG = 10_000_000;
      const [listener] = await openTcpListeners(0, { host: HOST });
      const a = await openStreamToSocketListener(listener!);
      const b = await listener!.accept();
      await openNursery(async (nursery) => {
        nursery.startSoon(() => a.sendAll(new Uint8Array(BIG)));
        nursery.startSoon(async () => {
          await waitAllTasksBlocked();
          let n = 0;
          while (n < BIG) n += (await b.receiveSome(BIG)).length;
          expect(n).toBe(BIG);
        });
      });
      await a.sendAll('e');
      expect(text(await b.receiveSome(10))).toBe('e');
      await a.sendEof();
      expect(await b.receiveSome(10)).toHaveLength(0);
      for (const r of [a, b, listener!]) await r.aclose();
    });
  });
});

describe('openTcpStream', () => {
  test('input validation: host and port', async () => {
    await run(async () => {
      // No host is a ValueError, as Trio's "host cannot be None"; a host that is not a string a TypeError.
      await expect(openTcpStream(null as never, 80)).rejects.toThrow(ValueError);
      await expect(openTcpStream(undefined as never, 80)).rejects.toThrow(ValueError);
      await expect(openTcpStream(42 as never, 80)).rejects.toThrow(TypeError);
      await expect(openTcpStream(HOST, '80' as never)).rejects.toThrow(TypeError);
      await expect(openTcpStream(HOST, null as never)).rejects.toThrow(TypeError);
    });
  });

  test('localAddress: the connection comes from it', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openTcpStream(HOST, listener!.getsockname().port, {
        localAddress: '127.0.0.1',
      });
      const server = await listener!.accept();
      expect(server.getpeername().address).toBe('127.0.0.1');
      expect(client.getsockname().address).toBe('127.0.0.1');
      for (const r of [client, server, listener!]) await r.aclose();
    });
  });

  test('a connection refused is an error with code ECONNREFUSED; cancelling a connect leaves nothing open', async () => {
    const port = await freePort();
    await run(async () => {
      await expect(openTcpStream(HOST, port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      const result = await moveOnAfter(0, () => openTcpStream(HOST, port));
      expect(result).toBeUndefined();
    });
  });
});

describe('openUnixSocket', () => {
  test('connects to a Unix socket; a missing one is ENOENT; a bad path a TypeError', async () => {
    const dir = mkdtempSync(nodePath.join(os.tmpdir(), 'duet-unix-'));
    const file = nodePath.join(dir, 'sock');
    const server = net.createServer((socket) => {
      socket.on('error', () => {}); // our abortive close resets it
      socket.end('hello');
    });
    await new Promise<void>((resolve) => server.listen(file, resolve));
    try {
      await run(async () => {
        await using stream = await openUnixSocket(file);
        expect(stream).toBeInstanceOf(SocketStream);
        let got = '';
        for await (const chunk of stream) got += text(chunk);
        expect(got).toBe('hello');
        await using again = await openUnixSocket(new Path(file));
        expect(again).toBeInstanceOf(SocketStream);
        await expect(openUnixSocket(nodePath.join(dir, 'missing'))).rejects.toMatchObject({
          code: 'ENOENT',
        });
        await expect(openUnixSocket(42 as never)).rejects.toThrow(TypeError);
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
