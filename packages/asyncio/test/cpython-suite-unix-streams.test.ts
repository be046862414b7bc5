/**
 * The Unix-socket scenarios of CPython 3.13's test_streams.py (open_unix_connection,
 * start_unix_server), restated for Duet's API and checked on CPython 3.13.0: an echo over a Unix
 * socket, the path as the socket's name, a missing path, a stale socket file, cleanup at close.
 */
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openUnixConnection, run, startUnixServer } from '@duet/asyncio';
import type { StreamReader } from '../src/stream-reader';
import type { StreamWriter } from '../src/stream-writer';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'duet-unix-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const echoLine = async (reader: StreamReader, writer: StreamWriter) => {
  writer.write(await reader.readline());
  await writer.drain();
  writer.close();
};

test('a line echoed over a Unix socket; the server names its path; the file goes at close', async () => {
  const socketPath = path.join(dir, 'echo.sock');
  const got = await run(async () => {
    const server = await startUnixServer(echoLine, socketPath);
    const name = server.sockets[0]!.getsockname();
    const [reader, writer] = await openUnixConnection(socketPath);
    writer.write('ping\n');
    const line = (await reader.readline()).toString();
    writer.close();
    await writer.waitClosed();
    const text = String(server);
    server.close();
    await server.waitClosed();
    return { name, line, text };
  });
  expect(got.name).toBe(socketPath);
  expect(got.line).toBe('ping\n');
  expect(got.text).toBe(`<Server sockets=[${socketPath}]>`);
  expect(existsSync(socketPath)).toBe(false);
});

test('connecting to a path nobody listens on fails with ENOENT', async () => {
  const error = await run(() => openUnixConnection(path.join(dir, 'none.sock'))).catch(
    (err: unknown) => err,
  );
  expect((error as { code?: string }).code).toBe('ENOENT');
});

test('a stale socket file is replaced; a regular file at the path is an error', async () => {
  const socketPath = path.join(dir, 'stale.sock');
  // A socket file left behind by a server whose process died without closing it.
  const listenAndDie = `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`;
  expect(() => execFileSync(process.execPath, ['-e', listenAndDie], { stdio: 'ignore' })).toThrow();
  expect(existsSync(socketPath)).toBe(true);
  const filePath = path.join(dir, 'plain');
  writeFileSync(filePath, 'x');
  const result = await run(async () => {
    const server = await startUnixServer(echoLine, socketPath);
    const [reader, writer] = await openUnixConnection(socketPath);
    writer.write('again\n');
    const line = (await reader.readline()).toString();
    writer.close();
    server.close();
    await server.waitClosed();
    const onFile = await startUnixServer(echoLine, filePath).catch((err: unknown) => err);
    return { line, onFile };
  });
  expect(result.line).toBe('again\n');
  expect((result.onFile as { code?: string }).code).toBe('EADDRINUSE');
});

test('bad arguments are errors at the call', async () => {
  await run(async () => {
    await expect(openUnixConnection('')).rejects.toThrow(/path/);
    await expect(
      openUnixConnection(path.join(dir, 'a'), { localAddr: 'x' } as never),
    ).rejects.toThrow(/localAddr/);
    await expect(startUnixServer(echoLine, 42 as never)).rejects.toThrow(TypeError);
    await expect(
      startUnixServer(echoLine, path.join(dir, 'b'), { keepAlive: true } as never),
    ).rejects.toThrow(/keepAlive/);
  });
});

test('test_unix_server_cleanup_gone / _replaced: close() removes only the socket it made', async () => {
  const socketPath = path.join(dir, 'cleanup.sock');
  const kept = await run(async () => {
    // Someone else removed the file: close() is quiet.
    const gone = await startUnixServer(echoLine, socketPath);
    unlinkSync(socketPath);
    gone.close();
    await gone.waitClosed();
    // Someone else bound their own socket there: close() leaves it.
    const replaced = await startUnixServer(echoLine, socketPath);
    unlinkSync(socketPath);
    const theirs = net.createServer();
    await new Promise<void>((resolve) => theirs.listen(socketPath, resolve));
    replaced.close();
    await replaced.waitClosed();
    const stillThere = existsSync(socketPath);
    await new Promise<void>((resolve) => theirs.close(() => resolve()));
    return stillThere;
  });
  expect(kept).toBe(true);
});

test('test_unix_server_cleanup_prevented: cleanupSocket: false leaves the file at close', async () => {
  const socketPath = path.join(dir, 'kept.sock');
  const got = await run(async () => {
    const server = await startUnixServer(echoLine, socketPath, { cleanupSocket: false });
    server.close();
    await server.waitClosed();
    return existsSync(socketPath);
  });
  expect(got).toBe(true);
});
