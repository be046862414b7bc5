/** `StapledStream`: one bidirectional stream made of a send stream and a receive stream. */
import { checkMethods } from '@duet/kernel';
import {
  RECEIVE_STREAM_METHODS,
  SEND_STREAM_METHODS,
  type Bytes,
  type HalfCloseableStream,
  type ReceiveStream,
  type SendStream,
} from './stream-abc';

/**
 * `trio.StapledStream`: one bidirectional {@link Stream} made of a send stream and a receive
 * stream. `sendEof` ends the send stream (with its own `sendEof` if it has one, else `aclose`).
 *
 * @example
 * ```ts
 * const proc = await openProcess(['cat'], { stdin: 'pipe', stdout: 'pipe' });
 * const stream = new StapledStream(proc.stdin!, proc.stdout!);
 * await stream.sendAll('hi');
 * ```
 */
export class StapledStream implements HalfCloseableStream {
  constructor(
    /** Where `sendAll` goes. */
    readonly sendStream: SendStream,
    /** Where `receiveSome` reads. */
    readonly receiveStream: ReceiveStream,
  ) {
    checkMethods(
      'new StapledStream()',
      'sendStream',
      sendStream,
      SEND_STREAM_METHODS,
      'a SendStream',
    );
    checkMethods(
      'new StapledStream()',
      'receiveStream',
      receiveStream,
      RECEIVE_STREAM_METHODS,
      'a ReceiveStream',
    );
  }

  sendAll(data: Bytes): Promise<void> {
    return this.sendStream.sendAll(data);
  }

  waitSendAllMightNotBlock(): Promise<void> {
    return this.sendStream.waitSendAllMightNotBlock();
  }

  sendEof(): Promise<void> {
    const s = this.sendStream as Partial<HalfCloseableStream> & SendStream;
    return typeof s.sendEof === 'function' ? s.sendEof() : s.aclose();
  }

  receiveSome(maxBytes?: number): Promise<Uint8Array> {
    return this.receiveStream.receiveSome(maxBytes);
  }

  /** Closes both streams (the receive stream even if closing the send stream fails). */
  async aclose(): Promise<void> {
    try {
      await this.sendStream.aclose();
    } finally {
      await this.receiveStream.aclose();
    }
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates with `for await`. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.receiveStream[Symbol.asyncIterator]();
  }
}
