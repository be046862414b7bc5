/** `BufferedReceiveStream`: record and line reading over any {@link ReceiveStream}. */
import {
  ValueError,
  cancelShieldedCheckpoint,
  checkMethods,
  checkNumber,
  checkOptions,
  checkpoint,
  checkpointIfCancelled,
} from '@duet/kernel';
import { BrokenResourceError } from './errors';
import {
  DEFAULT_RECEIVE_SIZE,
  RECEIVE_STREAM_METHODS,
  checkBufferSize,
  toBuffer,
  type Bytes,
  type ReceiveStream,
  untilEmpty,
} from './stream-abc';

/**
 * Options of {@link BufferedReceiveStream.receiveUntil}.
 *
 * @example
 * ```ts
 * await buffered.receiveUntil('\r\n\r\n', { maxBytes: 16384 });
 * ```
 */
export interface ReceiveUntilOptions {
  /** The longest record accepted (delimiter excluded); a longer one raises `ValueError`. 64 KiB by default. */
  maxBytes?: number;
}

/** The `maxBytes` of {@link ReceiveUntilOptions}, checked. */
function receiveUntilMaxBytes(api: string, options: ReceiveUntilOptions): number {
  checkOptions(api, options, ['maxBytes']);
  const maxBytes = options.maxBytes ?? DEFAULT_RECEIVE_SIZE;
  checkBufferSize(api, 'maxBytes', maxBytes);
  return maxBytes;
}

/**
 * A {@link ReceiveStream} wrapper that buffers, for record-oriented protocols: `receiveUntil`
 * (Trio's proposed `receive_until`), `receiveLine`, `receiveExactly`, and `lines()`. Cancelling
 * any of them loses nothing: the bytes read so far stay in the buffer for the next call.
 *
 * @example
 * ```ts
 * const reader = new BufferedReceiveStream(stream);
 * for await (const line of reader.lines()) console.log(line);
 * ```
 */
export class BufferedReceiveStream implements ReceiveStream {
  private buffer: Buffer = Buffer.alloc(0);
  private eof = false;

  constructor(
    /** The stream read from. */
    readonly stream: ReceiveStream,
  ) {
    checkMethods(
      'new BufferedReceiveStream()',
      'stream',
      stream,
      RECEIVE_STREAM_METHODS,
      'a ReceiveStream',
    );
  }

  /** Bytes read from the stream and not returned yet. */
  get bufferedBytes(): number {
    return this.buffer.length;
  }

  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    const chunk = await this.stream.receiveSome();
    if (chunk.length === 0) {
      this.eof = true;
      return false;
    }
    this.buffer =
      this.buffer.length === 0
        ? toBuffer(chunk, 'receiveSome() of the wrapped stream')
        : Buffer.concat([this.buffer, chunk]);
    return true;
  }

  private takeBytes(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Returns buffered bytes first (up to `maxBytes`), else reads the stream. */
  async receiveSome(maxBytes = DEFAULT_RECEIVE_SIZE): Promise<Uint8Array> {
    checkBufferSize('receiveSome()', 'maxBytes', maxBytes);
    if (this.buffer.length !== 0) {
      await checkpointIfCancelled();
      const out = this.takeBytes(maxBytes);
      await cancelShieldedCheckpoint();
      return out;
    }
    if (this.eof) {
      await checkpoint();
      return new Uint8Array(0);
    }
    return this.stream.receiveSome(maxBytes);
  }

  /**
   * Reads up to `delimiter` and returns what came before it (the delimiter is consumed, not
   * returned). `null` at end of stream with nothing buffered; `BrokenResourceError` when the stream
   * ends in the middle of a record; `ValueError` past `maxBytes` without a delimiter.
   */
  async receiveUntil(
    delimiter: Bytes,
    options: ReceiveUntilOptions = {},
  ): Promise<Uint8Array | null> {
    const delim = toBuffer(delimiter, 'receiveUntil()', 'delimiter');
    if (delim.length === 0)
      throw new ValueError('receiveUntil(): delimiter must be a non-empty string or bytes');
    const maxBytes = receiveUntilMaxBytes('receiveUntil()', options);
    await checkpointIfCancelled();
    let searchFrom = 0;
    let filled = false;
    for (;;) {
      const at = this.buffer.indexOf(delim, searchFrom);
      if (at >= 0 && at <= maxBytes) {
        const out = Buffer.from(this.takeBytes(at));
        this.takeBytes(delim.length);
        if (!filled) await cancelShieldedCheckpoint();
        return out;
      }
      if (at > maxBytes || this.buffer.length > maxBytes + delim.length) {
        throw new ValueError(`no delimiter found within maxBytes (${maxBytes}) bytes`);
      }
      searchFrom = Math.max(0, this.buffer.length - delim.length + 1);
      if (!(await this.fill())) {
        if (!filled) await cancelShieldedCheckpoint();
        if (this.buffer.length === 0) return null;
        throw new BrokenResourceError(
          `the stream ended with ${this.buffer.length} byte(s) and no delimiter`,
        );
      }
      filled = true;
    }
  }

  /**
   * Reads one line and returns it decoded as UTF-8 without its `\n` (nor a `\r` before it). At end
   * of stream: the last line if it had no `\n`, then `null`.
   */
  async receiveLine(options: ReceiveUntilOptions = {}): Promise<string | null> {
    receiveUntilMaxBytes('receiveLine()', options);
    let line: Uint8Array | null;
    try {
      line = await this.receiveUntil('\n', options);
    } catch (err) {
      if (!(err instanceof BrokenResourceError) || !this.eof) throw err;
      line = this.takeBytes(this.buffer.length);
    }
    if (line === null) return null;
    let text = Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return text;
  }

  /** Reads exactly `n` bytes; `BrokenResourceError` if the stream ends first (the bytes stay buffered). */
  async receiveExactly(n: number): Promise<Uint8Array> {
    checkNumber('receiveExactly()', 'n', n, { integer: true, min: 0 });
    await checkpointIfCancelled();
    let filled = false;
    while (this.buffer.length < n) {
      if (!(await this.fill())) {
        throw new BrokenResourceError(
          `the stream ended after ${this.buffer.length} of ${n} byte(s)`,
        );
      }
      filled = true;
    }
    const out = Buffer.from(this.takeBytes(n));
    if (!filled) await cancelShieldedCheckpoint();
    return out;
  }

  /** Async iteration over the lines of the stream (as {@link receiveLine}). */
  lines(options: ReceiveUntilOptions = {}): AsyncGenerator<string, void, undefined> {
    receiveUntilMaxBytes('lines()', options);
    return this.eachLine(options);
  }

  private async *eachLine(options: ReceiveUntilOptions): AsyncGenerator<string, void, undefined> {
    for (;;) {
      const line = await this.receiveLine(options);
      if (line === null) return;
      yield line;
    }
  }

  /** Closes the underlying stream and drops the buffer. */
  async aclose(): Promise<void> {
    this.buffer = Buffer.alloc(0);
    await this.stream.aclose();
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates with `for await`. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return untilEmpty(() => this.receiveSome());
  }
}
