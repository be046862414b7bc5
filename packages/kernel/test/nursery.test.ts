import {
  Cancelled,
  CancelScope,
  ExceptionGroup,
  MockClock,
  RuntimeError,
  TASK_STATUS_IGNORED,
  checkpoint,
  currentRunner,
  currentTask,
  currentTime,
  openNursery,
  run,
  sleep,
  sleepForever,
  type TaskStatus,
} from '@duet/kernel';

const autojump = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

describe('run', () => {
  test('resolves with the root function result and passes arguments', async () => {
    await expect(run(async (a: number, b: number) => a + b, 2, 3)).resolves.toBe(5);
  });

  test('rejects with the root error', async () => {
    await expect(
      run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  test('refuses to nest', async () => {
    await run(async () => {
      expect(() => run(async () => 1)).toThrow(RuntimeError);
    });
  });

  test('kernel calls outside a run name the call', () => {
    expect(() => checkpoint()).toThrow(
      /checkpoint\(\) must be called from code running inside run\(\)/,
    );
  });

  test('a non-function is a TypeError with a hint for a started promise', () => {
    const p = Promise.resolve();
    expect(() => run(p as never)).toThrow(/not the Promise/);
  });
});

describe('nurseries', () => {
  test('children start at the next schedule point and are joined', async () => {
    const events: string[] = [];
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          events.push('child start');
          await checkpoint();
          events.push('child end');
        });
        events.push('body');
      });
      events.push('after');
    });
    expect(events).toEqual(['body', 'child start', 'child end', 'after']);
  });

  test('a failing child cancels its siblings and the body; errors are grouped', async () => {
    const events: string[] = [];
    const err = await run(autojump(), async () => {
      try {
        await openNursery(async (n) => {
          n.startSoon(async () => {
            try {
              await sleepForever();
            } catch (e) {
              events.push(`sibling ${(e as Error).name}`);
              throw e;
            }
          });
          n.startSoon(async () => {
            await sleep(1);
            throw new Error('child failed');
          });
          try {
            await sleep(10);
          } catch (e) {
            events.push(`body ${(e as Error).name}`);
            throw e;
          }
        });
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(ExceptionGroup);
    const eg = err as ExceptionGroup;
    expect(eg.exceptions).toHaveLength(1);
    expect((eg.exceptions[0] as Error).message).toBe('child failed');
    expect(events.sort()).toEqual(['body Cancelled', 'sibling Cancelled']);
  });

  test('body error and child errors are collected together', async () => {
    const err = await run(async () => {
      try {
        await openNursery(async (n) => {
          n.startSoon(async () => {
            throw new Error('a');
          });
          n.startSoon(async () => {
            throw new Error('b');
          });
          await checkpoint().catch(() => undefined);
          throw new Error('body');
        });
      } catch (e) {
        return e as ExceptionGroup;
      }
      return null;
    });
    expect(err).toBeInstanceOf(ExceptionGroup);
    expect(err!.exceptions.map((e) => (e as Error).message).sort()).toEqual(['a', 'b', 'body']);
  });

  test('nested nurseries nest their groups', async () => {
    const err = await run(async () => {
      try {
        await openNursery(async (outer) => {
          outer.startSoon(async () => {
            await openNursery(async (inner) => {
              inner.startSoon(async () => {
                throw new Error('deep');
              });
            });
          });
        });
      } catch (e) {
        return e as ExceptionGroup;
      }
      return null;
    });
    expect(err!.exceptions[0]).toBeInstanceOf(ExceptionGroup);
    expect(((err!.exceptions[0] as ExceptionGroup).exceptions[0] as Error).message).toBe('deep');
  });

  test('startSoon on a closed nursery is a RuntimeError', async () => {
    await run(async () => {
      let saved: import('@duet/kernel').Nursery | undefined;
      await openNursery(async (n) => {
        saved = n;
      });
      expect(() => saved!.startSoon(async () => {})).toThrow(RuntimeError);
    });
  });

  test('10,000 children in one nursery all run', async () => {
    let count = 0;
    await run(async () => {
      await openNursery(async (n) => {
        for (let i = 0; i < 10_000; i++) {
          n.startSoon(async () => {
            await checkpoint();
            count++;
          });
        }
      });
    });
    expect(count).toBe(10_000);
    // A load test: ~0.3 s with coverage on a free machine; generous for a busy one.
  }, 30_000);

  test('the nursery scope cancels everything and catches its own Cancelled', async () => {
    await run(autojump(), async () => {
      let scope: CancelScope | undefined;
      const value = await openNursery(async (n) => {
        scope = n.cancelScope;
        n.startSoon(sleepForever);
        n.cancelScope.cancel();
        await sleepForever();
        return 'unreachable';
      });
      expect(value).toBeUndefined();
      expect(scope!.cancelledCaught).toBe(true);
    });
  });
});

describe('Nursery.start', () => {
  test('resolves with the started value and the task moves to the nursery', async () => {
    const events: string[] = [];
    await run(autojump(), async () => {
      await openNursery(async (n) => {
        const value = await n.start(async (x: number, status: TaskStatus<number>) => {
          events.push('child before started');
          await sleep(1);
          status.started(x * 2);
          expect(currentTask().parentNursery).toBe(n);
          await sleep(1);
          events.push('child done');
        }, 21);
        events.push(`start returned ${value} at ${currentTime()}`);
      });
    });
    expect(events).toEqual(['child before started', 'start returned 42 at 1', 'child done']);
  });

  test('an error before started propagates from start itself', async () => {
    await run(async () => {
      await openNursery(async (n) => {
        await expect(
          n.start(async () => {
            throw new Error('early');
          }),
        ).rejects.toThrow('early');
      });
    });
  });

  test('returning without started is a RuntimeError; started twice too', async () => {
    await run(async () => {
      await openNursery(async (n) => {
        await expect(n.start(async () => {})).rejects.toThrow(/without calling taskStatus.started/);
        await expect(
          n.start(async (status: TaskStatus) => {
            status.started();
            status.started();
          }),
        ).rejects.toBeInstanceOf(ExceptionGroup);
      });
    }).catch((e) => {
      expect(e).toBeInstanceOf(ExceptionGroup);
      expect((e as ExceptionGroup).exceptions[0]).toBeInstanceOf(RuntimeError);
    });
  });

  test('cancellation of the caller before started cancels the child', async () => {
    const events: string[] = [];
    await run(autojump(), async () => {
      await openNursery(async (n) => {
        const scope = new CancelScope({ relativeDeadline: 1 });
        await scope.run(async () => {
          await n.start(async (status: TaskStatus) => {
            try {
              await sleep(5);
            } catch (e) {
              events.push(`child ${(e as Error).name} at ${currentTime()}`);
              throw e;
            }
            status.started();
          });
        });
        events.push(`caught=${scope.cancelledCaught}`);
      });
    });
    expect(events).toEqual(['child Cancelled at 1', 'caught=true']);
  });

  test('TASK_STATUS_IGNORED lets the same function run with startSoon', async () => {
    let got = 0;
    async function serve(port: number, status: TaskStatus<number> = TASK_STATUS_IGNORED) {
      status.started(port);
      got = port;
    }
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(serve, 80);
      });
    });
    expect(got).toBe(80);
  });

  test('a Cancelled never escapes as a failure of the root', async () => {
    await expect(
      run(async () => {
        const scope = new CancelScope();
        scope.cancel();
        await scope.run(() => checkpoint());
        return scope.cancelledCaught;
      }),
    ).resolves.toBe(true);
    expect(new Cancelled()).toBeInstanceOf(Error);
  });
});

describe('scheduling', () => {
  test('a step is atomic: a new child starts only after the parent is back in the kernel', async () => {
    const events: string[] = [];
    const notACheckpoint = async () => {
      await Promise.resolve();
      await null;
    };
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          events.push('child');
        });
        await notACheckpoint();
        events.push('parent after plain awaits');
        await checkpoint();
        events.push('parent after checkpoint');
      });
    });
    expect(events).toEqual(['parent after plain awaits', 'child', 'parent after checkpoint']);
  });

  test('a callback queued after a task runs after that task has finished its step', async () => {
    const events: string[] = [];
    await run(async () => {
      const runner = currentRunner();
      await openNursery(async (n) => {
        n.startSoon(async () => {
          events.push('task step begins');
          await Promise.resolve();
          events.push('task step ends');
          await checkpoint();
        });
        runner.callSoon(() => events.push('callback'));
      });
    });
    expect(events).toEqual(['task step begins', 'task step ends', 'callback']);
  });

  test('tasks woken together run in FIFO order, one step each', async () => {
    const events: string[] = [];
    await run(async () => {
      await openNursery(async (n) => {
        for (const name of ['a', 'b', 'c']) {
          n.startSoon(async () => {
            for (let i = 0; i < 2; i++) {
              events.push(`${name}${i}`);
              await Promise.resolve();
              await checkpoint();
            }
          });
        }
      });
    });
    expect(events).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'c1']);
  });
});
