/**
 * The Node types that appear in the facades' public signatures (sockets, streams, processes,
 * files, bytes), written so that the published `.d.ts` type-check with or without `@types/node`.
 * Where Node's types are loaded each alias is Node's own type, exactly; elsewhere (Deno's
 * type-check, a browser project, `types: []`) it is a structural interface of what Duet uses.
 *
 * {@link NodeTypesLoaded} probes the global `process` through `typeof globalThis`; module types
 * cannot be probed. The imports below do not resolve without `@types/node`, so each carries a
 * `@ts-ignore` that the declaration emit keeps (a JSDoc comment, unlike `//`), and their names are
 * only read in the branch taken when `NodeTypesLoaded` is `true`. `scripts/consumer-check.mjs`
 * checks both cases.
 */
/* eslint-disable @typescript-eslint/ban-ts-comment -- @ts-expect-error fails where they resolve */
/** @ts-ignore -- resolves only where @types/node is loaded; see NodeTypesLoaded */
import type { Buffer } from 'node:buffer';
/** @ts-ignore -- resolves only where @types/node is loaded; see NodeTypesLoaded */
import type { ChildProcess, ProcessEnvOptions } from 'node:child_process';
/** @ts-ignore -- resolves only where @types/node is loaded; see NodeTypesLoaded */
import type { EventEmitter } from 'node:events';
/** @ts-ignore -- resolves only where @types/node is loaded; see NodeTypesLoaded */
import type { Stats } from 'node:fs';
/** @ts-ignore -- resolves only where @types/node is loaded; see NodeTypesLoaded */
import type { FileHandle } from 'node:fs/promises';
/** @ts-ignore -- resolves only where @types/node is loaded; see NodeTypesLoaded */
import type { Server, Socket } from 'node:net';
/** @ts-ignore -- resolves only where @types/node is loaded; see NodeTypesLoaded */
import type { Readable, Writable } from 'node:stream';
/* eslint-enable @typescript-eslint/ban-ts-comment */
import type { ChildProcessLike } from './child-process';

/** `true` where the program has Node's types (`@types/node`), else `false`. */
export type NodeTypesLoaded = typeof globalThis extends {
  /** Node's global `process`. */
  process: {
    /** The versions of Node and its parts. */
    versions: {
      /** Node's version. */
      node: string;
    };
  };
}
  ? true
  : false;

/**
 * Bytes Duet returns: Node's `Buffer` where its types are loaded (so `.toString('utf8')` works),
 * else the `Uint8Array` it extends.
 */
export type NodeBuffer = NodeTypesLoaded extends true ? Buffer : Uint8Array;

/** A text encoding's name: Node's `BufferEncoding` where its types are loaded, else its names. */
export type NodeBufferEncoding = NodeTypesLoaded extends true
  ? Exclude<Parameters<Buffer['toString']>[0], undefined>
  : | 'ascii'
    | 'utf8'
    | 'utf-8'
    | 'utf16le'
    | 'utf-16le'
    | 'ucs2'
    | 'ucs-2'
    | 'base64'
    | 'base64url'
    | 'latin1'
    | 'binary'
    | 'hex';

/** A child's environment: Node's `NodeJS.ProcessEnv` where its types are loaded. */
export type NodeProcessEnv = NodeTypesLoaded extends true
  ? NonNullable<ProcessEnvOptions['env']>
  : Record<string, string | undefined>;

/** A signal name: Node's `NodeJS.Signals` where its types are loaded, else `` `SIG${string}` ``. */
export type NodeSignal = NodeTypesLoaded extends true
  ? Exclude<Parameters<ChildProcess['kill']>[0], number | undefined>
  : `SIG${string}`;

/** What Duet uses of a Node `EventEmitter`. */
export interface EventEmitterLike {
  /** Adds a listener. */
  on(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
  /** Adds a one-time listener. */
  once(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener. */
  off(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
}

/** Node's `EventEmitter` where its types are loaded, else {@link EventEmitterLike}. */
export type NodeEventEmitter = NodeTypesLoaded extends true ? EventEmitter : EventEmitterLike;

/** What Duet uses of a Node `stream.Readable`. */
export interface ReadableLike extends EventEmitterLike {
  /** True once destroyed. */
  readonly destroyed: boolean;
  /** Stops the flow of `'data'` events. */
  pause(): unknown;
  /** Resumes it. */
  resume(): unknown;
  /** Whether the flow is paused. */
  isPaused(): boolean;
  /** Destroys the stream. */
  destroy(error?: Error): unknown;
}

/** Node's `stream.Readable` where its types are loaded, else {@link ReadableLike}. */
export type NodeReadable = NodeTypesLoaded extends true ? Readable : ReadableLike;

/** What Duet uses of a Node `stream.Writable`. */
export interface WritableLike extends EventEmitterLike {
  /** True once destroyed. */
  readonly destroyed: boolean;
  /** True while the buffer is over its high-water mark (wait for `'drain'`). */
  readonly writableNeedDrain: boolean;
  /** Writes a chunk; false when the caller should wait for `'drain'`. */
  write(chunk: Uint8Array | string): boolean;
  /** Ends the stream once its buffer is flushed. */
  end(): unknown;
  /** Destroys the stream. */
  destroy(error?: Error): unknown;
}

/** Node's `stream.Writable` where its types are loaded, else {@link WritableLike}. */
export type NodeWritable = NodeTypesLoaded extends true ? Writable : WritableLike;

/** What Duet uses of a Node `net.Socket`: both stream directions and the addresses. */
export interface SocketLike extends ReadableLike, WritableLike {
  /** The local IP address. */
  readonly localAddress?: string | undefined;
  /** The local port. */
  readonly localPort?: number | undefined;
  /** The peer's IP address. */
  readonly remoteAddress?: string | undefined;
  /** The peer's port. */
  readonly remotePort?: number | undefined;
  /** Turns Nagle's algorithm off (`true`) or on. */
  setNoDelay(noDelay?: boolean): unknown;
}

/** Node's `net.Socket` where its types are loaded, else {@link SocketLike}. */
export type NodeSocket = NodeTypesLoaded extends true ? Socket : SocketLike;

/** A bound address, as Node's `net.AddressInfo`. */
export interface SocketAddressLike {
  /** The IP address. */
  address: string;
  /** `'IPv4'` or `'IPv6'`. */
  family: string;
  /** The port. */
  port: number;
}

/** What Duet uses of a Node `net.Server`. */
export interface ServerLike extends EventEmitterLike {
  /** True while listening. */
  readonly listening: boolean;
  /** The bound address (a string for a pipe, null before listening). */
  address(): SocketAddressLike | string | null;
  /** Stops accepting connections. */
  close(): unknown;
}

/** Node's `net.Server` where its types are loaded, else {@link ServerLike}. */
export type NodeServer = NodeTypesLoaded extends true ? Server : ServerLike;

/** Node's `ChildProcess` where its types are loaded, else {@link ChildProcessLike}. */
export type NodeChildProcess = NodeTypesLoaded extends true ? ChildProcess : ChildProcessLike;

/** What Duet uses of a Node `fs.promises.FileHandle`. */
export interface FileHandleLike {
  /** The file descriptor. */
  readonly fd: number;
  /** Closes the file. */
  close(): Promise<void>;
}

/** Node's `FileHandle` where its types are loaded, else {@link FileHandleLike}. */
export type NodeFileHandle = NodeTypesLoaded extends true ? FileHandle : FileHandleLike;

/** Some of what Node's `fs.Stats` holds about a file. */
export interface StatsLike {
  /** The size in bytes. */
  readonly size: number;
  /** The last modification, in milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** The permission and type bits. */
  readonly mode: number;
  /** Whether it is a regular file. */
  isFile(): boolean;
  /** Whether it is a directory. */
  isDirectory(): boolean;
  /** Whether it is a symbolic link (from `lstat`). */
  isSymbolicLink(): boolean;
}

/** Node's `fs.Stats` where its types are loaded, else {@link StatsLike}. */
export type NodeStats = NodeTypesLoaded extends true ? Stats : StatsLike;
