/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_runners.py, restated for Duet's
 * API; each was checked on CPython 3.13.0 (/root/.pyenv/versions/3.13.0). One difference is
 * Duet's own rule: a `main` that is not a function is a TypeError (CPython: ValueError "a
 * coroutine was expected"), as every wrong-type argument in Duet.
 */
import {
  CancelledError,
  MockClock,
  Runner,
  RuntimeError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  type ExceptionContext,
  type Task,
} from '@duet/asyncio';
import { raised } from './outcomes';

const clock = (): MockClock => new MockClock({ autojumpThreshold: 0 });

describe('CPython test_runners: run()', () => {
  // test_asyncio_run_return / test_asyncio_run_raises
  test("run() gives main's value, or raises main's error", async () => {
    await expect(run(async () => 42, { clock: clock() })).resolves.toBe(42);
    await expect(
      run(
        async () => {
          await sleep(0);
          throw new RangeError('spam');
        },
        { clock: clock() },
      ),
    ).rejects.toThrow('spam');
  });

  // test_asyncio_run_only_coro
  test('run() of something that is not a function is a TypeError', async () => {
    await expect(run(1 as never)).rejects.toThrow(TypeError);
  });

  // test_asyncio_run_debug / test_debug / test_non_debug
  test('debug: the loop says whether it runs in debug mode', async () => {
    const out = [
      await run(async () => getRunningLoop().getDebug(), { clock: clock(), debug: true }),
      await run(async () => getRunningLoop().getDebug(), { clock: clock(), debug: false }),
    ];
    expect(out).toEqual([true, false]);
  });

  // test_asyncio_run_from_running_loop
  test('run() inside a running loop is a RuntimeError', async () => {
    const err = await run(async () => raised(() => run(async () => 1)), { clock: clock() });
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/cannot be called from a running/);
  });

  // test_asyncio_run_cancels_hanging_tasks
  test('a task still pending when main returns is cancelled and awaited', async () => {
    let leftover!: Task<void>;
    const res = await run(
      async () => {
        leftover = createTask(() => sleep(0.1));
        return 123;
      },
      { clock: clock() },
    );
    expect([res, leftover.done(), leftover.cancelled()]).toEqual([123, true, true]);
  });

  // test_asyncio_run_reports_hanging_tasks_errors
  test('a pending task that fails while being cancelled at the end is reported to the exception handler', async () => {
    const reports: ExceptionContext[] = [];
    let leftover!: Task<void>;
    const res = await run(
      async () => {
        getRunningLoop().setExceptionHandler((_loop, ctx) => reports.push(ctx));
        leftover = createTask(async () => {
          try {
            await sleep(0.1);
          } catch (err) {
            if (err instanceof CancelledError)
              throw new RangeError('division by zero', { cause: err });
            throw err;
          }
        });
        return 123;
      },
      { clock: clock() },
    );
    expect(res).toBe(123);
    expect(leftover.done()).toBe(true);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toMatch(/run\(\).*shutdown/);
    expect(reports[0]!.task).toBe(leftover);
    expect(reports[0]!.exception).toBeInstanceOf(RangeError);
  });
});

describe('CPython test_runners: Runner', () => {
  // test_run / test_run_keeps_context (the loop and its tasks persist between runs)
  test('several runs share one loop; a task made in one run is still there in the next', async () => {
    const runner = new Runner({ clock: clock() });
    let t!: Task<string>;
    const loop1 = await runner.run(async () => {
      t = createTask(() => sleep(1, 'done'));
      return getRunningLoop();
    });
    const [loop2, res] = await runner.run(async () => [getRunningLoop(), await t] as const);
    await runner.close();
    expect([loop1 === loop2, res]).toEqual([true, 'done']);
  });

  // test_run_non_coro / test_run_future
  test('Runner.run() of something that is not a function is a TypeError', async () => {
    const runner = new Runner({ clock: clock() });
    expect(() => runner.run(123 as never)).toThrow(TypeError);
    await runner.close();
  });

  // test_explicit_close / test_double_close / test_second_with_block_raises
  test('close() twice is fine; run() after close() is a RuntimeError', async () => {
    const runner = new Runner({ clock: clock() });
    await runner.run(async () => undefined);
    await runner.close();
    await runner.close();
    expect(() => runner.run(async () => undefined)).toThrow(/Runner is closed/);
  });

  // test_recursive_run
  test('Runner.run() from inside a run is a RuntimeError', async () => {
    const runner = new Runner({ clock: clock() });
    const err = await runner.run(async () => raised(async () => runner.run(async () => undefined)));
    await runner.close();
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toContain(
      'Runner.run() cannot be called from a running event loop',
    );
  });

  // test_interrupt_cancelled_task analogue: close() cancels what is left
  test('close() cancels the tasks that are still pending and waits for them', async () => {
    const runner = new Runner({ clock: clock() });
    const cleaned: string[] = [];
    // Boxed: a Task is thenable, so a run resolved with one would wait for it.
    const { t } = await runner.run(async () => ({
      t: createTask(async () => {
        try {
          await sleep(100);
        } finally {
          cleaned.push('cleaned');
        }
      }),
    }));
    await runner.close();
    expect([t.cancelled(), cleaned]).toEqual([true, ['cleaned']]);
  });
});

describe('CPython test_runners: Runner.getLoop()', () => {
  // Runner.get_loop() initialises the runner lazily: the loop exists before the first run().
  test('getLoop() before run() gives the loop the runs use', async () => {
    const runner = new Runner({ clock: clock(), debug: true });
    const loop = runner.getLoop();
    expect(runner.getLoop()).toBe(loop);
    expect([loop.getDebug(), loop.time()]).toEqual([true, 0]);
    const inside = await runner.run(async () => getRunningLoop());
    await runner.close();
    expect(inside).toBe(loop);
  });

  test('callbacks scheduled on it before the first run() run when that run starts, before main', async () => {
    const runner = new Runner({ clock: clock() });
    const loop = runner.getLoop();
    const log: string[] = [];
    loop.callSoon((s: string) => log.push(s), 'soon');
    loop.callLater(0.01, () => log.push(`later at ${loop.time()}`));
    const fut = loop.createFuture<number>();
    fut.addDoneCallback(() => log.push('done callback'));
    fut.setResult(1);
    const got = await runner.run(async () => {
      log.push('main');
      await sleep(0.02);
      return fut.result();
    });
    await runner.close();
    expect([got, log]).toEqual([1, ['soon', 'done callback', 'main', 'later at 0.01']]);
  });

  test('close() of a runner whose loop never ran still runs the callbacks already scheduled', async () => {
    const runner = new Runner({ clock: clock() });
    const log: string[] = [];
    runner.getLoop().callSoon(() => log.push('soon'));
    await runner.close();
    expect(log).toEqual(['soon']);
  });

  // test_explicit_close
  test('getLoop() after close() is a RuntimeError', async () => {
    const runner = new Runner({ clock: clock() });
    runner.getLoop();
    await runner.close();
    expect(() => runner.getLoop()).toThrow(/Runner is closed/);
    const ran = new Runner({ clock: clock() });
    await ran.run(async () => undefined);
    await ran.close();
    expect(() => ran.getLoop()).toThrow(/Runner is closed/);
  });

  // Duet's difference: a Task is a kernel task, which exists only inside the kernel run.
  test('createTask() on it before the first run() is a RuntimeError that says why', async () => {
    const runner = new Runner({ clock: clock() });
    const loop = runner.getLoop();
    expect(() => loop.createTask(async () => 1)).toThrow(RuntimeError);
    expect(() => loop.createTask(async () => 1)).toThrow(/before the Runner's first run\(\)/);
    await expect(
      runner.run(async () => loop.createTask(async () => 2).then((v) => v)),
    ).resolves.toBe(2);
    await runner.close();
  });
});
