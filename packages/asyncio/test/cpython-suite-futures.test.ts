/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_futures.py and test_futures2.py,
 * restated for Duet's API; each was checked on CPython 3.13.0 (/root/.pyenv/versions/3.13.0).
 * Where CPython logs an unretrieved error when the future is garbage-collected, Duet reports it
 * when the run ends (the run owns every future).
 */
import {
  CancelledError,
  Future,
  InvalidStateError,
  RuntimeError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  MockClock,
  type ExceptionContext,
} from '@duet/asyncio';
import { vrun } from './helpers';
import { thrown } from './outcomes';

describe('CPython test_futures: states', () => {
  // test_initial_state / test_cancel / test_result / test_exception
  test('pending, cancelled, finished and failed futures answer done/cancelled/result/exception', async () => {
    const out = await vrun(async () => {
      const pending = new Future<number>();
      const cancelled = new Future<number>();
      const finished = new Future<number>();
      const failed = new Future<number>();
      const exc = new RuntimeError('boom');
      const log: unknown[] = [pending.done(), pending.cancelled(), thrown(() => pending.result())];
      log.push(cancelled.cancel(), cancelled.cancelled(), cancelled.done());
      log.push(
        thrown(() => cancelled.result()),
        thrown(() => cancelled.exception()),
      );
      log.push(
        thrown(() => cancelled.setResult(1)),
        thrown(() => cancelled.setException(exc)),
      );
      log.push(cancelled.cancel());
      finished.setResult(42);
      log.push(finished.result(), finished.exception(), finished.cancel());
      failed.setException(exc);
      log.push(
        failed.exception() === exc,
        thrown(() => failed.result()),
        failed.cancel(),
      );
      log.push(thrown(() => failed.setResult(1)));
      return log;
    });
    expect(out).toEqual([
      false,
      false,
      'InvalidStateError',
      true,
      true,
      true,
      'Cancelled',
      'Cancelled',
      'InvalidStateError',
      'InvalidStateError',
      false,
      42,
      null,
      false,
      true,
      'RuntimeError',
      false,
      'InvalidStateError',
    ]);
    expect(InvalidStateError).toBeDefined();
  });

  // test_future_cancel_message_getter
  test('the message given to cancel() is the message of the CancelledError the future raises', async () => {
    const out = await vrun(async () => {
      const f = new Future<void>();
      f.cancel('my message');
      try {
        await f;
        return 'not cancelled';
      } catch (err) {
        return [err instanceof CancelledError, (err as Error).message];
      }
    });
    expect(out).toEqual([true, 'my message']);
  });
});

describe('CPython test_futures: done callbacks', () => {
  /** Registers callbacks that push `n` to `bag`, in order; returns them. */
  function callbacks(
    fut: Future<string>,
    bag: number[],
    ns: number[],
  ): ((f: Future<string>) => void)[] {
    return ns.map((n) => {
      const cb = (): void => {
        bag.push(n);
      };
      fut.addDoneCallback(cb);
      return cb;
    });
  }

  // test_callbacks_invoked_on_set_result / test_callbacks_invoked_on_set_exception
  test.each([
    ['a result', false],
    ['an error', true],
  ])(
    'callbacks run soon after %s, in registration order, never inside the setter',
    async (_, fail) => {
      const out = await vrun(async () => {
        const bag: number[] = [];
        const f = new Future<string>();
        callbacks(f, bag, [42, 17, 100]);
        if (fail) f.setException(new RuntimeError('x'));
        else f.setResult('foo');
        const inside = [...bag];
        await sleep(0);
        if (fail) f.exception();
        return [inside, bag];
      });
      expect(out).toEqual([[], [42, 17, 100]]);
    },
  );

  // test_callbacks_remove_first_callback / _first_and_second / _third
  test.each([
    [[0], [17, 100]],
    [[0, 1], [100]],
    [[2], [42, 17]],
  ])('removing callbacks %j before the result leaves %j', async (removed, left) => {
    const out = await vrun(async () => {
      const bag: number[] = [];
      const f = new Future<string>();
      const cbs = callbacks(f, bag, [42, 17, 100]);
      const counts = removed.flatMap((i) => [
        f.removeDoneCallback(cbs[i]!),
        f.removeDoneCallback(cbs[i]!),
      ]);
      f.setResult('foo');
      await sleep(0);
      return [counts, bag, f.result()];
    });
    expect(out).toEqual([removed.flatMap(() => [1, 0]), left, 'foo']);
  });

  // test_remove_done_callback (one callback registered twice)
  test('removeDoneCallback removes every registration of the callback and says how many', async () => {
    const out = await vrun(async () => {
      const bag: number[] = [];
      const f = new Future<string>();
      const cb = (): void => {
        bag.push(1);
      };
      f.addDoneCallback(cb);
      f.addDoneCallback(cb);
      const removed = f.removeDoneCallback(cb);
      f.setResult('x');
      await sleep(0);
      return [removed, bag];
    });
    expect(out).toEqual([2, []]);
  });

  // test_schedule_callbacks_list_mutation_1 / _2
  test('a callback that removes another once the future is done changes nothing: both were scheduled', async () => {
    const out = await vrun(async () => {
      const bag: string[] = [];
      const f = new Future<number>();
      const other = (): void => {
        bag.push('other');
      };
      f.addDoneCallback((fut) => {
        bag.push('mut');
        fut.removeDoneCallback(other);
      });
      f.addDoneCallback(other);
      f.addDoneCallback(other);
      f.setResult(1);
      await sleep(0);
      return bag;
    });
    expect(out).toEqual(['mut', 'other', 'other']);
  });

  // test_future_iter_throw analogue: a callback added to a done future runs soon, not at once
  test('a callback added to a done future is scheduled, not called at once', async () => {
    const out = await vrun(async () => {
      const f = new Future<number>();
      f.setResult(1);
      let called = false;
      f.addDoneCallback(() => {
        called = true;
      });
      const atOnce = called;
      await sleep(0);
      return [atOnce, called];
    });
    expect(out).toEqual([false, true]);
  });
});

describe('CPython test_futures: unretrieved errors (tb_logger)', () => {
  async function reportsOf(body: () => Promise<void> | void): Promise<string[]> {
    const messages: string[] = [];
    await run(
      async () => {
        getRunningLoop().setExceptionHandler((_loop, ctx: ExceptionContext) => {
          messages.push(ctx.message);
        });
        await body();
      },
      { clock: new MockClock({ autojumpThreshold: 0 }) },
    );
    return messages;
  }

  // test_tb_logger_abandoned / test_tb_logger_result_unretrieved / _result_retrieved
  test('a pending future, or one with a result, is never reported', async () => {
    const out = await reportsOf(() => {
      new Future<number>();
      new Future<number>().setResult(42);
    });
    expect(out).toEqual([]);
  });

  // test_tb_logger_exception_unretrieved / test_tb_logger_exception_retrieved
  test('an error nobody retrieved is reported once; a retrieved one is not', async () => {
    const out = await reportsOf(() => {
      new Future<number>().setException(new RuntimeError('boom'));
      const retrieved = new Future<number>();
      retrieved.setException(new RuntimeError('seen'));
      retrieved.exception();
    });
    expect(out).toEqual(['Future exception was never retrieved']);
  });

  // test_tb_logger_exception_result_retrieved
  test('an error raised by result() counts as retrieved', async () => {
    const out = await reportsOf(() => {
      const f = new Future<number>();
      f.setException(new RuntimeError('boom'));
      thrown(() => f.result());
    });
    expect(out).toEqual([]);
  });

  // test_tb_logger_not_called_after_cancel (test_tasks.py)
  test('a task whose error was retrieved by awaiting it is not reported', async () => {
    const out = await reportsOf(async () => {
      const t = createTask(async () => {
        await sleep(0);
        throw new RuntimeError('boom');
      });
      await t.then(undefined, () => undefined);
    });
    expect(out).toEqual([]);
  });
});
