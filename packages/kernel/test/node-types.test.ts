// The Node* aliases: under @types/node (this workspace) each is exactly Node's type, and each
// structural fallback describes members that Node's objects have. The type assertions are checked
// by `npm run typecheck` (ts-jest only transpiles); the key lists, which the types force to name
// every member of a fallback, are checked against real objects at run time.
import { spawn, type ChildProcess, type ProcessEnvOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import net from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type {
  ChildProcessLike,
  EventEmitterLike,
  FileHandleLike,
  NodeBuffer,
  NodeBufferEncoding,
  NodeChildProcess,
  NodeEventEmitter,
  NodeFileHandle,
  NodeProcessEnv,
  NodeReadable,
  NodeServer,
  NodeSignal,
  NodeSocket,
  NodeStats,
  NodeTypesLoaded,
  NodeWritable,
  ReadableLike,
  ServerLike,
  SocketLike,
  StatsLike,
  WritableLike,
} from '@duet/kernel';

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const exact: [
  NodeTypesLoaded,
  Equals<NodeBuffer, Buffer>,
  Equals<NodeBufferEncoding, BufferEncoding>,
  Equals<NodeProcessEnv, NodeJS.ProcessEnv>,
  Equals<NodeSignal, NodeJS.Signals>,
  Equals<NodeEventEmitter, EventEmitter>,
  Equals<NodeReadable, Readable>,
  Equals<NodeWritable, Writable>,
  Equals<NodeSocket, net.Socket>,
  Equals<NodeServer, net.Server>,
  Equals<NodeChildProcess, ChildProcess>,
  Equals<NodeFileHandle, FileHandle>,
  Equals<NodeStats, Stats>,
  Equals<NonNullable<ProcessEnvOptions['env']>, NodeJS.ProcessEnv>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];

/** Every member of a fallback, by name: a missing or extra key is a type error. */
type Members<T> = Record<keyof T, true>;

const EMITTER: Members<EventEmitterLike> = { on: true, once: true, off: true };
const READABLE: Members<ReadableLike> = {
  ...EMITTER,
  destroyed: true,
  pause: true,
  resume: true,
  isPaused: true,
  destroy: true,
};
const WRITABLE: Members<WritableLike> = {
  ...EMITTER,
  destroyed: true,
  writableNeedDrain: true,
  write: true,
  end: true,
  destroy: true,
};
const SOCKET: Members<SocketLike> = {
  ...READABLE,
  ...WRITABLE,
  localAddress: true,
  localPort: true,
  remoteAddress: true,
  remotePort: true,
  setNoDelay: true,
};
const SERVER: Members<ServerLike> = { ...EMITTER, listening: true, address: true, close: true };
const CHILD: Members<ChildProcessLike> = {
  pid: true,
  exitCode: true,
  signalCode: true,
  stdio: true,
  once: true,
  on: true,
  kill: true,
  unref: true,
};
const FILE: Members<FileHandleLike> = { fd: true, close: true };
const STATS: Members<StatsLike> = {
  size: true,
  mtimeMs: true,
  mode: true,
  isFile: true,
  isDirectory: true,
  isSymbolicLink: true,
};

function expectMembers(object: object, members: object): void {
  const missing = Object.keys(members).filter((key) => !(key in object));
  expect(missing).toEqual([]);
}

test('with @types/node every Node* alias is exactly Node’s type', () => {
  expect(exact.every((same) => same)).toBe(true);
});

test('Node’s objects have every member of the structural fallbacks', async () => {
  // Each assignment checks the member types too: a Node object is one of its fallback.
  const emitter: EventEmitterLike = new EventEmitter();
  const stream: ReadableLike & WritableLike = new PassThrough();
  const socket: SocketLike = new net.Socket();
  const server: ServerLike = net.createServer();
  const child: ChildProcessLike = spawn(process.execPath, ['-e', '']);
  const file: FileHandleLike = await fsp.open(__filename, 'r');
  const stats: StatsLike = await fsp.stat(__filename);
  try {
    expectMembers(emitter, EMITTER);
    expectMembers(stream, READABLE);
    expectMembers(stream, WRITABLE);
    // A socket's addresses are getters on net.Socket.prototype; `in` sees them.
    expectMembers(socket, SOCKET);
    expectMembers(server, SERVER);
    expectMembers(child, CHILD);
    expectMembers(file, FILE);
    expectMembers(stats, STATS);
  } finally {
    socket.destroy();
    stream.destroy();
    await file.close();
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
  }
});
