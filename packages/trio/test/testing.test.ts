import { AssertionError } from 'node:assert';
import { KernelInternalError } from '@duet/kernel';
import {
  CancelScope,
  Cancelled,
  RuntimeError,
  TrioInternalError,
  checkpoint,
  checkpointIfCancelled,
  currentTime,
  moveOnAfter,
  openNursery,
  run,
  sleep,
  sleepForever,
  sleepUntil,
  type TaskStatus,
} from '@duet/trio';
import {
  Abort,
  ParkingLot,
  addInstrument,
  cancelShieldedCheckpoint,
  currentClock,
  currentRootTask,
  currentTask,
  dumpTaskTree,
  removeInstrument,
  reschedule,
  spawnSystemTask,
  waitTaskRescheduled,
  type Instrument,
  type Task,
} from '@duet/trio/lowlevel';
import {
  MockClock,
  Sequencer,
  assertCheckpoints,
  assertNoCheckpoints,
  trioTest,
  waitAllTasksBlocked,
} from '@duet/trio/testing';

describe('trioTest', () => {
  test(
    'runs the body on a fresh autojumping MockClock and passes it in',
    trioTest(async (clock) => {
      expect(clock).toBeInstanceOf(MockClock);
      expect(currentClock()).toBe(clock);
      expect(clock.autojumpThreshold).toBe(0);
      await sleep(3600);
      expect(currentTime()).toBe(3600);
    }),
  );

  const manual = new MockClock();
  test(
    'accepts a clock of its own',
    trioTest(
      async (clock) => {
        expect(clock).toBe(manual);
        clock.jump(5);
        expect(currentTime()).toBe(5);
        await sleepUntil(5);
      },
      { clock: manual },
    ),
  );

  test('returns a function whose promise rejects with the body error', async () => {
    await expect(
      trioTest(async () => {
        throw new Error('body');
      })(),
    ).rejects.toThrow('body');
  });
});

describe('Sequencer', () => {
  test(
    'blocks run in sequence order whatever order the tasks start in',
    trioTest(async () => {
      const seq = new Sequencer();
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await seq.run(2, () => log.push('t1 block 2'));
          await seq.run(4, () => log.push('t1 block 4'));
        });
        n.startSoon(async () => {
          await seq.run(1, async () => {
            await sleep(1);
            log.push('t2 block 1');
          });
          await seq.run(3, () => log.push('t2 block 3'));
        });
        n.startSoon(async () => {
          const v = await seq.run(0, () => {
            log.push('t3 block 0');
            return 'v';
          });
          expect(v).toBe('v');
        });
      });
      expect(log).toEqual(['t3 block 0', 't2 block 1', 't1 block 2', 't2 block 3', 't1 block 4']);
    }),
  );

  test(
    'reusing a position is a RuntimeError',
    trioTest(async () => {
      const seq = new Sequencer();
      await seq.run(0, () => undefined);
      await expect(seq.run(0, () => undefined)).rejects.toBeInstanceOf(RuntimeError);
    }),
  );

  test(
    'a cancelled wait breaks the sequence for everyone after it',
    trioTest(async () => {
      const seq = new Sequencer();
      const errors: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await moveOnAfter(1, () => seq.run(1, () => undefined)).catch((e: unknown) => {
            errors.push(`pos 1: ${(e as Error).message}`);
          });
        });
        n.startSoon(async () => {
          await seq
            .run(2, () => undefined)
            .catch((e: unknown) => errors.push(`pos 2: ${(e as Error).message}`));
        });
      });
      expect(errors).toEqual([
        'pos 1: a Sequencer wait was cancelled: the sequence is broken',
        'pos 2: the sequence is broken',
      ]);
    }),
  );
});

describe('assertCheckpoints / assertNoCheckpoints', () => {
  test(
    'pass and fail as they should',
    trioTest(async () => {
      await assertCheckpoints(() => checkpoint());
      // A schedule point alone is not a checkpoint (trio's test_assert_checkpoints).
      await expect(assertCheckpoints(() => cancelShieldedCheckpoint())).rejects.toBeInstanceOf(
        AssertionError,
      );
      await expect(assertCheckpoints(() => 1)).rejects.toBeInstanceOf(AssertionError);
      await expect(assertCheckpoints(async () => checkpointIfCancelled())).rejects.toBeInstanceOf(
        AssertionError,
      );
      await expect(assertNoCheckpoints(() => sleep(0))).rejects.toBeInstanceOf(AssertionError);
      expect(await assertNoCheckpoints(() => 'value')).toBe('value');
      expect(await assertCheckpoints(async () => (await checkpoint(), 'value'))).toBe('value');
    }),
  );

  test(
    "only the calling task's checkpoints count",
    trioTest(async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          for (let i = 0; i < 10; i++) await checkpoint();
        });
        await expect(assertCheckpoints(() => undefined)).rejects.toBeInstanceOf(AssertionError);
      });
    }),
  );

  test(
    'a Cancelled out of the block counts as a checkpoint; other errors propagate unchanged',
    trioTest(async () => {
      await new CancelScope().run(async (s) => {
        s.cancel();
        await expect(assertCheckpoints(async () => checkpointIfCancelled())).rejects.toBeInstanceOf(
          Cancelled,
        );
      });
      await expect(
        assertCheckpoints(() => {
          throw new Error('mine');
        }),
      ).rejects.toThrow('mine');
    }),
  );

  test(
    'every blocking call of the core checkpoints, whether or not it blocks',
    trioTest(async () => {
      await assertCheckpoints(() => sleep(0));
      await assertCheckpoints(() => sleep(1));
      await assertCheckpoints(() => sleepUntil(0));
      await assertCheckpoints(() => moveOnAfter(1, () => sleepForever()));
      await assertCheckpoints(() => waitAllTasksBlocked());
      await assertCheckpoints(() => openNursery(() => undefined));
      await assertCheckpoints(() =>
        openNursery((n) =>
          n.start(async (status: TaskStatus) => (await checkpoint(), status.started())),
        ),
      );
      // and each is a cancel point
      for (const wait of [
        () => sleep(0),
        () => sleep(1),
        () => sleepUntil(0),
        () => sleepForever(),
        () => checkpoint(),
      ]) {
        const scope = new CancelScope();
        await scope.run(async (s) => {
          s.cancel();
          await wait();
        });
        expect(scope.cancelledCaught).toBe(true);
      }
    }),
  );
});

describe('lowlevel', () => {
  test(
    'waitTaskRescheduled + reschedule: wake with a value or an error',
    trioTest(async () => {
      let parked!: Task;
      const results: unknown[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          parked = currentTask();
          results.push(await waitTaskRescheduled(() => Abort.SUCCEEDED));
          try {
            await waitTaskRescheduled(() => Abort.SUCCEEDED);
          } catch (err) {
            results.push((err as Error).message);
          }
        });
        await waitAllTasksBlocked();
        reschedule(parked, { ok: true, value: 'hello' });
        await waitAllTasksBlocked();
        reschedule(parked, { ok: false, error: new Error('bad news') });
      });
      expect(results).toEqual(['hello', 'bad news']);
    }),
  );

  test(
    'abort FAILED: cancellation waits for the owner to reschedule',
    trioTest(async () => {
      let parked!: Task;
      let raiseCalled = false;
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          parked = currentTask();
          await moveOnAfter(1, async () => {
            const v = await waitTaskRescheduled(() => {
              raiseCalled = true;
              return Abort.FAILED;
            });
            log.push(`woken with ${String(v)} at ${currentTime()}`);
            await checkpoint();
          });
          log.push('moved on');
        });
        await sleep(5);
        reschedule(parked, { ok: true, value: 'late' });
      });
      expect(raiseCalled).toBe(true);
      expect(log).toEqual(['woken with late at 5', 'moved on']);
    }),
  );

  test(
    'ParkingLot: FIFO unpark, unparkAll, repark, statistics',
    trioTest(async () => {
      const lot = new ParkingLot();
      const other = new ParkingLot();
      const log: string[] = [];
      await openNursery(async (n) => {
        for (const name of ['a', 'b', 'c', 'd']) {
          n.startSoon(async () => {
            await lot.park();
            log.push(name);
          });
        }
        await waitAllTasksBlocked();
        expect(lot.statistics()).toEqual({ tasksWaiting: 4 });
        lot.unpark();
        await waitAllTasksBlocked();
        lot.repark(other, 2);
        expect(lot.statistics().tasksWaiting).toBe(1);
        expect(other.statistics().tasksWaiting).toBe(2);
        lot.unparkAll();
        await waitAllTasksBlocked();
        other.unpark(2);
      });
      expect(log).toEqual(['a', 'd', 'b', 'c']);
    }),
  );

  test('spawnSystemTask runs beside the root task; the run cancels it and waits for it', async () => {
    const log: string[] = [];
    await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, async () => {
      spawnSystemTask(async () => {
        try {
          await sleepForever();
        } finally {
          log.push('system task cancelled');
        }
      });
      await sleep(1);
      expect(currentRootTask()).toBe(currentTask());
      log.push('root done');
    });
    expect(log).toEqual(['root done', 'system task cancelled']);
  });

  test('a failing system task ends the run with TrioInternalError', async () => {
    const err = await run(async () => {
      spawnSystemTask(async () => {
        throw new Error('system bug');
      });
      await sleepForever();
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrioInternalError);
    expect(err).toBeInstanceOf(KernelInternalError);
    expect(((err as Error).cause as Error).message).toBe('system bug');
  });

  test(
    'addInstrument / removeInstrument see task steps',
    trioTest(async () => {
      const seen: string[] = [];
      const me = currentTask();
      const instrument: Instrument = {
        beforeTaskStep: (t) => {
          if (t === me) seen.push('before');
        },
        afterTaskStep: (t) => {
          if (t === me) seen.push('after');
        },
      };
      addInstrument(instrument);
      await checkpoint();
      removeInstrument(instrument);
      await checkpoint();
      expect(seen).toEqual(['after', 'before']);
      expect(() => removeInstrument(instrument)).toThrow();
    }),
  );

  test(
    'dumpTaskTree shows tasks, nurseries and what they wait for',
    trioTest(async () => {
      let dump = '';
      await openNursery(async (n) => {
        n.startSoon(async function sleeper() {
          await sleep(10);
        });
        await waitAllTasksBlocked();
        dump = dumpTaskTree();
        n.cancelScope.cancel();
      });
      expect(dump).toMatch(/sleeper: parked on sleep until t=10/);
      expect(dump).toMatch(/nursery/);
    }),
  );
});
