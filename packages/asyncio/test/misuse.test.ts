/**
 * Misuse gets asyncio's errors (issue 15): a Future of another run, and Futures given to
 * Promise.race / Promise.all inside a task, fail with a RuntimeError that reaches run()'s caller,
 * with nothing left unhandled (the Jest guard fails a test that leaves an unhandled rejection).
 */
import {
  Future,
  MockClock,
  RuntimeError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  waitFor,
  type Task,
} from '@duet/asyncio';

const virtual = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

/**
 * Starts a run that makes a Future and completes it after `seconds` real seconds. (The Future
 * travels in a box: resolving a Promise with a Future would adopt its result.)
 */
function otherRun(seconds: number): { done: Promise<void>; box: Promise<{ fut: Future<number> }> } {
  let give!: (box: { fut: Future<number> }) => void;
  const box = new Promise<{ fut: Future<number> }>((resolve) => (give = resolve));
  const done = run(async () => {
    const fut = new Future<number>();
    give({ fut });
    await sleep(seconds);
    fut.setResult(1);
  });
  return { done, box };
}

describe('a Future of another run', () => {
  test('awaiting it while pending is a RuntimeError, as asyncio says', async () => {
    const other = otherRun(0.05);
    const { fut } = await other.box;
    await expect(run(async () => await fut)).rejects.toThrow(
      /got <Future pending> attached to a different loop/,
    );
    await other.done;
  });

  test('waitFor() on it fails at once instead of waiting for the other run', async () => {
    const other = otherRun(0.5);
    const { fut } = await other.box;
    const started = performance.now();
    await expect(run(() => waitFor(fut, 0.05))).rejects.toBeInstanceOf(RuntimeError);
    expect(performance.now() - started).toBeLessThan(400);
    await other.done;
  });

  test('a done one gives its result (there is nothing to wait for)', async () => {
    const other = otherRun(0);
    const { fut } = await other.box;
    await other.done;
    expect(await run(async () => await fut)).toBe(1);
  });
});

describe('a pending Task of another concurrent run', () => {
  /** Starts a run whose main awaits a Task of its own that ends after `seconds` real seconds. */
  function otherRunTask(seconds: number) {
    let give!: (box: { task: Task<number> }) => void;
    const box = new Promise<{ task: Task<number> }>((resolve) => (give = resolve));
    const done = run(async () => {
      const task = createTask(async () => {
        await sleep(seconds);
        return 1;
      });
      give({ task });
      return await task;
    });
    return { done, box };
  }

  // CPython 3.12+ (wait_for is `async with timeout(): await fut`): both are RuntimeError
  // "Task ... got Future <Task pending ...> attached to a different loop", raised at once.
  test('await and waitFor() raise RuntimeError at once; the other run is not disturbed', async () => {
    const other = otherRunTask(0.8);
    const { task } = await other.box;
    const started = performance.now();
    await expect(run(async () => await task)).rejects.toThrow(
      /got <Task pending name='Task-\d+'> attached to a different loop/,
    );
    await expect(run(() => waitFor(task, 0.05))).rejects.toBeInstanceOf(RuntimeError);
    expect(performance.now() - started).toBeLessThan(500);
    expect(task.cancelled()).toBe(false);
    expect(await other.done).toBe(1);
  });
});

describe('Futures given to Promise.race / Promise.all inside a task', () => {
  test('Promise.race: a RuntimeError naming the fix reaches run()', async () => {
    const outcome = run(async () => {
      const a = new Future<number>();
      const b = new Future<number>();
      getRunningLoop().callLater(1, () => b.setResult(2));
      getRunningLoop().callLater(2, () => a.setResult(1));
      const first = await Promise.race([a, b]);
      await sleep(5);
      return first;
    }, virtual());
    await expect(outcome).rejects.toThrow(
      /Promise.race \/ Promise.all .* use gather\(\), wait\(\)/,
    );
  });

  test('Promise.all of tasks: a RuntimeError; the task is not left parked and can go on', async () => {
    const out = await run(async () => {
      const t1 = createTask(async () => {
        await sleep(1);
        return 1;
      });
      const t2 = createTask(async () => {
        await sleep(2);
        return 2;
      });
      let error: unknown;
      try {
        await Promise.all([t1, t2]);
      } catch (err) {
        error = err;
      }
      await sleep(3); // the caller waits normally again
      return [error instanceof RuntimeError, t1.cancelled(), await t1, await t2];
    }, virtual());
    expect(out).toEqual([true, false, 1, 2]);
  });
});

test('a done callback that awaits a Future is not a misuse, even though it runs in a parked task’s context', async () => {
  const out = await run(async () => {
    const a = new Future<number>();
    const b = new Future<number>();
    const log: unknown[] = [];
    const waiter = createTask(async () => await b);
    await sleep(0);
    a.addDoneCallback(async () => {
      log.push(await b);
    });
    getRunningLoop().callLater(1, () => b.setResult(7));
    a.setResult(1);
    log.push(await waiter);
    await sleep(2);
    return log;
  }, virtual());
  expect(out).toEqual([7, 7]);
});
