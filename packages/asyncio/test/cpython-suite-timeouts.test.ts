/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_timeouts.py and test_waitfor.py,
 * restated for Duet's callback form (`async with asyncio.timeout(d) as cm:` is
 * `timeout(d, async (cm) => ...)`); each was checked on CPython 3.13.0
 * (/root/.pyenv/versions/3.13.0). Python's ZeroDivisionError is a RangeError here.
 */
import {
  CancelledError,
  ExceptionGroup,
  MockClock,
  Future,
  TaskGroup,
  TimeoutError,
  createTask,
  currentTask,
  getRunningLoop,
  shield,
  sleep,
  timeout,
  timeoutAt,
  waitFor,
  type Timeout,
} from '@duet/asyncio';
import { now, vrun } from './helpers';
import { raised } from './outcomes';

function nameOf(err: unknown): string {
  return err instanceof Error ? err.name : String(err);
}

describe('CPython test_timeouts', () => {
  // test_timeout_basic / test_timeout_at_basic
  test('timeout() and timeoutAt() raise TimeoutError at the deadline; when() and expired() say so', async () => {
    const out = await vrun(async () => {
      let cm!: Timeout;
      const e1 = await raised(() =>
        timeout(0.01, async (t) => {
          cm = t;
          await sleep(10);
        }),
      );
      const log: unknown[] = [nameOf(e1), cm.expired(), cm.when(), now()];
      const deadline = now() + 0.01;
      const e2 = await raised(() =>
        timeoutAt(deadline, async (t) => {
          cm = t;
          await sleep(10);
        }),
      );
      log.push(nameOf(e2), cm.expired(), cm.when() === deadline);
      return log;
    });
    expect(out).toEqual(['TimeoutError', true, 0.01, 0.01, 'TimeoutError', true, true]);
  });

  // test_nested_timeouts
  test('nested timeouts with one deadline: the inner one lets CancelledError through, the topmost converts it', async () => {
    const out = await vrun(async () => {
      let cm2!: Timeout;
      let innerRaised = '';
      const deadline = now() + 0.01;
      let cm1!: Timeout;
      const err = await raised(() =>
        timeoutAt(deadline, async (t1) => {
          cm1 = t1;
          try {
            await timeoutAt(deadline, async (t2) => {
              cm2 = t2;
              await sleep(10);
            });
          } catch (e) {
            innerRaised = nameOf(e);
            throw e;
          }
        }),
      );
      return [nameOf(err), innerRaised, cm1.expired(), cm2.expired()];
    });
    expect(out).toEqual(['TimeoutError', 'Cancelled', true, true]);
  });

  // test_waiter_cancelled
  test('the body sees the CancelledError of the timeout before the TimeoutError comes out', async () => {
    const out = await vrun(async () => {
      let cancelled = false;
      const err = await raised(() =>
        timeout(0.01, async () => {
          try {
            await sleep(10);
          } catch (e) {
            cancelled = e instanceof CancelledError;
            throw e;
          }
        }),
      );
      return [nameOf(err), cancelled];
    });
    expect(out).toEqual(['TimeoutError', true]);
  });

  // test_timeout_not_called / test_timeout_disabled / test_timeout_at_disabled
  test('a body that ends in time, or null, never expires', async () => {
    const out = await vrun(async () => {
      const a = await timeout(10, async (cm) => {
        await sleep(0.01);
        return cm;
      });
      const b = await timeout(null, async (cm) => {
        await sleep(0.01);
        return cm;
      });
      const c = await timeoutAt(null, async (cm) => {
        await sleep(0.01);
        return cm;
      });
      return [a.expired(), b.expired(), b.when(), c.expired(), c.when(), now()];
    });
    expect(out).toEqual([false, false, null, false, null, 0.03]);
  });

  // test_timeout_zero / test_timeout_zero_sleep_zero / test_timeout_in_the_past_sleep_zero
  test.each([
    ['0 around sleep(100)', 0, 100],
    ['0 around sleep(0)', 0, 0],
    ['-11 around sleep(0)', -11, 0],
  ])('timeout(%s) expires at the first wait', async (_, delay, sleepFor) => {
    const out = await vrun(async () => {
      const t0 = now();
      let cm!: Timeout;
      const err = await raised(() =>
        timeout(delay, async (t) => {
          cm = t;
          await sleep(sleepFor);
        }),
      );
      return [nameOf(err), cm.expired(), cm.when() === t0 + delay, now() === t0];
    });
    expect(out).toEqual(['TimeoutError', true, true, true]);
  });

  // test_foreign_exception_passed / test_foreign_exception_on_timeout
  test('an error of the body passes through, also one raised while handling the timeout', async () => {
    const out = await vrun(async () => {
      const e1 = await raised(() =>
        timeout(0.01, () => {
          throw new KeyError();
        }),
      );
      const e2 = await raised(() =>
        timeout(0.01, async () => {
          try {
            await sleep(1);
          } finally {
            // eslint-disable-next-line no-unsafe-finally -- the scenario: a crash in cleanup
            throw new RangeError('division by zero');
          }
        }),
      );
      return [nameOf(e1), nameOf(e2)];
    });
    expect(out).toEqual(['KeyError', 'RangeError']);
  });

  // test_timeout_exception_context (the TimeoutError's cause is the CancelledError)
  test('the TimeoutError has the CancelledError as its cause', async () => {
    const out = await vrun(async () => {
      const err = await raised(() =>
        timeout(0.01, async () => {
          await sleep(1);
        }),
      );
      return [nameOf(err), (err as Error).cause instanceof CancelledError];
    });
    expect(out).toEqual(['TimeoutError', true]);
  });

  // test_foreign_cancel_doesnt_timeout_if_not_expired
  test('a cancel of the task inside a timeout that did not expire stays a CancelledError', async () => {
    const out = await vrun(async () =>
      createTask(async () => {
        let cm!: Timeout;
        const err = await raised(() =>
          timeout(10, async (t) => {
            cm = t;
            currentTask()!.cancel();
            await sleep(10);
          }),
        );
        return [err instanceof CancelledError, cm.expired()];
      }),
    );
    expect(out).toEqual([true, false]);
  });

  // test_outer_task_is_not_cancelled
  test('the task whose timeout expired is not cancelled when it returns', async () => {
    const out = await vrun(async () => {
      const task = createTask(async () => {
        const err = await raised(() => timeout(0.001, () => sleep(10)));
        return nameOf(err);
      });
      const res = await task;
      return [res, task.cancelled(), task.done(), task.cancelling()];
    });
    expect(out).toEqual(['TimeoutError', false, true, 0]);
  });

  // test_nested_timeouts_loop_busy (after the inner timeout, the outer one still fires)
  test('after an inner timeout is caught, the outer one interrupts the next wait', async () => {
    const out = await vrun(async () => {
      const t0 = now();
      const err = await raised(() =>
        timeout(0.1, async () => {
          const inner = await raised(() => timeout(0.01, () => sleep(1)));
          if (!(inner instanceof TimeoutError)) throw new Error('inner did not time out');
          await sleep(10);
        }),
      );
      return [nameOf(err), now() - t0];
    });
    expect(out).toEqual(['TimeoutError', 0.1]);
  });

  // test_nested_timeouts_loop_busy / test_nested_timeouts_concurrent: the body blocks the loop
  // (a clock jump here) past one or both deadlines before its first wait. On CPython 3.13.0 the
  // inner timeout lets a CancelledError through in both cases (the task's cancelling() is 1 then)
  // and the outer one raises TimeoutError.
  test.each([
    ['both deadlines passed (loop busy)', 0.1, 0.01, 0.1, '<Timeout [expired]>'],
    ['only the outer deadline passed (concurrent)', 0.002, 0.1, 0.01, '<Timeout [finished]>'],
  ])(
    'nested timeouts, %s: the inner one lets the CancelledError through',
    async (_, outerDelay, innerDelay, busy, innerState) => {
      const clock = new MockClock({ autojumpThreshold: 0 });
      const out = await vrun(
        async () => {
          const t0 = now();
          const log: unknown[] = [];
          let inner!: Timeout;
          const err = await raised(() =>
            timeout(outerDelay, async () => {
              try {
                await timeout(innerDelay, async (cm) => {
                  inner = cm;
                  clock.jump(busy);
                  await sleep(1);
                });
              } catch (e) {
                log.push(e instanceof CancelledError, currentTask()!.cancelling(), String(inner));
                throw e;
              }
              await sleep(10);
            }),
          );
          log.push(nameOf(err), currentTask()!.cancelling(), now() - t0 < 1);
          return log;
        },
        { clock },
      );
      expect(out).toEqual([true, 1, innerState, 'TimeoutError', 0, true]);
    },
  );

  // test_reschedule
  test('reschedule() moves and disables the deadline; an outside cancel then is a CancelledError', async () => {
    const out = await vrun(async () => {
      const deadline1 = now() + 10;
      const deadline2 = deadline1 + 20;
      const entered = new Future<Timeout>();
      const task = createTask(() =>
        timeoutAt(deadline1, async (cm) => {
          entered.setResult(cm);
          await sleep(50);
        }),
      );
      const cm = await entered;
      const log: unknown[] = [cm.when() === deadline1];
      cm.reschedule(deadline2);
      log.push(cm.when() === deadline2);
      cm.reschedule(null);
      log.push(cm.when());
      task.cancel();
      log.push((await raised(() => task)) instanceof CancelledError, cm.expired());
      return log;
    });
    expect(out).toEqual([true, true, null, true, false]);
  });

  // test_repr_active / test_repr_expired / test_repr_finished / test_repr_disabled
  test('the description says active (with when), expired, finished', async () => {
    const out = await vrun(async () => {
      const log: string[] = [];
      await timeout(10, async (cm) => {
        log.push(String(cm));
      });
      let expired!: Timeout;
      await raised(() =>
        timeout(0.01, async (cm) => {
          expired = cm;
          await sleep(10);
        }),
      );
      log.push(String(expired));
      const finished = await timeout(10, async (cm) => {
        await sleep(0);
        return cm;
      });
      log.push(String(finished));
      await timeout(null, async (cm) => {
        log.push(String(cm));
      });
      log.push(String(timeout(1)));
      return log;
    });
    expect(out[0]).toMatch(/^<Timeout \[active\] when=\d+\.\d*>$/);
    expect(out.slice(1)).toEqual([
      '<Timeout [expired]>',
      '<Timeout [finished]>',
      '<Timeout [active] when=None>',
      '<Timeout [created]>',
    ]);
  });

  // test_nested_timeout_in_finally
  test('a timeout inside the cleanup of an expired timeout expires on its own', async () => {
    const out = await vrun(async () => {
      let innerErr: unknown;
      const err = await raised(() =>
        timeout(0.01, async () => {
          try {
            await sleep(1);
          } finally {
            innerErr = await raised(() => timeout(0.01, () => sleep(10)));
          }
        }),
      );
      return [nameOf(err), nameOf(innerErr)];
    });
    expect(out).toEqual(['TimeoutError', 'TimeoutError']);
  });

  // test_timeout_after_cancellation / test_cancel_in_timeout_after_cancellation
  test('after a swallowed cancel (cancelling() is 1), timeout(0) still times out and a new cancel is still a cancel', async () => {
    const out = await vrun(async () =>
      createTask(async () => {
        const task = currentTask()!;
        const log: unknown[] = [];
        try {
          task.cancel();
          await sleep(1);
        } catch (err) {
          if (!(err instanceof CancelledError)) throw err;
        }
        log.push(task.cancelling());
        log.push(nameOf(await raised(() => timeout(0, () => sleep(1)))));
        log.push(
          nameOf(
            await raised(() =>
              timeout(1, async () => {
                task.cancel();
                await sleep(2);
              }),
            ),
          ),
        );
        log.push(task.cancelling());
        return log;
      }),
    );
    expect(out).toEqual([1, 'TimeoutError', 'Cancelled', 2]);
  });

  // test_timeout_already_entered / double_enter / finished / expired / expiring / not_entered / without_task
  test('state errors name the state: not entered, already entered, finished, expired, expiring', async () => {
    const out = await vrun(async () => {
      const messages: string[] = [];
      const note = (fn: () => unknown): void => {
        try {
          fn();
          messages.push('no error');
        } catch (err) {
          messages.push(`${nameOf(err)}: ${(err as Error).message}`);
        }
      };
      note(() => timeout(0.01).reschedule(0.02));
      const finished = await timeout(0.01, async (cm) => {
        messages.push(nameOf(await raised(() => cm.run(() => undefined))));
        return cm;
      });
      messages.push(nameOf(await raised(() => finished.run(() => undefined))));
      note(() => finished.reschedule(0.02));
      let expired!: Timeout;
      await raised(() =>
        timeout(0.01, async (cm) => {
          expired = cm;
          await sleep(1);
        }),
      );
      note(() => expired.reschedule(0.02));
      await raised(() =>
        timeout(0.01, async (cm) => {
          await raised(() => sleep(1)); // the CancelledError of the timeout, caught
          note(() => cm.reschedule(0.02));
        }),
      );
      return messages;
    });
    expect(out).toEqual([
      expect.stringMatching(/^RuntimeError: .*has not been entered/),
      'RuntimeError',
      'RuntimeError',
      expect.stringMatching(/^RuntimeError: .*finished/),
      expect.stringMatching(/^RuntimeError: .*expired/),
      expect.stringMatching(/^RuntimeError: .*expiring/),
    ]);
  });

  // test_timeout_taskgroup
  test('a timeout around a group whose child crashes in cleanup: the ExceptionGroup passes through', async () => {
    const out = await vrun(async () => {
      const err = await raised(() =>
        timeout(0.01, () =>
          new TaskGroup().run(async (tg) => {
            tg.createTask(async () => {
              try {
                await sleep(2);
              } finally {
                // eslint-disable-next-line no-unsafe-finally -- the scenario: a crash in cleanup
                throw new RangeError('division by zero');
              }
            });
            try {
              throw new KeyError();
            } finally {
              await sleep(1);
            }
          }),
        ),
      );
      return [err instanceof ExceptionGroup, (err as ExceptionGroup).exceptions.map(nameOf)];
    });
    expect(out).toEqual([true, ['RangeError']]);
  });
});

class KeyError extends Error {
  override name = 'KeyError';
}

/** Work that sleeps 10 s and takes 0.1 s to clean up when cancelled (CPython's SlowTask). */
function slowToCancel(state: { exited: boolean }): () => Promise<void> {
  return async () => {
    try {
      await sleep(10);
    } finally {
      await sleep(0.1);
      state.exited = true;
    }
  };
}

describe('CPython test_waitfor', () => {
  // test_asyncio_wait_for_timeout / test_wait_for
  test('waitFor times out, cancels the inner work and waits for it to end', async () => {
    const out = await vrun(async () => {
      const state = { exited: false };
      const slow = slowToCancel(state);
      const err = await raised(() => waitFor(slow, 1));
      return [nameOf(err), state.exited, now()];
    });
    expect(out).toEqual(['TimeoutError', true, 1.1]);
  });

  // test_asyncio_wait_for_cancelled
  test('cancelling the task in waitFor cancels the inner work and waits for it', async () => {
    const out = await vrun(async () => {
      const state = { exited: false };
      const slow = slowToCancel(state);
      const t = createTask(() => waitFor(slow, 20));
      await sleep(0);
      t.cancel();
      const err = await raised(() => t);
      return [err instanceof CancelledError, state.exited];
    });
    expect(out).toEqual([true, true]);
  });

  // test_wait_for_timeout_less_then_0_or_0_future_done / coroutine_do_not_started / _or_0
  test('timeout 0 or negative: a done future gives its result; a function never starts; a pending task is cancelled', async () => {
    const out = await vrun(async () => {
      const done = new Future<string>();
      done.setResult('done');
      let started = false;
      const fooErr = await raised(() =>
        waitFor(async () => {
          started = true;
        }, 0),
      );
      const pending = createTask(() => sleep(10));
      await sleep(0);
      const negErr = await raised(() => waitFor(pending, -1));
      return [
        await waitFor(done, 0),
        nameOf(fooErr),
        started,
        nameOf(negErr),
        pending.cancelled(),
        now(),
      ];
    });
    expect(out).toEqual(['done', 'TimeoutError', false, 'TimeoutError', true, 0]);
  });

  // test_wait_for_race_condition
  test('a future set before the timeout gives its result', async () => {
    const out = await vrun(async () => {
      const fut = new Future<string>();
      getRunningLoop().callLater(0.1, () => fut.setResult('ok'));
      return [await waitFor(fut, 0.2), now()];
    });
    expect(out).toEqual(['ok', 0.1]);
  });

  // test_wait_for_cancellation_race_condition / test_wait_for_cancel_suppressed (gh-86296)
  test('inner work that swallows the timeout cancel and returns: waitFor gives its value', async () => {
    const out = await vrun(async () => {
      const res = await waitFor(async () => {
        try {
          await sleep(10);
        } catch (err) {
          if (err instanceof CancelledError) return 42;
          throw err;
        }
        return 0;
      }, 0.1);
      return [res, now()];
    });
    expect(out).toEqual([42, 0.1]);
  });

  // test_wait_for_waits_for_task_cancellation_w_timeout_0 / test_wait_for_waits_for_task_cancellation
  test.each([0, 0.01])(
    'timeout %p waits for the task to finish cancelling; the TimeoutError is caused by the CancelledError',
    async (timeout) => {
      const out = await vrun(async () => {
        let taskDone = false;
        const inner = createTask(async () => {
          try {
            await sleep(10);
          } catch (err) {
            await sleep(0.01);
            throw err;
          } finally {
            taskDone = true;
          }
        });
        await sleep(0.001);
        const err = await raised(() => waitFor(inner, timeout));
        return [nameOf(err), taskDone, (err as Error).cause instanceof CancelledError];
      });
      expect(out).toEqual(['TimeoutError', true, true]);
    },
  );

  // test_wait_for_reraises_exception_during_cancellation
  test('an error the inner task raises while being cancelled is raised instead of TimeoutError', async () => {
    const out = await vrun(async () => {
      const inner = createTask(async () => {
        try {
          await sleep(0.2);
        } finally {
          // eslint-disable-next-line no-unsafe-finally -- the scenario: a crash in cleanup
          throw new KeyError('foo');
        }
      });
      return nameOf(await raised(() => waitFor(inner, 0.01)));
    });
    expect(out).toBe('KeyError');
  });

  // test_wait_for_self_cancellation (3.13.0: the inner task swallows both cancels; wait_for returns 42)
  test('an inner task that swallows the timeout and an outside cancel: waitFor returns its value', async () => {
    const out = await vrun(async () => {
      const inner = createTask(async () => {
        try {
          await sleep(0.3);
        } catch {
          try {
            await sleep(0.3);
          } catch {
            await sleep(0.3);
          }
        }
        return 42;
      });
      const task = createTask(() => waitFor(inner, 0.1));
      await sleep(0.2);
      task.cancel();
      const res = await task.then(
        (v) => v,
        (err: unknown) => nameOf(err),
      );
      return [res, await inner, now()];
    });
    expect(out).toEqual([42, 42, 0.5]);
  });

  // test_wait_for_issue86296
  test('inner work that ends within one iteration does not hide an outside cancel', async () => {
    const out = await vrun(async () => {
      const inner = createTask(async () => 'done');
      let reachedEnd = false;
      const task = createTask(async () => {
        await waitFor(inner, 100);
        await sleep(1);
        reachedEnd = true;
      });
      const doneBefore = task.done();
      await sleep(0);
      task.cancel();
      const err = await raised(() => task);
      return [doneBefore, err instanceof CancelledError, inner.done(), await inner, reachedEnd];
    });
    expect(out).toEqual([false, true, true, 'done', false]);
  });

  // test_zero_timeout / test_none_timeout / test_shielded_timeout
  test('waitFor of a shield: timeout 0 or a short one cancels the shield only; null waits for the result', async () => {
    const out = await vrun(async () => {
      const task = createTask(() => sleep(0.01, 'done'));
      const shielded = shield(task);
      const e0 = await raised(() => waitFor(shielded, 0));
      const log: unknown[] = [nameOf(e0), task.done(), task.cancelled(), shielded.cancelled()];
      await sleep(0.1);
      log.push(task.done());
      const task2 = createTask(() => sleep(0.1, 'done'));
      log.push(await waitFor(shield(task2), null), task2.done());
      const task3 = createTask(() => sleep(0.1, 'done'));
      const e3 = await raised(() => waitFor(shield(task3), 0.01));
      log.push(nameOf(e3), task3.done(), task3.cancelled(), await task3);
      return log;
    });
    expect(out).toEqual([
      'TimeoutError',
      false,
      false,
      true,
      true,
      'done',
      true,
      'TimeoutError',
      false,
      false,
      'done',
    ]);
  });
});
