/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_eager_task_factory.py (eager tasks,
 * `eager_task_factory`, `create_eager_task_factory`) and test_tasks.py's `set_task_factory`
 * cases, restated for Duet's API. Each case was run on CPython 3.13.0; the comments name the
 * CPython test each one follows. One difference is by design (see the README): an async function
 * that returns without waiting is done one microtask after `createTask` returns, not at once.
 */
import {
  CancelledError,
  ExceptionGroup,
  Runner,
  RuntimeError,
  Task,
  TaskGroup,
  allTasks,
  createEagerTaskFactory,
  createTask,
  currentTask,
  eagerTaskFactory,
  asCompleted,
  gather,
  getRunningLoop,
  shield,
  sleep,
  wait,
  type TaskFactory,
} from '@duet/asyncio';
import { vrun } from './helpers';

/** Runs `main` with the eager task factory set on the loop. */
function eagerRun<T>(main: () => Promise<T>, factory: TaskFactory = eagerTaskFactory): Promise<T> {
  return vrun(async () => {
    getRunningLoop().setTaskFactory(factory);
    return main();
  });
}

describe('CPython test_eager_task_factory: the factory', () => {
  // test_eager_task_factory_set
  test('getTaskFactory() returns the factory set, createTask() makes the constructor’s class', async () => {
    class MyTask<T> extends Task<T> {}
    const factory = createEagerTaskFactory(MyTask);
    const out = await eagerRun(async () => {
      const t = createTask(async () => undefined);
      await t;
      return [getRunningLoop().getTaskFactory() === factory, t instanceof MyTask];
    }, factory);
    expect(out).toEqual([true, true]);
  });

  // test_tasks: test_task_factory / set_task_factory(None)
  test('setTaskFactory(null) restores the default; a non-function is a TypeError', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const before = loop.getTaskFactory();
      loop.setTaskFactory(eagerTaskFactory);
      loop.setTaskFactory(null);
      let ran = false;
      const t = createTask(() => {
        ran = true;
      });
      const ranAtOnce = ran;
      await t;
      let error = '';
      try {
        loop.setTaskFactory(1 as unknown as TaskFactory);
      } catch (err) {
        error = (err as Error).constructor.name;
      }
      return [before, loop.getTaskFactory(), ranAtOnce, error];
    });
    expect(out).toEqual([null, null, false, 'TypeError']);
  });

  // test_tasks: test_task_factory (a custom factory gets the loop and the function)
  test('a custom factory gets the loop, the function and the options; its task is returned', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const seen: unknown[] = [];
      loop.setTaskFactory((l, fn, options) => {
        seen.push(l === loop, options.name);
        return new Task(fn, { ...options, loop: l });
      });
      const t = createTask(async () => 7, { name: 'seven' });
      return [...seen, t.getName(), await t];
    });
    expect(out).toEqual([true, 'seven', 'seven', 7]);
  });

  // test_base_events: test_create_named_task_with_custom_factory, test_set_task_factory_invalid
  test('the name given to createTask is set on the task of a factory that ignores the options', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      try {
        loop.setTaskFactory('no' as unknown as TaskFactory);
      } catch {
        // the factory stays the default
      }
      const before = loop.getTaskFactory();
      loop.setTaskFactory((l, fn) => new Task(fn, { loop: l }));
      const named = createTask(async () => undefined, { name: 'test_task' });
      const unnamed = createTask(async () => undefined);
      await gather(named, unnamed);
      return [before, named.getName(), /^Task-\d+$/.test(unnamed.getName())];
    });
    expect(out).toEqual([null, 'test_task', true]);
  });

  test('an error of the factory is raised by createTask', async () => {
    const out = await vrun(async () => {
      getRunningLoop().setTaskFactory(() => {
        throw new RangeError('no factory today');
      });
      try {
        createTask(async () => undefined);
        return 'made';
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(out).toBe('no factory today');
  });

  test('createEagerTaskFactory of a non-function is a TypeError', () => {
    expect(() => createEagerTaskFactory(undefined as unknown as typeof Task)).toThrow(TypeError);
  });
});

describe('CPython test_eager_task_factory: the eager step', () => {
  // test_eager_completion (a plain function: done when createTask returns)
  test('a function that returns without waiting gives a task already done, never scheduled', async () => {
    const out = await eagerRun(async () => {
      const t = createTask(() => 'hello');
      return [t.done(), t.result(), await t];
    });
    expect(out).toEqual([true, 'hello', 'hello']);
  });

  // test_eager_completion (an async function: done before the creator's next await resumes)
  test('an async function that returns without waiting is done by the creator’s next await', async () => {
    const out = await eagerRun(async () => {
      const t = createTask(async () => 'hello');
      await null;
      return [t.done(), await t];
    });
    expect(out).toEqual([true, 'hello']);
  });

  // test_await_future_during_eager_step
  test('the eager step runs before createTask returns: it can set a future the creator awaits', async () => {
    const out = await eagerRun(async () => {
      const fut = getRunningLoop().createFuture<string>();
      const t = createTask(() => fut.setResult('my message'));
      const doneAtOnce = fut.done() && t.done();
      return [doneAtOnce, await fut];
    });
    expect(out).toEqual([true, 'my message']);
  });

  // test_block_after_eager_step
  test('a task that waits in its eager step is pending, then finishes as any task', async () => {
    const out = await eagerRun(async () => {
      const t = createTask(async () => {
        await sleep(0.1);
        return 'finished after blocking';
      });
      const doneBefore = t.done();
      const result = await t;
      return [doneBefore, t.done(), result];
    });
    expect(out).toEqual([false, true, 'finished after blocking']);
  });

  test('the eager step runs first, then the creator, then the eager task after its wait', async () => {
    const order = await eagerRun(async () => {
      const log: string[] = [];
      const t = createTask(async () => {
        log.push('eager start');
        await sleep(0);
        log.push('eager resume');
      });
      log.push('creator');
      await t;
      return log;
    });
    expect(order).toEqual(['eager start', 'creator', 'eager resume']);
  });

  // CPython: an exception of the eager step is the task's, never raised from create_task
  test('an error of the eager step is stored on the task, not thrown by createTask', async () => {
    const out = await eagerRun(async () => {
      const t = createTask((): never => {
        throw new RangeError('boom');
      });
      const u = createTask(async () => {
        throw new RangeError('async boom');
      });
      await sleep(0);
      return [t.done(), (t.exception() as Error).message, (u.exception() as Error).message];
    });
    expect(out).toEqual([true, 'boom', 'async boom']);
  });

  // test_cancellation_after_eager_completion
  test('cancel() after an eager completion is false; the result stays', async () => {
    const out = await eagerRun(async () => {
      const t = createTask(() => 'finished without blocking');
      const cancelled = t.cancel();
      return [cancelled, await t, t.cancelled()];
    });
    expect(out).toEqual([false, 'finished without blocking', false]);
  });

  // test_cancellation_after_eager_step_blocks
  test('cancelling an eager task that waits ends it cancelled with the message', async () => {
    const out = await eagerRun(async () => {
      const t = createTask(async () => {
        await sleep(0.1);
        return 'finished after blocking';
      });
      t.cancel('cancellation message');
      const cancelling = t.cancelling();
      const message = await t.then(
        () => 'resolved',
        (err: unknown) => (err instanceof CancelledError ? err.message : 'other'),
      );
      return [cancelling, message, t.cancelled()];
    });
    expect(out).toEqual([1, 'cancellation message', true]);
  });

  // test_current_task
  test('currentTask() in the eager step is the new task, and stays it after a wait', async () => {
    const out = await eagerRun(async () => {
      const captured: (Task<unknown> | null)[] = [];
      const creator = currentTask();
      const t = createTask(async () => {
        captured.push(currentTask());
        await sleep(0.1);
        captured.push(currentTask());
      });
      const afterCreate = currentTask();
      await t;
      return [captured[0] === t, captured[1] === t, afterCreate === creator];
    });
    expect(out).toEqual([true, true, true]);
  });

  test('the eager step sees the name given to createTask', async () => {
    const out = await eagerRun(async () => {
      let seen = '';
      createTask(() => (seen = currentTask()!.getName()), { name: 'eager-one' });
      return seen;
    });
    expect(out).toBe('eager-one');
  });

  // test_all_tasks_with_eager_completion
  test('allTasks() in the eager step includes the task; once it completed, it does not', async () => {
    const out = await eagerRun(async () => {
      let during = new Set<Task<unknown>>();
      const t = createTask(() => {
        during = allTasks();
      });
      return [during.has(t), allTasks().has(t)];
    });
    expect(out).toEqual([true, false]);
  });

  // test_all_tasks_with_blocking
  test('an eager task that waits is in allTasks() until it ends', async () => {
    const out = await eagerRun(async () => {
      const loop = getRunningLoop();
      const fut1 = loop.createFuture<void>();
      const fut2 = loop.createFuture<void>();
      let during = new Set<Task<unknown>>();
      const t = createTask(async () => {
        during = allTasks();
        await fut1;
        fut2.setResult();
      });
      const inDuring = during.has(t);
      const inAfter = allTasks().has(t);
      fut1.setResult();
      await fut2;
      await sleep(0);
      return [inDuring, inAfter, allTasks().has(t)];
    });
    expect(out).toEqual([true, true, false]);
  });

  test('an eager task made inside an eager step runs eagerly too', async () => {
    const order = await eagerRun(async () => {
      const log: string[] = [];
      createTask(() => {
        log.push('outer');
        createTask(() => log.push('inner'));
        log.push('outer again');
      });
      log.push('creator');
      return log;
    });
    expect(order).toEqual(['outer', 'inner', 'outer again', 'creator']);
  });

  test('an eager task made in a loop callback starts at once, as its own current task; the callback has none', async () => {
    const out = await eagerRun(async () => {
      const loop = getRunningLoop();
      const log: unknown[] = [];
      const made = loop.createFuture<{ task: Task<number> }>();
      loop.callSoon(() => {
        log.push(currentTask());
        const task = createTask(
          async () => {
            log.push(currentTask()?.getName());
            await sleep(1);
            return 5;
          },
          { name: 'from a callback' },
        );
        log.push('callback goes on', currentTask());
        made.setResult({ task });
      });
      const { task } = await made;
      log.push(await task);
      return log;
    });
    expect(out).toEqual([null, 'from a callback', 'callback goes on', null, 5]);
  });

  test('an eager task that awaits a Promise mid-step holds the others until it waits', async () => {
    const log = await eagerRun(async () => {
      const out: string[] = [];
      const t = createTask(async () => {
        out.push('eager');
        await Promise.resolve();
        out.push('eager after a Promise');
        await sleep(0);
        out.push('eager after sleep');
      });
      out.push('creator');
      await sleep(0);
      out.push('creator after sleep');
      await t;
      return out;
    });
    expect(log).toEqual([
      'eager',
      'creator',
      'eager after a Promise',
      'creator after sleep',
      'eager after sleep',
    ]);
  });

  test('a task made with new Task(fn, { eagerStart: true }) starts eagerly without a factory', async () => {
    const out = await vrun(async () => {
      const t = new Task(() => 1, { eagerStart: true });
      return [t.done(), await t];
    });
    expect(out).toEqual([true, 1]);
  });
});

describe('CPython test_eager_task_factory: groups, gather, wait', () => {
  // test_recursive_taskgroups / TaskGroup.create_task of a task done eagerly
  test('TaskGroup.createTask with the eager factory: eager completions and waiting tasks', async () => {
    const out = await eagerRun(async () => {
      const results: unknown[] = [];
      await new TaskGroup().run(async (tg) => {
        const done = tg.createTask(() => 'at once');
        results.push(done.done());
        const later = tg.createTask(async () => {
          await sleep(0.1);
          return 'later';
        });
        results.push(later.done());
        const tasks = [tg.createTask(() => 1), tg.createTask(() => 2)];
        results.push(tasks.every((t) => t.done()));
      });
      return results;
    });
    expect(out).toEqual([true, false, true]);
  });

  test('recursive task groups of eager tasks all finish', async () => {
    let leaves = 0;
    const recurse = async (width: number, depth: number): Promise<void> => {
      if (depth === 0) {
        leaves++;
        return;
      }
      await new TaskGroup().run(async (tg) => {
        for (let i = 0; i < width; i++) tg.createTask(() => recurse(width, depth - 1));
      });
    };
    await eagerRun(() => recurse(3, 3));
    expect(leaves).toBe(27);
  });

  // TaskGroup: a task that fails in its eager step fails the group
  test('a task failing in its eager step fails the group and cancels the body', async () => {
    const out = await eagerRun(async () => {
      const log: string[] = [];
      try {
        await new TaskGroup().run(async (tg) => {
          tg.createTask((): never => {
            throw new RangeError('boom');
          });
          log.push('after create');
          await sleep(0);
          log.push('not reached');
        });
      } catch (err) {
        log.push(
          err instanceof ExceptionGroup
            ? `group: ${(err.exceptions[0] as Error).message}`
            : String(err),
        );
      }
      return log;
    });
    expect(out).toEqual(['after create', 'group: boom']);
  });

  // TaskGroup.create_task: a task done after its eager step is handled at once (_on_task_done)
  test('a task failing in its eager step aborts the group at once: siblings cancelled, no new task', async () => {
    const out = await eagerRun(async () => {
      const log: unknown[] = [];
      try {
        await new TaskGroup().run(async (tg) => {
          const sibling = tg.createTask(() => sleep(1));
          tg.createTask((): never => {
            throw new RangeError('v');
          });
          log.push(sibling.cancelling(), currentTask()!.cancelling());
          try {
            tg.createTask(() => sleep(1));
          } catch (err) {
            log.push(err instanceof RuntimeError && /shutting down/.test(err.message));
          }
        });
      } catch (err) {
        log.push(err instanceof ExceptionGroup ? 'group' : String(err));
      }
      return log;
    });
    expect(out).toEqual([1, 1, true, 'group']);
  });

  test('a factory that makes no Task is a TypeError for a TaskGroup, which still finishes', async () => {
    const out = await vrun(async () => {
      const loop = getRunningLoop();
      const real = new Task(async () => 0);
      loop.setTaskFactory((() => real) as TaskFactory);
      let error = '';
      await new TaskGroup().run(async (tg) => {
        try {
          tg.createTask(async () => 1);
        } catch (err) {
          error = (err as Error).constructor.name;
        }
      });
      loop.setTaskFactory(null);
      return error;
    });
    expect(out).toBe('TypeError');
  });

  // test_recursive_gather
  test('gather of functions started eagerly', async () => {
    const gatherTree = async (width: number, depth: number): Promise<number> => {
      if (depth === 0) return 1;
      const parts = await gather(
        ...Array.from({ length: width }, () => () => gatherTree(width, depth - 1)),
      );
      return parts.reduce((a, b) => a + b, 0);
    };
    const out = await eagerRun(async () => [
      await gatherTree(3, 3),
      await gather(
        () => 1,
        () => 2,
      ),
    ]);
    expect(out).toEqual([27, [1, 2]]);
  });

  test('wait() of eager tasks, some done at once and one that waits', async () => {
    const out = await eagerRun(async () => {
      const a = createTask(() => 'a');
      const b = createTask(async () => {
        await sleep(1);
        return 'b';
      });
      const [done, pending] = await wait([a, b], { timeout: 0.5 });
      const first = [done.has(a), pending.has(b)];
      await b;
      return [...first, b.result()];
    });
    expect(out).toEqual([true, true, 'b']);
  });

  test('gather: a child failing in its eager step rejects the gather, the others run on', async () => {
    const out = await eagerRun(async () => {
      const log: string[] = [];
      const bad = async (): Promise<never> => {
        throw new RangeError('v');
      };
      const slow = async (): Promise<void> => {
        try {
          await sleep(1);
          log.push('slow done');
        } catch (err) {
          log.push('slow cancelled');
          throw err;
        }
      };
      try {
        await gather(bad, slow);
      } catch (err) {
        log.push(`gather ${(err as Error).message}`);
      }
      await sleep(2);
      const first = [...log];
      const settled = await gather.withOptions({ returnExceptions: true }, bad, slow);
      return [first, settled.map((r) => (r instanceof Error ? r.message : String(r)))];
    });
    expect(out).toEqual([
      ['gather v', 'slow done'],
      ['v', 'undefined'],
    ]);
  });

  test('a task that cancels itself in its eager step ends cancelled at its first wait', async () => {
    const out = await eagerRun(async () => {
      const t = createTask(async () => {
        currentTask()!.cancel('me');
        await sleep(0);
        return 'no';
      });
      const before = [t.done(), t.cancelling()];
      const message = await t.then(
        () => 'resolved',
        (err: unknown) => (err instanceof CancelledError ? err.message : 'other'),
      );
      return [...before, message];
    });
    expect(out).toEqual([false, 1, 'me']);
  });

  test('shield and asCompleted of eagerly started functions', async () => {
    const out = await eagerRun(async () => {
      const shielded = await shield(() => sleep(0.1, 'sh'));
      const after = (x: number, delay: number) => () => sleep(delay, x);
      const order: number[] = [];
      for (const next of asCompleted([after(1, 0.2), after(2, 0), after(3, 0.1)]))
        order.push(await next);
      return [shielded, order];
    });
    expect(out).toEqual(['sh', [2, 3, 1]]);
  });

  // test_runners: Runner.run makes its task with loop.create_task, so with the loop's factory
  test('a factory set on a Runner’s loop before its first run makes the main tasks', async () => {
    const runner = new Runner();
    const made: string[] = [];
    const counting: TaskFactory = (loop, fn, options) => {
      made.push('task');
      return eagerTaskFactory(loop, fn, options);
    };
    runner.getLoop().setTaskFactory(counting);
    try {
      const first = await runner.run(() => 1);
      const second = await runner.run(async () => {
        await sleep(0);
        return 2;
      });
      expect([first, second, made]).toEqual([1, 2, ['task', 'task']]);
    } finally {
      await runner.close();
    }
  });
});
