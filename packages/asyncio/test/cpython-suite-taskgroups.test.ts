/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_taskgroups.py, restated for Duet's
 * callback form (`async with TaskGroup() as g:` is `new TaskGroup().run(async (g) => ...)`). The
 * 3.11 ones were run on `python3.11`; the 3.13-only ones (cancelling() levels, error + outside
 * cancel) follow 3.13's tests. Python's ZeroDivisionError is a RangeError here.
 */
import {
  CancelledError,
  Event,
  ExceptionGroup,
  RuntimeError,
  TaskGroup,
  TimeoutError,
  createTask,
  currentTask,
  sleep,
  timeout,
  type Task,
} from '@duet/asyncio';
import { vrun } from './helpers';
import { raised } from './outcomes';

class MyExc extends Error {
  override name = 'MyExc';
}

async function crashAfter(
  delay: number,
  err: Error = new RangeError('division by zero'),
): Promise<never> {
  await sleep(delay);
  throw err;
}

/** The class names of a group's direct members, sorted, as CPython's get_error_types. */
function errorTypes(eg: unknown): string[] {
  if (!(eg instanceof ExceptionGroup)) return [`not a group: ${String(eg)}`];
  return [...new Set(eg.exceptions.map((e) => (e as Error).name))].sort();
}

/** A task that counts the CancelledError it gets while it sleeps. */
function cancellable(counter: { n: number }, delay = 5): () => Promise<void> {
  return async () => {
    try {
      await sleep(delay);
    } catch (err) {
      if (err instanceof CancelledError) counter.n++;
      throw err;
    }
  };
}

describe('CPython test_taskgroups', () => {
  // test_taskgroup_01 / 02
  test('tasks made before and during the body are awaited and keep their results', async () => {
    const out = await vrun(async () => {
      let t2!: Task<number>;
      let t1!: Task<number>;
      await new TaskGroup().run(async (g) => {
        t1 = g.createTask(() => sleep(0.1, 42));
        await sleep(0.15);
        t2 = g.createTask(() => sleep(0.2, 11));
      });
      return [t1.result(), t2.result()];
    });
    expect(out).toEqual([42, 11]);
  });

  // test_taskgroup_03
  test('a child cancelled explicitly ends cancelled; the group goes on', async () => {
    const out = await vrun(async () => {
      let t1!: Task<number>;
      let t2!: Task<number>;
      await new TaskGroup().run(async (g) => {
        t1 = g.createTask(() => sleep(1, 42));
        await sleep(0.15);
        t1.cancel();
        t2 = g.createTask(() => sleep(0.2, 11));
      });
      return [t1.cancelled(), t2.result()];
    });
    expect(out).toEqual([true, 11]);
  });

  // test_taskgroup_04 / test_cancel_children_on_child_error
  test('a failing child cancels the other children and the body; nothing after the group runs', async () => {
    const out = await vrun(async () => {
      const cancelled = { n: 0 };
      let bodyCancelled = false;
      let after = false;
      let t2!: Task<void>;
      const runner = createTask(async () => {
        await new TaskGroup().run(async (g) => {
          for (let i = 0; i < 3; i++) g.createTask(() => crashAfter(0.1));
          t2 = g.createTask(cancellable(cancelled));
          try {
            await sleep(10);
          } catch (err) {
            bodyCancelled = err instanceof CancelledError;
            throw err;
          }
        });
        after = true;
      });
      const err = await raised(() => runner);
      return [
        errorTypes(err),
        (err as ExceptionGroup).exceptions.length,
        cancelled.n,
        t2.cancelled(),
        bodyCancelled,
        after,
      ];
    });
    expect(out).toEqual([['RangeError'], 3, 1, true, true, false]);
  });

  // test_cancellation / test_taskgroup_07
  test('an outside cancel with a message cancels every child and the body; the message comes out', async () => {
    const out = await vrun(async () => {
      const cancelled = { n: 0 };
      let body = 0;
      const r = createTask(() =>
        new TaskGroup().run(async (g) => {
          for (let i = 0; i < 5; i++) g.createTask(cancellable(cancelled));
          try {
            await sleep(10);
          } catch (err) {
            body += 10;
            throw err;
          }
        }),
      );
      await sleep(0.1);
      const doneBefore = r.done();
      r.cancel('test');
      const err = await raised(() => r);
      return [
        doneBefore,
        err instanceof CancelledError,
        (err as Error).message,
        cancelled.n + body,
      ];
    });
    expect(out).toEqual([false, true, 'test', 15]);
  });

  // test_cancellation (the body has already ended: the group is waiting for the children)
  test('an outside cancel while the group waits at exit cancels the children, CancelledError(msg) propagates', async () => {
    const out = await vrun(async () => {
      const cancelled = { n: 0 };
      const r = createTask(() =>
        new TaskGroup().run((g) => {
          for (let i = 0; i < 5; i++) g.createTask(cancellable(cancelled));
        }),
      );
      await sleep(0.1);
      r.cancel('test');
      const err = await raised(() => r);
      return [err instanceof CancelledError, (err as Error).message, cancelled.n];
    });
    expect(out).toEqual([true, 'test', 5]);
  });

  // test_taskgroup_09 / 10
  test.each([
    ['after a wait', true],
    ['at once', false],
  ])(
    'a body that fails %s: ExceptionGroup of its error, the children cancelled',
    async (_, waitFirst) => {
      const out = await vrun(async () => {
        let t1!: Task<number>;
        let t2!: Task<number>;
        const err = await raised(() =>
          new TaskGroup().run(async (g) => {
            t1 = g.createTask(() => sleep(1, 42));
            t2 = g.createTask(() => sleep(2, 11));
            if (waitFirst) await sleep(0.1);
            throw new RangeError('division by zero');
          }),
        );
        return [errorTypes(err), t1.cancelled(), t2.cancelled()];
      });
      expect(out).toEqual([['RangeError'], true, true]);
    },
  );

  // test_taskgroup_11 / 12
  test('nested groups: an outside cancel propagates as CancelledError through both', async () => {
    const out = await vrun(async () => {
      const r = createTask(() =>
        new TaskGroup().run(async (g1) => {
          g1.createTask(() => sleep(10));
          await new TaskGroup().run(async (g2) => {
            for (let i = 0; i < 5; i++) g2.createTask(() => crashAfter(0.2));
            await sleep(10);
          });
        }),
      );
      await sleep(0.1);
      r.cancel();
      return raised(() => r);
    });
    expect(out).toBeInstanceOf(CancelledError);
  });

  // test_taskgroup_13
  test('an outer child failing first cancels the inner group, whose cancel is not reported', async () => {
    const out = await vrun(async () => {
      const err = await raised(() =>
        new TaskGroup().run(async (g1) => {
          g1.createTask(() => crashAfter(0.1, new MyExc('0.1')));
          await new TaskGroup().run((g2) => {
            g2.createTask(() => crashAfter(10, new MyExc('10')));
          });
        }),
      );
      return [errorTypes(err), ((err as ExceptionGroup).exceptions[0] as Error).message];
    });
    expect(out).toEqual([['MyExc'], '0.1']);
  });

  // test_taskgroup_14
  test('an inner child failing first: the outer group holds the inner ExceptionGroup', async () => {
    const out = await vrun(async () => {
      const err = await raised(() =>
        new TaskGroup().run(async (g1) => {
          g1.createTask(() => crashAfter(10, new MyExc('10')));
          await new TaskGroup().run((g2) => {
            g2.createTask(() => crashAfter(0.1, new MyExc('0.1')));
          });
        }),
      );
      const inner = (err as ExceptionGroup).exceptions[0];
      return [
        (err as ExceptionGroup).exceptions.length,
        inner instanceof ExceptionGroup,
        errorTypes(inner),
      ];
    });
    expect(out).toEqual([1, true, ['MyExc']]);
  });

  // test_taskgroup_15 / 16 (3.11.7 and 3.13 agree: the child's error wins over the outside cancel)
  test.each([
    ['directly', false],
    ['through a task awaiting the group task', true],
  ])(
    'a child failing while the cancelled body cleans up gives an ExceptionGroup (%s)',
    async (_, nested) => {
      const out = await vrun(async () => {
        const group = (): Promise<void> =>
          new TaskGroup().run(async (g1) => {
            g1.createTask(() => crashAfter(0.3));
            try {
              await sleep(10);
            } catch (err) {
              await sleep(0.5);
              throw err;
            }
          });
        const r = createTask(nested ? async () => await createTask(group) : group);
        await sleep(0.1);
        r.cancel();
        return errorTypes(await raised(() => r));
      });
      expect(out).toEqual(['RangeError']);
    },
  );

  // test_taskgroup_17
  test('a group without children: an outside cancel reaches the body and propagates', async () => {
    const out = await vrun(async () => {
      let n = 0;
      const r = createTask(() =>
        new TaskGroup().run(async () => {
          try {
            await sleep(10);
          } catch (err) {
            n += 10;
            throw err;
          }
        }),
      );
      await sleep(0.1);
      r.cancel();
      return [(await raised(() => r)) instanceof CancelledError, n];
    });
    expect(out).toEqual([true, 10]);
  });

  // test_taskgroup_18
  test('a body that turns the outside cancel into another error: an ExceptionGroup of that error', async () => {
    const out = await vrun(async () => {
      const r = createTask(() =>
        new TaskGroup().run(async () => {
          try {
            await sleep(10);
          } catch {
            throw new MyExc();
          }
        }),
      );
      await sleep(0.1);
      r.cancel();
      return errorTypes(await raised(() => r));
    });
    expect(out).toEqual(['MyExc']);
  });

  // test_taskgroup_19
  test("the body's own error raised while being cancelled joins the child's in the group", async () => {
    const out = await vrun(async () => {
      const nested = async (): Promise<void> => {
        try {
          await sleep(10);
        } finally {
          // eslint-disable-next-line no-unsafe-finally -- the scenario: cleanup that raises
          throw new MyExc();
        }
      };
      const err = await raised(() =>
        new TaskGroup().run(async (g) => {
          g.createTask(() => crashAfter(0.1));
          await nested();
        }),
      );
      return errorTypes(err);
    });
    expect(out).toEqual(['MyExc', 'RangeError']);
  });

  // test_taskgroup_22
  test('an outside cancel before any child is done: CancelledError', async () => {
    const out = await vrun(async () => {
      const r = createTask(() =>
        new TaskGroup().run((g) => {
          g.createTask(() => sleep(1, 42));
          g.createTask(() => sleep(2, 11));
        }),
      );
      await sleep(0.05);
      r.cancel();
      return raised(() => r);
    });
    expect(out).toBeInstanceOf(CancelledError);
  });

  // test_taskgroup_24 / 25
  test('children add tasks to the group; a failure ends the growing group with an ExceptionGroup', async () => {
    const out = await vrun(async () => {
      let hydras = 0;
      const hydra = async (g: TaskGroup): Promise<void> => {
        hydras++;
        await sleep(0.01);
        g.createTask(() => hydra(g));
        g.createTask(() => hydra(g));
      };
      const err = await raised(() =>
        new TaskGroup().run((g) => {
          g.createTask(() => hydra(g));
          g.createTask(async () => {
            while (hydras < 10) await sleep(0.015);
            throw new RangeError('division by zero');
          });
        }),
      );
      return [errorTypes(err), hydras >= 10];
    });
    expect(out).toEqual([['RangeError'], true]);
  });

  // test_taskgroup_task_name / test_name
  test('createTask names the task', async () => {
    const out = await vrun(async () => {
      let seen = '';
      let t!: Task<void>;
      await new TaskGroup().run((g) => {
        t = g.createTask(
          async () => {
            seen = currentTask()!.getName();
          },
          { name: 'example name' },
        );
      });
      return [t.getName(), seen];
    });
    expect(out).toEqual(['example name', 'example name']);
  });

  // test_taskgroup_no_create_task_after_failure
  test('createTask from a child being cancelled after a failure is a RuntimeError', async () => {
    const out = await vrun(async () => {
      let refused = '';
      const err = await raised(() =>
        new TaskGroup().run((g) => {
          g.createTask(() => crashAfter(0.001));
          g.createTask(async () => {
            try {
              await sleep(1);
            } catch (cancel) {
              try {
                g.createTask(() => crashAfter(0.001));
              } catch (e) {
                refused = (e as Error).name;
              }
              throw cancel;
            }
          });
        }),
      );
      return [errorTypes(err), refused];
    });
    expect(out).toEqual([['RangeError'], 'RuntimeError']);
  });

  // test_taskgroup_context_manager_exit_raises
  test("a cleanup in the body that raises: both errors in the group, the task's cancelling() is 0", async () => {
    const out = await vrun(async () =>
      createTask(async () => {
        const err = await raised(() =>
          new TaskGroup().run(async (tg) => {
            try {
              tg.createTask(async () => {
                throw new MyExc('child');
              });
              await sleep(1);
            } finally {
              // eslint-disable-next-line no-unsafe-finally -- the scenario: an exit that raises
              throw new MyExc('cleanup');
            }
          }),
        );
        return [
          (err as ExceptionGroup).exceptions.length,
          errorTypes(err),
          currentTask()!.cancelling(),
        ];
      }),
    );
    expect(out).toEqual([2, ['MyExc'], 0]);
  });

  // test_taskgroup_already_entered / double_enter / finished / not_entered
  test('state errors: entering twice, createTask before entry and after the end', async () => {
    const out = await vrun(async () => {
      const messages: string[] = [];
      const tg = new TaskGroup();
      const note = (fn: () => unknown): void => {
        try {
          fn();
          messages.push('no error');
        } catch (err) {
          messages.push(`${(err as Error).name}: ${(err as Error).message}`);
        }
      };
      note(() => tg.createTask(() => sleep(0)));
      await tg.run(async () => {
        const inside = await raised(() => tg.run(() => undefined));
        messages.push(`${(inside as Error).name}: ${(inside as Error).message}`);
      });
      const again = await raised(() => tg.run(() => undefined));
      messages.push(`${(again as Error).name}: ${(again as Error).message}`);
      note(() => tg.createTask(() => sleep(0)));
      return messages;
    });
    expect(out).toEqual([
      expect.stringMatching(/^RuntimeError: .*has not been entered/),
      expect.stringMatching(/^RuntimeError: .*has already been entered/),
      expect.stringMatching(/^RuntimeError: .*has already been entered/),
      expect.stringMatching(/^RuntimeError: .*is finished/),
    ]);
    expect(RuntimeError).toBeDefined();
  });

  // test_cancelling_level_preserved / test_cancellation_does_not_leak_out_of_tg
  test('after a caught group error the task is not cancelled: cancelling() is 0, the next wait does not raise', async () => {
    const out = await vrun(async () => {
      const errs = await raised(() =>
        new TaskGroup().run((tg) => {
          tg.createTask(() => crashAfter(0));
        }),
      );
      const level = currentTask()!.cancelling();
      await sleep(0);
      return [errorTypes(errs), level, 'went on'];
    });
    expect(out).toEqual([['RangeError'], 0, 'went on']);
  });

  // test_nested_groups_both_cancelled (3.13)
  test('nested groups both aborted: cancelling() is 1 between them and 0 after the outer one', async () => {
    const out = await vrun(async () => {
      const levels: unknown[] = [];
      const outer = await raised(() =>
        new TaskGroup().run(async (outerTg) => {
          const inner = await raised(() =>
            new TaskGroup().run((innerTg) => {
              innerTg.createTask(() => crashAfter(0, new RuntimeError('inner')));
              outerTg.createTask(() => crashAfter(0, new MyExc('outer')));
            }),
          );
          levels.push(errorTypes(inner), currentTask()!.cancelling());
        }),
      );
      levels.push(errorTypes(outer), currentTask()!.cancelling());
      return levels;
    });
    expect(out).toEqual([['RuntimeError'], 1, ['MyExc'], 0]);
  });

  // test_error_and_cancel (3.13)
  test('an outside cancel during a group error is kept: the task is cancelled at its next wait', async () => {
    const out = await vrun(async () => {
      const log: unknown[] = [];
      const event = new Event();
      const t = createTask(async () => {
        const err = await raised(() =>
          new TaskGroup().run(async (tg) => {
            tg.createTask(async () => {
              event.set();
              await sleep(0);
              throw new RuntimeError('child');
            });
            await sleep(1);
            log.push('sleep in group not cancelled');
          }),
        );
        log.push(errorTypes(err), currentTask()!.cancelling());
        await sleep(1);
        log.push('sleep after group not cancelled');
      });
      await event.wait();
      log.push(t.cancelling());
      t.cancel();
      log.push(t.cancelling());
      log.push((await raised(() => t)) instanceof CancelledError, t.cancelled());
      return log;
    });
    expect(out).toEqual([0, 1, ['RuntimeError'], 1, true, true]);
  });

  // test_exception_refcycles_propagate_cancellation_error
  test('timeout(-1) around a group: TimeoutError whose cause is the CancelledError', async () => {
    const out = await vrun(async () => {
      const err = await raised(() =>
        timeout(-1, () =>
          new TaskGroup().run(async () => {
            await sleep(0);
          }),
        ),
      );
      return [err instanceof TimeoutError, (err as Error).cause instanceof CancelledError];
    });
    expect(out).toEqual([true, true]);
  });

  // test_cancels_task_if_created_during_creation (gh-128550)
  test('a task created by a child that then fails is cancelled at its second sleep(0) (lazy tasks)', async () => {
    const out = await vrun(async () => {
      let ran = false;
      let cancelledAt = 0;
      const err = await raised(() =>
        new TaskGroup().run((tg) => {
          tg.createTask(async () => {
            tg.createTask(async () => {
              throw new MyExc('third task failed');
            });
            try {
              await sleep(0);
              cancelledAt = 1;
              await sleep(0);
              cancelledAt = 2;
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
            }
            ran = true;
          });
        }),
      );
      return [ran, cancelledAt, errorTypes(err)];
    });
    expect(out).toEqual([true, 1, ['MyExc']]);
  });
});
