// Nursery behaviours that Trio's own suite checks (trio/_core/_tests/test_run.py: crashes and
// exception groups, interleaving, closure, start()/started(), strict_exception_groups), written
// afresh against Duet's API.
import {
  CancelScope,
  Cancelled,
  ExceptionGroup,
  RuntimeError,
  TASK_STATUS_IGNORED,
  checkpoint,
  currentRootTask,
  currentTask,
  currentTime,
  openNursery,
  run,
  sleep,
  sleepForever,
  type Nursery,
  type TaskStatus,
} from '@duet/trio';
import { Abort, reschedule, waitTaskRescheduled, type Task } from '@duet/trio/lowlevel';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';
import { failure, leaves } from './helpers-errors';

describe('crashes', () => {
  test(
    'an error in the body comes out in a group holding that very error',
    trioTest(async () => {
      const exc = new Error('whoops');
      const err = await failure(
        openNursery(() => {
          throw exc;
        }),
      );
      expect(err).toBeInstanceOf(ExceptionGroup);
      expect((err as ExceptionGroup).exceptions).toEqual([exc]);
      expect((err as ExceptionGroup).exceptions[0]).toBe(exc);
    }),
  );

  test(
    "a child's error wakes the sleeping body, cancels the others and comes out as a group",
    trioTest(async () => {
      const record: string[] = [];
      const looper = async (): Promise<void> => {
        try {
          for (;;) await checkpoint();
        } catch (err) {
          if (err instanceof Cancelled) record.push('cancelled');
          throw err;
        }
      };
      const err = await failure(
        openNursery(async (nursery) => {
          nursery.startSoon(looper);
          nursery.startSoon(() => {
            throw new Error('argh');
          });
          await sleepForever();
        }),
      );
      expect(leaves(err).map((e) => (e as Error).message)).toEqual(['argh']);
      expect(record).toEqual(['cancelled']);
    }),
  );

  test(
    'the body and a child both fail, or two children: one group with both errors',
    trioTest(async () => {
      const both = await failure(
        openNursery((nursery) => {
          nursery.startSoon(() => {
            throw new Error('ValueError');
          });
          throw new Error('KeyError');
        }),
      );
      expect(
        leaves(both)
          .map((e) => (e as Error).message)
          .sort(),
      ).toEqual(['KeyError', 'ValueError']);
      const two = await failure(
        openNursery((nursery) => {
          for (const name of ['KeyError', 'ValueError'])
            nursery.startSoon(() => {
              throw new Error(name);
            });
        }),
      );
      expect(two).toBeInstanceOf(ExceptionGroup);
      expect((two as ExceptionGroup).exceptions.map((e) => (e as Error).message).sort()).toEqual([
        'KeyError',
        'ValueError',
      ]);
    }),
  );

  test(
    "the group does not take the body's or a child's error as its cause",
    trioTest(async () => {
      const err = await failure(
        openNursery((nursery) => {
          nursery.startSoon(() => {
            throw new Error('KeyError');
          });
          throw new Error('ValueError');
        }),
      );
      expect((err as ExceptionGroup).cause).toBeUndefined();
    }),
  );

  test('the root task error comes out of run() as itself', async () => {
    const exc = new Error('17');
    await expect(
      run(() => {
        throw exc;
      }),
    ).rejects.toBe(exc);
    await expect(run((x: number) => x, 8)).resolves.toBe(8);
  });

  test('run() inside a run is a RuntimeError', async () => {
    await expect(run(() => run(async () => undefined))).rejects.toBeInstanceOf(RuntimeError);
  });

  test('currentTask() and currentTime() outside a run are RuntimeErrors', () => {
    expect(() => currentTask()).toThrow(RuntimeError);
    expect(() => currentTime()).toThrow(RuntimeError);
  });
});

describe('scheduling and the task tree', () => {
  test(
    'two loopers with a checkpoint per step interleave step by step',
    trioTest(async () => {
      const record: string[] = [];
      const looper = async (who: string): Promise<void> => {
        for (let i = 0; i < 3; i++) {
          record.push(`${who}${i}`);
          await checkpoint();
        }
      };
      await openNursery((nursery) => {
        nursery.startSoon(looper, 'a');
        nursery.startSoon(looper, 'b');
      });
      for (let i = 0; i < 3; i++)
        expect(record.slice(2 * i, 2 * i + 2).sort()).toEqual([`a${i}`, `b${i}`]);
    }),
  );

  test(
    'a parked task woken by reschedule gets the value or the error it is given',
    trioTest(async () => {
      let t1: Task | undefined;
      let t2: Task | undefined;
      const forever = () => waitTaskRescheduled(() => Abort.SUCCEEDED);
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          t1 = currentTask();
          expect(await forever()).toBe(0);
          reschedule(t2!, { ok: false, error: new Error('error message') });
        });
        await checkpoint();
        nursery.startSoon(async () => {
          t2 = currentTask();
          reschedule(t1!, { ok: true, value: 0 });
          await expect(forever()).rejects.toThrow(/^error message$/);
        });
      });
    }),
  );

  test(
    "a child's parent task is the task that opened its nursery; the root task has none",
    trioTest(async () => {
      const parent = currentTask();
      await openNursery((nursery) => {
        nursery.startSoon(() => {
          expect(currentTask().parentNursery!.parentTask).toBe(parent);
          expect(currentTask().parentTask).toBe(parent);
        });
      });
      expect(currentRootTask()!.parentNursery).toBeNull();
    }),
  );

  test(
    "a task's open nurseries are the ones it has entered and not yet left",
    trioTest(async () => {
      const task = currentTask();
      expect([...task.openNurseries]).toEqual([]);
      await openNursery(async (nursery1) => {
        expect([...task.openNurseries]).toEqual([nursery1]);
        await expect(
          openNursery((nursery2) => {
            expect([...task.openNurseries]).toEqual([nursery1, nursery2]);
            throw new Error('KeyError');
          }),
        ).rejects.toBeInstanceOf(ExceptionGroup);
        expect([...task.openNurseries]).toEqual([nursery1]);
      });
      expect([...task.openNurseries]).toEqual([]);
    }),
  );

  test(
    'a child spawned into an already-cancelled nursery still starts, and is cancelled at its first wait',
    trioTest(async () => {
      const record: string[] = [];
      await openNursery((nursery) => {
        nursery.cancelScope.cancel();
        nursery.startSoon(async () => {
          record.push('started');
          await sleepForever();
        });
      });
      expect(record).toEqual(['started']);
    }),
  );

  test(
    'children may spawn into the nursery while it waits; once closed, startSoon is a RuntimeError',
    trioTest(async () => {
      let ran = false;
      let saved: Nursery | undefined;
      await openNursery((nursery) => {
        saved = nursery;
        nursery.startSoon(() => {
          nursery.startSoon(() => {
            ran = true;
          });
        });
      });
      expect(ran).toBe(true);
      expect(saved!.isClosed).toBe(true);
      expect(() => saved!.startSoon(() => undefined)).toThrow(RuntimeError);
    }),
  );

  test(
    'opening and closing a nursery in a cancelled scope does not raise Cancelled by itself',
    trioTest(async () => {
      const empty = new CancelScope();
      await empty.run(async () => {
        empty.cancel();
        await openNursery(() => undefined);
      });
      expect(empty.cancelledCaught).toBe(false);

      const noop = new CancelScope();
      await noop.run(async () => {
        noop.cancel();
        await openNursery((nursery) => {
          nursery.startSoon(() => undefined);
        });
      });
      expect(noop.cancelledCaught).toBe(false);

      const failing = new CancelScope();
      const err = await failure(
        failing.run(async () => {
          failing.cancel();
          await openNursery(() => {
            throw new Error('KeyError');
          });
        }),
      );
      expect(leaves(err).map((e) => (e as Error).message)).toEqual(['KeyError']);
    }),
  );
});

describe('start() and started()', () => {
  const sleepThenStart = async (
    seconds: number,
    status: TaskStatus<number> = TASK_STATUS_IGNORED,
  ) => {
    await sleep(seconds);
    status.started(seconds);
    await sleep(seconds);
  };

  test(
    'start() waits for started(value), returns the value, and the nursery then waits for the task',
    trioTest(async () => {
      for (const seconds of [1, 2]) {
        const t0 = currentTime();
        await openNursery(async (nursery) => {
          expect(nursery.childTasks.size).toBe(0);
          expect(await nursery.start(sleepThenStart, seconds)).toBe(seconds);
          expect(currentTime() - t0).toBe(seconds);
          expect(nursery.childTasks.size).toBe(1);
        });
        expect(currentTime() - t0).toBe(2 * seconds);
      }
      // TASK_STATUS_IGNORED lets the same function be called directly.
      const t0 = currentTime();
      await sleepThenStart(3);
      expect(currentTime() - t0).toBe(6);
    }),
  );

  // started() twice: nursery.test.ts ('... started() twice ...') covers it.

  test(
    'an error before started() comes out of start() itself, not in a group',
    trioTest(async () => {
      const exc = new Error('oops');
      await openNursery(async (nursery) => {
        await expect(
          nursery.start(() => {
            throw exc;
          }),
        ).rejects.toBe(exc);
      });
    }),
  );

  test(
    'returning without started() makes start() raise RuntimeError',
    trioTest(async () => {
      await openNursery(async (nursery) => {
        await expect(nursery.start(() => undefined)).rejects.toBeInstanceOf(RuntimeError);
      });
    }),
  );

  test(
    'start() from a cancelled scope: started() changes nothing, start() raises Cancelled',
    trioTest(async () => {
      // trio 0.22 agrees: the child keeps running under start() and its value is dropped.
      await openNursery(async (nursery) => {
        await new CancelScope().run(async (cs) => {
          cs.cancel();
          await expect(
            nursery.start(async (status: TaskStatus<string>) => {
              status.started('hi');
              await checkpoint();
            }),
          ).rejects.toBeInstanceOf(Cancelled);
        });
        expect(nursery.childTasks.size).toBe(0);
      });
    }),
  );

  test(
    'start() from a cancelled scope of a task that never checkpoints returns normally',
    trioTest(async () => {
      await openNursery(async (nursery) => {
        const cs = new CancelScope();
        await cs.run(async () => {
          cs.cancel();
          await nursery.start((status: TaskStatus) => {
            status.started();
          });
        });
        expect(cs.cancelledCaught).toBe(false);
      });
    }),
  );

  test(
    'start() from a cancelled scope: an error after started() still comes out of start()',
    trioTest(async () => {
      const exc = new Error('whoopsiedaisy');
      await openNursery(async (nursery) => {
        await new CancelScope().run(async (cs) => {
          cs.cancel();
          await expect(
            nursery.start((status: TaskStatus) => {
              status.started();
              throw exc;
            }),
          ).rejects.toBe(exc);
        });
      });
    }),
  );

  test(
    'start() on a closed nursery is a RuntimeError at once',
    trioTest(async () => {
      let closed: Nursery | undefined;
      await openNursery((nursery) => {
        closed = nursery;
      });
      const t0 = currentTime();
      await expect(closed!.start(sleepThenStart, 7)).rejects.toBeInstanceOf(RuntimeError);
      expect(currentTime()).toBe(t0);
    }),
  );

  test(
    'a pending start() keeps its target nursery open until the task arrives',
    trioTest(async () => {
      const sleepABit = async (status: TaskStatus) => {
        await sleep(2);
        status.started();
        await sleep(3);
      };
      const t0 = currentTime();
      await openNursery(async (nursery1) => {
        await openNursery(async (nursery2) => {
          nursery1.startSoon(() => nursery2.start(sleepABit));
          await sleep(1);
          nursery1.startSoon(() => nursery2.start(sleepABit));
          // Nothing is in nursery2 yet: only the pending starts keep it open.
        });
        expect(currentTime() - t0).toBe(6);
      });
    }),
  );

  test(
    'a pending start() whose task crashes keeps the nursery open until the crash',
    trioTest(async () => {
      const t0 = currentTime();
      await openNursery(async (nursery1) => {
        await openNursery(async (nursery2) => {
          nursery1.startSoon(async () => {
            await expect(
              nursery2.start(async () => {
                await sleep(7);
                throw new Error('KeyError');
              }),
            ).rejects.toThrow('KeyError');
          });
          await waitAllTasksBlocked();
        });
        expect(currentTime() - t0).toBe(7);
      });
    }),
  );

  test(
    'children asleep in a task that moves into a cancelled nursery are cancelled there',
    trioTest(async () => {
      const setupNursery = (status: TaskStatus<Nursery>) =>
        openNursery(async (nursery) => {
          status.started(nursery);
          await sleepForever();
        });
      const sleepingChildren = (fn: () => void, status: TaskStatus) =>
        openNursery(async (nursery) => {
          nursery.startSoon(sleepForever);
          nursery.startSoon(sleepForever);
          await waitAllTasksBlocked();
          fn();
          status.started();
        });
      // Cancelled just before started(), then just after.
      await openNursery(async (nursery) => {
        const target = await nursery.start(setupNursery);
        await target.start(sleepingChildren, () => target.cancelScope.cancel());
      });
      await openNursery(async (nursery) => {
        const target = await nursery.start(setupNursery);
        await target.start(sleepingChildren, () => undefined);
        target.cancelScope.cancel();
      });
    }),
  );
});

describe('strictExceptionGroups', () => {
  const raiseError = () => {
    throw new Error('test error');
  };

  for (const runStrict of [true, false, undefined]) {
    for (const nurseryStrict of [true, false, undefined]) {
      for (const multiple of [true, false]) {
        test(`run ${runStrict}, openNursery ${nurseryStrict}, ${multiple ? 'two errors' : 'one error'}`, async () => {
          const main = () =>
            openNursery(
              (nursery) => {
                nursery.startSoon(raiseError);
                if (multiple) nursery.startSoon(raiseError);
              },
              nurseryStrict === undefined ? {} : { strictExceptionGroups: nurseryStrict },
            );
          const err = await failure(
            run(runStrict === undefined ? {} : { strictExceptionGroups: runStrict }, main),
          );
          const wrapped =
            multiple ||
            nurseryStrict === true ||
            (nurseryStrict === undefined && runStrict !== false);
          if (wrapped) {
            expect(err).toBeInstanceOf(ExceptionGroup);
            expect((err as ExceptionGroup).exceptions).toHaveLength(multiple ? 2 : 1);
            for (const e of (err as ExceptionGroup).exceptions)
              expect((e as Error).message).toBe('test error');
          } else {
            expect(err).not.toBeInstanceOf(ExceptionGroup);
            expect((err as Error).message).toBe('test error');
          }
        });
      }
    }
  }

  for (const strict of [true, false, undefined]) {
    test(
      `a nested nursery (strict ${strict}) left with one error once its Cancelleds are stripped`,
      trioTest(async () => {
        const err = await failure(
          openNursery(async (nursery) => {
            nursery.startSoon(sleepForever);
            nursery.startSoon(raiseError);
            await openNursery(
              (nursery2) => {
                nursery2.startSoon(sleepForever);
                nursery2.startSoon(raiseError);
                nursery.cancelScope.cancel();
              },
              strict === undefined ? {} : { strictExceptionGroups: strict },
            );
          }),
        );
        expect(err).toBeInstanceOf(ExceptionGroup);
        const parts = (err as ExceptionGroup).exceptions;
        expect(parts).toHaveLength(2);
        const nested = parts.find((e) => e instanceof ExceptionGroup);
        if (strict === false) {
          expect(nested).toBeUndefined();
        } else {
          expect(nested).toBeDefined();
          expect((nested as ExceptionGroup).exceptions).toHaveLength(1);
        }
        expect(leaves(err).every((e) => (e as Error).message === 'test error')).toBe(true);
      }),
    );
  }

  test(
    'a cancel scope that strips the Cancelleds from a non-strict group raises the lone error left',
    trioTest(async () => {
      // trio 0.22: the nursery raises [Cancelled, RuntimeError, Cancelled]; the scope, RuntimeError.
      const exc = new Error('test error');
      let fromNursery: unknown;
      const cs = new CancelScope();
      const err = await failure(
        cs.run(async () => {
          try {
            await openNursery(
              (nursery) => {
                nursery.startSoon(sleepForever);
                nursery.startSoon(() => {
                  throw exc;
                });
                cs.cancel();
              },
              { strictExceptionGroups: false },
            );
          } catch (e) {
            fromNursery = e;
            throw e;
          }
        }),
      );
      expect(fromNursery).toBeInstanceOf(ExceptionGroup);
      expect(leaves(fromNursery).some((e) => e instanceof Cancelled)).toBe(true);
      expect(err).toBe(exc);
      expect(cs.cancelledCaught).toBe(true);
    }),
  );

  for (const runStrict of [false, true]) {
    for (const starterStrict of [false, true, undefined]) {
      for (const afterStarted of [false, true]) {
        for (const customGroup of [false, true]) {
          test(`start() error (run ${runStrict}, nursery ${starterStrict}, ${afterStarted ? 'after' : 'before'} started, ${customGroup ? 'a group' : 'an error'})`, async () => {
            const raised = customGroup
              ? new ExceptionGroup('my group', [new Error('ValueError')])
              : new Error('ValueError');
            const raiser = (status: TaskStatus) => {
              if (afterStarted) status.started();
              throw raised;
            };
            const main = () =>
              openNursery(
                async (nursery) => {
                  await nursery.start(raiser);
                },
                starterStrict === undefined ? {} : { strictExceptionGroups: starterStrict },
              );
            const err = await failure(run({ strictExceptionGroups: runStrict }, main));
            let inner = err;
            if (starterStrict === true || (runStrict && starterStrict === undefined)) {
              expect(err).toBeInstanceOf(ExceptionGroup);
              expect((err as ExceptionGroup).exceptions).toHaveLength(1);
              inner = (err as ExceptionGroup).exceptions[0];
            }
            if (customGroup) {
              expect(inner).toBeInstanceOf(ExceptionGroup);
              expect((inner as ExceptionGroup).message).toBe('my group');
              expect((inner as ExceptionGroup).exceptions).toEqual(
                (raised as ExceptionGroup).exceptions,
              );
            } else {
              expect(inner).toBe(raised);
            }
          });
        }
      }
    }
  }
});
