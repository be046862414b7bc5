import {
  CancelledError,
  Future,
  MockClock,
  Runner,
  RuntimeError,
  Task,
  allTasks,
  createTask,
  currentTask,
  ensureFuture,
  getRunningLoop,
  run,
  sleep,
  type ExceptionContext,
} from '@duet/asyncio';
import { currentTaskOrUndefined } from '@duet/kernel';
import { vrun } from './helpers';

describe('Task', () => {
  test('starts at the next iteration, not inside createTask', async () => {
    const order = await vrun(async () => {
      const order: string[] = [];
      const t = createTask(async () => {
        order.push('task');
      });
      order.push('created');
      await t;
      return order;
    });
    expect(order).toEqual(['created', 'task']);
  });

  test('names: Task-<n> by default, name option, setName', async () => {
    await vrun(async () => {
      expect(currentTask()!.getName()).toBe('Task-1');
      const t = createTask(() => sleep(0), { name: 'worker' });
      expect(t.getName()).toBe('worker');
      t.setName('renamed');
      expect(t.getName()).toBe('renamed');
      expect(String(t)).toContain("name='renamed'");
      expect(createTask(() => 1).getName()).toBe('Task-2');
    });
  });

  test("the kernel task has the Task's name, a renaming included", async () => {
    await vrun(async () => {
      const kernelName = (): string => currentTaskOrUndefined()!.name;
      const t = createTask(async () => {
        const before = kernelName();
        currentTask()!.setName('renamed');
        return [before, kernelName()];
      });
      createTask(() => 1, { name: 'named' }); // a given name does not use up a number
      expect(createTask(() => 1, { name: 7 as never }).getName()).toBe('7'); // str(name)
      expect(await t).toEqual(['Task-2', 'renamed']);
      expect(await createTask(kernelName)).toBe('Task-3');
    });
  });

  test('cancel(msg) raises CancelledError(msg) in the task; cancel() of a done task is false', async () => {
    await vrun(async () => {
      const t = createTask(() => sleep(10));
      await sleep(0);
      expect(t.cancel('why')).toBe(true);
      await expect(t).rejects.toThrow('why');
      expect(t.cancelled()).toBe(true);
      expect(t.cancel()).toBe(false);
      expect(() => t.result()).toThrow(CancelledError);
    });
  });

  test('a task cancelled before its first step never runs', async () => {
    await vrun(async () => {
      let ran = false;
      const t = createTask(async () => {
        ran = true;
      });
      t.cancel();
      expect(t.cancelling()).toBe(1);
      await expect(t).rejects.toThrow(CancelledError);
      expect(ran).toBe(false);
      expect(t.cancelled()).toBe(true);
    });
  });

  test('cancel then uncancel before the first step withdraws the request (3.13)', async () => {
    await vrun(async () => {
      const t = createTask(async () => 'ran');
      t.cancel();
      expect(t.uncancel()).toBe(0);
      expect(await t).toBe('ran');
      expect(t.cancelled()).toBe(false);
    });
  });

  test('cancelling() counts cancel() calls, uncancel() takes one back', async () => {
    await vrun(async () => {
      const t = createTask(() => sleep(10));
      await sleep(0);
      t.cancel();
      t.cancel();
      expect(t.cancelling()).toBe(2);
      expect(t.uncancel()).toBe(1);
      expect(t.cancelling()).toBe(1);
      await expect(t).rejects.toThrow(CancelledError);
      expect(t.cancelled()).toBe(true);
    });
  });

  test('uncancel() down to 0 withdraws a cancel not yet delivered (3.13)', async () => {
    await vrun(async () => {
      const t = createTask(async () => {
        const me = currentTask()!;
        me.cancel(); // pending: delivered at the next wait
        expect(me.uncancel()).toBe(0);
        await sleep(1);
        return 'not cancelled';
      });
      expect(await t).toBe('not cancelled');
    });
  });

  test('a task that catches CancelledError and returns is not cancelled; cancelling() stays', async () => {
    await vrun(async () => {
      const t = createTask(async () => {
        try {
          await sleep(10);
        } catch (err) {
          if (err instanceof CancelledError) return 'caught';
          throw err;
        }
        return 'slept';
      });
      await sleep(0);
      t.cancel();
      expect(await t).toBe('caught');
      expect(t.cancelled()).toBe(false);
      expect(t.cancelling()).toBe(1);
    });
  });

  test('a task that cancels itself and returns without waiting ends cancelled', async () => {
    await vrun(async () => {
      const t = createTask(async () => {
        currentTask()!.cancel();
        return 5;
      });
      await expect(t).rejects.toThrow(CancelledError);
      expect(t.cancelled()).toBe(true);
    });
  });

  test('cancelling an awaiting task cancels the awaited task; a swallowed cancel gives its value', async () => {
    await vrun(async () => {
      const inner = createTask(async () => {
        try {
          await sleep(10);
        } catch {
          return 5;
        }
        return 0;
      });
      const outer = createTask(() => inner);
      await sleep(0);
      await sleep(0);
      outer.cancel('m');
      expect(await outer).toBe(5);
      expect(outer.cancelled()).toBe(false);
      expect(outer.cancelling()).toBe(1);
      expect(inner.cancelling()).toBe(1);
    });
  });

  test('a task cannot await itself', async () => {
    await vrun(async () => {
      const box: { self?: Task<unknown> } = {};
      const self = createTask(async () => await box.self);
      box.self = self;
      await expect(self).rejects.toThrow('Task cannot await on itself');
    });
  });

  test('setResult / setException on a Task are RuntimeErrors', async () => {
    await vrun(async () => {
      const t = createTask(async () => 1);
      expect(() => t.setResult(2)).toThrow(RuntimeError);
      expect(() => t.setException(new Error())).toThrow(RuntimeError);
      await t;
    });
  });

  test('createTask with a started Promise is a TypeError with a hint', async () => {
    await vrun(async () => {
      expect(() => createTask(Promise.resolve(1) as never)).toThrow(/not the Promise/);
    });
  });

  test('createTask outside run() is a RuntimeError', () => {
    expect(() => createTask(async () => 1)).toThrow(/no running event loop/);
    expect(() => getRunningLoop()).toThrow(RuntimeError);
  });

  test('allTasks holds the pending tasks of the loop', async () => {
    await vrun(async () => {
      const a = createTask(() => sleep(1));
      const b = createTask(() => sleep(2));
      expect(allTasks()).toEqual(new Set([currentTask(), a, b]));
      await a;
      expect(allTasks()).toEqual(new Set([currentTask(), b]));
      await b;
    });
  });

  test('ensureFuture adopts a Promise; cancelling the adopting task abandons the wait', async () => {
    await vrun(async () => {
      const f = ensureFuture(Promise.resolve(4));
      expect(await f).toBe(4);
      const never = ensureFuture(new Promise<number>(() => {}));
      await sleep(0);
      never.cancel();
      await expect(never).rejects.toThrow(CancelledError);
      const fut = new Future<number>();
      expect(ensureFuture(fut)).toBe(fut);
    });
  });
});

describe('run and Runner', () => {
  test('run resolves with main result and rejects with its error', async () => {
    await expect(vrun(async () => 5)).resolves.toBe(5);
    await expect(
      vrun(async () => {
        throw new Error('main failed');
      }),
    ).rejects.toThrow('main failed');
  });

  test('run cannot nest', async () => {
    await vrun(async () => {
      await expect(run(async () => 1)).rejects.toThrow(/running event loop/);
    });
  });

  test('at the end of run, pending tasks are cancelled and awaited', async () => {
    const log: string[] = [];
    await vrun(async () => {
      createTask(async () => {
        try {
          await sleep(100);
        } catch (err) {
          log.push(`cancelled: ${err instanceof CancelledError}`);
          await sleep(1); // cleanup that waits is allowed to finish
          log.push('cleanup done');
          throw err;
        }
      });
      await sleep(0);
    });
    expect(log).toEqual(['cancelled: true', 'cleanup done']);
  });

  test('an error nobody retrieved is reported once through the exception handler, naming the task', async () => {
    const seen: ExceptionContext[] = [];
    await vrun(async () => {
      getRunningLoop().setExceptionHandler((_loop, ctx) => seen.push(ctx));
      createTask(
        async () => {
          throw new Error('lost');
        },
        { name: 'forgotten' },
      );
      const retrieved = createTask(async () => {
        throw new Error('seen');
      });
      await sleep(1);
      expect(retrieved.exception()).toBeInstanceOf(Error);
    });
    expect(seen.map((c) => [c.message, c.task?.getName(), String(c.exception)])).toEqual([
      ['Task exception was never retrieved', 'forgotten', 'Error: lost'],
    ]);
  });

  test('the default handler writes the task name and the error to stderr; no unhandled rejection', async () => {
    const writes: string[] = [];
    const spy = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      });
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on('unhandledRejection', onRejection);
    try {
      await vrun(async () => {
        createTask(
          async () => {
            throw new Error('nobody looked');
          },
          { name: 'lonely' },
        );
        await sleep(1);
      });
      await new Promise((r) => setTimeout(r, 5));
    } finally {
      spy.mockRestore();
      process.off('unhandledRejection', onRejection);
    }
    const text = writes.join('');
    expect(text).toContain('Task exception was never retrieved');
    expect(text).toContain("name='lonely'");
    expect(text).toContain('nobody looked');
    expect(rejections).toEqual([]);
  });

  test('Runner runs several mains on one loop; tasks survive between runs; close cancels them', async () => {
    const runner = new Runner({ clock: new MockClock({ autojumpThreshold: 0 }) });
    let background!: Task<string>;
    const first = await runner.run(async () => {
      background = createTask(async () => {
        await sleep(5);
        return 'bg';
      });
      await sleep(1);
      return getRunningLoop().time();
    });
    expect(first).toBe(1);
    const second = await runner.run(async () => [await background, getRunningLoop().time()]);
    expect(second).toEqual(['bg', 5]);
    let leftover!: Task<void>;
    await runner.run(async () => {
      leftover = createTask(() => sleep(100));
    });
    await runner.close();
    expect(leftover.cancelled()).toBe(true);
    expect(() => runner.run(async () => 1)).toThrow('Runner is closed');
  });

  test('Runner works with await using', async () => {
    let loopTime: number;
    {
      await using runner = new Runner({ clock: new MockClock({ autojumpThreshold: 0 }) });
      loopTime = await runner.run(async () => {
        await sleep(2);
        return getRunningLoop().time();
      });
    }
    expect(loopTime).toBe(2);
  });
});
