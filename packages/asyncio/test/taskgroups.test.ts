import {
  CancelledError,
  ExceptionGroup,
  RuntimeError,
  TaskGroup,
  TimeoutError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  timeout,
  type Task,
} from '@duet/asyncio';
import { getEventListeners } from 'node:events';
import { vrun } from './helpers';

const now = () => getRunningLoop().time();

async function fail(delay: number, err: Error): Promise<never> {
  await sleep(delay);
  throw err;
}

function leafErrors(err: unknown): string[] {
  if (err instanceof ExceptionGroup) return err.exceptions.flatMap((e) => leafErrors(e));
  return [err instanceof Error ? `${err.name}:${err.message}` : String(err)];
}

describe('TaskGroup', () => {
  test('resolves with the body value after every child is done', async () => {
    const out = await vrun(async () => {
      const results: string[] = [];
      const v = await new TaskGroup().run(async (tg) => {
        tg.createTask(async () => {
          await sleep(1);
          results.push(`a@${now()}`);
        });
        tg.createTask(async () => {
          await sleep(2);
          results.push(`b@${now()}`);
        });
        return 'body';
      });
      return [v, results, now()];
    });
    expect(out).toEqual(['body', ['a@1', 'b@2'], 2]);
  });

  test('a failing child cancels its siblings and the body; the group raises ExceptionGroup; cancelling() is back to 0', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      let sibling!: Task<void>;
      try {
        await new TaskGroup().run(async (tg) => {
          sibling = tg.createTask(() => sleep(10));
          tg.createTask(() => fail(1, new Error('child')));
          try {
            await sleep(10);
          } catch (err) {
            log.push(
              `body got ${err instanceof CancelledError ? 'CancelledError' : String(err)} at ${now()}`,
            );
            throw err;
          }
        });
      } catch (err) {
        log.push(`group raised ${leafErrors(err).join(',')}`);
        log.push(`is ExceptionGroup: ${err instanceof ExceptionGroup}`);
      }
      log.push(`sibling cancelled: ${sibling.cancelled()}`);
      log.push(`cancelling: ${currentTask()!.cancelling()}`);
      await sleep(1); // the parent is not cancelled any more
      log.push('still running');
      return log;
    });
    expect(out).toEqual([
      'body got CancelledError at 1',
      'group raised Error:child',
      'is ExceptionGroup: true',
      'sibling cancelled: true',
      'cancelling: 0',
      'still running',
    ]);
  });

  test('errors raised by children while being cancelled are collected too', async () => {
    const errs = await vrun(async () => {
      const badCleanup = async () => {
        try {
          await sleep(10);
        } catch {
          throw new Error('cleanup');
        }
      };
      try {
        await new TaskGroup().run(async (tg) => {
          tg.createTask(badCleanup);
          tg.createTask(() => fail(1, new Error('v')));
          await sleep(5);
        });
      } catch (err) {
        return leafErrors(err).sort();
      }
      return [];
    });
    expect(errs).toEqual(['Error:cleanup', 'Error:v']);
  });

  test("the body's error is raised in the group after the children's errors", async () => {
    const errs = await vrun(async () => {
      try {
        await new TaskGroup().run(async (tg) => {
          tg.createTask(async () => {
            try {
              await sleep(10);
            } catch {
              throw new Error('cleanup');
            }
          });
          await sleep(0);
          throw new RangeError('body');
        });
      } catch (err) {
        return leafErrors(err);
      }
      return [];
    });
    expect(errs).toEqual(['Error:cleanup', 'RangeError:body']);
  });

  test('a cancel of the parent from outside cancels the children and propagates as CancelledError', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      const parent = createTask(async () => {
        await new TaskGroup().run(async (tg) => {
          tg.createTask(async () => {
            try {
              await sleep(10);
            } catch (err) {
              log.push('child cancelled');
              await sleep(1); // takes a while to clean up
              log.push(`child cleaned up at ${now()}`);
              throw err;
            }
          });
          await sleep(10);
        });
      });
      await sleep(1);
      parent.cancel();
      try {
        await parent;
      } catch (err) {
        log.push(
          `parent raised ${err instanceof CancelledError ? 'CancelledError' : String(err)} at ${now()}`,
        );
      }
      log.push(`parent.cancelling() = ${parent.cancelling()}`);
      return log;
    });
    expect(out).toEqual([
      'child cancelled',
      'child cleaned up at 2',
      'parent raised CancelledError at 2',
      'parent.cancelling() = 1',
    ]);
  });

  test('outside cancel while the group waits for its children at exit', async () => {
    const out = await vrun(async () => {
      let child!: Task<void>;
      const parent = createTask(() =>
        new TaskGroup().run(async (tg) => {
          child = tg.createTask(() => sleep(10));
        }),
      );
      await sleep(1);
      parent.cancel();
      const outcome = await parent.then(
        () => 'ok',
        (e: unknown) => (e instanceof CancelledError ? 'CancelledError' : String(e)),
      );
      return [outcome, child.cancelled(), now()];
    });
    expect(out).toEqual(['CancelledError', true, 1]);
  });

  test('outside cancel together with a child failure: ExceptionGroup wins, the cancel stays pending (3.13)', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      const parent = createTask(async () => {
        try {
          await new TaskGroup().run(async (tg) => {
            tg.createTask(async () => {
              try {
                await sleep(10);
              } catch {
                throw new Error('failed while cancelled');
              }
            });
            await sleep(10);
          });
        } catch (err) {
          log.push(
            `group: ${leafErrors(err).join(',')}; cancelling=${currentTask()!.cancelling()}`,
          );
        }
        try {
          await sleep(1);
          log.push('not cancelled');
        } catch (err) {
          log.push(`next wait: ${err instanceof CancelledError ? 'CancelledError' : String(err)}`);
          throw err;
        }
      });
      await sleep(1);
      parent.cancel();
      await parent.then(
        () => undefined,
        () => undefined,
      );
      log.push(`parent.cancelled() = ${parent.cancelled()}`);
      return log;
    });
    expect(out).toEqual([
      'group: Error:failed while cancelled; cancelling=1',
      'next wait: CancelledError',
      'parent.cancelled() = true',
    ]);
  });

  test('nested groups: an inner failure cancels the outer group and arrives as a nested ExceptionGroup', async () => {
    const out = await vrun(async () => {
      let outerChild!: Task<void>;
      try {
        await new TaskGroup().run(async (outer) => {
          outerChild = outer.createTask(() => sleep(10));
          await new TaskGroup().run(async (inner) => {
            inner.createTask(() => fail(1, new Error('v')));
          });
        });
      } catch (err) {
        const eg = err as ExceptionGroup;
        return [
          eg instanceof ExceptionGroup,
          eg.exceptions.length,
          eg.exceptions[0] instanceof ExceptionGroup,
          leafErrors(eg),
          outerChild.cancelled(),
          currentTask()!.cancelling(),
          now(),
        ];
      }
      return null;
    });
    expect(out).toEqual([true, 1, true, ['Error:v'], true, 0, 1]);
  });

  test('a child failing after the body ended still raises, and the parent is not left cancelled', async () => {
    const out = await vrun(async () => {
      try {
        await new TaskGroup().run(async (tg) => {
          tg.createTask(() => fail(2, new Error('late')));
          tg.createTask(() => sleep(10));
        });
      } catch (err) {
        await sleep(1);
        return [leafErrors(err), now(), currentTask()!.cancelling()];
      }
      return null;
    });
    expect(out).toEqual([['Error:late'], 3, 0]);
  });

  test('a body that swallows the group cancel goes on, then the group raises', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      try {
        await new TaskGroup().run(async (tg) => {
          tg.createTask(() => fail(1, new Error('x')));
          try {
            await sleep(10);
          } catch {
            log.push('swallowed');
          }
          await sleep(1);
          log.push(`body went on to ${now()}`);
        });
      } catch (err) {
        log.push(leafErrors(err).join(','));
      }
      return log;
    });
    expect(out).toEqual(['swallowed', 'body went on to 2', 'Error:x']);
  });

  test('createTask: before run, while shutting down, after finishing', async () => {
    await vrun(async () => {
      const unentered = new TaskGroup();
      expect(() => unentered.createTask(async () => 1)).toThrow(/has not been entered/);
      const messages: string[] = [];
      let tg!: TaskGroup;
      await expect(
        new TaskGroup().run(async (g) => {
          tg = g;
          g.createTask(async () => {
            throw new Error('now');
          });
          try {
            await sleep(1);
          } catch (err) {
            try {
              g.createTask(() => sleep(1));
            } catch (e) {
              messages.push(String((e as Error).message));
              expect(e).toBeInstanceOf(RuntimeError);
            }
            throw err;
          }
        }),
      ).rejects.toBeInstanceOf(ExceptionGroup);
      expect(messages[0]).toMatch(/is shutting down/);
      expect(() => tg.createTask(async () => 1)).toThrow(/is finished/);
      await expect(tg.run(async () => 1)).rejects.toThrow(/already been entered/);
    });
  });

  test('createTask from a done callback queued before the last task ends is accepted and joined (CPython)', async () => {
    // CPython 3.11+: the future's callback runs before the group's done callback of the last
    // task, so the group still has that task and takes the new one; its exit waits for both.
    const seen = await vrun(async () => {
      const events: string[] = [];
      await new TaskGroup().run(async (tg) => {
        const fut = getRunningLoop().createFuture<number>();
        fut.addDoneCallback(() => {
          tg.createTask(async () => {
            await sleep(0.01);
            events.push('late task ran');
          });
          events.push('accepted');
        });
        tg.createTask(async () => {
          await sleep(0.01);
          fut.setResult(1);
        });
      });
      events.push('group exited');
      return events;
    });
    expect(seen).toEqual(['accepted', 'late task ran', 'group exited']);
  });

  test("createTask from the last task's own done callback says finished (CPython)", async () => {
    const message = await vrun(async () => {
      let got = '';
      await new TaskGroup().run(async (tg) => {
        const t = tg.createTask(() => sleep(0.01));
        t.addDoneCallback(() => {
          try {
            tg.createTask(async () => 1);
          } catch (err) {
            got = (err as Error).message;
          }
        });
      });
      return got;
    });
    expect(message).toMatch(/is finished/);
  });

  test("createTask from a done callback of a task that is not the last is accepted, the group's count includes both (CPython)", async () => {
    // Python 3.13: both children end in one iteration; the first one's own callback runs after its
    // group callback and before the second one's, so the group has the second task and the new one.
    const seen = await vrun(async () => {
      const events: string[] = [];
      await new TaskGroup().run(async (tg) => {
        const child = (name: string) => async () => {
          await sleep(0);
          events.push(`${name} ends`);
        };
        const first = tg.createTask(child('first'));
        tg.createTask(child('second'));
        first.addDoneCallback(() => {
          tg.createTask(async () => {
            events.push('late runs');
          });
          events.push(`created, ${String(tg)}`);
        });
      });
      events.push('group done');
      return events;
    });
    expect(seen).toEqual([
      'first ends',
      'second ends',
      'created, <TaskGroup tasks=2 entered>',
      'late runs',
      'group done',
    ]);
  });

  test("a failing task's group callback runs before its own: the siblings are already cancelled (CPython)", async () => {
    const seen = await vrun(async () => {
      let seenByCallback: unknown[] = [];
      try {
        await new TaskGroup().run(async (tg) => {
          const sleeper = tg.createTask(() => sleep(10));
          const boom = tg.createTask(async () => {
            await sleep(0);
            throw new ValueError('x');
          });
          boom.addDoneCallback(() => {
            seenByCallback = [sleeper.cancelling(), sleeper.done()];
          });
        });
      } catch (err) {
        return [leafErrors(err), seenByCallback];
      }
      return ['no error'];
    });
    expect(seen).toEqual([['ValueError:x'], [1, false]]);
  });

  test('a child that swallows the cancel is awaited and keeps its result', async () => {
    const out = await vrun(async () => {
      let stubborn!: Task<string>;
      try {
        await new TaskGroup().run(async (tg) => {
          stubborn = tg.createTask(async () => {
            try {
              await sleep(10);
            } catch {
              await sleep(3);
              return 'stubborn';
            }
            return 'slept';
          });
          tg.createTask(() => fail(1, new Error('x')));
        });
      } catch {
        return [stubborn.result(), now()];
      }
      return null;
    });
    expect(out).toEqual(['stubborn', 4]);
  });

  test('a timeout around a group cancels everything and becomes TimeoutError', async () => {
    const out = await vrun(async () => {
      try {
        await timeout(1, () =>
          new TaskGroup().run(async (tg) => {
            tg.createTask(() => sleep(10));
            tg.createTask(() => sleep(10));
          }),
        );
      } catch (err) {
        return [err instanceof TimeoutError, now(), currentTask()!.cancelling()];
      }
      return null;
    });
    expect(out).toEqual([true, 1, 0]);
  });

  test('children are cancelled tasks, never run if cancelled before their first step', async () => {
    const out = await vrun(async () => {
      let ran = false;
      try {
        // A synchronous body: its error reaches the group before the next loop iteration.
        await new TaskGroup().run((tg) => {
          tg.createTask(async () => {
            ran = true;
          });
          throw new Error('body fails at once');
        });
      } catch (err) {
        return [ran, leafErrors(err)];
      }
      return null;
    });
    expect(out).toEqual([false, ['Error:body fails at once']]);
  });
});

describe('TaskGroup under a level-triggered (Trio-style) cancellation', () => {
  test('waits for a shielded child without spinning, then lets the scope catch the cancel', async () => {
    const { CancelScope, MockClock, run: kernelRun, currentTime } = await import('@duet/kernel');
    const got = await kernelRun({ clock: new MockClock({ autojumpThreshold: 0 }) }, async () => {
      const scope = new CancelScope();
      await scope.run(() =>
        new TaskGroup().run(async (tg) => {
          tg.createTask(async () => {
            // A child that insists on a shielded second of cleanup, swallowing the group's cancel.
            for (;;) {
              try {
                await new CancelScope({ shield: true }).run(() => sleep(1));
                break;
              } catch {
                // the group's Task.cancel() passes through shields (edge-triggered): try again
              }
            }
          });
          await sleep(0);
          scope.cancel();
          await sleep(5);
        }),
      );
      return [scope.cancelledCaught, currentTime()];
    });
    expect(got).toEqual([true, 1]);
  });
});

describe('TaskGroup options', () => {
  test('signal: aborting cancels the group as task.cancel() of its task would', async () => {
    const out = await vrun(async () => {
      const ac = new AbortController();
      const log: string[] = [];
      let group: unknown;
      const owner = createTask(async () => {
        try {
          await new TaskGroup({ signal: ac.signal }).run(async (tg) => {
            tg.createTask(async () => {
              try {
                await sleep(10);
              } catch (err) {
                log.push(`child: ${(err as Error).constructor.name}`);
                throw err;
              }
            });
            await sleep(10);
            log.push('body not cancelled');
          });
        } catch (err) {
          group = err;
        }
        return currentTask()!.cancelling();
      });
      await sleep(1);
      ac.abort();
      const cancelling = await owner;
      return { log, cancelled: group instanceof CancelledError, cancelling };
    });
    expect(out).toEqual({ log: ['child: Cancelled'], cancelled: true, cancelling: 1 });
  });

  test('signal already aborted: the body is cancelled at its first wait; a child failure still wins', async () => {
    const out = await vrun(async () => {
      const early = await new TaskGroup({ signal: AbortSignal.abort() })
        .run(async () => {
          await sleep(1);
          return 'finished';
        })
        .catch((err: unknown) => (err instanceof CancelledError ? 'cancelled' : err));
      currentTask()!.uncancel();
      const ac = new AbortController();
      const failed = await new TaskGroup({ signal: ac.signal })
        .run(async (tg) => {
          tg.createTask(async () => {
            await sleep(1);
            throw new ValueError('boom');
          });
          await sleep(1);
          ac.abort();
          await sleep(5);
        })
        .catch((err: unknown) => err);
      // The signal's cancel is an outside one: with a child failure it stays pending (3.13).
      const pending = currentTask()!.cancelling();
      currentTask()!.uncancel();
      return [early, failed instanceof ExceptionGroup, pending];
    });
    expect(out).toEqual(['cancelled', true, 1]);
  });

  test('signal: the listener is removed when the group ends', async () => {
    const ac = new AbortController();
    await vrun(() => new TaskGroup({ signal: ac.signal }).run(() => sleep(1)));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  test('options: an unknown key or a bad signal is a TypeError naming it', () => {
    expect(() => new TaskGroup({ sigal: 1 } as never)).toThrow(
      "TaskGroup(): unknown option 'sigal' (allowed: signal)",
    );
    expect(() => new TaskGroup({ signal: {} as AbortSignal })).toThrow(
      "TaskGroup(): option 'signal' must be an AbortSignal",
    );
    expect(() => new TaskGroup(null as never)).toThrow('TaskGroup(): options must be an object');
  });
});

describe('TaskGroup on the kernel join (a cancel of the parent while it waits)', () => {
  // Checked on CPython (3.11 and the 3.13 TaskGroup): prints
  // ['group raised CancelledError', 1, 'sleeper cancelled', 'raised CancelledError', 1]
  test('a cancel that comes after the last task ended, before the parent resumed, is raised by the group', async () => {
    const out = await vrun(async () => {
      const parent = currentTask()!;
      const log: unknown[] = [];
      try {
        await new TaskGroup().run((tg) => {
          const t = tg.createTask(async () => {
            await sleep(0);
            return 1;
          });
          t.addDoneCallback(() => parent.cancel());
        });
        log.push('group returned');
      } catch (err) {
        log.push(err instanceof CancelledError ? 'group raised CancelledError' : String(err));
      }
      log.push(parent.cancelling());
      parent.uncancel();
      getRunningLoop().callLater(1, () => parent.cancel());
      try {
        await new TaskGroup().run((tg) => {
          tg.createTask(async () => {
            try {
              await sleep(10);
            } catch (err) {
              log.push('sleeper cancelled');
              throw err;
            }
          });
        });
      } catch (err) {
        log.push(err instanceof CancelledError ? 'raised CancelledError' : String(err));
      }
      log.push(parent.cancelling(), now());
      return log;
    });
    expect(out).toEqual([
      'group raised CancelledError',
      1,
      'sleeper cancelled',
      'raised CancelledError',
      1,
      1,
    ]);
  });
});
