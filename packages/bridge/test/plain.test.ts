import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { awaitEvent, awaitPromise, iterate, runWithSignal, toAsyncIterable } from '@duet/bridge';
import { CancelScope, currentTask, openNursery, sleep, waitAllTasksBlocked } from '@duet/kernel';
import { moveOnAfter, openMemoryChannel, sleepForever } from '@duet/trio';

describe('runWithSignal', () => {
  test('resolves with the result when not aborted', async () => {
    await expect(runWithSignal(new AbortController().signal, async () => 42)).resolves.toBe(42);
  });

  test('aborting in the middle of a nursery cancels everything and rejects with the reason', async () => {
    const ac = new AbortController();
    const reason = new Error('client went away');
    const unwound: string[] = [];
    const result = runWithSignal(ac.signal, async () => {
      await openNursery(async (n) => {
        for (const name of ['a', 'b']) {
          n.startSoon(async () => {
            try {
              await sleepForever();
            } finally {
              unwound.push(name);
            }
          });
        }
        setTimeout(() => ac.abort(reason), 2);
        await sleepForever();
      });
    });
    await expect(result).rejects.toBe(reason);
    expect(unwound.sort()).toEqual(['a', 'b']);
  });

  test('an already aborted signal rejects at once; errors pass through', async () => {
    const ac = new AbortController();
    ac.abort(new Error('early'));
    await expect(runWithSignal(ac.signal, async () => 1)).rejects.toThrow('early');
    await expect(
      runWithSignal(new AbortController().signal, async () => {
        throw new TypeError('bad');
      }),
    ).rejects.toBeInstanceOf(TypeError);
  });

  test('the asyncio style hosts the function in asyncio.run', async () => {
    await expect(
      runWithSignal(new AbortController().signal, async () => currentTask().name, {
        style: 'asyncio',
      }),
    ).resolves.toEqual(expect.any(String));
  });

  test('bad input is a TypeError', () => {
    expect(() => runWithSignal({} as AbortSignal, async () => 1)).toThrow(TypeError);
  });
});

describe('awaiting plain sources', () => {
  test('awaitEvent resolves with the event arguments and is cancellable', async () => {
    const emitter = new EventEmitter();
    await runWithSignal(new AbortController().signal, async () => {
      setTimeout(() => emitter.emit('ready', 1, 2), 1);
      expect(await awaitEvent(emitter, 'ready')).toEqual([1, 2]);
      const moved = await moveOnAfter(0.002, () => awaitEvent(emitter, 'never'));
      expect(moved).toBeUndefined();
      expect(emitter.listenerCount('never')).toBe(0);
    });
  });

  test('awaitPromise abandons a slow promise on cancellation', async () => {
    await runWithSignal(new AbortController().signal, async () => {
      const scope = new CancelScope({ relativeDeadline: 0.002 });
      await scope.run(() => awaitPromise(new Promise((r) => setTimeout(r, 20))));
      expect(scope.cancelledCaught).toBe(true);
    });
  });

  test('iterate walks a Node stream and destroys it when cancelled', async () => {
    await runWithSignal(new AbortController().signal, async () => {
      const seen: string[] = [];
      for await (const chunk of iterate(Readable.from(['a', 'b', 'c']))) seen.push(String(chunk));
      expect(seen).toEqual(['a', 'b', 'c']);

      const endless = new Readable({ read() {} });
      endless.push('first');
      const scope = new CancelScope();
      await scope.run(async () => {
        for await (const chunk of iterate(endless)) {
          expect(String(chunk)).toBe('first');
          scope.cancel();
        }
      });
      expect(scope.cancelledCaught).toBe(true);
      await sleep(0);
      expect(endless.destroyed).toBe(true);
    });
  });

  test('iterate returns an async generator left early (its finally runs)', async () => {
    const events: string[] = [];
    async function* numbers(): AsyncGenerator<number> {
      try {
        for (let i = 1; ; i++) yield i;
      } finally {
        events.push('closed');
      }
    }
    await runWithSignal(new AbortController().signal, async () => {
      for await (const n of iterate(numbers())) {
        events.push(String(n));
        if (n === 2) break;
      }
      await sleep(0);
    });
    expect(events).toEqual(['1', '2', 'closed']);
  });

  test('iterate rejects a non-iterable', async () => {
    await runWithSignal(new AbortController().signal, async () => {
      await expect(iterate(42 as never).next()).rejects.toBeInstanceOf(TypeError);
    });
  });
});

describe('toAsyncIterable', () => {
  test('plain code consumes a channel with back-pressure until it ends', async () => {
    const consumed: number[] = [];
    await runWithSignal(new AbortController().signal, async () => {
      const [send, receive] = openMemoryChannel<number>(0);
      await openNursery(async (n) => {
        const items = toAsyncIterable(receive, n);
        const plain = (async () => {
          for await (const v of items) consumed.push(v);
        })();
        for (let i = 0; i < 5; i++) await send.send(i);
        send.close();
        await awaitPromise(plain);
      });
    });
    expect(consumed).toEqual([0, 1, 2, 3, 4]);
  });

  test('a consumer that stops ends the pump without failing the nursery', async () => {
    await runWithSignal(new AbortController().signal, async () => {
      const [send, receive] = openMemoryChannel<number>(Infinity);
      for (let i = 0; i < 10; i++) send.sendNowait(i);
      await openNursery(async (n) => {
        const items = toAsyncIterable(receive, n);
        const firstTwo = (async () => {
          const got: number[] = [];
          for await (const v of items) {
            got.push(v);
            if (got.length === 2) break;
          }
          return got;
        })();
        expect(await awaitPromise(firstTwo)).toEqual([0, 1]);
      });
    });
  });

  test('return() while a next() is pending loses no value and does not fail the nursery (issue 15)', async () => {
    const out = await runWithSignal(new AbortController().signal, async () => {
      const [send, receive] = openMemoryChannel<number>(0);
      let results: unknown[] = [];
      await openNursery(async (n) => {
        const it = toAsyncIterable(receive, n)[Symbol.asyncIterator]();
        const pending = it.next();
        await waitAllTasksBlocked(); // the pump waits in receive()
        send.sendNowait(1); // handed to the pump...
        const returned = it.return!(); // ...and the consumer stops in the same step
        results = [await awaitPromise(pending), await awaitPromise(returned)];
      });
      return results;
    });
    expect(out).toEqual([
      { done: false, value: 1 },
      { done: true, value: undefined },
    ]);
  });

  test('errors from the receiver reach the consumer', async () => {
    await runWithSignal(new AbortController().signal, async () => {
      await openNursery(async (n) => {
        const items = toAsyncIterable({ receive: () => Promise.reject(new Error('broken')) }, n);
        await expect(awaitPromise(items[Symbol.asyncIterator]().next())).rejects.toThrow('broken');
      });
    });
  });
});
