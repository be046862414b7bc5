import {
  CancelScope,
  Cancelled,
  CapacityLimiter,
  Condition,
  Event,
  Lock,
  RuntimeError,
  Semaphore,
  StrictFIFOLock,
  ValueError,
  WouldBlock,
  checkpoint,
  currentTask,
  currentTime,
  moveOnAfter,
  openNursery,
  sleep,
  type Task,
} from '@duet/trio';
import {
  assertCheckpoints,
  assertNoCheckpoints,
  trioTest,
  waitAllTasksBlocked,
} from '@duet/trio/testing';

describe('Event', () => {
  test(
    'set() wakes every waiter; later waits return at once',
    trioTest(async () => {
      const event = new Event();
      const log: string[] = [];
      await openNursery(async (n) => {
        for (const name of ['a', 'b', 'c']) {
          n.startSoon(async () => {
            await event.wait();
            log.push(`${name} at ${currentTime()}`);
          });
        }
        await waitAllTasksBlocked();
        expect(event.statistics()).toEqual({ tasksWaiting: 3 });
        await sleep(2);
        expect(event.isSet()).toBe(false);
        event.set();
        event.set(); // idempotent
        expect(event.isSet()).toBe(true);
        expect(event.statistics()).toEqual({ tasksWaiting: 0 });
      });
      expect(log).toEqual(['a at 2', 'b at 2', 'c at 2']);
    }),
  );

  test(
    'wait() on a set event is still a checkpoint (and a cancel point)',
    trioTest(async () => {
      const event = new Event();
      event.set();
      await assertCheckpoints(() => event.wait());
      await assertNoCheckpoints(() => event.set());
      const scope = new CancelScope();
      await scope.run(async (s) => {
        s.cancel();
        await event.wait();
      });
      expect(scope.cancelledCaught).toBe(true);
    }),
  );

  test(
    'a cancelled waiter leaves the queue',
    trioTest(async () => {
      const event = new Event();
      await moveOnAfter(1, () => event.wait());
      expect(event.statistics().tasksWaiting).toBe(0);
      expect(currentTime()).toBe(1);
    }),
  );
});

describe('Lock', () => {
  test(
    'acquire/release, locked(), statistics, and a checkpoint even when free',
    trioTest(async () => {
      const lock = new Lock();
      expect(lock.locked()).toBe(false);
      await assertCheckpoints(() => lock.acquire());
      expect(lock.locked()).toBe(true);
      expect(lock.statistics()).toEqual({ locked: true, owner: currentTask(), tasksWaiting: 0 });
      await assertNoCheckpoints(() => lock.release());
      expect(lock.statistics()).toEqual({ locked: false, owner: null, tasksWaiting: 0 });
      await assertNoCheckpoints(() => lock.acquireNowait());
      lock.release();
    }),
  );

  test(
    'misuse: re-acquiring is a RuntimeError; releasing a lock you do not hold is a RuntimeError',
    trioTest(async () => {
      const lock = new Lock();
      expect(() => lock.release()).toThrow(RuntimeError);
      await lock.acquire();
      expect(() => lock.acquireNowait()).toThrow(RuntimeError);
      await expect(lock.acquire()).rejects.toBeInstanceOf(RuntimeError);
      await openNursery(async (n) => {
        n.startSoon(async () => {
          expect(() => lock.release()).toThrow(/does not hold/);
          expect(() => lock.acquireNowait()).toThrow(WouldBlock);
        });
      });
      lock.release();
    }),
  );

  test(
    'waiters get the lock in FIFO order; release hands ownership directly to the next waiter',
    trioTest(async () => {
      const lock = new Lock();
      const log: string[] = [];
      const tasks = new Map<string, Task>();
      await lock.acquire();
      await openNursery(async (n) => {
        for (const name of ['a', 'b', 'c']) {
          n.startSoon(async () => {
            tasks.set(name, currentTask());
            await lock.acquire();
            log.push(`${name} acquired`);
            await sleep(1);
            lock.release();
          });
          await waitAllTasksBlocked(); // makes the arrival order a, b, c
        }
        expect(lock.statistics().tasksWaiting).toBe(3);
        lock.release();
        // 'a' owns the lock already, before it has even run.
        expect(lock.statistics().owner).toBe(tasks.get('a'));
        expect(() => lock.acquireNowait()).toThrow(WouldBlock);
      });
      expect(log).toEqual(['a acquired', 'b acquired', 'c acquired']);
      expect(currentTime()).toBe(3);
    }),
  );

  test(
    'fairness: a task that releases and re-acquires at once queues behind the waiter',
    trioTest(async () => {
      const lock = new Lock();
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          for (let i = 0; i < 3; i++) {
            await lock.acquire();
            log.push(`a${i}`);
            await checkpoint();
            lock.release();
          }
        });
        n.startSoon(async () => {
          for (let i = 0; i < 3; i++) {
            await lock.acquire();
            log.push(`b${i}`);
            await checkpoint();
            lock.release();
          }
        });
      });
      expect(log).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    }),
  );

  test(
    'a cancelled waiter does not get the lock and leaves the queue',
    trioTest(async () => {
      const lock = new Lock();
      const log: string[] = [];
      await lock.acquire();
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await moveOnAfter(1, async () => {
            await lock.acquire();
            log.push('unreachable');
          });
          log.push('first waiter gave up');
        });
        n.startSoon(async () => {
          await lock.acquire();
          log.push(`second waiter acquired at ${currentTime()}`);
          lock.release();
        });
        await sleep(2);
        expect(lock.statistics().tasksWaiting).toBe(1);
        lock.release();
      });
      expect(log).toEqual(['first waiter gave up', 'second waiter acquired at 2']);
    }),
  );

  test(
    'acquire in a cancelled scope raises even when the lock is free, and does not take it',
    trioTest(async () => {
      const lock = new Lock();
      await new CancelScope().run(async (s) => {
        s.cancel();
        await expect(lock.acquire()).rejects.toBeInstanceOf(Cancelled);
      });
      expect(lock.locked()).toBe(false);
    }),
  );

  test('a failing acquire rejects its promise (it never throws at the call), as an async call does', async () => {
    const outside = new Lock().acquire(); // outside run(): a rejection, not a throw
    await expect(outside).rejects.toBeInstanceOf(RuntimeError);
    await trioTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const again = lock.acquire();
      await expect(again).rejects.toThrow(/not re-entrant/);
      const limiter = new CapacityLimiter(2);
      await limiter.acquire();
      await expect(limiter.acquire()).rejects.toThrow(/already holding/);
      lock.release();
      limiter.release();
    })();
  });

  test(
    'hold() releases at the end of a using block, also on error',
    trioTest(async () => {
      const lock = new Lock();
      {
        using _held = await lock.hold();
        expect(lock.locked()).toBe(true);
      }
      expect(lock.locked()).toBe(false);
      await expect(
        (async () => {
          using _held = await lock.hold();
          throw new Error('inside');
        })(),
      ).rejects.toThrow('inside');
      expect(lock.locked()).toBe(false);
    }),
  );

  test(
    'StrictFIFOLock is a Lock with FIFO hand-over',
    trioTest(async () => {
      const lock = new StrictFIFOLock();
      expect(lock).toBeInstanceOf(Lock);
      const log: number[] = [];
      await lock.acquire();
      await openNursery(async (n) => {
        for (let i = 0; i < 5; i++) {
          n.startSoon(async () => {
            using _ = await lock.hold();
            log.push(i);
          });
        }
        await waitAllTasksBlocked();
        lock.release();
      });
      expect(log).toEqual([0, 1, 2, 3, 4]);
    }),
  );
});

describe('Semaphore', () => {
  test(
    'counts down, blocks at 0, wakes waiters FIFO, release passes straight to a waiter',
    trioTest(async () => {
      const sem = new Semaphore(2);
      const log: string[] = [];
      await openNursery(async (n) => {
        for (const name of ['a', 'b', 'c', 'd']) {
          n.startSoon(async () => {
            await sem.acquire();
            log.push(`${name}+${currentTime()}`);
            await sleep(1);
            sem.release();
          });
        }
        await waitAllTasksBlocked();
        expect(sem.value).toBe(0);
        expect(sem.statistics()).toEqual({ tasksWaiting: 2 });
      });
      expect(log).toEqual(['a+0', 'b+0', 'c+1', 'd+1']);
      expect(sem.value).toBe(2);
    }),
  );

  test(
    'acquireNowait, maxValue, and bad arguments',
    trioTest(async () => {
      const sem = new Semaphore(1, { maxValue: 1 });
      expect(sem.maxValue).toBe(1);
      expect(new Semaphore(0).maxValue).toBeNull();
      expect(() => sem.release()).toThrow(ValueError);
      sem.acquireNowait();
      expect(() => sem.acquireNowait()).toThrow(WouldBlock);
      sem.release();
      expect(sem.value).toBe(1);
      expect(() => new Semaphore(-1)).toThrow(ValueError);
      expect(() => new Semaphore(1.5)).toThrow(TypeError);
      expect(() => new Semaphore(3, { maxValue: 2 })).toThrow(ValueError);
    }),
  );

  test(
    'acquire is a checkpoint when it need not wait; cancelled waiters consume nothing',
    trioTest(async () => {
      const sem = new Semaphore(1);
      await assertCheckpoints(() => sem.acquire());
      await moveOnAfter(1, () => sem.acquire());
      expect(sem.statistics().tasksWaiting).toBe(0);
      sem.release();
      expect(sem.value).toBe(1);
      {
        using _ = await sem.hold();
        expect(sem.value).toBe(0);
      }
      expect(sem.value).toBe(1);
    }),
  );
});

describe('CapacityLimiter', () => {
  test(
    'tokens, borrowers and statistics',
    trioTest(async () => {
      const limiter = new CapacityLimiter(2);
      expect(limiter.totalTokens).toBe(2);
      expect(limiter.availableTokens).toBe(2);
      await assertCheckpoints(() => limiter.acquire());
      const borrower = { name: 'thread' };
      limiter.acquireOnBehalfOfNowait(borrower);
      expect(limiter.borrowedTokens).toBe(2);
      expect(limiter.availableTokens).toBe(0);
      expect(limiter.statistics()).toEqual({
        borrowedTokens: 2,
        totalTokens: 2,
        borrowers: [currentTask(), borrower],
        tasksWaiting: 0,
      });
      expect(() => limiter.acquireOnBehalfOfNowait({})).toThrow(WouldBlock);
      limiter.releaseOnBehalfOf(borrower);
      limiter.release();
      expect(limiter.borrowedTokens).toBe(0);
    }),
  );

  test(
    'misuse: a borrower acquiring twice, releasing without holding, bad totals',
    trioTest(async () => {
      const limiter = new CapacityLimiter(5);
      await limiter.acquire();
      await expect(limiter.acquire()).rejects.toBeInstanceOf(RuntimeError);
      expect(() => limiter.acquireNowait()).toThrow(RuntimeError);
      limiter.release();
      expect(() => limiter.release()).toThrow(RuntimeError);
      expect(() => limiter.releaseOnBehalfOf('nobody')).toThrow(RuntimeError);
      expect(() => new CapacityLimiter(0)).toThrow(ValueError);
      expect(() => new CapacityLimiter(1.5)).toThrow(TypeError);
      expect(() => {
        limiter.totalTokens = -1;
      }).toThrow(ValueError);
      expect(new CapacityLimiter(Infinity).availableTokens).toBe(Infinity);
    }),
  );

  test(
    'waiters are served FIFO as tokens come back',
    trioTest(async () => {
      const limiter = new CapacityLimiter(1);
      const log: string[] = [];
      await openNursery(async (n) => {
        for (const name of ['a', 'b', 'c']) {
          n.startSoon(async () => {
            using _ = await limiter.hold();
            log.push(`${name}@${currentTime()}`);
            await sleep(1);
          });
        }
      });
      expect(log).toEqual(['a@0', 'b@1', 'c@2']);
    }),
  );

  test(
    'raising totalTokens wakes waiters at once; lowering takes nothing back',
    trioTest(async () => {
      const limiter = new CapacityLimiter(1);
      const log: string[] = [];
      await limiter.acquire();
      await openNursery(async (n) => {
        for (const name of ['a', 'b', 'c']) {
          n.startSoon(async () => {
            await limiter.acquire();
            log.push(name);
          });
        }
        await waitAllTasksBlocked();
        expect(limiter.statistics().tasksWaiting).toBe(3);
        limiter.totalTokens = 3;
        expect(limiter.borrowedTokens).toBe(3);
        expect(limiter.statistics().tasksWaiting).toBe(1);
        await waitAllTasksBlocked();
        expect(log).toEqual(['a', 'b']);
        limiter.totalTokens = 1;
        expect(limiter.availableTokens).toBe(-2);
        expect(limiter.borrowedTokens).toBe(3);
        limiter.release(); // 2 borrowed, still over capacity: c keeps waiting
        await waitAllTasksBlocked();
        expect(log).toEqual(['a', 'b']);
        limiter.totalTokens = 3;
      });
      expect(log).toEqual(['a', 'b', 'c']);
    }),
  );

  test(
    'acquireOnBehalfOf waits and a cancelled wait leaves no trace',
    trioTest(async () => {
      const limiter = new CapacityLimiter(1);
      const worker = { id: 1 };
      limiter.acquireOnBehalfOfNowait('other');
      await moveOnAfter(1, () => limiter.acquireOnBehalfOf(worker));
      expect(limiter.statistics().tasksWaiting).toBe(0);
      limiter.releaseOnBehalfOf('other');
      await limiter.acquireOnBehalfOf(worker);
      expect(limiter.statistics().borrowers).toEqual([worker]);
      limiter.releaseOnBehalfOf(worker);
    }),
  );
});

describe('Condition', () => {
  test(
    'wait and notify need the lock',
    trioTest(async () => {
      const cond = new Condition();
      await expect(cond.wait()).rejects.toBeInstanceOf(RuntimeError);
      expect(() => cond.notify()).toThrow(RuntimeError);
      expect(() => cond.notifyAll()).toThrow(RuntimeError);
      expect(() => new Condition({} as Lock)).toThrow(TypeError);
    }),
  );

  test(
    'notify(n) wakes the oldest waiters, each returning with the lock, in FIFO order',
    trioTest(async () => {
      const lock = new Lock();
      const cond = new Condition(lock);
      const log: string[] = [];
      await openNursery(async (n) => {
        for (const name of ['a', 'b', 'c']) {
          n.startSoon(async () => {
            using _ = await cond.hold();
            await cond.wait();
            expect(lock.statistics().owner).toBe(currentTask());
            log.push(`${name}@${currentTime()}`);
            await sleep(1);
          });
        }
        await waitAllTasksBlocked();
        expect(cond.statistics()).toEqual({
          tasksWaiting: 3,
          lockStatistics: { locked: false, owner: null, tasksWaiting: 0 },
        });
        await cond.acquire();
        cond.notify(2);
        expect(cond.statistics().tasksWaiting).toBe(1);
        expect(cond.statistics().lockStatistics.tasksWaiting).toBe(2);
        await sleep(5); // the woken tasks cannot run until the lock is released
        expect(log).toEqual([]);
        cond.release();
        await sleep(10);
        expect(log).toEqual(['a@5', 'b@6']);
        await cond.acquire();
        cond.notifyAll();
        cond.release();
      });
      expect(log).toEqual(['a@5', 'b@6', 'c@15']);
    }),
  );

  test(
    'a cancelled wait re-acquires the lock before raising',
    trioTest(async () => {
      const cond = new Condition();
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await cond.acquire();
          const scope = moveOnAfter(1);
          await scope.run(async () => {
            try {
              await cond.wait();
            } catch (err) {
              log.push(
                `wait raised ${(err as Error).name}, holding=${cond.locked()} at ${currentTime()}`,
              );
              throw err;
            }
          });
          expect(scope.cancelledCaught).toBe(true);
          cond.release();
        });
        await waitAllTasksBlocked();
        // the main task takes the lock so the cancelled waiter must wait for it
        await cond.acquire();
        await sleep(3);
        cond.release();
      });
      expect(log).toEqual(['wait raised Cancelled, holding=true at 3']);
    }),
  );

  test(
    'wait is a checkpoint; notify/notifyAll/release are not',
    trioTest(async () => {
      const cond = new Condition();
      await assertCheckpoints(() => cond.acquire());
      await assertNoCheckpoints(() => cond.notify());
      await assertNoCheckpoints(() => cond.notifyAll());
      await assertCheckpoints(() => moveOnAfter(1, () => cond.wait()));
      expect(cond.locked()).toBe(true);
      cond.release();
      expect(() => cond.acquireNowait()).not.toThrow();
      cond.release();
    }),
  );
  test(
    'a notified waiter cancelled while queued for the lock still returns holding it, then raises',
    trioTest(async () => {
      const cond = new Condition();
      const log: string[] = [];
      const scope = new CancelScope();
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await cond.acquire();
          await scope.run(async () => {
            try {
              await cond.wait();
            } catch (err) {
              log.push(
                `${(err as Error).name}, holding=${cond.statistics().lockStatistics.owner === currentTask()}`,
              );
              throw err;
            }
          });
          cond.release();
        });
        await waitAllTasksBlocked();
        await cond.acquire();
        cond.notify();
        // the waiter now queues for the lock; cancel it there
        scope.cancel();
        await sleep(1);
        expect(log).toEqual([]);
        cond.release();
      });
      expect(log).toEqual(['Cancelled, holding=true']);
      expect(cond.locked()).toBe(false);
    }),
  );
});
