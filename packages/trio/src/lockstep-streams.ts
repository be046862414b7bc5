/**
 * Trio's lockstep streams for tests (`trio.testing.lockstep_stream_one_way_pair`,
 * `lockstep_stream_pair`): streams with no buffer at all, so a `sendAll` returns only once the
 * receiver has taken every byte, the strictest transport a protocol can meet.
 */
import { ParkingLot, checkpoint } from '@duet/kernel';
import { ConflictDetector } from './conflict';
import { ClosesAtOnce } from './memory-streams';
import { BrokenResourceError, ClosedResourceError } from './errors';
import { StapledStream } from './stapled';
import {
  checkBufferSize,
  toBuffer,
  untilEmpty,
  type Bytes,
  type ReceiveStream,
  type SendStream,
} from './stream-abc';

const EMPTY = Buffer.alloc(0);

/** The state both ends of a lockstep pair share; every change wakes every waiter to look again. */
class LockstepPipe {
  /** Bytes a `sendAll` handed over that the receiver has not taken yet. */
  private data: Buffer = EMPTY;
  senderClosed = false;
  receiverClosed = false;
  /** A `receiveSome` is waiting: what `waitSendAllMightNotBlock` waits for. */
  private receiverWaiting = false;
  private readonly lot = new ParkingLot('the other end of a lockstep stream');
  readonly sending = new ConflictDetector('another task is already sending');
  readonly receiving = new ConflictDetector('another task is already receiving');

  private changed(): void {
    this.lot.unparkAll();
  }

  /** Parks until `ready()` or either end closes; a checkpoint if that holds already. */
  private async waitUntil(ready: () => boolean): Promise<void> {
    if (ready() || this.senderClosed || this.receiverClosed) {
      await checkpoint();
      return;
    }
    do await this.lot.park();
    while (!ready() && !this.senderClosed && !this.receiverClosed);
  }

  private checkSender(): void {
    if (this.senderClosed) throw new ClosedResourceError('this stream was closed');
  }

  async send(data: Buffer): Promise<void> {
    this.checkSender();
    if (this.receiverClosed) throw new BrokenResourceError('the receiving end was closed');
    // A cancelled send leaves its bytes for the receiver, as any stream may have sent part of them.
    if (data.length !== 0) {
      this.data = Buffer.concat([this.data, data]);
      this.changed();
    }
    await this.waitUntil(() => this.data.length === 0);
    this.checkSender();
    if (this.data.length !== 0) throw new BrokenResourceError('the receiving end was closed');
  }

  async waitReceiver(): Promise<void> {
    this.checkSender();
    await this.waitUntil(() => this.receiverWaiting);
    this.checkSender();
  }

  async receive(maxBytes: number | undefined): Promise<Buffer> {
    if (this.receiverClosed) throw new ClosedResourceError('this stream was closed');
    this.receiverWaiting = true;
    this.changed();
    try {
      await this.waitUntil(() => this.data.length !== 0);
    } finally {
      this.receiverWaiting = false;
    }
    if (this.receiverClosed) throw new ClosedResourceError('this stream was closed');
    const data = this.data;
    if (data.length === 0) return EMPTY;
    const size = maxBytes === undefined ? data.length : Math.min(maxBytes, data.length);
    this.data = data.subarray(size);
    this.changed();
    return data.subarray(0, size);
  }

  closeSender(): void {
    this.senderClosed = true;
    this.changed();
  }

  closeReceiver(): void {
    this.receiverClosed = true;
    this.changed();
  }
}

class LockstepSendStream extends ClosesAtOnce implements SendStream {
  constructor(private readonly pipe: LockstepPipe) {
    super();
  }

  async sendAll(data: Bytes): Promise<void> {
    const bytes = Buffer.from(toBuffer(data, 'sendAll()'));
    await this.pipe.sending.run(() => this.pipe.send(bytes));
  }

  async waitSendAllMightNotBlock(): Promise<void> {
    await this.pipe.sending.run(() => this.pipe.waitReceiver());
  }

  close(): void {
    this.pipe.closeSender();
  }
}

class LockstepReceiveStream extends ClosesAtOnce implements ReceiveStream {
  constructor(private readonly pipe: LockstepPipe) {
    super();
  }

  async receiveSome(maxBytes?: number): Promise<Uint8Array> {
    if (maxBytes !== undefined) checkBufferSize('receiveSome()', 'maxBytes', maxBytes);
    return this.pipe.receiving.run(() => this.pipe.receive(maxBytes));
  }

  close(): void {
    this.pipe.closeReceiver();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return untilEmpty(() => this.receiveSome());
  }
}

/**
 * `trio.testing.lockstep_stream_one_way_pair`: a connected send and receive stream with no buffer.
 * `sendAll` returns once the receiver has taken all of its bytes (a cancelled one leaves them for
 * the receiver); `waitSendAllMightNotBlock` returns once a `receiveSome` is waiting. Closing the
 * receiver makes sending raise `BrokenResourceError`; closing the sender gives the receiver what
 * is left, then empty chunks.
 *
 * @example
 * ```ts
 * const [send, receive] = lockstepStreamOneWayPair();
 * nursery.startSoon(() => send.sendAll('abc')); // returns once all of 'abc' is received
 * await receive.receiveSome(1); // 'a'
 * await receive.receiveSome(); // 'bc'
 * ```
 */
export function lockstepStreamOneWayPair(): [
  SendStream & {
    /** Closes the sending end at once, without a checkpoint. */
    close(): void;
  },
  ReceiveStream & {
    /** Closes the receiving end at once, without a checkpoint. */
    close(): void;
  },
] {
  const pipe = new LockstepPipe();
  return [new LockstepSendStream(pipe), new LockstepReceiveStream(pipe)];
}

/**
 * `trio.testing.lockstep_stream_pair`: two connected bidirectional streams with no buffer, each a
 * {@link StapledStream} of two {@link lockstepStreamOneWayPair}s.
 *
 * @example
 * ```ts
 * const [client, server] = lockstepStreamPair();
 * ```
 */
export function lockstepStreamPair(): [StapledStream, StapledStream] {
  const [sendA, receiveA] = lockstepStreamOneWayPair();
  const [sendB, receiveB] = lockstepStreamOneWayPair();
  return [new StapledStream(sendA, receiveB), new StapledStream(sendB, receiveA)];
}
