// Corner cases from CPython's test_taskgroups, test_timeouts and test_waitfor, in our words.
import {
  CancelledError,
  ExceptionGroup,
  RuntimeError,
  TaskGroup,
  TimeoutError,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  timeout,
  waitFor,
  type Task,
} from '@duet/asyncio';
import { vrun } from './helpers';

const now = () => getRunningLoop().time();
const settle = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    (v) => `value:${String(v)}`,
    (e: unknown) => (e as Error).name,
  );

test('a child may add tasks to its own group while it is running', async () => {
  const out = await vrun(async () => {
    const log: string[] = [];
    await new TaskGroup().run(async (tg) => {
      tg.createTask(async () => {
        await sleep(1);
        tg.createTask(async () => {
          await sleep(1);
          log.push(`grandchild@${now()}`);
        });
      });
    });
    log.push(`group done@${now()}`);
    return log;
  });
  expect(out).toEqual(['grandchild@2', 'group done@2']);
});

test('TaskGroup.run outside a task is a RuntimeError', async () => {
  await expect(new TaskGroup().run(async () => 1)).rejects.toThrow(RuntimeError);
});

test('a body that raises CancelledError itself: children are cancelled, CancelledError propagates unwrapped', async () => {
  const out = await vrun(async () => {
    let child!: Task<void>;
    const err = await new TaskGroup()
      .run(async (tg) => {
        child = tg.createTask(() => sleep(10));
        await sleep(0);
        throw new CancelledError('from body');
      })
      .catch((e: unknown) => e);
    return [err instanceof CancelledError, err instanceof ExceptionGroup, child.cancelled()];
  });
  expect(out).toEqual([true, false, true]);
});

test('a failure error that is not an Error value is grouped as it is', async () => {
  const out = await vrun(async () => {
    const err = await new TaskGroup()
      .run(async (tg) => {
        tg.createTask(async () => {
          throw 'a string';
        });
      })
      .catch((e: unknown) => e);
    return (err as ExceptionGroup).exceptions;
  });
  expect(out).toEqual(['a string']);
});

test('timeout: an error raised by the block passes through unchanged', async () => {
  await vrun(async () => {
    await expect(
      timeout(10, async () => {
        await sleep(1);
        throw new RangeError('foreign');
      }),
    ).rejects.toThrow(RangeError);
  });
});

test('timeout: a block that turns the cancel into another error raises that error, not TimeoutError', async () => {
  await vrun(async () => {
    const err = await timeout(1, async () => {
      try {
        await sleep(10);
      } catch {
        throw new RangeError('converted');
      }
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(currentTask()!.cancelling()).toBe(0);
  });
});

test('timeout still works inside the handler of a cancel the task caught (cancelling() already 1)', async () => {
  const out = await vrun(async () => {
    const t = createTask(async () => {
      try {
        await sleep(10);
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        const r = await settle(timeout(1, () => sleep(5)));
        return `${r} with cancelling=${currentTask()!.cancelling()}`;
      }
      return 'not cancelled';
    });
    await sleep(1);
    t.cancel();
    return [await t, now()];
  });
  expect(out).toEqual(['TimeoutError with cancelling=1', 2]);
});

test('waitFor: inner work that swallows the timeout cancel and returns gives its value', async () => {
  const out = await vrun(async () => {
    const inner = createTask(async () => {
      try {
        await sleep(10);
      } catch {
        return 'swallowed';
      }
      return 'slept';
    });
    return [await waitFor(inner, 1), now()];
  });
  expect(out).toEqual(['swallowed', 1]);
});

test('waitFor of work that never blocks returns its result', async () => {
  await vrun(async () => {
    expect(await waitFor(async () => 'quick', 0.1)).toBe('quick');
  });
});

test('waitFor raises TimeoutError, which is not a CancelledError', async () => {
  await vrun(async () => {
    const err = await waitFor(() => sleep(2), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).not.toBeInstanceOf(CancelledError);
  });
});

test('many tasks: all complete, none lost', async () => {
  const out = await vrun(async () => {
    const tasks = Array.from({ length: 500 }, (_, i) => createTask(() => sleep(i % 7, i)));
    let sum = 0;
    for (const t of tasks) sum += await t;
    return [sum, now()];
  });
  expect(out).toEqual([(499 * 500) / 2, 6]);
});
