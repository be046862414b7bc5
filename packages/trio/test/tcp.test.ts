import {
  BufferedReceiveStream,
  BusyResourceError,
  ClosedResourceError,
  CancelScope,
  SocketStream,
  checkpoint,
  moveOnAfter,
  openNursery,
  openTcpListeners,
  openTcpStream,
  run,
  serveTcp,
  sleep,
  type SocketListener,
} from '@duet/trio';
import { MockClock } from '@duet/trio/testing';
import { dumpTaskTree } from '@duet/trio/lowlevel';
import { leakedIoHandles, recordIoHandles } from './helpers-io';

const HOST = '127.0.0.1';

async function echo(stream: SocketStream): Promise<void> {
  for await (const chunk of stream) await stream.sendAll(chunk);
}

beforeEach(recordIoHandles);
afterEach(async () => {
  expect(await leakedIoHandles()).toEqual([]);
});

describe('TCP streams', () => {
  test('echo round trip through serveTcp started with nursery.start', async () => {
    const reply = await run(async () => {
      let text = '';
      await openNursery(async (nursery) => {
        const listeners = await nursery.start(serveTcp, echo, 0, { host: HOST });
        const port = listeners[0]!.getsockname().port;
        expect(port).toBeGreaterThan(0);
        const stream = await openTcpStream(HOST, port);
        await stream.sendAll('hello ');
        await stream.sendAll(new TextEncoder().encode('world'));
        await stream.sendEof();
        for await (const chunk of stream) text += Buffer.from(chunk).toString();
        await stream.aclose();
        nursery.cancelScope.cancel();
      });
      return text;
    });
    expect(reply).toBe('hello world');
  });

  test('a large transfer with back-pressure: a slow reader bounds what the writer buffers', async () => {
    const total = 8 * 1024 * 1024;
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const port = listener!.getsockname().port;
      let received = 0;
      let maxQueued = 0;
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          const server = await listener!.accept();
          const chunk = Buffer.alloc(256 * 1024, 7);
          for (let sent = 0; sent < total; sent += chunk.length) {
            await server.sendAll(chunk);
            maxQueued = Math.max(maxQueued, server.socket.writableLength);
          }
          await server.sendEof();
          await server.aclose();
        });
        const client = await openTcpStream(HOST, port);
        let slow = 0;
        for (;;) {
          const data = await client.receiveSome(64 * 1024);
          if (data.length === 0) break;
          received += data.length;
          if (slow++ < 20) await sleep(0.002); // a slow reader at first
        }
        await client.aclose();
      });
      await listener!.aclose();
      expect(received).toBe(total);
      // The writer never holds much more than one sendAll's worth of data.
      expect(maxQueued).toBeLessThanOrEqual(256 * 1024 + 64 * 1024);
    });
  });

  test('the receive side pauses the socket while its buffer is full', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openTcpStream(HOST, listener!.getsockname().port);
      const server = await listener!.accept();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await moveOnAfter(0.2, async () => {
            for (;;) await client.sendAll(Buffer.alloc(64 * 1024));
          });
        });
        await sleep(0.1);
        expect(server.socket.isPaused()).toBe(true);
        const data = await server.receiveSome(1024);
        expect(data.length).toBe(1024);
      });
      await client.aclose();
      await server.aclose();
      await listener!.aclose();
    });
  });

  test('half-close: sendEof ends our direction, the other still works', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openTcpStream(HOST, listener!.getsockname().port);
      const server = await listener!.accept();
      await client.sendAll('request');
      await client.sendEof();
      await expect(client.sendAll('more')).rejects.toBeInstanceOf(ClosedResourceError);
      const reader = new BufferedReceiveStream(server);
      expect(Buffer.from((await reader.receiveExactly(7))!).toString()).toBe('request');
      expect((await reader.receiveSome()).length).toBe(0);
      await server.sendAll('response\n');
      await server.aclose();
      const lines = new BufferedReceiveStream(client);
      expect(await lines.receiveLine()).toBe('response');
      expect(await lines.receiveLine()).toBeNull();
      await client.aclose();
      await listener!.aclose();
    });
  });

  test('connection refused', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const port = listener!.getsockname().port;
      await listener!.aclose();
      await expect(openTcpStream(HOST, port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });

  test('happy eyeballs: several addresses, the first that connects wins', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const port = listener!.getsockname().port;
      // 'localhost' may resolve to ::1 and 127.0.0.1; only 127.0.0.1 listens.
      const stream = await openTcpStream('localhost', port, { happyEyeballsDelay: 0.05 });
      expect(stream.getpeername().address).toBe(HOST);
      await stream.aclose();
      await listener!.aclose();
    });
  });

  test('a concurrent receiveSome raises BusyResourceError', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openTcpStream(HOST, listener!.getsockname().port);
      const server = await listener!.accept();
      await openNursery(async (nursery) => {
        nursery.startSoon(() => client.receiveSome());
        await sleep(0.01);
        await expect(client.receiveSome()).rejects.toBeInstanceOf(BusyResourceError);
        await server.sendAll('x');
      });
      await client.aclose();
      await server.aclose();
      await listener!.aclose();
    });
  });

  test('closing a stream wakes a blocked receiver with ClosedResourceError', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openTcpStream(HOST, listener!.getsockname().port);
      const server = await listener!.accept();
      let error: unknown;
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          try {
            await client.receiveSome();
          } catch (err) {
            error = err;
          }
        });
        await sleep(0.01);
        await client.aclose();
      });
      expect(error).toBeInstanceOf(ClosedResourceError);
      await server.aclose();
      await listener!.aclose();
    });
  });
});

describe('cancellation of blocking TCP calls leaves no handle open', () => {
  test('connect', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const port = listener!.getsockname().port;
      const scope = new CancelScope();
      let parkedIn = '';
      await openNursery(async (nursery) => {
        nursery.startSoon(() => scope.run(() => openTcpStream(HOST, port)));
        // Cancel in the same step that sees the connect in flight: the OS gets no turn between.
        for (let i = 0; i < 50 && !parkedIn.includes('connect('); i++) {
          await checkpoint();
          parkedIn = dumpTaskTree();
        }
        scope.cancel();
      });
      expect(parkedIn).toContain(`connect(${HOST}:${port})`);
      expect(scope.cancelledCaught).toBe(true);
      await listener!.aclose();
    });
  });

  test('accept', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const scope = moveOnAfter(0.02);
      const accepted = await scope.run(() => listener!.accept());
      expect(accepted).toBeUndefined();
      expect(scope.cancelledCaught).toBe(true);
      // The listener is still usable after the cancelled accept.
      const client = await openTcpStream(HOST, listener!.getsockname().port);
      const server = await listener!.accept();
      await client.sendAll('hi');
      expect(Buffer.from(await server.receiveSome()).toString()).toBe('hi');
      await client.aclose();
      await server.aclose();
      await listener!.aclose();
    });
  });

  test('receiveSome, without losing the bytes that arrive after', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openTcpStream(HOST, listener!.getsockname().port);
      const server = await listener!.accept();
      const scope = await moveOnAfter(0.02, () => client.receiveSome());
      expect(scope).toBeUndefined();
      await server.sendAll('after');
      expect(Buffer.from(await client.receiveSome()).toString()).toBe('after');
      await client.aclose();
      await server.aclose();
      await listener!.aclose();
    });
  });

  test('sendAll blocked on a peer that does not read', async () => {
    await run(async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openTcpStream(HOST, listener!.getsockname().port);
      const server = await listener!.accept();
      let sent = 0;
      await moveOnAfter(0.1, async () => {
        for (;;) {
          await client.sendAll(Buffer.alloc(1024 * 1024));
          sent++;
        }
      });
      expect(sent).toBeLessThan(64);
      await client.aclose();
      await server.aclose();
      await listener!.aclose();
    });
  });

  test('serveTcp shuts down gracefully when its nursery is cancelled, closing handlers', async () => {
    let handlerCancelled = false;
    await run(async () => {
      await openNursery(async (nursery) => {
        const listeners: SocketListener[] = await nursery.start(
          serveTcp,
          async (stream: SocketStream) => {
            try {
              await stream.receiveSome();
            } catch (err) {
              handlerCancelled = true;
              throw err;
            }
          },
          0,
          { host: HOST },
        );
        const client = await openTcpStream(HOST, listeners[0]!.getsockname().port);
        await sleep(0.02);
        nursery.cancelScope.cancel();
        await client.aclose().catch(() => {});
      });
    });
    expect(handlerCancelled).toBe(true);
  });

  test('with a MockClock, waiting on a socket does not autojump virtual time', async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    await run({ clock }, async () => {
      const [listener] = await openTcpListeners(0, { host: HOST });
      const client = await openTcpStream(HOST, listener!.getsockname().port);
      const server = await listener!.accept();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await new Promise((r) => setTimeout(r, 30));
          await server.sendAll('late');
        });
        // A 10 s virtual timeout does not fire while the task waits on the OS.
        const data = await moveOnAfter(10, () => client.receiveSome());
        expect(Buffer.from(data!).toString()).toBe('late');
      });
      await client.aclose();
      await server.aclose();
      await listener!.aclose();
    });
  });
});
