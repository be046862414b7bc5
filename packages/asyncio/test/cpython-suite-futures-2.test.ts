/**
 * More scenarios of CPython 3.13's Lib/test/test_asyncio/test_futures.py, restated for Duet's
 * Future (the first ones are in cpython-suite-futures.test.ts). Expected values are what CPython
 * 3.13.0 gave, in JavaScript's terms: a value shows as JavaScript writes it (`null`, a string in
 * single quotes), an error as `Name('message')`.
 */
import {
  CancelledError,
  Future,
  InvalidStateError,
  RuntimeError,
  getRunningLoop,
  isFuture,
  run,
} from '@duet/asyncio';

const first = (): void => {};
const last = (): void => {};
const fake = (): void => {};

describe('CPython test_futures: repr', () => {
  test('test_future_repr: pending, cancelled, a result, an error', async () => {
    const got = await run(() => {
      const pending = new Future();
      const cancelled = new Future();
      cancelled.cancel();
      const four = new Future<number>();
      four.setResult(4);
      const failed = new Future();
      failed.setException(new RangeError());
      const withMessage = new Future();
      withMessage.setException(new RangeError('bad'));
      const reprs = [pending, cancelled, four, failed, withMessage].map(String);
      for (const f of [failed, withMessage]) f.exception();
      pending.cancel();
      return reprs;
    });
    expect(got).toEqual([
      '<Future pending>',
      '<Future cancelled>',
      '<Future finished result=4>',
      '<Future finished exception=RangeError()>',
      "<Future finished exception=RangeError('bad')>",
    ]);
  });

  test('a long result is shortened in the middle, as reprlib; null and lists as JavaScript shows them', async () => {
    const got = await run(() =>
      ['x'.repeat(100), null, [1, 'a', null, true]].map((v) => {
        const f = new Future();
        f.setResult(v);
        return String(f);
      }),
    );
    expect(got).toEqual([
      "<Future finished result='xxxxxxxxxxxx...xxxxxxxxxxxxx'>",
      '<Future finished result=null>',
      "<Future finished result=[1, 'a', null, true]>",
    ]);
  });

  test('test_future_repr: a pending future lists its done callbacks, the middle ones counted past two', async () => {
    const got = await run(() => {
      const one = new Future();
      one.addDoneCallback(fake);
      const two = new Future();
      two.addDoneCallback(first);
      two.addDoneCallback(last);
      const many = new Future();
      many.addDoneCallback(first);
      for (let i = 0; i < 8; i++) many.addDoneCallback(fake);
      many.addDoneCallback(last);
      const reprs = [one, two, many].map(String);
      one.cancel();
      reprs.push(String(one));
      two.cancel();
      many.cancel();
      return reprs;
    });
    expect(got).toEqual([
      '<Future pending cb=[fake()]>',
      '<Future pending cb=[first(), last()]>',
      '<Future pending cb=[first(), <8 more>, last()]>',
      '<Future cancelled>',
    ]);
  });

  test('setResult on a failed future: the InvalidStateError names the state and the future', async () => {
    const msg = await run(() => {
      const f = new Future();
      f.setException(new TypeError('t'));
      f.exception();
      try {
        f.setResult(1);
      } catch (err) {
        return [err instanceof InvalidStateError, (err as Error).message];
      }
      return null;
    });
    expect(msg).toEqual([true, "FINISHED: <Future finished exception=TypeError('t')>"]);
  });
});

describe('CPython test_futures: state', () => {
  test('test_initial_state / test_cancel: pending, then cancelled and done; a second cancel is false', async () => {
    const got = await run(() => {
      const f = getRunningLoop().createFuture();
      const before = [f.cancelled(), f.done()];
      const first = f.cancel();
      const errors = [() => f.result(), () => f.exception()].map((g) => {
        try {
          g();
          return null;
        } catch (e) {
          return e instanceof CancelledError;
        }
      });
      const sets = [() => f.setResult(null), () => f.setException(new Error())].map((g) => {
        try {
          g();
          return null;
        } catch (e) {
          return e instanceof InvalidStateError;
        }
      });
      return [before, first, f.cancelled(), f.done(), errors, sets, f.cancel()];
    });
    expect(got).toEqual([[false, false], true, true, true, [true, true], [true, true], false]);
  });

  test('test_result / test_exception: after the result or the error, cancel() is false', async () => {
    const got = await run(() => {
      const a = new Future<number>();
      a.setResult(42);
      const b = new Future();
      const exc = new RuntimeError('x');
      b.setException(exc);
      const out = [a.result(), a.exception(), a.cancel(), b.exception() === exc, b.cancel()];
      return out;
    });
    expect(got).toEqual([42, null, false, true, false]);
  });

  test('test_constructor_without_loop / use_running_loop: outside a run a RuntimeError; inside, the running loop', async () => {
    expect(() => new Future()).toThrow(RuntimeError);
    const same = await run(() => new Future().getLoop() === getRunningLoop());
    expect(same).toBe(true);
  });

  test('test_isfuture: a Future and a Task are; a class, a number, a Promise and a look-alike are not', async () => {
    const got = await run(async () => {
      const f = new Future();
      const out = [
        isFuture(f),
        isFuture(Future),
        isFuture(1),
        isFuture(Promise.resolve()),
        isFuture({ then() {}, done: () => false }),
      ];
      f.cancel();
      return out;
    });
    expect(got).toEqual([true, false, false, false, false]);
  });

  test('test_future_cancel_message_getter: the message given to cancel() is the CancelledError’s', async () => {
    const got = await run(async () => {
      const f = new Future();
      f.cancel('my message');
      try {
        await f;
      } catch (e) {
        return [e instanceof CancelledError, (e as Error).message];
      }
      return null;
    });
    expect(got).toEqual([true, 'my message']);
  });

  test('test_yield_from_twice: awaiting a done future twice gives its result both times', async () => {
    const got = await run(async () => {
      const f = new Future<number>();
      getRunningLoop().callSoon(() => f.setResult(42));
      const x = await f;
      const y = await f;
      return [x, y];
    });
    expect(got).toEqual([42, 42]);
  });
});

describe('CPython test_futures: setException', () => {
  test('test_exception_class: given an error class, the future stores an instance of it', async () => {
    const got = await run(() => {
      const f = new Future();
      f.setException(RangeError);
      const err = f.exception();
      return [err instanceof RangeError, (err as Error).message];
    });
    expect(got).toEqual([true, '']);
  });
});
