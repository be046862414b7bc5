// StapledStream behaviours that Trio's own suite checks (trio/_tests/test_highlevel_generic.py),
// written afresh for Duet: each call goes to the right half, sendEof falls back to aclose, and
// closing closes both halves even when one fails.
import { StapledStream, type Bytes, type ReceiveStream, type SendStream } from '@duet/trio';
import { trioTest } from '@duet/trio/testing';

type Entry = string | [string, unknown];

class RecordSendStream implements SendStream {
  readonly record: Entry[] = [];
  async sendAll(data: Bytes): Promise<void> {
    this.record.push(['sendAll', data]);
  }
  async waitSendAllMightNotBlock(): Promise<void> {
    this.record.push('waitSendAllMightNotBlock');
  }
  async aclose(): Promise<void> {
    this.record.push('aclose');
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

class RecordReceiveStream implements ReceiveStream {
  readonly record: Entry[] = [];
  async receiveSome(maxBytes?: number): Promise<Uint8Array> {
    this.record.push(['receiveSome', maxBytes]);
    return new Uint8Array();
  }
  async aclose(): Promise<void> {
    this.record.push('aclose');
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {}
}

describe('StapledStream', () => {
  test(
    'sends to one half, receives from the other; sendEof is aclose unless the half has its own',
    trioTest(async () => {
      const sendStream = new RecordSendStream();
      const receiveStream = new RecordReceiveStream();
      const stapled = new StapledStream(sendStream, receiveStream);
      expect(stapled.sendStream).toBe(sendStream);
      expect(stapled.receiveStream).toBe(receiveStream);

      await stapled.sendAll('foo');
      await stapled.waitSendAllMightNotBlock();
      expect(sendStream.record).toEqual([['sendAll', 'foo'], 'waitSendAllMightNotBlock']);
      sendStream.record.length = 0;

      await stapled.sendEof();
      expect(sendStream.record).toEqual(['aclose']);
      sendStream.record.length = 0;

      Object.assign(sendStream, {
        sendEof: async () => {
          sendStream.record.push('sendEof');
        },
      });
      await stapled.sendEof();
      expect(sendStream.record).toEqual(['sendEof']);
      sendStream.record.length = 0;
      expect(receiveStream.record).toEqual([]);

      await stapled.receiveSome(1234);
      expect(receiveStream.record).toEqual([['receiveSome', 1234]]);
      expect(sendStream.record).toEqual([]);
      receiveStream.record.length = 0;

      await stapled.aclose();
      expect(receiveStream.record).toEqual(['aclose']);
      expect(sendStream.record).toEqual(['aclose']);
    }),
  );

  test(
    'aclose closes both halves when one or both fail, and raises a failure',
    trioTest(async () => {
      class BrokenSend extends RecordSendStream {
        override async aclose(): Promise<void> {
          await super.aclose();
          throw new Error('send error');
        }
      }
      class BrokenReceive extends RecordReceiveStream {
        override async aclose(): Promise<void> {
          await super.aclose();
          throw new Error('recv error');
        }
      }
      const stapled = new StapledStream(new BrokenSend(), new BrokenReceive());
      await expect(stapled.aclose()).rejects.toThrow(/^(send|recv) error$/);
      expect((stapled.sendStream as RecordSendStream).record).toEqual(['aclose']);
      expect((stapled.receiveStream as RecordReceiveStream).record).toEqual(['aclose']);

      const halfBroken = new StapledStream(new BrokenSend(), new RecordReceiveStream());
      await expect(halfBroken.aclose()).rejects.toThrow('send error');
      expect((halfBroken.receiveStream as RecordReceiveStream).record).toEqual(['aclose']);
    }),
  );
});
