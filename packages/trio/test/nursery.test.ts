import {
  CancelScope,
  Cancelled,
  ExceptionGroup,
  Nursery,
  RuntimeError,
  TASK_STATUS_IGNORED,
  checkpoint,
  currentRootTask,
  currentTask,
  currentTime,
  moveOnAfter,
  openNursery,
  run,
  sleep,
  sleepForever,
  type TaskStatus,
} from '@duet/trio';
import { MockClock, trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

class Boom extends Error {
  override name = 'Boom';
}

async function failAt(t: number, message: string): Promise<never> {
  await sleep(t);
  throw new Boom(message);
}

describe('run', () => {
  test('passes arguments and resolves with the result', async () => {
    await expect(run(async (a: number, b: string) => `${a}${b}`, 1, 'x')).resolves.toBe('1x');
  });

  test('options first: clock and instruments', async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const seen: string[] = [];
    const result = await run(
      {
        clock,
        instruments: [
          { beforeRun: () => seen.push('beforeRun'), afterRun: () => seen.push('afterRun') },
        ],
      },
      async () => {
        await sleep(100);
        return currentTime();
      },
    );
    expect(result).toBe(100);
    expect(seen).toEqual(['beforeRun', 'afterRun']);
  });

  test('the root task is named after the function', async () => {
    await run(async function main() {
      expect(currentRootTask().name).toBe('main');
      expect(currentTask()).toBe(currentRootTask());
    });
  });

  test('primitives outside run() say what to do', async () => {
    expect(() => currentTime()).toThrow(/inside run\(\)/);
    await expect(openNursery(async () => undefined)).rejects.toThrow(
      /openNursery\(\) must be called .*inside run\(\)/,
    );
  });

  test('a started Promise instead of a function is a TypeError', () => {
    const p = Promise.resolve(1);
    expect(() => run(p as never)).toThrow(TypeError);
  });
});

describe('nurseries', () => {
  test(
    'startSoon children start at the next schedule point; the block waits for them',
    trioTest(async () => {
      const log: string[] = [];
      const value = await openNursery(async (n) => {
        n.startSoon(async (name: string) => {
          log.push(`${name} starts`);
          await sleep(2);
          log.push(`${name} ends`);
        }, 'a');
        n.startSoon(async () => {
          log.push('b starts');
          await sleep(1);
          log.push('b ends');
        });
        log.push('body ends');
        return 'body value';
      });
      log.push('after');
      expect(value).toBe('body value');
      expect(log).toEqual(['body ends', 'a starts', 'b starts', 'b ends', 'a ends', 'after']);
      expect(currentTime()).toBe(2);
    }),
  );

  test(
    'one failing child: siblings and body are cancelled, a group of one is raised',
    trioTest(async () => {
      const log: string[] = [];
      let caught: unknown;
      try {
        await openNursery(async (n) => {
          n.startSoon(failAt, 1, 'child failed');
          n.startSoon(async () => {
            try {
              await sleepForever();
            } catch (err) {
              log.push(`sibling got ${(err as Error).name}`);
              throw err;
            }
          });
          try {
            await sleep(10);
          } catch (err) {
            log.push(`body got ${(err as Error).name}`);
            throw err;
          }
        });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ExceptionGroup);
      const group = caught as ExceptionGroup;
      expect(group.message).toBe('Exceptions from Trio nursery');
      expect(group.exceptions).toHaveLength(1);
      expect(group.exceptions[0]).toBeInstanceOf(Boom);
      expect((group.exceptions[0] as Error).message).toBe('child failed');
      expect(log.sort()).toEqual(['body got Cancelled', 'sibling got Cancelled']);
      expect(currentTime()).toBe(1);
    }),
  );

  test(
    'several failing children are collected together',
    trioTest(async () => {
      const err = await openNursery(async (n) => {
        n.startSoon(async () => {
          throw new Boom('a');
        });
        n.startSoon(async () => {
          throw new Boom('b');
        });
        n.startSoon(async () => {
          // cleanup that fails while being cancelled
          try {
            await sleepForever();
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new Boom('c');
          }
        });
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExceptionGroup);
      const messages = (err as ExceptionGroup<Error>).exceptions.map((e) => e.message).sort();
      expect(messages).toEqual(['a', 'b', 'c']);
    }),
  );

  test(
    'an error in the body cancels the children and is raised in the group',
    trioTest(async () => {
      const log: string[] = [];
      const err = await openNursery(async (n) => {
        n.startSoon(async () => {
          try {
            await sleepForever();
          } finally {
            log.push('child cleanup');
          }
        });
        await sleep(1);
        throw new Boom('body');
      }).catch((e: unknown) => e);
      expect(log).toEqual(['child cleanup']);
      expect(err).toBeInstanceOf(ExceptionGroup);
      expect((err as ExceptionGroup<Error>).exceptions.map((e) => e.message)).toEqual(['body']);
    }),
  );

  test(
    'body and child errors together',
    trioTest(async () => {
      const err = await openNursery(async (n) => {
        n.startSoon(failAt, 1, 'child');
        try {
          await sleepForever();
        } catch {
          throw new Boom('body');
        }
      }).catch((e: unknown) => e);
      const messages = (err as ExceptionGroup<Error>).exceptions.map((e) => e.message).sort();
      expect(messages).toEqual(['body', 'child']);
    }),
  );

  test(
    'nested nurseries raise nested groups',
    trioTest(async () => {
      const err = await openNursery(async (outer) => {
        outer.startSoon(async () => {
          await openNursery(async (inner) => {
            inner.startSoon(failAt, 1, 'deep');
          });
        });
        outer.startSoon(failAt, 2, 'shallow');
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExceptionGroup);
      const top = err as ExceptionGroup;
      // 'deep' fails first and cancels the outer nursery, so 'shallow' never fails.
      expect(top.exceptions).toHaveLength(1);
      const nested = top.exceptions[0] as ExceptionGroup<Error>;
      expect(nested).toBeInstanceOf(ExceptionGroup);
      expect(nested.exceptions.map((e) => e.message)).toEqual(['deep']);
      expect(top.split(Boom)[0]).not.toBeNull();
    }),
  );

  test('strictExceptionGroups: false on run() raises a lone error as itself', async () => {
    const err = await run({ strictExceptionGroups: false }, async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          throw new Boom('alone');
        });
      });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Boom);
  });

  test('strictExceptionGroups: false still groups several errors', async () => {
    const err = await run({ strictExceptionGroups: false }, async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          throw new Boom('1');
        });
        n.startSoon(async () => {
          throw new Boom('2');
        });
      });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExceptionGroup);
  });

  test(
    'openNursery can override the run setting',
    trioTest(async () => {
      const err = await openNursery(
        async (n) => {
          n.startSoon(async () => {
            throw new Boom('alone');
          });
        },
        { strictExceptionGroups: false },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Boom);
    }),
  );

  test(
    'cancelling the nursery scope cancels body and children and is caught by the nursery',
    trioTest(async () => {
      const log: string[] = [];
      const value = await openNursery(async (n) => {
        n.startSoon(async () => {
          await sleepForever().catch((e: unknown) => {
            log.push(`child ${(e as Error).name}`);
            throw e;
          });
        });
        await sleep(1);
        n.cancelScope.cancel();
        await checkpoint();
        log.push('unreachable');
        return 'x';
      });
      expect(value).toBeUndefined();
      expect(log).toEqual(['child Cancelled']);
    }),
  );

  test(
    'a child that catches Cancelled and returns normally is not an error',
    trioTest(async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          try {
            await sleepForever();
          } catch (err) {
            if (!(err instanceof Cancelled)) throw err;
          }
        });
        await waitAllTasksBlocked();
        n.cancelScope.cancel();
      });
    }),
  );

  test(
    'childTasks, parentTask, and startSoon after close',
    trioTest(async () => {
      let saved!: Nursery;
      await openNursery(async (n) => {
        saved = n;
        expect(n.parentTask).toBe(currentTask());
        n.startSoon(async function worker() {
          await sleep(1);
        });
        expect([...n.childTasks].map((t) => t.name)).toEqual(['worker']);
      });
      expect(saved.childTasks.size).toBe(0);
      expect(() => saved.startSoon(async () => undefined)).toThrow(RuntimeError);
    }),
  );

  test(
    'startSoon rejects a non-function (with a hint for a started Promise)',
    trioTest(async () => {
      await openNursery(async (n) => {
        expect(() => n.startSoon(sleep(0) as never)).toThrow(/not the Promise/);
      }).catch(() => undefined);
    }),
  );

  test(
    'a nursery inside a cancelled scope: children are cancelled at once',
    trioTest(async () => {
      const log: string[] = [];
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        await openNursery(async (n) => {
          n.startSoon(async () => {
            log.push('child runs');
            await checkpoint().catch((e: unknown) => {
              log.push('child cancelled');
              throw e;
            });
          });
        });
      });
      expect(log).toEqual(['child runs', 'child cancelled']);
    }),
  );
});

describe('Nursery.start', () => {
  async function server(
    port: number,
    taskStatus: TaskStatus<number> = TASK_STATUS_IGNORED,
  ): Promise<void> {
    await sleep(1);
    taskStatus.started(port + 1);
    await sleepForever();
  }

  test(
    'resolves with the started() value; the task keeps running in the target nursery',
    trioTest(async () => {
      await openNursery(async (n) => {
        const port = await n.start(server, 8000);
        expect(port).toBe(8001);
        expect(currentTime()).toBe(1);
        expect([...n.childTasks].map((t) => t.name)).toEqual(['server']);
        n.cancelScope.cancel();
      });
    }),
  );

  test(
    'the same function works with startSoon (TASK_STATUS_IGNORED)',
    trioTest(async () => {
      await moveOnAfter(5, () =>
        openNursery(async (n) => {
          n.startSoon(server, 1);
        }),
      );
      expect(currentTime()).toBe(5);
    }),
  );

  test(
    'started() without a value resolves undefined',
    trioTest(async () => {
      await openNursery(async (n) => {
        const v = await n.start(async (status: TaskStatus) => {
          status.started();
        });
        expect(v).toBeUndefined();
      });
    }),
  );

  test(
    'an error before started() is raised by start() itself, not grouped',
    trioTest(async () => {
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await sleep(5);
          log.push('sibling unaffected');
        });
        await expect(
          n.start(async () => {
            await sleep(1);
            throw new Boom('early');
          }),
        ).rejects.toBeInstanceOf(Boom);
      });
      expect(log).toEqual(['sibling unaffected']);
    }),
  );

  test(
    'an error after started() goes to the target nursery',
    trioTest(async () => {
      const err = await openNursery(async (n) => {
        await n.start(async (status: TaskStatus) => {
          status.started();
          await sleep(1);
          throw new Boom('late');
        });
        await sleepForever();
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExceptionGroup);
      expect((err as ExceptionGroup<Error>).exceptions[0]!.message).toBe('late');
    }),
  );

  test(
    'returning without started() is a RuntimeError; started() twice is a RuntimeError',
    trioTest(async () => {
      await openNursery(async (n) => {
        await expect(n.start(async () => undefined)).rejects.toBeInstanceOf(RuntimeError);
        let second: unknown;
        await n.start(async (status: TaskStatus) => {
          status.started();
          try {
            status.started();
          } catch (err) {
            second = err;
          }
        });
        expect(second).toBeInstanceOf(RuntimeError);
      });
    }),
  );

  test(
    "before started() the task is under the caller's cancel scopes",
    trioTest(async () => {
      const log: string[] = [];
      await openNursery(async (n) => {
        const scope = moveOnAfter(2);
        await scope.run(() =>
          n.start(async (status: TaskStatus) => {
            try {
              await sleep(10);
            } catch (err) {
              log.push(`starting task got ${(err as Error).name} at ${currentTime()}`);
              throw err;
            }
            status.started();
          }),
        );
        expect(scope.cancelledCaught).toBe(true);
      });
      expect(log).toEqual(['starting task got Cancelled at 2']);
    }),
  );

  test(
    "after started() the caller's scopes no longer apply; the target nursery's do",
    trioTest(async () => {
      const log: string[] = [];
      await openNursery(async (target) => {
        const callerScope = new CancelScope();
        await callerScope.run(async () => {
          await target.start(async (status: TaskStatus) => {
            status.started();
            await sleep(3);
            log.push(`moved task finished at ${currentTime()}`);
          });
          callerScope.cancel();
        });
        expect(target.childTasks.size).toBe(1);
      });
      expect(log).toEqual(['moved task finished at 3']);
    }),
  );

  test(
    'start() on a closed nursery is a RuntimeError',
    trioTest(async () => {
      let saved!: Nursery;
      await openNursery((n) => {
        saved = n;
      });
      await expect(saved.start(async (s: TaskStatus) => s.started())).rejects.toBeInstanceOf(
        RuntimeError,
      );
    }),
  );
});
