import {
  CancelledError,
  Event as AioEvent,
  TaskGroup,
  TimeoutError,
  createTask,
  currentTask as aioCurrentTask,
  sleep as aioSleep,
  timeout,
  type Task as AioTask,
} from '@duet/asyncio';
import { aioAsTrio, awaitFuture, openAsyncioLoop, trioAsAio } from '@duet/bridge';
import {
  Cancelled,
  CancelScope,
  ExceptionGroup,
  MockClock,
  currentTime,
  run,
  sleep,
  waitAllTasksBlocked,
} from '@duet/kernel';
import { moveOnAfter, openNursery, sleepForever } from '@duet/trio';

const vrun = <T>(fn: () => Promise<T>) =>
  run({ clock: new MockClock({ autojumpThreshold: 0 }) }, fn);

describe('aioAsTrio', () => {
  test('runs asyncio code as an asyncio Task and passes the result through', async () => {
    const got = await vrun(async () => {
      const f = aioAsTrio(async (x: number) => {
        const me = aioCurrentTask();
        const child = createTask(() => aioSleep(1, x * 2));
        return [me !== null, await child];
      });
      return f(21);
    });
    expect(got).toEqual([true, 42]);
  });

  test('errors, ExceptionGroups and TimeoutError pass through unchanged', async () => {
    await vrun(async () => {
      const boom = new Error('boom');
      await expect(
        aioAsTrio(async () => {
          throw boom;
        })(),
      ).rejects.toBe(boom);
      const group = aioAsTrio(() =>
        new TaskGroup().run((tg) => {
          tg.createTask(async () => {
            throw new TypeError('child');
          });
        }),
      );
      await expect(group()).rejects.toBeInstanceOf(ExceptionGroup);
      await expect(aioAsTrio(() => timeout(1, () => aioSleep(5)))()).rejects.toBeInstanceOf(
        TimeoutError,
      );
    });
  });

  test('a Trio timeout is delivered as Task.cancel(); the scope catches it', async () => {
    const seen: unknown[] = [];
    await vrun(async () => {
      let aioTask: AioTask | null = null;
      const f = aioAsTrio(async () => {
        aioTask = aioCurrentTask();
        try {
          await aioSleep(100);
        } catch (e) {
          seen.push(e instanceof CancelledError, aioTask!.cancelling());
          throw e;
        }
      });
      const scope = new CancelScope({ relativeDeadline: 2 });
      await scope.run(() => f());
      seen.push(scope.cancelledCaught, currentTime());
    });
    expect(seen).toEqual([true, 1, true, 2]);
  });

  test('asyncio code that swallows CancelledError is cancelled again while the scope is cancelled', async () => {
    const log: string[] = [];
    await vrun(async () => {
      const stubborn = aioAsTrio(async () => {
        try {
          await aioSleep(100);
        } catch {
          log.push('swallowed once');
        }
        try {
          await aioSleep(100);
        } catch (e) {
          log.push('cancelled again');
          throw e;
        }
        log.push('never');
      });
      await moveOnAfter(1, () => stubborn());
      log.push(`moved on at ${currentTime()}`);
    });
    expect(log).toEqual(['swallowed once', 'cancelled again', 'moved on at 1']);
  });
});

describe('trioAsAio', () => {
  test('returns an asyncio Task running Trio code with its own nursery', async () => {
    const got = await vrun(async () => {
      const crawl = trioAsAio(async (n: number) => {
        let total = 0;
        await openNursery(async (nursery) => {
          for (let i = 1; i <= n; i++)
            nursery.startSoon(async () => {
              await sleep(i);
              total += i;
            });
        });
        return total;
      });
      const task = crawl(3);
      return [await task, currentTime()];
    });
    expect(got).toEqual([6, 3]);
  });

  test('task.cancel() cancels the Trio scope; the task ends cancelled with the right counts', async () => {
    const log: unknown[] = [];
    await vrun(async () => {
      const worker = trioAsAio(async () => {
        await openNursery(async (n) => {
          for (const name of ['a', 'b']) {
            n.startSoon(async () => {
              try {
                await sleepForever();
              } catch (e) {
                log.push(`${name} ${e instanceof Cancelled}`);
                throw e;
              }
            });
          }
        });
      });
      const task = worker();
      await aioSleep(1);
      task.cancel();
      try {
        await task;
      } catch (e) {
        log.push(e instanceof CancelledError);
      }
      log.push(task.cancelled(), task.cancelling());
    });
    expect(log).toEqual(['a true', 'b true', true, true, 1]);
  });

  test('errors in the Trio code end the task with that error', async () => {
    await vrun(async () => {
      const task = trioAsAio(async () => {
        throw new RangeError('bad');
      })();
      await expect(task).rejects.toBeInstanceOf(RangeError);
      expect(task.exception()).toBeInstanceOf(RangeError);
    });
  });
});

describe('openAsyncioLoop', () => {
  test('pending asyncio tasks are cancelled and awaited when the block exits', async () => {
    const log: string[] = [];
    await vrun(async () => {
      await openAsyncioLoop(async () => {
        createTask(async () => {
          try {
            await aioSleep(100);
          } finally {
            log.push('background task unwound');
          }
        });
        createTask(async () => {
          createTask(async () => {
            try {
              await aioSleep(100);
            } finally {
              log.push('grandchild unwound');
            }
          });
        });
        await aioSleep(1);
        log.push('body done');
      });
      log.push(`after block at ${currentTime()}`);
    });
    expect(log).toEqual([
      'body done',
      'background task unwound',
      'grandchild unwound',
      'after block at 1',
    ]);
  });

  test('unretrieved failures are reported through the exception handler at block exit', async () => {
    const reported: string[] = [];
    await vrun(async () => {
      await openAsyncioLoop(async (loop) => {
        loop.setExceptionHandler((_loop, ctx) => reported.push(String(ctx.message)));
        createTask(async () => {
          throw new Error('nobody looks at me');
        });
        await aioSleep(1);
      });
    });
    expect(reported).toEqual(['Task exception was never retrieved']);
  });
});

describe('awaitFuture', () => {
  test('waits for an asyncio future from Trio code; cancellation abandons the wait only', async () => {
    await vrun(async () => {
      const ev = new AioEvent();
      const task = createTask(async () => {
        await ev.wait();
        return 'set';
      });
      const scope = new CancelScope({ relativeDeadline: 1 });
      await scope.run(() => awaitFuture(task));
      expect(scope.cancelledCaught).toBe(true);
      expect(task.done()).toBe(false);
      ev.set();
      await expect(awaitFuture(task)).resolves.toBe('set');
      await waitAllTasksBlocked();
    });
  });
});

describe('bridge correctness (issue 15)', () => {
  test('aioAsTrio: a CancelledError the asyncio code raised by itself is a failure, not a cancellation', async () => {
    const out = await vrun(async () => {
      const selfCancelling = aioAsTrio(async () => {
        await aioSleep(1);
        throw new CancelledError('raised by the asyncio code');
      });
      const sibling: string[] = [];
      let error: unknown;
      try {
        await openNursery(async (n) => {
          n.startSoon(async () => {
            await sleep(5);
            sibling.push('sibling ran to the end');
          });
          await selfCancelling();
        });
      } catch (err) {
        error = err;
      }
      return { error, sibling };
    });
    expect(out.error).not.toBeInstanceOf(Cancelled);
    const failure = out.error instanceof ExceptionGroup ? out.error.exceptions[0] : out.error;
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/raised CancelledError by itself/);
    expect((failure as Error).cause).toBeInstanceOf(CancelledError);
  });

  test('aioAsTrio: a cancel from the Trio side still ends as a cancellation', async () => {
    const out = await vrun(async () => {
      const slow = aioAsTrio(() => aioSleep(10));
      const scope = new CancelScope();
      await scope.run(async () => {
        await openNursery(async (n) => {
          n.startSoon(async () => {
            await sleep(1);
            scope.cancel();
          });
          await slow();
        });
      });
      return [scope.cancelledCaught, currentTime()];
    });
    expect(out).toEqual([true, 1]);
  });

  test('awaitFuture: a cancelled wait leaves no done callback on the future', async () => {
    const counts = await vrun(async () => {
      const task = createTask(() => aioSleep(100));
      // White-box: the done callbacks registered on the future.
      const callbacks = () =>
        ((task as unknown as { entries: unknown[] | null }).entries ?? []).filter(
          (e) => typeof e === 'function',
        ).length;
      const before = callbacks();
      for (let i = 0; i < 3; i++) await moveOnAfter(1, () => awaitFuture(task));
      const after = callbacks();
      task.cancel();
      return [before, after];
    });
    expect(counts[1]).toBe(counts[0]);
  });
});
