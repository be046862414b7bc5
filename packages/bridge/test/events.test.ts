import { EventEmitter, getEventListeners } from 'node:events';
import { PassThrough } from 'node:stream';
import { EventOverflowError, awaitEvent, iterateEvents } from '@duet/bridge';
import { ValueError, sleep } from '@duet/kernel';
import { moveOnAfter, run } from '@duet/trio';

describe('awaitEvent', () => {
  test('an EventTarget resolves with [event] and is typed so', async () => {
    const target = new EventTarget();
    const got = await run(async () => {
      setTimeout(() => target.dispatchEvent(new CustomEvent('ping', { detail: 42 })), 2);
      const [event] = await awaitEvent<CustomEvent<number>>(target, 'ping');
      return event.detail;
    });
    expect(got).toBe(42);
  });

  test('cancellation removes the EventTarget listener; bad sources are TypeErrors', async () => {
    const ac = new AbortController();
    await run(async () => {
      await moveOnAfter(0.01, () => awaitEvent(ac.signal, 'abort'));
      expect(() => awaitEvent({} as EventEmitter, 'x')).toThrow(TypeError);
    });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});

describe('iterateEvents', () => {
  test('EventTarget events in order; break removes the listener', async () => {
    const target = new EventTarget();
    let listening = 0;
    const add = target.addEventListener.bind(target);
    const remove = target.removeEventListener.bind(target);
    target.addEventListener = (...a: Parameters<EventTarget['addEventListener']>) => {
      listening++;
      add(...a);
    };
    target.removeEventListener = (...a: Parameters<EventTarget['removeEventListener']>) => {
      listening--;
      remove(...a);
    };
    const seen = await run(async () => {
      const out: number[] = [];
      const events = iterateEvents<CustomEvent<number>>(target, 'tick');
      let i = 0;
      const timer = setInterval(
        () => target.dispatchEvent(new CustomEvent('tick', { detail: ++i })),
        1,
      );
      try {
        for await (const event of events) {
          out.push(event.detail);
          if (out.length === 3) break;
        }
      } finally {
        clearInterval(timer);
      }
      return out;
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(listening).toBe(0);
  });

  test('EventEmitter: args arrays, an error event ends the loop with it, listeners removed', async () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    const boom = new Error('boom');
    await run(async () => {
      const events = iterateEvents(emitter, 'data');
      emitter.emit('data', 1, 'a');
      emitter.emit('data', 2, 'b');
      emitter.emit('error', boom);
      await expect(
        (async () => {
          for await (const args of events) seen.push(args);
        })(),
      ).rejects.toBe(boom);
    });
    expect(seen).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(emitter.listenerCount('data') + emitter.listenerCount('error')).toBe(0);
  });

  test('a blocked step is a cancel point and cancellation removes the listeners', async () => {
    const emitter = new EventEmitter();
    await run(async () => {
      const result = await moveOnAfter(0.01, async () => {
        for await (const _ of iterateEvents(emitter, 'never')) return 'got one';
        return 'ended';
      });
      expect(result).toBeUndefined();
    });
    expect(emitter.listenerCount('never') + emitter.listenerCount('error')).toBe(0);
  });

  test('a step with events buffered is a cancel point too (a cancelled scope takes none)', async () => {
    // It checked for cancellation without awaiting the check: "a Duet call was not awaited" (the
    // buffer test above failed so whenever its 10 ms deadline passed before the loop began).
    const emitter = new EventEmitter();
    const out = await run(async () => {
      const events = iterateEvents(emitter, 'e');
      emitter.emit('e', 1);
      const taken: unknown[] = [];
      await moveOnAfter(0, async () => {
        for await (const [v] of events) taken.push(v);
      });
      return taken;
    });
    expect(out).toEqual([]);
    expect(emitter.listenerCount('e')).toBe(0);
  });

  test('the buffer is bounded: error (after the buffered events), dropOldest, dropNewest', async () => {
    const burst = (emitter: EventEmitter) => {
      for (let i = 1; i <= 5; i++) emitter.emit('e', i);
    };
    const collect = async (overflow?: 'dropOldest' | 'dropNewest') => {
      const emitter = new EventEmitter();
      const events = iterateEvents(
        emitter,
        'e',
        overflow ? { bufferSize: 2, overflow } : { bufferSize: 2 },
      );
      burst(emitter);
      const out: unknown[] = [];
      try {
        // Long enough for a loaded machine to read the buffer first; only the drop cases wait it out.
        await moveOnAfter(0.25, async () => {
          for await (const [v] of events) out.push(v);
        });
      } catch (err) {
        out.push((err as Error).name);
      }
      return out;
    };
    await run(async () => {
      expect(await collect()).toEqual([1, 2, 'EventOverflowError']);
      expect(await collect('dropOldest')).toEqual([4, 5]);
      expect(await collect('dropNewest')).toEqual([1, 2]);
      expect(() => iterateEvents(new EventEmitter(), 'e', { bufferSize: 0 })).toThrow(ValueError);
      expect(() => iterateEvents({} as EventEmitter, 'e')).toThrow(TypeError);
    });
    expect(new EventOverflowError('x')).toBeInstanceOf(Error);
  });

  test('a Node stream is paused when the buffer fills and resumed as the loop drains it', async () => {
    const stream = new PassThrough({ objectMode: true });
    const pausedAt: number[] = [];
    const total = await run(async () => {
      const events = iterateEvents(stream, 'data', { bufferSize: 4 });
      for (let i = 0; i < 20; i++) stream.write(i);
      stream.end();
      let n = 0;
      await moveOnAfter(0.2, async () => {
        for await (const [chunk] of events) {
          if (stream.isPaused()) pausedAt.push(chunk as number);
          n++;
          if (n === 20) break;
          await sleep(0.001);
        }
      });
      return n;
    });
    expect(total).toBe(20);
    expect(pausedAt.length).toBeGreaterThan(0);
    expect(stream.listenerCount('data')).toBe(0);
  });
});
