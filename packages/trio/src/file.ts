/**
 * `AsyncFile`, an open file in Trio style (as `openFile` in `path.ts` returns it), and its modes.
 *
 * Cancellation: a read is abandoned at once when cancelled, and loses nothing: the read keeps
 * going in Node's thread pool and the next read on the file picks up its result. Writes are not
 * abandoned halfway: they finish, then the call raises `Cancelled` if cancellation arrived meanwhile.
 */
import { StringDecoder } from 'node:string_decoder';
import {
  HostWait,
  ValueError,
  awaitForeign,
  cancelShieldedCheckpoint,
  checkNumber,
  checkpoint,
  checkpointIfCancelled,
  type NodeBuffer,
  type NodeBufferEncoding,
  type NodeFileHandle,
} from '@duet/kernel';
import { BusyResourceError, ClosedResourceError } from './errors';
import { toBuffer, untilEmpty, type AsyncResource, type Bytes } from './stream-abc';

const READ_CHUNK = 65536;

/** @internal Waits for `promise` to settle even if cancelled, then raises `Cancelled` if it arrived. */
export async function completeThenCheckpoint<T>(promise: Promise<T>, what: string): Promise<T> {
  const wait = new HostWait(what, { uncancellable: true });
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  void promise.then(
    (value) => {
      outcome = { ok: true, value };
      wait.wake();
    },
    (error: unknown) => {
      outcome = { ok: false, error };
      wait.wake();
    },
  );
  await wait.wait();
  const o = outcome as unknown as { ok: true; value: T } | { ok: false; error: unknown };
  if (!o.ok) throw o.error;
  await checkpointIfCancelled();
  return o.value;
}

/**
 * The modes of {@link openFile}, as Python's `open`: `r` read, `w` truncate and write, `a` append,
 * `x` create (fails if it exists), `+` read and write; `b` for binary (bytes in and out), else text
 * (strings, UTF-8 by default; `t` says so). As Python, the letters may come in any order (these
 * are the usual spellings).
 *
 * @example
 * ```ts
 * await openFile('data.bin', 'rb');
 * ```
 */
export type FileMode =
  | 'r'
  | 'w'
  | 'a'
  | 'x'
  | 'r+'
  | 'w+'
  | 'a+'
  | 'x+'
  | 'rb'
  | 'wb'
  | 'ab'
  | 'xb'
  | 'rb+'
  | 'wb+'
  | 'ab+'
  | 'xb+'
  | 'r+b'
  | 'w+b'
  | 'a+b'
  | 'x+b'
  | 'rt'
  | 'wt'
  | 'at'
  | 'xt'
  | 'rt+'
  | 'wt+'
  | 'at+'
  | 'xt+'
  | 'r+t'
  | 'w+t'
  | 'a+t'
  | 'x+t';

/** The binary modes of {@link FileMode} (public in the declarations: `openFile` names it). */
export type BinaryMode = Extract<FileMode, `${string}b${string}`>;

/**
 * An open file (Trio's async file object). Text-mode files take and return strings, binary-mode
 * files `Buffer`s. `read(size)` counts bytes in both modes (a text read never splits a character:
 * it may return a few bytes' worth less). Async iteration yields lines, each with its `\n`, as
 * Python. One read at a time: a concurrent read raises `BusyResourceError`. Reads are buffered;
 * do not mix reads and writes on one file without care (as with Python's buffered files).
 *
 * @example
 * ```ts
 * await using f = await openFile('notes.txt');
 * for await (const line of f) console.log(line.trimEnd());
 * ```
 */
export class AsyncFile<T extends string | NodeBuffer = string> implements AsyncResource {
  private buffer: Buffer = Buffer.alloc(0);
  private eof = false;
  private inflight: Promise<{ bytesRead: number; buffer: Buffer }> | null = null;
  private busy = false;
  private isClosed = false;
  private readonly decoder: StringDecoder | null;

  /** @internal Use {@link openFile}. */
  constructor(
    /** The Node `FileHandle`. */
    readonly handle: NodeFileHandle,
    /** The file's path. */
    readonly name: string,
    /** The mode it was opened with. */
    readonly mode: FileMode,
    encoding: NodeBufferEncoding,
    private position: number | null,
  ) {
    this.decoder = mode.includes('b') ? null : new StringDecoder(encoding);
  }

  /** True once `aclose()` was called (Python's `closed`). */
  get closed(): boolean {
    return this.isClosed;
  }

  private enter(): void {
    if (this.isClosed) throw new ClosedResourceError('this file was closed');
    if (this.busy) throw new BusyResourceError('another task is already using this file');
    this.busy = true;
  }

  private out(bytes: Buffer): T {
    return (this.decoder === null ? bytes : this.decoder.write(bytes)) as T;
  }

  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    this.inflight ??= this.handle.read(Buffer.alloc(READ_CHUNK), 0, READ_CHUNK, this.position);
    const { bytesRead, buffer } = await awaitForeign(this.inflight);
    this.inflight = null;
    if (bytesRead === 0) {
      this.eof = true;
      return false;
    }
    if (this.position !== null) this.position += bytesRead;
    const data = buffer.subarray(0, bytesRead);
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    return true;
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Reads up to `size` bytes, or to the end of the file when `size` is negative or omitted. Empty at end of file. */
  async read(size = -1): Promise<T> {
    checkNumber('read()', 'size', size, { integer: true });
    this.enter();
    try {
      await checkpointIfCancelled();
      let filled = false;
      if (size < 0) {
        while (await this.fill()) filled = true;
      } else if (this.buffer.length === 0 && size > 0) {
        filled = await this.fill();
      }
      const bytes = this.take(size < 0 ? this.buffer.length : size);
      if (!filled) await cancelShieldedCheckpoint();
      const text = this.out(bytes);
      return (size < 0 && this.decoder !== null ? text + this.decoder.end() : text) as T;
    } finally {
      this.busy = false;
    }
  }

  /** Reads one line, with its `\n`; empty at end of file (Python's `readline`). */
  async readLine(): Promise<T> {
    this.enter();
    try {
      await checkpointIfCancelled();
      let filled = false;
      let from = 0;
      for (;;) {
        const at = this.buffer.indexOf(10, from);
        if (at >= 0) {
          const line = this.take(at + 1);
          if (!filled) await cancelShieldedCheckpoint();
          return this.out(line);
        }
        from = this.buffer.length;
        if (!(await this.fill())) {
          if (!filled) await cancelShieldedCheckpoint();
          return this.out(this.take(this.buffer.length));
        }
        filled = true;
      }
    } finally {
      this.busy = false;
    }
  }

  /** Writes all of `data` (a string is encoded in text mode as the file's encoding, UTF-8 in binary mode); returns the bytes written. */
  async write(data: Bytes): Promise<number> {
    const bytes = toBuffer(data, 'write()');
    this.enter();
    try {
      await checkpointIfCancelled();
      if (this.position !== null && this.buffer.length !== 0) {
        // Write where the reader is, not where the read-ahead got to.
        this.position -= this.buffer.length;
        this.buffer = Buffer.alloc(0);
      }
      const append = this.mode.includes('a');
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await completeThenCheckpoint(
          this.handle.write(bytes, written, bytes.length - written, append ? null : this.position),
          'a file write',
        );
        written += bytesWritten;
        if (this.position !== null && !append) this.position += bytesWritten;
      }
      return written;
    } finally {
      this.busy = false;
    }
  }

  /** The current position (for regular files; `null` for pipes and devices). */
  tell(): number | null {
    return this.position === null ? null : this.position - this.buffer.length;
  }

  /** Moves to byte `offset` from the start (regular files only). */
  async seek(offset: number): Promise<number> {
    checkNumber('seek()', 'offset', offset, { integer: true, min: 0 });
    if (this.position === null) throw new ValueError('seek(): this file is not seekable');
    this.enter();
    try {
      this.position = offset;
      this.buffer = Buffer.alloc(0);
      this.eof = false;
      await checkpoint();
      return offset;
    } finally {
      this.busy = false;
    }
  }

  /** Closes the file (waiting for a read still running in the background, if any). */
  async aclose(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      await completeThenCheckpoint(this.handle.close(), 'closing a file');
      return;
    }
    await checkpoint();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates with `for await`. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return untilEmpty(() => this.readLine());
  }
}
