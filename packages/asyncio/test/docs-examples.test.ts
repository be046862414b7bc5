// The examples of the Python docs' "Coroutines and Tasks" page, ported line by line.
import {
  CancelledError,
  Future,
  TaskGroup,
  TimeoutError,
  allTasks,
  asCompleted,
  createTask,
  currentTask,
  ExceptionGroup,
  gather,
  getRunningLoop,
  shield,
  sleep,
  timeout,
  timeoutAt,
  wait,
  waitFor,
  type Task,
} from '@duet/asyncio';
import { vrun } from './helpers';

const now = () => getRunningLoop().time();

test('hello world: sleep(1) between two prints', async () => {
  const out: string[] = [];
  await vrun(async () => {
    out.push('hello');
    await sleep(1);
    out.push(`world at ${now()}`);
  });
  expect(out).toEqual(['hello', 'world at 1']);
});

async function sayAfter(out: string[], delay: number, what: string) {
  await sleep(delay);
  out.push(what);
}

test('say_after awaited one after the other takes 3 seconds', async () => {
  const out: string[] = [];
  const elapsed = await vrun(async () => {
    await sayAfter(out, 1, 'hello');
    await sayAfter(out, 2, 'world');
    return now();
  });
  expect(out).toEqual(['hello', 'world']);
  expect(elapsed).toBe(3);
});

test('say_after in two tasks takes 2 seconds', async () => {
  const out: string[] = [];
  const elapsed = await vrun(async () => {
    const task1 = createTask(() => sayAfter(out, 1, 'hello'));
    const task2 = createTask(() => sayAfter(out, 2, 'world'));
    await task1;
    await task2;
    return now();
  });
  expect(out).toEqual(['hello', 'world']);
  expect(elapsed).toBe(2);
});

test('say_after in a TaskGroup takes 2 seconds', async () => {
  const out: string[] = [];
  const elapsed = await vrun(async () => {
    await new TaskGroup().run(async (tg) => {
      tg.createTask(() => sayAfter(out, 1, 'hello'));
      tg.createTask(() => sayAfter(out, 2, 'world'));
      out.push('started');
    });
    return now();
  });
  expect(out).toEqual(['started', 'hello', 'world']);
  expect(elapsed).toBe(2);
});

test('awaitables: a coroutine, a task', async () => {
  const nested = async () => 42;
  const res = await vrun(async () => {
    const direct = await nested();
    const task = createTask(nested);
    return [direct, await task];
  });
  expect(res).toEqual([42, 42]);
});

test('futures: gather of a future and a coroutine', async () => {
  const res = await vrun(async () => {
    const functionThatReturnsAFutureObject = () => {
      const fut = getRunningLoop().createFuture<string>();
      getRunningLoop().callLater(1, () => fut.setResult('future'));
      return fut;
    };
    const somePythonCoroutine = async () => 'coro';
    return await gather(functionThatReturnsAFutureObject(), somePythonCoroutine);
  });
  expect(res).toEqual(['future', 'coro']);
});

test('background tasks kept in a set and discarded when done', async () => {
  const sizes = await vrun(async () => {
    const backgroundTasks = new Set<Task<number>>();
    for (let i = 0; i < 10; i++) {
      const task = createTask(async () => {
        await sleep(i);
        return i;
      });
      backgroundTasks.add(task);
      task.addDoneCallback((t) => backgroundTasks.delete(t));
    }
    const before = backgroundTasks.size;
    await sleep(20);
    return [before, backgroundTasks.size];
  });
  expect(sizes).toEqual([10, 0]);
});

test('task groups: both results available after the block', async () => {
  const out = await vrun(async () => {
    let task1!: Task<string>;
    let task2!: Task<string>;
    await new TaskGroup().run(async (tg) => {
      task1 = tg.createTask(() => sleep(1, 'one'));
      task2 = tg.createTask(() => sleep(2, 'two'));
    });
    return `Both tasks have completed now: ${task1.result()}, ${task2.result()}`;
  });
  expect(out).toBe('Both tasks have completed now: one, two');
});

test('terminating a task group with an exception-raising task', async () => {
  class TerminateTaskGroup extends Error {}
  const out: string[] = [];
  const job = async (taskId: number, sleepTime: number) => {
    out.push(`Task ${taskId}: start`);
    await sleep(sleepTime);
    out.push(`Task ${taskId}: done`);
  };
  await vrun(async () => {
    try {
      await new TaskGroup().run(async (group) => {
        group.createTask(() => job(1, 0.5));
        group.createTask(() => job(2, 1.5));
        await sleep(1);
        group.createTask(async () => {
          throw new TerminateTaskGroup();
        });
      });
    } catch (eg) {
      if (!(eg instanceof ExceptionGroup) || eg.split(TerminateTaskGroup)[1] !== null) throw eg;
    }
  });
  expect(out).toEqual(['Task 1: start', 'Task 2: start', 'Task 1: done']);
});

test('sleeping: display the date every second for 5 seconds', async () => {
  const out: number[] = [];
  await vrun(async () => {
    const loop = getRunningLoop();
    const endTime = loop.time() + 5.0;
    for (;;) {
      out.push(loop.time());
      if (loop.time() + 1.0 >= endTime) break;
      await sleep(1);
    }
  });
  expect(out).toEqual([0, 1, 2, 3, 4]);
});

test('running tasks concurrently: gather of three factorials', async () => {
  const out: string[] = [];
  const factorial = async (name: string, n: number) => {
    let f = 1;
    for (let i = 2; i <= n; i++) {
      out.push(`Task ${name}: Compute factorial(${n}), currently i=${i}...`);
      await sleep(1);
      f *= i;
    }
    out.push(`Task ${name}: factorial(${n}) = ${f}`);
    return f;
  };
  const L = await vrun(async () => {
    const res: [number, number, number] = await gather(
      () => factorial('A', 2),
      () => factorial('B', 3),
      () => factorial('C', 4),
    );
    return res;
  });
  expect(L).toEqual([2, 6, 24]);
  expect(out).toEqual([
    'Task A: Compute factorial(2), currently i=2...',
    'Task B: Compute factorial(3), currently i=2...',
    'Task C: Compute factorial(4), currently i=2...',
    'Task A: factorial(2) = 2',
    'Task B: Compute factorial(3), currently i=3...',
    'Task C: Compute factorial(4), currently i=3...',
    'Task B: factorial(3) = 6',
    'Task C: Compute factorial(4), currently i=4...',
    'Task C: factorial(4) = 24',
  ]);
});

test('shielding from cancellation: the task is cancelled, something() goes on', async () => {
  const out = await vrun(async () => {
    const something = createTask(() => sleep(2, 'saved'));
    const task = createTask(async () => {
      let res: string | null;
      try {
        res = await shield(something);
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        res = null;
      }
      return res;
    });
    await sleep(1);
    task.cancel();
    return [await task, await something, now()];
  });
  expect(out).toEqual([null, 'saved', 2]);
});

test('timeouts: timeout(10) around a long task', async () => {
  const out: string[] = [];
  await vrun(async () => {
    try {
      await timeout(10, async () => {
        await sleep(3600);
      });
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err;
      out.push(`The long operation timed out, but we've handled it. (t=${now()})`);
    }
    out.push('This statement will run regardless.');
  });
  expect(out).toEqual([
    "The long operation timed out, but we've handled it. (t=10)",
    'This statement will run regardless.',
  ]);
});

test('timeouts: timeout(null) rescheduled once the deadline is known', async () => {
  const out: string[] = [];
  await vrun(async () => {
    const cm = timeout(null);
    try {
      await cm.run(async () => {
        const newDeadline = getRunningLoop().time() + 10;
        cm.reschedule(newDeadline);
        await sleep(3600);
      });
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err;
    }
    if (cm.expired()) out.push("Looks like we haven't finished on time.");
  });
  expect(out).toEqual(["Looks like we haven't finished on time."]);
});

test('timeouts: timeoutAt(loop.time() + 20)', async () => {
  const out = await vrun(async () => {
    const deadline = getRunningLoop().time() + 20;
    try {
      await timeoutAt(deadline, () => sleep(3600));
    } catch (err) {
      if (err instanceof TimeoutError) return `handled at ${now()}`;
      throw err;
    }
    return 'not reached';
  });
  expect(out).toBe('handled at 20');
});

test('waitFor: eternity() with a 1 second limit prints timeout!', async () => {
  const out: string[] = [];
  await vrun(async () => {
    const eternity = async () => {
      await sleep(3600);
      out.push('yay!');
    };
    try {
      await waitFor(eternity, 1.0);
    } catch (err) {
      if (err instanceof TimeoutError) out.push('timeout!');
      else throw err;
    }
  });
  expect(out).toEqual(['timeout!']);
});

test('wait: a task is in the done set', async () => {
  const res = await vrun(async () => {
    const foo = async () => 42;
    const task = createTask(foo);
    const [done, pending] = await wait([task]);
    return [done.has(task), pending.size, task.result()];
  });
  expect(res).toEqual([true, 0, 42]);
});

test('asCompleted: for await gives the earliest task first', async () => {
  const out = await vrun(async () => {
    const ipv4Connect = createTask(() => sleep(2, 'v4'));
    const ipv6Connect = createTask(() => sleep(1, 'v6'));
    const tasks = [ipv4Connect, ipv6Connect];
    const seen: string[] = [];
    for await (const value of asCompleted(tasks)) {
      const earliestConnect = value as unknown as Task<string>; // TS types a for-await variable as awaited
      const r = await earliestConnect;
      seen.push(
        earliestConnect === ipv6Connect
          ? `IPv6 connection established. ${r}`
          : `IPv4 connection established. ${r}`,
      );
    }
    return seen;
  });
  expect(out).toEqual(['IPv6 connection established. v6', 'IPv4 connection established. v4']);
});

test('asCompleted: iterating gives awaitables of the results in completion order', async () => {
  const out = await vrun(async () => {
    const aws = [() => sleep(3, 'c'), () => sleep(1, 'a'), () => sleep(2, 'b')];
    const res: string[] = [];
    for (const coro of asCompleted(aws)) {
      const earliestResult = await coro;
      res.push(`${earliestResult}@${now()}`);
    }
    return res;
  });
  expect(out).toEqual(['a@1', 'b@2', 'c@3']);
});

test('introspection: currentTask and allTasks', async () => {
  const out = await vrun(async () => {
    const me = currentTask()!;
    const other = createTask(() => sleep(1), { name: 'other' });
    const names = [...allTasks()].map((t) => t.getName()).sort();
    await other;
    return [me.getName(), names, allTasks().size];
  });
  expect(out).toEqual(['Task-1', ['Task-1', 'other'], 1]);
});

test('Task.cancel: cancel_me is cancelled after one second', async () => {
  const out: string[] = [];
  await vrun(async () => {
    const cancelMe = async () => {
      out.push('cancel_me(): before sleep');
      try {
        await sleep(3600);
      } catch (err) {
        if (err instanceof CancelledError) out.push('cancel_me(): cancel sleep');
        throw err;
      } finally {
        out.push('cancel_me(): after sleep');
      }
    };
    const task = createTask(cancelMe);
    await sleep(1);
    task.cancel();
    try {
      await task;
    } catch (err) {
      if (err instanceof CancelledError) out.push('main(): cancel_me is cancelled now');
      else throw err;
    }
  });
  expect(out).toEqual([
    'cancel_me(): before sleep',
    'cancel_me(): cancel sleep',
    'cancel_me(): after sleep',
    'main(): cancel_me is cancelled now',
  ]);
});

test('Task.uncancel: a timeout inside, unrelated code after it runs', async () => {
  const out: string[] = [];
  await vrun(async () => {
    try {
      await timeout(1, async () => {
        await sleep(0.5); // make_request
        await sleep(5); // make_another_request
      });
    } catch (err) {
      if (err instanceof TimeoutError) out.push('There was a timeout');
      else throw err;
    }
    await sleep(1); // unrelated_code
    out.push(`unrelated code ran, cancelling()=${currentTask()!.cancelling()}`);
  });
  expect(out).toEqual(['There was a timeout', 'unrelated code ran, cancelling()=0']);
});

test('a Future is awaitable by several tasks', async () => {
  const res = await vrun(async () => {
    const fut = new Future<number>();
    const a = createTask(async () => (await fut) + 1);
    const b = createTask(async () => (await fut) + 2);
    await sleep(1);
    fut.setResult(10);
    return gather(a, b);
  });
  expect(res).toEqual([11, 12]);
});
