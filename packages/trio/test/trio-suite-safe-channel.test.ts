// `asSafeChannel` (Trio 0.30's `trio.as_safe_channel`), against the behaviours Trio's own tests
// of it check, written afresh for Duet: values only on demand, clean exits when the channel is
// closed early or the block is cancelled, errors unwrapped when there is one, and the generator's
// cleanup run when the block ends.
import {
  CancelScope,
  ClosedResourceError,
  Event,
  ExceptionGroup,
  ValueError,
  asSafeChannel,
  checkpoint,
  moveOnAfter,
  openNursery,
  sleep,
  sleepForever,
  type ReceiveChannel,
  type TaskStatus,
} from '@duet/trio';
import { Matcher, RaisesGroup, trioTest } from '@duet/trio/testing';

test(
  'a generator run to its end gives its values to for await, and the block its result',
  trioTest(async () => {
    const upTo = asSafeChannel(async function* (n: number) {
      for (let i = 0; i < n; i++) yield i;
    });
    const seen = await upTo(3, async (channel) => {
      const values: number[] = [];
      for await (const value of channel) values.push(value);
      return values;
    });
    expect(seen).toEqual([0, 1, 2]);
  }),
);

test(
  'closing the channel early makes the next receive a ClosedResourceError and the exit clean',
  trioTest(async () => {
    const two = asSafeChannel(async function* () {
      yield 1;
      yield 2;
    });
    await two(async (channel) => {
      expect(await channel.receive()).toBe(1);
      await channel.aclose();
      await expect(channel.receive()).rejects.toBeInstanceOf(ClosedResourceError);
    });
  }),
);

test(
  'a block cancelled before it asks for anything never starts the generator',
  trioTest(async () => {
    let started = false;
    const never = asSafeChannel(async function* () {
      started = true;
      yield 'x';
    });
    const scope = new CancelScope();
    await scope.run(() =>
      never(async () => {
        scope.cancel();
      }),
    );
    expect(started).toBe(false);
  }),
);

test(
  'a generator that produces after the block closed the channel ends without an error',
  trioTest(async () => {
    const event = new Event();
    const late = asSafeChannel(async function* () {
      await event.wait();
      yield 1;
    });
    await late(async (channel) => {
      await channel.aclose();
      event.set();
      await sleep(1);
    });
  }),
);

test(
  "the generator's error after its last value comes out as itself, not in a group",
  trioTest(async () => {
    const failing = asSafeChannel(async function* () {
      yield 1;
      throw new ValueError('oae');
    });
    const seen: number[] = [];
    const error = await failing(async (channel) => {
      for await (const value of channel) seen.push(value);
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toBe('oae');
    expect(seen).toEqual([1]);
  }),
);

test(
  'the generator is not asked for a value the block has not asked for',
  trioTest(async () => {
    let asked = 0;
    const lazy = asSafeChannel(async function* () {
      asked++;
      yield 1;
      asked++;
      throw new Error('asked for a second value');
    });
    await moveOnAfter(5, () =>
      lazy(async (channel) => {
        for await (const value of channel) {
          expect(value).toBe(1);
          await sleepForever();
        }
      }),
    );
    expect(asked).toBe(1);
    await lazy(async (channel) => {
      expect(await channel.receive()).toBe(1);
      await checkpoint();
    });
    expect(asked).toBe(2);
  }),
);

test(
  "the block's error and the generator's cleanup error come out together, in Trio's group",
  trioTest(async () => {
    const events: string[] = [];
    const fragile = asSafeChannel(async function* () {
      try {
        yield 1;
      } finally {
        events.push('finally');
        // eslint-disable-next-line no-unsafe-finally -- the cleanup error is the point
        throw new ValueError('agen');
      }
    });
    const expected = new RaisesGroup(
      new RaisesGroup(
        new Matcher(ValueError, { match: /^agen$/ }),
        new Matcher(TypeError, { match: /^iterator$/ }),
      ),
      {
        match:
          /^Encountered exception during cleanup of generator object, as well as exception in the contextmanager body - unable to unwrap\.$/,
      },
    );
    await expected.raises(() =>
      fragile(async (channel) => {
        for await (const value of channel) {
          expect(value).toBe(1);
          throw new TypeError('iterator');
        }
      }),
    );
    // JavaScript closes a generator by return(), so only its finally blocks see the close (Python
    // throws GeneratorExit into it first).
    expect(events).toEqual(['finally']);
  }),
);

test(
  'an early break closes the generator: its finally blocks run, in a cancelled scope',
  trioTest(async () => {
    const events: string[] = [];
    const endless = asSafeChannel(async function* () {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        events.push('finally');
        await sleep(1).catch((err: unknown) => events.push((err as Error).name));
      }
    });
    const first = await endless(async (channel) => {
      for await (const value of channel) return value;
      return -1;
    });
    expect(first).toBe(0);
    expect(events).toEqual(['finally', 'Cancelled']);
  }),
);

test(
  'channels of the same generator nest, each with its own generator',
  trioTest(async () => {
    const two = asSafeChannel(async function* () {
      for (let i = 0; i < 2; i++) yield i;
    });
    const pairs: string[] = [];
    await two(async (outer) => {
      for await (const i of outer) {
        await two(async (inner) => {
          for await (const j of inner) pairs.push(`${i}${j}`);
        });
      }
    });
    expect(pairs).toEqual(['00', '01', '10', '11']);
  }),
);

test(
  "the block's own ExceptionGroup is not unwrapped",
  trioTest(async () => {
    const one = asSafeChannel(async function* () {
      yield undefined;
    });
    const mine = new ExceptionGroup('foo', [new ValueError('bar')]);
    await expect(
      one(async () => {
        throw mine;
      }),
    ).rejects.toBe(mine);
  }),
);

test(
  'several tasks can receive from one channel, each value going to one of them in turn',
  trioTest(async () => {
    const event = new Event();
    const values = asSafeChannel(async function* () {
      await event.wait();
      for (let i = 0; i < 2; i++) yield i;
    });
    const got: number[] = [];
    const receiveOne = async (channel: ReceiveChannel<number>, status: TaskStatus) => {
      status.started();
      got.push(await channel.receive());
    };
    await values(async (channel) => {
      await openNursery(async (nursery) => {
        await nursery.start(receiveOne, channel);
        await nursery.start(receiveOne, channel);
        event.set();
      });
    });
    expect(got).toEqual([0, 1]);
  }),
);

describe('mistakes', () => {
  test('an async function, not an async generator function, is a TypeError at once', () => {
    expect(() => asSafeChannel((async () => 1) as never)).toThrow(
      /is an async function; decorate an async generator function/,
    );
    expect(() => asSafeChannel(42 as never)).toThrow(TypeError);
  });

  test(
    'a function that returns no async iterator, or a missing block, is a TypeError on opening',
    trioTest(async () => {
      const notAGenerator = asSafeChannel(function numbers() {
        return [1, 2] as never;
      });
      await expect(notAGenerator(async () => {})).rejects.toThrow(
        /numbers returned object, not an async generator/,
      );
      const fine = asSafeChannel(async function* ticks() {
        yield 1;
      });
      await expect((fine as (...a: unknown[]) => Promise<unknown>)()).rejects.toThrow(
        /ticks\(\) \(the block, after the generator's arguments\) expects a function/,
      );
    }),
  );
});
