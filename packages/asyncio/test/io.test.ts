import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import {
  CancelledError,
  TimeoutError,
  RuntimeError,
  createTask,
  currentTask,
  gather,
  getRunningLoop,
  run,
  sleep,
  timeout,
  waitFor,
} from '@duet/asyncio';
import { openConnection } from '../src/connection';
import { startServer } from '../src/server';
import {
  ConnectionRefusedError,
  IncompleteReadError,
  LimitOverrunError,
} from '../src/stream-errors';
import { StreamReader } from '../src/stream-reader';
import type { StreamWriter } from '../src/stream-writer';
import {
  DEVNULL,
  PIPE,
  STDOUT,
  createSubprocessExec,
  createSubprocessShell,
} from '../src/subprocess';
import { toThread } from '../src/threads';

const NODE = process.execPath;
const HOST = '127.0.0.1';
const IO_HANDLES = ['TCPSocketWrap', 'TCPServerWrap', 'ProcessWrap', 'PipeWrap'];
let before: string[] = [];

function ioHandles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => IO_HANDLES.includes(r));
}

beforeEach(() => {
  before = ioHandles();
});
afterEach(async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  const left = ioHandles();
  for (const h of before) left.splice(left.indexOf(h), 1);
  expect(left).toEqual([]);
});

async function echoHandler(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for await (const line of reader) {
    writer.write(line);
    await writer.drain();
  }
  writer.close();
  await writer.waitClosed();
}

describe('asyncio streams', () => {
  test('drain() below the high-water mark returns without yielding, as in CPython', async () => {
    const log = await run(async () => {
      await using server = await startServer(echoHandler, HOST, 0);
      const [, port] = server.sockets[0]!.getsockname();
      const [, writer] = await openConnection(HOST, port);
      const log: string[] = [];
      const other = createTask(async () => {
        log.push('another task ran');
      });
      writer.write('x');
      await writer.drain();
      log.push('drained');
      await other;
      writer.close();
      await writer.waitClosed();
      return log;
    });
    expect(log).toEqual(['drained', 'another task ran']);
  });

  test('read() of buffered bytes neither yields nor takes a pending cancellation, as in CPython', async () => {
    // CPython 3.11: read(n) with bytes buffered returns at once; a task whose cancel() is pending
    // gets its bytes and is cancelled at its next yield.
    const log = await run(async () => {
      const reader = new StreamReader();
      reader.feedData(Buffer.from('hello'));
      const log: string[] = [];
      const other = createTask(async () => {
        log.push('another task ran');
      });
      log.push(`read ${(await reader.read(2)).toString()}`);
      const cancelled = createTask(async () => {
        currentTask()!.cancel();
        log.push(`read ${(await reader.read(1)).toString()} with a cancel pending`);
        await sleep(0);
        log.push('not reached');
      });
      await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
      await other;
      return log;
    });
    expect(log).toEqual(['read he', 'another task ran', 'read l with a cancel pending']);
  });

  test("feedData() copies the bytes, as CPython's bytearray buffer does; each read is the caller's own", async () => {
    const got = await run(async () => {
      const reader = new StreamReader();
      const fed = new Uint8Array([1, 2, 3, 4]);
      reader.feedData(fed);
      fed.fill(9);
      const first = await reader.read(2);
      first.fill(8);
      return [...first, ...(await reader.read(2))];
    });
    expect(got).toEqual([8, 8, 3, 4]);
  });

  test('a read while another task waits for data raises RuntimeError, as in CPython', async () => {
    const got = await run(async () => {
      const reader = new StreamReader();
      const first = createTask(() => reader.read(5));
      await sleep(0);
      const second = await reader.read(5).catch((err: unknown) => err);
      reader.feedData(Buffer.from('abc'));
      return { second, first: (await first).toString() };
    });
    expect(got.second).toBeInstanceOf(RuntimeError);
    expect((got.second as Error).message).toMatch(/already waiting for incoming data/);
    expect(got.first).toBe('abc');
  });

  test('data after feedEof() on a live socket is a fatal protocol error, as in CPython, not a crash', async () => {
    const seen = await run(async () => {
      await using server = await startServer(
        async (_reader, writer) => {
          await sleep(0.05);
          writer.write('late');
          await writer.drain();
          await sleep(0.2);
          writer.close();
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      const contexts: string[] = [];
      getRunningLoop().setExceptionHandler((_loop, ctx) =>
        contexts.push(`${ctx.message} ${String(ctx.exception)}`),
      );
      reader.feedEof();
      const first = (await reader.read()).length;
      await sleep(0.1);
      const second = await reader.read().catch((err: unknown) => err);
      writer.close();
      await writer.waitClosed().catch(() => undefined);
      return { first, contexts, closing: writer.isClosing(), second };
    });
    expect(seen.first).toBe(0);
    expect(seen.contexts).toEqual([
      'Fatal error: protocol.data_received() call failed. RuntimeError: feedData after feedEof',
    ]);
    expect(seen.closing).toBe(true);
    expect(seen.second).toBeInstanceOf(RuntimeError);
  });

  test('echo round trip through startServer and openConnection', async () => {
    const got = await run(async () => {
      await using server = await startServer(echoHandler, HOST, 0);
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      writer.write('hello\n');
      writer.writelines(['wor', 'ld\n']);
      await writer.drain();
      const lines = [(await reader.readline()).toString(), (await reader.readline()).toString()];
      expect(writer.getExtraInfo('peername')).toEqual([HOST, port]);
      writer.writeEof();
      expect((await reader.read()).length).toBe(0);
      expect(reader.atEof()).toBe(true);
      writer.close();
      await writer.waitClosed();
      return lines;
    });
    expect(got).toEqual(['hello\n', 'world\n']);
  });

  test('readexactly, readuntil, IncompleteReadError and LimitOverrunError', async () => {
    await run(async () => {
      const server = await startServer(
        async (_r, w) => {
          w.write('abcdef|ghi' + 'x'.repeat(100) + '\n' + 'tail');
          w.close();
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port, { limit: 64 });
      expect((await reader.readexactly(3)).toString()).toBe('abc');
      expect((await reader.readuntil('|')).toString()).toBe('def|');
      const overrun = await reader.readuntil('\n').catch((e: unknown) => e);
      expect(overrun).toBeInstanceOf(LimitOverrunError);
      await expect(reader.readline()).rejects.toThrow(/limit/); // readline drops the long line
      const partial = await reader.readexactly(10).catch((e: unknown) => e);
      expect(partial).toBeInstanceOf(IncompleteReadError);
      expect((partial as IncompleteReadError).partial.toString()).toBe('tail');
      writer.close();
      server.close();
      await server.waitClosed();
    });
  });

  test('a large transfer with drain: the reader pauses the socket; nothing is lost', async () => {
    const total = 6 * 1024 * 1024;
    await run(async () => {
      let maxBuffered = 0;
      const server = await startServer(
        async (_r, w) => {
          const chunk = Buffer.alloc(128 * 1024, 1);
          for (let sent = 0; sent < total; sent += chunk.length) {
            w.write(chunk);
            await w.drain();
            maxBuffered = Math.max(maxBuffered, w.transport.writableLength);
          }
          w.close();
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      let received = 0;
      for (let i = 0; ; i++) {
        const data = await reader.read(65536);
        if (data.length === 0) break;
        received += data.length;
        if (i < 10) await sleep(0.002);
      }
      expect(received).toBe(total);
      expect(maxBuffered).toBeLessThanOrEqual(128 * 1024 + 64 * 1024);
      writer.close();
      server.close();
      await server.waitClosed();
    });
  });

  test('connection refused raises ConnectionRefusedError', async () => {
    await run(async () => {
      const server = await startServer(async () => {}, HOST, 0);
      const [, port] = server.sockets[0]!.getsockname();
      server.close();
      await server.waitClosed();
      await expect(openConnection(HOST, port)).rejects.toBeInstanceOf(ConnectionRefusedError);
    });
  });

  test('cancelling a blocked read (edge-triggered) consumes nothing and closes cleanly', async () => {
    await run(async () => {
      let serverWriter = null as StreamWriter | null;
      const server = await startServer(
        async (_r, w) => {
          serverWriter = w;
        },
        HOST,
        0,
      );
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      await expect(waitFor(() => reader.readline(), 0.02)).rejects.toBeInstanceOf(TimeoutError);
      const task = createTask(() => reader.read(10));
      await sleep(0.01);
      task.cancel();
      await expect(task).rejects.toBeInstanceOf(CancelledError);
      while (serverWriter === null) await sleep(0.001);
      serverWriter!.write('data\n');
      expect((await reader.readline()).toString()).toBe('data\n');
      writer.close();
      serverWriter!.close();
      server.close();
      await server.waitClosed();
    });
  });

  test('serveForever runs until cancelled, then the server is closed', async () => {
    await run(async () => {
      const server = await startServer(echoHandler, HOST, 0, { startServing: false });
      expect(server.isServing()).toBe(false);
      const serving = createTask(() => server.serveForever());
      // Listening takes a host turn or more (many on a loaded machine): wait for it, not 10 ms.
      while (!server.isServing()) await sleep(0.005);
      const [, port] = server.sockets[0]!.getsockname();
      const [reader, writer] = await openConnection(HOST, port);
      writer.write('x\n');
      expect((await reader.readline()).toString()).toBe('x\n');
      writer.close();
      await writer.waitClosed();
      serving.cancel();
      await expect(serving).rejects.toBeInstanceOf(CancelledError);
      expect(server.isServing()).toBe(false);
      await server.waitClosed();
    });
  });
});

describe('asyncio subprocesses', () => {
  test('communicate with input, stdout and stderr', async () => {
    const [out, err, code] = await run(async () => {
      const proc = await createSubprocessExec(
        NODE,
        '-e',
        'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(s+s);console.error("e");process.exit(4)})',
        { stdin: PIPE, stdout: PIPE, stderr: PIPE },
      );
      const [o, e] = await proc.communicate('ab');
      return [o!.toString(), e!.toString(), proc.returncode];
    });
    expect([out, err, code]).toEqual(['abab', 'e\n', 4]);
  });

  test('shell, DEVNULL, STDOUT merge, terminate and kill', async () => {
    await run(async () => {
      const sh = await createSubprocessShell('echo out; echo err 1>&2', {
        stdout: PIPE,
        stderr: STDOUT,
        stdin: DEVNULL,
      });
      const [o, e] = await sh.communicate();
      expect(o!.toString().split('\n').sort()).toEqual(['', 'err', 'out']);
      expect(e).toBeNull();
      const proc = await createSubprocessExec(NODE, '-e', 'setInterval(() => {}, 1000)');
      await expect(waitFor(() => proc.wait(), 0.02)).rejects.toBeInstanceOf(TimeoutError);
      expect(proc.returncode).toBeNull(); // as asyncio: a cancelled wait leaves it running
      proc.terminate();
      expect(await proc.wait()).toBe(-15);
    });
  });

  test('readline on a pipe and a missing program', async () => {
    await run(async () => {
      const proc = await createSubprocessExec(NODE, '-e', 'console.log("a");console.log("b")', {
        stdout: PIPE,
      });
      const lines: string[] = [];
      for await (const line of proc.stdout!) lines.push(line.toString());
      expect(lines).toEqual(['a\n', 'b\n']);
      expect(await proc.wait()).toBe(0);
      await expect(createSubprocessExec('/no/such/program')).rejects.toMatchObject({
        code: 'ENOENT',
      });
    });
  });
});

describe('asyncio toThread', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(nodePath.join(os.tmpdir(), 'duet-asyncio-thread-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('runs functions and module exports in worker threads concurrently', async () => {
    const mod = nodePath.join(dir, 'm.mjs');
    writeFileSync(mod, 'export const twice = (x) => x * 2;\n');
    const results = await run(() =>
      gather(
        () => toThread((a: number, b: number) => a + b, 1, 2),
        () => toThread({ module: mod, exportName: 'twice' }, 21),
      ),
    );
    expect(results).toEqual([3, 42]);
  });

  test('cancellation (timeout) stops waiting at once; the worker runs on', async () => {
    const started = Date.now();
    await run(async () => {
      await expect(
        timeout(0.02, () =>
          toThread((ms: number) => {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
          }, 150),
        ),
      ).rejects.toBeInstanceOf(TimeoutError);
    });
    expect(Date.now() - started).toBeLessThan(140);
    await new Promise((r) => setTimeout(r, 150)); // let the abandoned worker finish
  });
});
