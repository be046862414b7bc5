/**
 * asyncio's `StreamWriter` over a Node `Writable`: `drain()` waits (a foreign kernel wait) while
 * the write buffer is full.
 */
import net from 'node:net';
import type { Writable } from 'node:stream';
import { HostWait, checkpoint, type NodeWritable } from '@duet/kernel';
import { RuntimeError } from './errors';
import { ConnectionResetError, toPythonError } from './stream-errors';
import { StreamReader, bytesOf } from './stream-reader';

/** What `drain()` returns when there is nothing to wait for. */
const DRAINED: Promise<void> = Promise.resolve();

/**
 * asyncio's `StreamWriter`: `write` buffers at once (no await); `await drain()` waits while the
 * buffer is above its high-water mark, so a writer that drains after each write cannot outrun a
 * slow reader. `close()` flushes and then closes; `await waitClosed()` waits for that.
 *
 * @example
 * ```ts
 * writer.write('hello\n');
 * await writer.drain();
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export class StreamWriter {
  private closing = false;
  private eofWritten = false;
  private error: unknown = null;
  private readonly drainWaiters = new Set<HostWait>();
  private readonly closeWaiters = new Set<HostWait>();

  /** @internal */
  constructor(
    /** The Node stream written to (the socket, or a child's stdin). */
    readonly transport: NodeWritable,
    /** The reader of the same connection, if any. */
    readonly reader: StreamReader | null,
  ) {
    const wakeDrain = (): void => {
      for (const w of this.drainWaiters) w.wake();
      this.drainWaiters.clear();
    };
    transport.on('drain', wakeDrain);
    // Once closing, Node emits no 'drain': a drain() after close() waits for the flush to end.
    transport.on('finish', wakeDrain);
    transport.on('error', (err: unknown) => {
      this.error ??= toPythonError(err);
      wakeDrain();
    });
    transport.on('close', () => {
      wakeDrain();
      for (const w of this.closeWaiters) w.wake();
      this.closeWaiters.clear();
    });
  }

  /** Buffers `data` for sending (UTF-8 for a string). Ignored once closing; `RuntimeError` after `writeEof`. */
  write(data: Uint8Array | string): void {
    const bytes = bytesOf(data, 'write()');
    if (this.eofWritten) throw new RuntimeError('Cannot call write() after write_eof()');
    if (this.closing || this.transport.destroyed) return;
    this.transport.write(bytes);
  }

  /** Writes each item of `data`. */
  writelines(data: Iterable<Uint8Array | string>): void {
    for (const item of data) this.write(item);
  }

  /** Closes the sending direction after the buffered data (the peer reads EOF). */
  writeEof(): void {
    if (this.eofWritten || this.closing) return;
    this.eofWritten = true;
    this.transport.end();
  }

  /** True: TCP sockets and pipes support `writeEof`. */
  canWriteEof(): boolean {
    return true;
  }

  /**
   * Waits until the write buffer is below its high-water mark. As CPython's: raises the paired
   * reader's exception if it has one, then the connection's error; once closing (`close()`
   * called, or the connection lost), yields once and raises `ConnectionResetError('Connection
   * lost')`, unless the buffer is still full, in which case it waits for it to drain first.
   */
  drain(): Promise<void> {
    const readerError = this.reader === null ? null : this.reader.exception();
    if (readerError !== null) return Promise.reject(readerError);
    if (this.error !== null) return Promise.reject(this.error);
    if (this.closing || this.transport.destroyed || this.transport.closed)
      return this.drainClosing();
    // Below the high-water mark there is nothing to wait for: CPython's drain() then returns
    // without yielding (no schedule point, no cancel point), and so does this one, with a promise
    // made once.
    if (!this.transport.writableNeedDrain) return DRAINED;
    return this.waitDrained();
  }

  private async drainClosing(): Promise<void> {
    // CPython yields here so that the loss of the connection is seen: a loop of write() and
    // drain() on a closed writer must fail rather than spin.
    await checkpoint();
    const t = this.transport;
    let waited = false;
    // A full buffer still drains after close(), as CPython's paused protocol waits for it. Node
    // emits no 'drain' once the stream is ending, so this waits for 'finish' (or 'close').
    while (
      this.error === null &&
      !t.destroyed &&
      !t.writableFinished &&
      t.writableLength >= t.writableHighWaterMark
    ) {
      waited = true;
      await this.waitForDrainEvent();
    }
    if (this.error !== null) throw this.error;
    // With nothing left to wait for, the connection is as good as lost, as CPython finds it by now.
    if (!waited) throw new ConnectionResetError('Connection lost');
  }

  private waitForDrainEvent(): Promise<unknown> {
    const wait = new HostWait('StreamWriter.drain', {
      onAbort: () => this.drainWaiters.delete(wait),
    });
    this.drainWaiters.add(wait);
    return wait.wait();
  }

  private async waitDrained(): Promise<void> {
    while (this.transport.writableNeedDrain && !this.transport.destroyed) {
      await this.waitForDrainEvent();
      if (this.error !== null) throw this.error;
    }
    if (this.transport.destroyed && this.error === null && !this.closing)
      throw new ConnectionResetError('Connection lost');
  }

  /** Starts closing: buffered data is flushed, then the transport is closed. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    const t = this.transport as Writable & { destroySoon?: () => void };
    if (t.writableFinished || this.eofWritten) t.destroy();
    else if (typeof t.destroySoon === 'function') t.destroySoon();
    else t.end(() => t.destroy());
  }

  /** True once `close()` was called or the transport closed. */
  isClosing(): boolean {
    return this.closing || this.transport.destroyed;
  }

  /** Waits until the transport has closed; once it has, returns without yielding, as CPython's. */
  async waitClosed(): Promise<void> {
    if (!this.transport.closed) {
      const wait = new HostWait('StreamWriter.waitClosed', {
        onAbort: () => this.closeWaiters.delete(wait),
      });
      this.closeWaiters.add(wait);
      await wait.wait();
    }
    if (this.error !== null && !(this.error instanceof ConnectionResetError)) throw this.error;
  }

  /**
   * Transport information, as asyncio: `'peername'` and `'sockname'` (`[host, port]`), `'socket'`
   * (the Node socket); `defaultValue` otherwise.
   */
  getExtraInfo(name: string, defaultValue: unknown = undefined): unknown {
    const s = this.transport;
    if (!(s instanceof net.Socket)) return defaultValue;
    switch (name) {
      case 'peername':
        return s.remoteAddress === undefined ? defaultValue : [s.remoteAddress, s.remotePort];
      case 'sockname':
        return s.localAddress === undefined ? defaultValue : [s.localAddress, s.localPort];
      case 'socket':
        return s;
      default:
        return defaultValue;
    }
  }
}

/** @internal A reader and writer over one socket. */
export function streamsFor(socket: net.Socket, limit: number): [StreamReader, StreamWriter] {
  const reader = new StreamReader(limit);
  reader._attach(socket);
  return [reader, new StreamWriter(socket, reader)];
}
