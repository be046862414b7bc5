/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_tasks.py on `gather`, `shield`,
 * `wait` and `as_completed`, restated for Duet's API; each was checked on CPython 3.13.0
 * (/root/.pyenv/versions/3.13.0). The comments name the CPython test each one follows.
 */
import {
  ALL_COMPLETED,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  RuntimeError,
  ValueError,
  asCompleted,
  createTask,
  gather,
  getRunningLoop,
  shield,
  sleep,
  wait,
  type ExceptionContext,
  type Task,
} from '@duet/asyncio';
import { now, vrun } from './helpers';
import { outcome } from './outcomes';

/** `n` fresh futures of the running loop. */
function futures<T = unknown>(n: number): Future<T>[] {
  return Array.from({ length: n }, () => new Future<T>());
}

describe('CPython test_tasks: gather', () => {
  // test_constructor_empty_sequence
  test('gather() of nothing is a done future of []', async () => {
    const out = await vrun(async () => {
      const fut = gather();
      return [fut.done(), fut.result()];
    });
    expect(out).toEqual([true, []]);
  });

  // test_one_exception
  test('the first error is the outcome; the other children are left alone; the done callback runs once', async () => {
    const out = await vrun(async () => {
      const [a, b, c, d, e] = futures<number>(5);
      const fut = gather(a!, b!, c!, d!, e!);
      let calls = 0;
      fut.addDoneCallback(() => calls++);
      const exc = new RangeError('division by zero');
      a!.setResult(1);
      b!.setException(exc);
      await sleep(0);
      await sleep(0);
      const log = [fut.done(), calls, fut.exception() === exc, c!.cancelled(), d!.done()];
      c!.setResult(3); // does nothing to the gather
      d!.cancel();
      e!.setException(new RuntimeError('later'));
      e!.exception();
      await sleep(0);
      log.push(calls);
      return log;
    });
    expect(out).toEqual([true, 1, true, false, false, 1]);
  });

  // test_return_exceptions
  test('returnExceptions: every error in its place, in argument order', async () => {
    const out = await vrun(async () => {
      const [a, b, c, d] = futures<number>(4);
      const fut = gather.withOptions({ returnExceptions: true }, a!, b!, c!, d!);
      const exc1 = new RangeError('1');
      const exc2 = new RangeError('2');
      b!.setException(exc1);
      a!.setResult(1);
      d!.setException(exc2);
      c!.setResult(3);
      const res = await fut;
      return [res[0], res[1] === exc1, res[2], res[3] === exc2];
    });
    expect(out).toEqual([1, true, 3, true]);
  });

  // test_one_cancellation
  test('a cancelled child: the gather fails with CancelledError but is not cancelled itself', async () => {
    const out = await vrun(async () => {
      const [a, b, c, d, e] = futures<number>(5);
      const fut = gather(a!, b!, c!, d!, e!);
      let calls = 0;
      fut.addDoneCallback(() => calls++);
      a!.setResult(1);
      b!.cancel();
      await sleep(0);
      await sleep(0);
      const log = [fut.done(), calls, fut.cancelled(), fut.exception() instanceof CancelledError];
      c!.setResult(3);
      d!.cancel();
      e!.setException(new RuntimeError('later'));
      e!.exception();
      return log;
    });
    expect(out).toEqual([true, 1, false, true]);
  });

  // test_result_exception_one_cancellation
  test('returnExceptions: a cancelled child gives a CancelledError in its place; the gather waits for all', async () => {
    const out = await vrun(async () => {
      const [a, b, c, d, e, f] = futures<number>(6);
      const fut = gather.withOptions({ returnExceptions: true }, a!, b!, c!, d!, e!, f!);
      a!.setResult(1);
      const zde = new RangeError('division by zero');
      b!.setException(zde);
      c!.cancel();
      await sleep(0);
      await sleep(0);
      const doneEarly = fut.done();
      d!.setResult(3);
      e!.cancel();
      const rte = new RuntimeError('rte');
      f!.setException(rte);
      const res = await fut;
      return [
        doneEarly,
        res[0],
        res[1] === zde,
        res[2] instanceof CancelledError,
        res[3],
        res[4] instanceof CancelledError,
        res[5] === rte,
      ];
    });
    expect(out).toEqual([false, 1, true, true, 3, true, true]);
  });

  // test_duplicate_coroutines (the same awaitable twice is run once, its result given twice)
  test('the same awaitable twice runs once and fills both places', async () => {
    const out = await vrun(async () => {
      let runs = 0;
      const fn = async (): Promise<string> => {
        runs++;
        await sleep(0);
        return 'abc';
      };
      const t = createTask(fn);
      const res = await gather(fn, fn, t, t);
      return [res, runs];
    });
    // The same function value is one task, as the same coroutine object is in CPython.
    expect(out).toEqual([['abc', 'abc', 'abc', 'abc'], 2]);
  });

  // test_cancellation_broadcast
  test('cancelling the task awaiting a gather cancels the children; the gather then refuses cancel()', async () => {
    const out = await vrun(async () => {
      const waiter = new Future<void>();
      let proof = 0;
      const inner = async (): Promise<void> => {
        await waiter;
        proof++;
      };
      const child1 = createTask(inner);
      const child2 = createTask(inner);
      let gatherer!: ReturnType<typeof gather<[Task<void>, Task<void>]>>;
      const f = createTask(async () => {
        gatherer = gather(child1, child2);
        await gatherer;
        proof += 100;
      });
      await sleep(0);
      const cancelled = f.cancel();
      const raised = await outcome(f);
      await sleep(0);
      return [
        cancelled,
        raised,
        gatherer.cancel(),
        waiter.cancelled(),
        child1.cancelled(),
        child2.cancelled(),
        proof,
      ];
    });
    expect(out).toEqual([true, 'Cancelled', false, true, true, true, 0]);
  });

  // test_exception_marking
  test('the errors of gathered children count as retrieved: nothing is reported as never retrieved', async () => {
    const reported: string[] = [];
    const out = await vrun(async () => {
      getRunningLoop().setExceptionHandler((_loop, ctx: ExceptionContext) => {
        reported.push(ctx.message);
      });
      const a = new Future<void>();
      const b = new Future<void>();
      const inner = async (f: Future<void>): Promise<never> => {
        await f;
        throw new RuntimeError('should not be ignored');
      };
      const f = createTask(() =>
        gather(
          () => inner(a),
          () => inner(b),
        ),
      );
      await sleep(0);
      a.setResult();
      await sleep(0);
      b.setResult();
      const raised = await outcome(f);
      await sleep(0);
      return raised;
    });
    expect(out).toBe('RuntimeError');
    expect(reported).toEqual([]);
  });

  // test_cancel_gather_1 (Python issue #26923)
  test('a gather whose children are all done refuses a cancel from a done callback and keeps its result', async () => {
    const out = await vrun(async () => {
      const fut = new Future<number>();
      const gathering = gather(async () => await fut);
      await sleep(0); // the child waits on fut
      let cancelResult: boolean | null = null;
      fut.addDoneCallback(() => {
        cancelResult = gathering.cancel();
      });
      fut.setResult(42);
      const res = await gathering;
      return [cancelResult, gathering.cancelled(), res];
    });
    expect(out).toEqual([false, false, [42]]);
  });

  // test_cancel_gather_2
  test('cancel(msg) of a task looping over gather(returnExceptions) raises CancelledError(msg) in the caller', async () => {
    const out = await vrun(async () => {
      const qwe = createTask(async () => {
        for (let time = 0; time <= 1; time += 0.05) {
          await gather.withOptions({ returnExceptions: true }, () => sleep(0.05));
        }
      });
      await sleep(0.2);
      qwe.cancel('my message');
      try {
        await qwe;
        return 'not cancelled';
      } catch (err) {
        return [err instanceof CancelledError, (err as Error).message];
      }
    });
    expect(out).toEqual([true, 'my message']);
  });

  // test_issue46672
  test('a non-awaitable among the arguments is a TypeError; nothing reaches the exception handler', async () => {
    const reported: string[] = [];
    await vrun(async () => {
      getRunningLoop().setExceptionHandler((_loop, ctx) => reported.push(ctx.message));
      expect(() => gather(async () => 'abc', {} as never)).toThrow(TypeError);
      await sleep(0);
      await sleep(0);
    });
    expect(reported).toEqual([]);
  });
});

describe('CPython test_tasks: shield', () => {
  // test_shield_result / test_shield_exception / test_shield_shortcut
  test('a shield passes the result and the error through; a done awaitable is returned as it is', async () => {
    const out = await vrun(async () => {
      const inner1 = new Future<number>();
      const outer1 = shield(inner1);
      inner1.setResult(42);
      const inner2 = new Future<number>();
      const outer2 = shield(inner2);
      const exc = new RangeError('x');
      inner2.setException(exc);
      const done = new Future<number>();
      done.setResult(1);
      return [await outer1, (await outcome(outer2)) === 'RangeError', shield(done) === done];
    });
    expect(out).toEqual([42, true, true]);
  });

  // test_shield_cancel_inner / test_shield_cancel_outer
  test('cancelling the inner future cancels the shield; cancelling the shield leaves the inner one pending', async () => {
    const out = await vrun(async () => {
      const inner1 = new Future<void>();
      const outer1 = shield(inner1);
      await sleep(0);
      inner1.cancel();
      await sleep(0);
      const inner2 = new Future<void>();
      const outer2 = shield(inner2);
      await sleep(0);
      outer2.cancel();
      await sleep(0);
      return [outer1.cancelled(), outer2.cancelled(), inner2.done()];
    });
    expect(out).toEqual([true, true, false]);
  });

  // test_shield_effect
  test('cancelling the task awaiting a shield does not stop the shielded work', async () => {
    const out = await vrun(async () => {
      let proof = 0;
      const waiter = new Future<void>();
      const f = createTask(async () => {
        await shield(async () => {
          await waiter;
          proof += 1;
        });
        proof += 100;
      });
      await sleep(0);
      f.cancel();
      const raised = await outcome(f);
      waiter.setResult();
      await sleep(0);
      await sleep(0);
      return [raised, proof];
    });
    expect(out).toEqual(['Cancelled', 1]);
  });

  // test_shield_gather
  test('a shield around a gather: cancelling the shield leaves the gather to finish', async () => {
    const out = await vrun(async () => {
      const [child1, child2] = futures<number>(2);
      const parent = gather(child1!, child2!);
      const outer = shield(parent);
      await sleep(0);
      outer.cancel();
      await sleep(0);
      child1!.setResult(1);
      child2!.setResult(2);
      await sleep(0);
      await sleep(0);
      return [outer.cancelled(), parent.result()];
    });
    expect(out).toEqual([true, [1, 2]]);
  });

  // test_gather_shield
  test('a gather of shields: cancelling the gather cancels the shields, not the futures inside', async () => {
    const out = await vrun(async () => {
      const [child1, child2] = futures<number>(2);
      const inner1 = shield(child1!);
      const inner2 = shield(child2!);
      const parent = gather(inner1, inner2);
      await sleep(0);
      parent.cancel();
      await sleep(0);
      await sleep(0);
      const log = [
        parent.exception() instanceof CancelledError,
        inner1.cancelled(),
        inner2.cancelled(),
        child1!.cancelled(),
        child2!.cancelled(),
      ];
      child1!.setResult(1);
      child2!.setResult(2);
      await sleep(0);
      return log;
    });
    expect(out).toEqual([true, true, true, false, false]);
  });
});

describe('CPython test_tasks: wait', () => {
  // test_wait
  test('ALL_COMPLETED waits for the last one; the order of the input does not matter', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(0.1));
      const b = createTask(() => sleep(0.15));
      const [done, pending] = await wait([b, a]);
      return [done.size, pending.size, done.has(a) && done.has(b), now()];
    });
    expect(out).toEqual([2, 0, true, 0.15]);
  });

  // test_wait_duplicate_coroutines (the same task twice counts once)
  test('the same future twice is one entry of the result', async () => {
    const out = await vrun(async () => {
      const t = createTask(() => sleep(0.01, 'test'));
      const [done, pending] = await wait([t, t]);
      return [done.size, pending.size, t.result()];
    });
    expect(out).toEqual([1, 0, 'test']);
  });

  // test_wait_errors
  test('an empty set is a ValueError, a bad returnWhen a ValueError, a function a TypeError', async () => {
    await vrun(async () => {
      await expect(wait(new Set<Future<unknown>>())).rejects.toThrow(ValueError);
      const t = createTask(() => sleep(10));
      await expect(wait([t], { returnWhen: -1 as never })).rejects.toThrow(ValueError);
      await expect(wait([(async () => 1) as never])).rejects.toThrow(TypeError);
      t.cancel();
    });
  });

  // test_wait_first_completed
  test('FIRST_COMPLETED returns after the first one; the other keeps running', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(10));
      const b = createTask(() => sleep(0.1));
      const [done, pending] = await wait([b, a], { returnWhen: FIRST_COMPLETED });
      const log = [
        [...done].map((t) => t === b),
        [...pending].map((t) => t === a),
        a.done(),
        now(),
      ];
      a.cancel();
      return log;
    });
    expect(out).toEqual([[true], [true], false, 0.1]);
  });

  // test_wait_really_done
  test('FIRST_COMPLETED also reports a task that ended before the wait resumed', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(0));
      const b = createTask(async () => {
        await sleep(0);
        await sleep(0);
      });
      const [done, pending] = await createTask(() => wait([b, a], { returnWhen: FIRST_COMPLETED }));
      return [done.size, pending.size, a.result(), b.result()];
    });
    expect(out).toEqual([2, 0, undefined, undefined]);
  });

  // test_wait_first_exception / test_wait_first_exception_in_wait
  test('FIRST_EXCEPTION returns at the first error, leaving the rest pending', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(10));
      const b = createTask(async () => {
        await sleep(0.01);
        throw new RangeError('err');
      });
      const [done, pending] = await wait([b, a], { returnWhen: FIRST_EXCEPTION });
      const log = [done.has(b), pending.has(a), done.size + pending.size, now()];
      b.exception();
      a.cancel();
      return log;
    });
    expect(out).toEqual([true, true, 2, 0.01]);
  });

  // test_wait_with_exception
  test('ALL_COMPLETED with an error among them still waits for all and raises nothing', async () => {
    const out = await vrun(async () => {
      const a = createTask(async () => {
        await sleep(0.15);
        throw new RangeError('err');
      });
      const b = createTask(() => sleep(0.1));
      const [done, pending] = await wait([b, a], { returnWhen: ALL_COMPLETED });
      return [done.size, pending.size, (a.exception() as Error).message, now()];
    });
    expect(out).toEqual([2, 0, 'err', 0.15]);
  });

  // test_wait_with_timeout / test_wait_concurrent_complete
  test('a timeout splits done and pending, without cancelling the pending ones', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(0.1));
      const b = createTask(() => sleep(0.15));
      const [done, pending] = await wait([b, a], { timeout: 0.11 });
      const log = [done.has(a), pending.has(b), b.cancelled(), now()];
      await b;
      return log;
    });
    expect(out).toEqual([true, true, false, 0.11]);
  });
});

describe('CPython test_tasks: asCompleted', () => {
  // test_as_completed
  test('results come in completion order', async () => {
    const out = await vrun(async () => {
      const a = (): Promise<string> => sleep(0.1, 'a');
      const b = (): Promise<string> => sleep(0.05, 'b');
      const c = (): Promise<string> => sleep(0.15, 'c');
      const res: unknown[] = [];
      for (const next of asCompleted([a, b, c])) res.push(await next, now());
      return res;
    });
    expect(out).toEqual(['b', 0.05, 'a', 0.1, 'c', 0.15]);
  });

  // test_as_completed_with_timeout
  test('a timeout: the first result arrives, then TimeoutError; the late one goes on', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(0.1, 'a'));
      const b = createTask(() => sleep(0.05, 'b'));
      const res: unknown[] = [];
      for (const next of asCompleted([a, b], { timeout: 0.07 })) {
        res.push(await outcome(next));
      }
      res.push(now(), a.done());
      await a;
      return res;
    });
    expect(out).toEqual(['b', 'TimeoutError', 0.07, false]);
  });

  // test_as_completed_with_unused_timeout
  test('a timeout that never fires leaves nothing behind', async () => {
    const out = await vrun(async () => {
      const res: unknown[] = [];
      for (const next of asCompleted([() => sleep(0.01, 'a')], { timeout: 1 }))
        res.push(await next);
      return [res, now()];
    });
    expect(out).toEqual([['a'], 0.01]);
  });

  // test_as_completed_reverse_wait
  test('awaiting the second awaitable first gives the first completion', async () => {
    const out = await vrun(async () => {
      const futs = [...asCompleted([() => sleep(0.05, 'a'), () => sleep(0.1, 'b')])];
      const x = await futs[1]!;
      const t1 = now();
      const y = await futs[0]!;
      return [futs.length, x, t1, y, now()];
    });
    expect(out).toEqual([2, 'a', 0.05, 'b', 0.1]);
  });

  // test_as_completed_concurrent
  test('the awaitables can be awaited concurrently (iterator and for await)', async () => {
    const out = await vrun(async () => {
      const fromIterator = [...asCompleted([() => sleep(0.05, 'a'), () => sleep(0.05, 'b')])];
      const [done] = await wait(fromIterator.map((next) => createTask(() => next)));
      const viaIterator = [...done].map((t) => t.result()).sort();
      const viaAsync: unknown[] = [];
      for await (const f of asCompleted([() => sleep(0.05, 'a'), () => sleep(0.05, 'b')])) {
        viaAsync.push((f as unknown as Future<string>).result());
      }
      return [viaIterator, viaAsync.sort()];
    });
    expect(out).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });

  // test_as_completed (3.13's async iteration yields the original tasks)
  test('for await yields the very tasks that were passed, in completion order', async () => {
    const out = await vrun(async () => {
      const a = createTask(() => sleep(0.1, 'a'));
      const b = createTask(() => sleep(0.05, 'b'));
      const seen: boolean[] = [];
      for await (const t of asCompleted([a, b]))
        seen.push((t as unknown) === b, (t as unknown) === a);
      return seen;
    });
    expect(out).toEqual([true, false, false, true]);
  });
});
