/**
 * The bad-input table, continued for I/O: Trio streams, TCP, files, subprocesses and `toThread`;
 * asyncio streams, subprocesses, the loop's callbacks and `toThread`. Each row checks what
 * `bad-input-table.ts` says, notably that the call opened no socket, server, child or file before
 * it failed, and that nothing is left open after `run()`.
 *
 * One kind of mistake gives one class in both facades, as Python: an argument of the wrong type
 * (`port: '80'`, `maxBytes: '5'`, a `limiter` that is not one) is a `TypeError`; a value of the
 * right type that cannot be used (`port: 70000`, `limit: 0`, mode `'rw'`, two redirections of
 * one stream) a `ValueError`. An unknown option (a typo) is a `TypeError`, as Python's unexpected
 * keyword argument.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the rows pass wrong types on purpose */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import * as kernel from '@duet/kernel';
import * as trio from '@duet/trio';
import * as aio from '@duet/asyncio';
import { asyncioWork, row, runRow, work, type Row } from './bad-input-table';

const { ValueError } = kernel;
const dir = mkdtempSync(path.join(os.tmpdir(), 'duet-bad-input-'));
const file = path.join(dir, 'data.txt');
writeFileSync(file, 'abc\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fileState = (): string => readFileSync(file, 'utf8');

const NODE = process.execPath;
const handler = async (): Promise<void> => {};
const clientConnected = (): void => {};
const pure = (n: number): number => n * 2;

/** A receive stream and a send stream over in-memory Node streams (no handle). */
const memoryStreams = () => {
  const rx = new trio.ReadableReceiveStream(new PassThrough());
  const tx = new trio.WritableSendStream(new PassThrough());
  return { rx, tx, buffered: new trio.BufferedReceiveStream(rx) };
};
type Memory = ReturnType<typeof memoryStreams>;
const memoryState = ({ rx, buffered }: Memory) => [rx.bufferedBytes, buffered.bufferedBytes];
const closeMemory = async ({ rx, tx }: Memory) => {
  await rx.aclose();
  await tx.aclose();
};

/** A Trio listener on a free loopback port. */
const trioListener = async () => (await trio.openTcpListeners(0, { host: '127.0.0.1' }))[0]!;
const closeListener = (l: trio.SocketListener) => l.aclose();

/** An asyncio server on a free loopback port, and that port. */
const asyncioServer = async () => {
  const server = await aio.startServer(clientConnected, '127.0.0.1', 0);
  return { server, port: server.sockets[0]!.getsockname()[1] };
};
const closeServer = async ({ server }: { server: aio.Server }) => {
  server.close();
  await server.waitClosed();
};

/** A reader holding `abc`, to see that a bad read consumes nothing. */
const fedReader = () => {
  const reader = new aio.StreamReader();
  reader.feedData(Buffer.from('abc'));
  return reader;
};
const readerState = (r: aio.StreamReader) => [r.atEof(), r.exception()];

const UNKNOWN_OPTION = /unknown option '\w+' \(allowed: /;
const PORT = /port must be an integer from 0 to 65535/;
const NOT_THE_PROMISE = /pass the function itself, f or \(\) => f\(x\), not the Promise/;

const trioRows: Row[] = [
  // ---- TCP ------------------------------------------------------------------------------------
  row({
    name: 'openTcpStream(80, 80) (host not a string)',
    where: 'trio',
    call: () => trio.openTcpStream(80 as any, 80),
    error: TypeError,
    hint: /openTcpStream\(\): host must be a string, got 80/,
  }),
  row({
    name: "openTcpStream('', 80)",
    where: 'trio',
    call: () => trio.openTcpStream('', 80),
    error: ValueError,
    hint: /host must be a non-empty string/,
  }),
  row({
    name: "openTcpStream(host, '80')",
    where: 'trio',
    call: () => trio.openTcpStream('127.0.0.1', '80' as any),
    error: TypeError,
    hint: /openTcpStream\(\): port must be an integer from 0 to 65535, got "80"/,
  }),
  row({
    name: 'openTcpStream(host, 70000)',
    where: 'trio',
    call: () => trio.openTcpStream('127.0.0.1', 70000),
    error: ValueError,
    hint: /openTcpStream\(\): port must be an integer from 0 to 65535, got 70000/,
  }),
  row({
    name: "openTcpStream(host, port, { happyEyeballsDelay: '1' })",
    where: 'trio',
    call: () => trio.openTcpStream('127.0.0.1', 1, { happyEyeballsDelay: '1' as any }),
    error: TypeError,
    hint: /happyEyeballsDelay must be a number of seconds >= 0/,
  }),
  row({
    name: 'openTcpStream(host, port, { happyEyeballDelay: 1 }) (a typo)',
    where: 'trio',
    setup: trioListener,
    call: (l) =>
      trio.openTcpStream('127.0.0.1', l.getsockname().port, { happyEyeballDelay: 1 } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
    teardown: closeListener,
  }),
  row({
    name: 'openTcpStream(host, port, { localAddress: 5 })',
    where: 'trio',
    setup: trioListener,
    call: (l) => trio.openTcpStream('127.0.0.1', l.getsockname().port, { localAddress: 5 as any }),
    error: TypeError,
    hint: /localAddress must be a string, got 5/,
    teardown: closeListener,
  }),
  row({
    name: 'openTcpStream(host, port, 5) (options not an object)',
    where: 'trio',
    call: () => trio.openTcpStream('127.0.0.1', 1, 5 as any),
    error: TypeError,
    hint: /options must be an object, got 5/,
  }),
  row({
    name: "openTcpListeners('0')",
    where: 'trio',
    call: () => trio.openTcpListeners('0' as any),
    error: TypeError,
    hint: /openTcpListeners\(\): port must be an integer from 0 to 65535, got "0"/,
  }),
  row({
    name: 'openTcpListeners(0, { host: 5 })',
    where: 'trio',
    call: () => trio.openTcpListeners(0, { host: 5 as any }),
    error: TypeError,
    hint: /host must be a string, got 5/,
  }),
  row({
    name: "openTcpListeners(0, { backlog: '5' })",
    where: 'trio',
    call: () => trio.openTcpListeners(0, { host: '127.0.0.1', backlog: '5' as any }),
    error: TypeError,
    hint: /backlog must be an integer >= 0/,
  }),
  row({
    name: "openTcpListeners(0, { hots: '127.0.0.1' }) (a typo: no listener on every interface)",
    where: 'trio',
    call: () => trio.openTcpListeners(0, { hots: '127.0.0.1' } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
  }),
  row({
    name: 'serveTcp(handler(), 0) (a started Promise)',
    where: 'trio',
    call: () => trio.serveTcp(handler() as any, 0, { host: '127.0.0.1' }),
    error: TypeError,
    hint: NOT_THE_PROMISE,
  }),
  row({
    name: "serveTcp(handler, '0')",
    where: 'trio',
    call: () => trio.serveTcp(handler, '0' as any),
    error: TypeError,
    hint: PORT,
  }),
  row({
    name: 'serveTcp(handler, 0, { handlerNursery: 5 }) (no listener is left open)',
    where: 'trio',
    call: () => trio.serveTcp(handler, 0, { host: '127.0.0.1', handlerNursery: 5 as any }),
    error: TypeError,
    hint: /handlerNursery must be a Nursery/,
  }),
  row({
    name: 'serveTcp(handler, 0, { handler_nursery }) (a typo)',
    where: 'trio',
    call: () => trio.serveTcp(handler, 0, { host: '127.0.0.1', handler_nursery: null } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
  }),
  row({
    name: 'serveListeners(handler, [5])',
    where: 'trio',
    call: () => trio.serveListeners(handler, [5 as any]),
    error: TypeError,
    hint: /listeners\[0\] must be a Listener \(with accept, aclose\)/,
  }),
  row({
    name: 'serveListeners(handler, listener) (not an array)',
    where: 'trio',
    setup: trioListener,
    call: (l) => trio.serveListeners(handler, l as any),
    error: TypeError,
    hint: /listeners must be an array of listeners \(SocketListener/,
    teardown: closeListener,
  }),
  row({
    name: 'serveListeners(handler(), listeners)',
    where: 'trio',
    setup: trioListener,
    call: (l) => trio.serveListeners(handler() as any, [l]),
    error: TypeError,
    hint: NOT_THE_PROMISE,
    teardown: closeListener,
  }),
  row({
    name: 'new SocketStream(5)',
    where: 'outside',
    call: () => new trio.SocketStream(5 as any),
    error: TypeError,
    hint: /new SocketStream\(\): socket must be a net.Socket/,
  }),
  row({
    name: 'new SocketStream(socket, { receiveBufferSize: 0 })',
    where: 'outside',
    setup: () => new net.Socket(),
    call: (socket) => new trio.SocketStream(socket, { receiveBufferSize: 0 }),
    error: ValueError,
    hint: /receiveBufferSize must be an integer >= 1, got 0/,
    state: (socket) => socket.listenerCount('data'),
    teardown: (socket) => socket.destroy(),
  }),
  row({
    name: 'new SocketListener(5)',
    where: 'outside',
    call: () => new trio.SocketListener(5 as any),
    error: TypeError,
    hint: /server must be a net.Server/,
  }),
  // ---- streams ----------------------------------------------------------------------------------
  row({
    name: "receiveSome('5')",
    where: 'trio',
    setup: memoryStreams,
    call: ({ rx }) => rx.receiveSome('5' as any),
    error: TypeError,
    hint: /receiveSome\(\): maxBytes must be an integer >= 1, got "5"/,
    state: memoryState,
    teardown: closeMemory,
  }),
  row({
    name: 'receiveSome(0)',
    where: 'trio',
    setup: memoryStreams,
    call: ({ rx }) => rx.receiveSome(0),
    error: ValueError,
    hint: /receiveSome\(\): maxBytes must be an integer >= 1, got 0/,
    state: memoryState,
    teardown: closeMemory,
  }),
  row({
    name: 'sendAll(42)',
    where: 'trio',
    setup: memoryStreams,
    call: ({ tx }) => tx.sendAll(42 as any),
    error: TypeError,
    hint: /sendAll\(\): data must be bytes \(a Uint8Array or Buffer\) or a string, got 42/,
    state: ({ tx }) => tx.writable.writableLength,
    teardown: closeMemory,
  }),
  row({
    name: 'new ReadableReceiveStream(5)',
    where: 'outside',
    call: () => new trio.ReadableReceiveStream(5 as any),
    error: TypeError,
    hint: /source must be a Node Readable or a web ReadableStream/,
  }),
  row({
    name: 'new ReadableReceiveStream(readable, 0)',
    where: 'outside',
    setup: () => new PassThrough(),
    call: (p) => new trio.ReadableReceiveStream(p, 0),
    error: ValueError,
    hint: /bufferSize must be an integer >= 1, got 0/,
    state: (p) => [p.listenerCount('data'), p.isPaused()],
  }),
  row({
    name: 'new WritableSendStream({})',
    where: 'outside',
    call: () => new trio.WritableSendStream({} as any),
    error: TypeError,
    hint: /target must be a Node Writable or a web WritableStream/,
  }),
  row({
    name: 'new StapledStream(receiveStream, sendStream) (swapped)',
    where: 'trio',
    setup: memoryStreams,
    call: ({ rx, tx }) => new trio.StapledStream(rx as any, tx as any),
    error: TypeError,
    hint: /sendStream must be a SendStream \(with sendAll/,
    teardown: closeMemory,
  }),
  row({
    name: 'new BufferedReceiveStream(5)',
    where: 'outside',
    call: () => new trio.BufferedReceiveStream(5 as any),
    error: TypeError,
    hint: /stream must be a ReceiveStream \(with receiveSome/,
  }),
  row({
    name: 'receiveUntil(5)',
    where: 'trio',
    setup: memoryStreams,
    call: ({ buffered }) => buffered.receiveUntil(5 as any),
    error: TypeError,
    hint: /receiveUntil\(\): delimiter must be bytes/,
    state: memoryState,
    teardown: closeMemory,
  }),
  row({
    name: "receiveUntil('')",
    where: 'trio',
    setup: memoryStreams,
    call: ({ buffered }) => buffered.receiveUntil(''),
    error: ValueError,
    hint: /receiveUntil\(\): delimiter must be a non-empty/,
    state: memoryState,
    teardown: closeMemory,
  }),
  row({
    name: "receiveUntil('\\n', { maxBytes: '10' })",
    where: 'trio',
    setup: memoryStreams,
    call: ({ buffered }) => buffered.receiveUntil('\n', { maxBytes: '10' as any }),
    error: TypeError,
    hint: /maxBytes must be an integer >= 1, got "10"/,
    state: memoryState,
    teardown: closeMemory,
  }),
  row({
    name: 'receiveLine({ maxbytes: 10 }) (a typo)',
    where: 'trio',
    setup: memoryStreams,
    call: ({ buffered }) => buffered.receiveLine({ maxbytes: 10 } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
    state: memoryState,
    teardown: closeMemory,
  }),
  row({
    name: "receiveExactly('4')",
    where: 'trio',
    setup: memoryStreams,
    call: ({ buffered }) => buffered.receiveExactly('4' as any),
    error: TypeError,
    hint: /receiveExactly\(\): n must be an integer >= 0, got "4"/,
    state: memoryState,
    teardown: closeMemory,
  }),
  row({
    name: 'receiveExactly(-1)',
    where: 'trio',
    setup: memoryStreams,
    call: ({ buffered }) => buffered.receiveExactly(-1),
    error: ValueError,
    hint: /receiveExactly\(\): n must be an integer >= 0, got -1/,
    state: memoryState,
    teardown: closeMemory,
  }),
  // ---- files ------------------------------------------------------------------------------------
  row({
    name: 'openFile(undefined) (no file named "undefined" is opened)',
    where: 'trio',
    call: () => trio.openFile(undefined as any),
    error: TypeError,
    hint: /openFile\(\): path must be a string or a Path, got undefined/,
  }),
  row({
    name: 'openFile(path, 5)',
    where: 'trio',
    call: () => trio.openFile(file, 5 as any),
    error: TypeError,
    hint: /mode must be a string/,
  }),
  row({
    name: "openFile(path, 'rw')",
    where: 'trio',
    call: () => trio.openFile(file, 'rw' as any),
    error: ValueError,
    hint: /openFile\(\): invalid mode "rw": it must have exactly one of r, w, a and x/,
  }),
  row({
    name: "openFile(path, 'w', { encoding: 'utf9' }) (the file is not truncated)",
    where: 'trio',
    call: () => trio.openFile(file, 'w', { encoding: 'utf9' as any }),
    error: ValueError,
    hint: /encoding must be an encoding such as 'utf8'/,
    state: fileState,
  }),
  row({
    name: "openFile(path, 'rb', { encoding: 'utf8' })",
    where: 'trio',
    call: () => trio.openFile(file, 'rb', { encoding: 'utf8' }),
    error: ValueError,
    hint: /binary mode takes no encoding/,
  }),
  row({
    name: "openFile(path, 'w', { encodng: 'utf8' }) (a typo; the file is not truncated)",
    where: 'trio',
    call: () => trio.openFile(file, 'w', { encodng: 'utf8' } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
    state: fileState,
  }),
  ...(
    [
      ["file.read('2')", (f) => f.read('2' as any), TypeError, /read\(\): size must be an integer/],
      ['file.read(1.5)', (f) => f.read(1.5), ValueError, /read\(\): size must be an integer/],
      ["file.seek('1')", (f) => f.seek('1' as any), TypeError, /seek\(\): offset must be an/],
      ['file.seek(-1)', (f) => f.seek(-1), ValueError, /seek\(\): offset must be an integer >= 0/],
      ['file.write(42)', (f) => f.write(42 as any), TypeError, /write\(\): data must be bytes/],
    ] as const satisfies readonly [string, (f: trio.AsyncFile) => unknown, any, RegExp][]
  ).map(([name, call, error, hint]) =>
    row({
      name,
      where: 'trio',
      setup: () => trio.openFile(file, 'r+'),
      call,
      error,
      hint,
      state: (f) => [f.tell(), fileState()],
      teardown: (f) => f.aclose(),
    }),
  ),
  row({
    name: 'new Path(42)',
    where: 'outside',
    call: () => new trio.Path(42 as any),
    error: TypeError,
    hint: /new Path\(\): a segment must be a string or a Path, got 42/,
  }),
  row({
    name: 'path.joinpath(null)',
    where: 'outside',
    call: () => new trio.Path(dir).joinpath(null as any),
    error: TypeError,
    hint: /joinpath\(\): a segment must be a string or a Path, got null/,
  }),
  row({
    name: "path.withSuffix('txt') (no dot)",
    where: 'outside',
    call: () => new trio.Path(file).withSuffix('txt'),
    error: ValueError,
    hint: /withSuffix\(\): invalid suffix "txt": start it with a dot/,
  }),
  row({
    name: "path.withName('')",
    where: 'outside',
    call: () => new trio.Path(file).withName(''),
    error: ValueError,
    hint: /withName\(\): invalid name "": /,
  }),
  row({
    name: "path.withName('a/b')",
    where: 'outside',
    call: () => new trio.Path(file).withName('a/b'),
    error: ValueError,
    hint: /withName\(\): invalid name "a\/b": /,
  }),
  row({
    name: "path.readText('utf9')",
    where: 'trio',
    call: () => new trio.Path(file).readText('utf9' as any),
    error: ValueError,
    hint: /readText\(\): encoding must be an encoding/,
  }),
  row({
    name: 'path.writeText(42) (the file is not rewritten)',
    where: 'trio',
    call: () => new trio.Path(file).writeText(42 as any),
    error: TypeError,
    hint: /writeText\(\): text must be a string, got 42/,
    state: fileState,
  }),
  row({
    name: "path.writeBytes('text') (the file is not rewritten)",
    where: 'trio',
    call: () => new trio.Path(file).writeBytes('text' as any),
    error: TypeError,
    hint: /writeBytes\(\): data must be a Uint8Array/,
    state: fileState,
  }),
  row({
    name: "path.mkdir({ parents: 'yes' })",
    where: 'trio',
    call: () => new trio.Path(dir, 'sub').mkdir({ parents: 'yes' as any }),
    error: TypeError,
    hint: /parents must be true or false/,
    state: () => new trio.Path(dir, 'sub').path,
  }),
  row({
    name: 'path.mkdir({ exist_ok: true }) (a typo)',
    where: 'trio',
    call: () => new trio.Path(dir).mkdir({ exist_ok: true } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
  }),
  row({
    name: 'path.unlink({ missingok: true }) (a typo; the file stays)',
    where: 'trio',
    call: () => new trio.Path(file).unlink({ missingok: true } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
    state: fileState,
  }),
  row({
    name: 'path.rename(42) (the file stays)',
    where: 'trio',
    call: () => new trio.Path(file).rename(42 as any),
    error: TypeError,
    hint: /rename\(\): target must be a string or a Path, got 42/,
    state: fileState,
  }),
  // ---- subprocesses -----------------------------------------------------------------------------
  row({
    name: "runProcess('ls') (a string without shell)",
    where: 'trio',
    call: () => trio.runProcess('ls'),
    error: TypeError,
    hint: /runProcess\(\): the command is a non-empty array of strings/,
  }),
  row({
    name: 'runProcess([])',
    where: 'trio',
    call: () => trio.runProcess([]),
    error: ValueError,
    hint: /runProcess\(\): the command is empty: name the program/,
  }),
  row({
    name: "runProcess(['node', 5])",
    where: 'trio',
    call: () => trio.runProcess([NODE, 5 as any]),
    error: TypeError,
    hint: /runProcess\(\): the command is a non-empty array of strings/,
  }),
  row({
    name: "runProcess(cmd, { captureStdout: true, stdout: 'inherit' })",
    where: 'trio',
    call: () => trio.runProcess([NODE, '-e', ''], { captureStdout: true, stdout: 'inherit' }),
    error: ValueError,
    hint: /can't specify both stdout and captureStdout/,
  }),
  row({
    name: "runProcess(cmd, { capture: true, stderr: 'stdout' })",
    where: 'trio',
    call: () => trio.runProcess([NODE, '-e', ''], { capture: true, stderr: 'stdout' }),
    error: ValueError,
    hint: /can't specify both stderr and captureStderr/,
  }),
  row({
    name: "runProcess(cmd, { input: 'x', stdin: 'inherit' })",
    where: 'trio',
    call: () => trio.runProcess([NODE, '-e', ''], { input: 'x', stdin: 'inherit' }),
    error: ValueError,
    hint: /can't specify both stdin and input/,
  }),
  row({
    name: "runProcess(cmd, { terminateGrace: '1' })",
    where: 'trio',
    call: () => trio.runProcess([NODE, '-e', ''], { terminateGrace: '1' as any }),
    error: TypeError,
    hint: /terminateGrace must be a number of seconds >= 0, got "1"/,
  }),
  row({
    name: "runProcess(cmd, { check: 'no' })",
    where: 'trio',
    call: () => trio.runProcess([NODE, '-e', ''], { check: 'no' as any }),
    error: TypeError,
    hint: /check must be true or false, got "no"/,
  }),
  row({
    name: 'runProcess(cmd, { capture_stdout: true }) (a typo)',
    where: 'trio',
    call: () => trio.runProcess([NODE, '-e', ''], { capture_stdout: true } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
  }),
  row({
    name: 'runProcess(cmd, { input: 42 })',
    where: 'trio',
    call: () => trio.runProcess([NODE, '-e', ''], { input: 42 as any }),
    error: TypeError,
    hint: /input must be bytes/,
  }),
  row({
    name: "openProcess(cmd, { stdout: 'pipes' })",
    where: 'trio',
    call: () => trio.openProcess([NODE, '-e', ''], { stdout: 'pipes' as any }),
    error: ValueError,
    hint: /openProcess\(\): stdout must be 'pipe', 'inherit', 'ignore' or a file descriptor/,
  }),
  row({
    name: 'openProcess(cmd, { stdout: true })',
    where: 'trio',
    call: () => trio.openProcess([NODE, '-e', ''], { stdout: true as any }),
    error: TypeError,
    hint: /stdout must be 'pipe', 'inherit', 'ignore' or a file descriptor/,
  }),
  row({
    name: "openProcess(cmd, { stdin: 'stdout' })",
    where: 'trio',
    call: () => trio.openProcess([NODE, '-e', ''], { stdin: 'stdout' as any }),
    error: ValueError,
    hint: /stdin must be 'pipe', 'inherit', 'ignore' or a file descriptor/,
  }),
  row({
    name: 'openProcess(cmd, { stderr: -1 })',
    where: 'trio',
    call: () => trio.openProcess([NODE, '-e', ''], { stderr: -1 }),
    error: ValueError,
    hint: /stderr must be 'pipe', 'inherit', 'ignore', 'stdout' or a file descriptor/,
  }),
  row({
    name: 'openProcess(cmd, { cwd: 5 })',
    where: 'trio',
    call: () => trio.openProcess([NODE, '-e', ''], { cwd: 5 as any }),
    error: TypeError,
    hint: /openProcess\(\): cwd must be a string, got 5/,
  }),
  row({
    name: "openProcess(cmd, { env: 'PATH=/bin' })",
    where: 'trio',
    call: () => trio.openProcess([NODE, '-e', ''], { env: 'PATH=/bin' as any }),
    error: TypeError,
    hint: /openProcess\(\): env must be an object/,
  }),
  row({
    name: "openProcess('echo hi', { shell: 'yes' })",
    where: 'trio',
    call: () => trio.openProcess('echo hi', { shell: 'yes' as any }),
    error: TypeError,
    hint: /shell must be true or false, got "yes"/,
  }),
  // ---- toThread ---------------------------------------------------------------------------------
  ...(
    [
      [
        'toThread.runSync(work()) (a started Promise)',
        () => trio.toThread.runSync(work() as any),
        NOT_THE_PROMISE,
      ],
      [
        'toThread.runSync({ limiter: 5 }, fn)',
        () => trio.toThread.runSync({ limiter: 5 as any }, pure, 1),
        /limiter must be a CapacityLimiter/,
      ],
      [
        "toThread.runSync({ abandonOnCancel: 'yes' }, fn)",
        () => trio.toThread.runSync({ abandonOnCancel: 'yes' as any }, pure, 1),
        /abandonOnCancel must be true or false/,
      ],
      [
        'toThread.runSync({ abandon_on_cancel: true }, fn) (a typo)',
        () => trio.toThread.runSync({ abandon_on_cancel: true } as any, pure, 1),
        UNKNOWN_OPTION,
      ],
      [
        'toThread.runSync({ callbacks: { log: 5 } }, fn)',
        () => trio.toThread.runSync({ callbacks: { log: 5 as any } }, pure, 1),
        /callbacks.log must be a function, got 5/,
      ],
      [
        'toThread.runSync(Math.max)',
        () => trio.toThread.runSync(Math.max, 1),
        /cannot send a built-in or bound function to a worker: wrap it/,
      ],
      [
        "toThread.runSync({ module: '/x.mjs' }) (no exportName)",
        () => trio.toThread.runSync({ module: '/x.mjs' } as any),
        /exportName of a \{ module, exportName \} reference must be a string/,
      ],
      [
        'toThread.runSync(42)',
        () => trio.toThread.runSync(42 as any),
        /expects a function or a \{ module, exportName \} reference, got number/,
      ],
    ] as const
  ).map(([name, call, hint]) =>
    row({
      name,
      where: 'trio',
      call,
      error: TypeError,
      hint,
      state: () => trio.toThread.currentDefaultThreadLimiter().statistics(),
    }),
  ),
];

const asyncioRows: Row[] = [
  // ---- streams ----------------------------------------------------------------------------------
  row({
    name: 'openConnection(80, 80) (host not a string)',
    where: 'asyncio',
    call: () => aio.openConnection(80 as any, 80),
    error: TypeError,
    hint: /openConnection\(\): host must be a string, got 80/,
  }),
  row({
    name: "openConnection(host, '80')",
    where: 'asyncio',
    call: () => aio.openConnection('127.0.0.1', '80' as any),
    error: TypeError,
    hint: /openConnection\(\): port must be an integer from 0 to 65535, got "80"/,
  }),
  row({
    name: 'openConnection(host, port, { limit: 0 }) (no socket is opened)',
    where: 'asyncio',
    setup: asyncioServer,
    call: ({ port }) => aio.openConnection('127.0.0.1', port, { limit: 0 }),
    error: ValueError,
    hint: /limit must be an integer >= 1, got 0/,
    teardown: closeServer,
  }),
  row({
    name: "openConnection(host, port, { limit: '1' })",
    where: 'asyncio',
    setup: asyncioServer,
    call: ({ port }) => aio.openConnection('127.0.0.1', port, { limit: '1' as any }),
    error: TypeError,
    hint: /limit must be an integer >= 1, got "1"/,
    teardown: closeServer,
  }),
  row({
    name: "openConnection(host, port, { local_addr: '127.0.0.1' }) (a typo)",
    where: 'asyncio',
    setup: asyncioServer,
    call: ({ port }) => aio.openConnection('127.0.0.1', port, { local_addr: '127.0.0.1' } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
    teardown: closeServer,
  }),
  row({
    name: 'startServer(callback(), host, 0) (a started Promise)',
    where: 'asyncio',
    call: () => aio.startServer(handler() as any, '127.0.0.1', 0),
    error: TypeError,
    hint: NOT_THE_PROMISE,
  }),
  row({
    name: 'startServer(callback, 5, 0)',
    where: 'asyncio',
    call: () => aio.startServer(clientConnected, 5 as any, 0),
    error: TypeError,
    hint: /startServer\(\): host must be a string, got 5/,
  }),
  row({
    name: "startServer(callback, host, '0')",
    where: 'asyncio',
    call: () => aio.startServer(clientConnected, '127.0.0.1', '0' as any),
    error: TypeError,
    hint: /startServer\(\): port must be an integer from 0 to 65535, got "0"/,
  }),
  row({
    name: 'startServer(callback, host, 0, { limit: 0 }) (no server is opened)',
    where: 'asyncio',
    call: () => aio.startServer(clientConnected, '127.0.0.1', 0, { limit: 0 }),
    error: ValueError,
    hint: /limit must be an integer >= 1, got 0/,
  }),
  row({
    name: "startServer(callback, host, 0, { startServing: 'no' })",
    where: 'asyncio',
    call: () => aio.startServer(clientConnected, '127.0.0.1', 0, { startServing: 'no' as any }),
    error: TypeError,
    hint: /startServing must be true or false/,
  }),
  row({
    name: "startServer(callback, host, 0, { backlog: '5' })",
    where: 'asyncio',
    call: () => aio.startServer(clientConnected, '127.0.0.1', 0, { backlog: '5' as any }),
    error: TypeError,
    hint: /backlog must be an integer >= 0/,
  }),
  row({
    name: "new StreamReader('5')",
    where: 'outside',
    call: () => new aio.StreamReader('5' as any),
    error: TypeError,
    hint: /new StreamReader\(\): limit must be an integer >= 1, got "5"/,
  }),
  row({
    name: 'new StreamReader(0)',
    where: 'outside',
    call: () => new aio.StreamReader(0),
    error: ValueError,
    hint: /new StreamReader\(\): limit must be an integer >= 1, got 0/,
  }),
  ...(
    [
      [
        "reader.read('5')",
        (r) => r.read('5' as any),
        TypeError,
        /read\(\): n must be an integer, got "5"/,
      ],
      [
        'reader.read(1.5)',
        (r) => r.read(1.5),
        ValueError,
        /read\(\): n must be an integer, got 1.5/,
      ],
      [
        "reader.readexactly('2')",
        (r) => r.readexactly('2' as any),
        TypeError,
        /readexactly\(\): n must be an integer >= 0/,
      ],
      [
        'reader.readexactly(-1)',
        (r) => r.readexactly(-1),
        ValueError,
        /readexactly\(\): n must be an integer >= 0, got -1/,
      ],
      [
        "reader.readuntil('')",
        (r) => r.readuntil(''),
        ValueError,
        /readuntil\(\): separator should be at least one-byte string/,
      ],
      [
        'reader.readuntil(5)',
        (r) => r.readuntil(5 as any),
        TypeError,
        /readuntil\(\): separator must be bytes/,
      ],
    ] as const satisfies readonly [string, (r: aio.StreamReader) => unknown, any, RegExp][]
  ).map(([name, call, error, hint]) =>
    row({
      name: `${name} (the buffer is kept)`,
      where: 'asyncio',
      setup: fedReader,
      call: async (r) => {
        await call(r);
        return r.read(3); // on success, see what was left
      },
      error,
      hint,
      state: readerState,
    }),
  ),
  row({
    name: 'writer.write(42)',
    where: 'asyncio',
    setup: () => new (aio.StreamWriter as any)(new PassThrough(), null) as aio.StreamWriter,
    call: (w) => w.write(42 as any),
    error: TypeError,
    hint: /write\(\): data must be bytes/,
    state: (w) => (w.transport as PassThrough).writableLength,
  }),
  // ---- subprocesses -----------------------------------------------------------------------------
  row({
    name: 'createSubprocessExec(5)',
    where: 'asyncio',
    call: () => aio.createSubprocessExec(5 as any),
    error: TypeError,
    hint: /createSubprocessExec\(\): program must be a string, got 5/,
  }),
  row({
    name: "createSubprocessExec('node', 5)",
    where: 'asyncio',
    call: () => aio.createSubprocessExec(NODE, 5 as any),
    error: TypeError,
    hint: /createSubprocessExec\(\): program arguments must be strings \(options go last\)/,
  }),
  row({
    name: 'createSubprocessExec(node, { stdout: PIPE, limit: 0 }) (no child is started)',
    where: 'asyncio',
    call: () => aio.createSubprocessExec(NODE, '-e', '', { stdout: aio.PIPE, limit: 0 }),
    error: ValueError,
    hint: /limit must be an integer >= 1, got 0/,
  }),
  row({
    name: "createSubprocessExec(node, { stdout: 'pipe' })",
    where: 'asyncio',
    call: () => aio.createSubprocessExec(NODE, '-e', '', { stdout: 'pipe' as any }),
    error: TypeError,
    hint: /stdout must be PIPE, DEVNULL or a file descriptor \(an integer >= 0\), got "pipe"/,
  }),
  row({
    name: 'createSubprocessExec(node, { stdout: STDOUT })',
    where: 'asyncio',
    call: () => aio.createSubprocessExec(NODE, '-e', '', { stdout: aio.STDOUT }),
    error: ValueError,
    hint: /stdout must be PIPE, DEVNULL or a file descriptor/,
  }),
  row({
    name: 'createSubprocessExec(node, { stderr: -7 })',
    where: 'asyncio',
    call: () => aio.createSubprocessExec(NODE, '-e', '', { stderr: -7 }),
    error: ValueError,
    hint: /stderr must be PIPE, STDOUT, DEVNULL or a file descriptor/,
  }),
  row({
    name: 'createSubprocessExec(node, { cwd: 5 })',
    where: 'asyncio',
    call: () => aio.createSubprocessExec(NODE, '-e', '', { cwd: 5 as any }),
    error: TypeError,
    hint: /createSubprocessExec\(\): cwd must be a string, got 5/,
  }),
  row({
    name: 'createSubprocessExec(node, { stdot: PIPE }) (a typo)',
    where: 'asyncio',
    call: () => aio.createSubprocessExec(NODE, '-e', '', { stdot: aio.PIPE } as any),
    error: TypeError,
    hint: UNKNOWN_OPTION,
  }),
  row({
    name: 'createSubprocessShell(5)',
    where: 'asyncio',
    call: () => aio.createSubprocessShell(5 as any),
    error: TypeError,
    hint: /createSubprocessShell\(\): cmd must be a string, got 5/,
  }),
  row({
    name: "createSubprocessShell('true', { env: 5 })",
    where: 'asyncio',
    call: () => aio.createSubprocessShell('true', { env: 5 as any }),
    error: TypeError,
    hint: /createSubprocessShell\(\): env must be an object/,
  }),
  // ---- the loop and toThread --------------------------------------------------------------------
  row({
    name: 'loop.callSoon(work()) (a started Promise)',
    where: 'asyncio',
    call: () => aio.getRunningLoop().callSoon(asyncioWork() as any),
    error: TypeError,
    hint: NOT_THE_PROMISE,
  }),
  row({
    name: 'loop.callLater(1, 42)',
    where: 'asyncio',
    call: () => aio.getRunningLoop().callLater(1, 42 as any),
    error: TypeError,
    hint: /callLater\(\) expects a function, got number/,
  }),
  row({
    name: "loop.callAt('5', f)",
    where: 'asyncio',
    call: () => aio.getRunningLoop().callAt('5' as any, () => {}),
    error: TypeError,
    hint: /callAt\(\): when must be a number of seconds, got "5"/,
  }),
  row({
    name: 'loop.setExceptionHandler(42)',
    where: 'asyncio',
    call: () => aio.getRunningLoop().setExceptionHandler(42 as any),
    error: TypeError,
    hint: /setExceptionHandler\(\) \(a function or null\) expects a function, got number/,
  }),
  row({
    name: 'asyncio toThread(work()) (a started Promise)',
    where: 'asyncio',
    call: () => aio.toThread(asyncioWork() as any),
    error: TypeError,
    hint: NOT_THE_PROMISE,
  }),
  row({
    name: "asyncio toThread({ module: 5, exportName: 'f' })",
    where: 'asyncio',
    call: () => aio.toThread({ module: 5 as any, exportName: 'f' }),
    error: TypeError,
    hint: /module of a \{ module, exportName \} reference must be a string, got 5/,
  }),
  row({
    name: 'asyncio toThread.withOptions({ callbacks: 5 }, fn)',
    where: 'asyncio',
    call: () => aio.toThread.withOptions({ callbacks: 5 as any }, pure, 1),
    error: TypeError,
    hint: /callbacks must be an object|options must be an object/,
  }),
  row({
    name: 'asyncio toThread.withOptions({ callback: {} }, fn) (a typo)',
    where: 'asyncio',
    call: () => aio.toThread.withOptions({ callback: {} } as any, pure, 1),
    error: TypeError,
    hint: UNKNOWN_OPTION,
  }),
  row({
    name: 'asyncio toThread.withOptions(fn) (options left out)',
    where: 'asyncio',
    call: () => aio.toThread.withOptions(pure as any, 1 as any),
    error: TypeError,
    hint: /withOptions\(\): options must be an object, got a function/,
  }),
];

describe('bad input to I/O gets a clear, typed error, opens nothing and leaves nothing open', () => {
  test.each([...trioRows, ...asyncioRows].map((r) => [r.name, r] as const))('%s', (_name, r) =>
    runRow(r),
  );
});
