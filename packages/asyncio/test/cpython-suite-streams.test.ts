/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_streams.py (and the StreamWriter.drain
 * rules of Lib/asyncio/streams.py), restated for Duet's API; each was checked on CPython 3.13.0
 * (/root/.pyenv/versions/3.13.0).
 */
import { createTask, run, sleep, ValueError } from '@duet/asyncio';
import { startServer } from '../src/server';
import { openConnection } from '../src/connection';
import { ConnectionResetError } from '../src/stream-errors';
import type { StreamReader } from '../src/stream-reader';
import type { StreamWriter } from '../src/stream-writer';

const HOST = '127.0.0.1';

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
