// Synchronisation behaviours that Trio's own suite checks (trio/_tests/test_sync.py: Event,
// CapacityLimiter, Semaphore, Lock, StrictFIFOLock, Condition, and the generic lock tests run on
// every lock-like object, including locks made of memory channels), written afresh for Duet.
import {
  BrokenResourceError,
  CancelScope,
  CapacityLimiter,
  Condition,
  Event,
  ExceptionGroup,
  Lock,
  RuntimeError,
  Semaphore,
  StrictFIFOLock,
  ValueError,
  WouldBlock,
  checkpoint,
  currentTask,
  openMemoryChannel,
  openNursery,
  sleepForever,
  type Task,
} from '@duet/trio';
import { assertCheckpoints, trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

describe('Event', () => {
  test(
    'set() wakes every waiter; wait() on a set event still checkpoints',
    trioTest(async () => {
      let e = new Event();
      expect(e.isSet()).toBe(false);
      expect(e.statistics().tasksWaiting).toBe(0);
      e.set();
      expect(e.isSet()).toBe(true);
      await assertCheckpoints(() => e.wait());

      e = new Event();
      const record: string[] = [];
      const child = async (): Promise<void> => {
        record.push('sleeping');
        await e.wait();
        record.push('woken');
      };
      await openNursery(async (nursery) => {
        nursery.startSoon(child);
        nursery.startSoon(child);
        await waitAllTasksBlocked();
        expect(record).toEqual(['sleeping', 'sleeping']);
        expect(e.statistics().tasksWaiting).toBe(2);
        e.set();
        await waitAllTasksBlocked();
        expect(record).toEqual(['sleeping', 'sleeping', 'woken', 'woken']);
      });
    }),
  );
});

describe('CapacityLimiter', () => {
  test(
    'tokens, borrowers, re-acquiring, borrowing for others, and fairness',
    trioTest(async () => {
      expect(() => new CapacityLimiter(1.5)).toThrow(TypeError);
      expect(() => new CapacityLimiter(-1)).toThrow(ValueError);
      expect(() => new CapacityLimiter(-1)).toThrow(/^totalTokens must be >= 1$/);
      const c = new CapacityLimiter(2);
      expect([c.totalTokens, c.borrowedTokens, c.availableTokens]).toEqual([2, 0, 2]);
      expect(() => c.release()).toThrow(RuntimeError);
      expect(c.borrowedTokens).toBe(0);
      c.acquireNowait();
      expect([c.borrowedTokens, c.availableTokens]).toEqual([1, 1]);
      const stats = c.statistics();
      expect(stats.borrowedTokens).toBe(1);
      expect(stats.totalTokens).toBe(2);
      expect(stats.borrowers).toEqual([currentTask()]);
      expect(stats.tasksWaiting).toBe(0);

      // A borrower holds at most one token.
      expect(() => c.acquireNowait()).toThrow(RuntimeError);
      expect(c.borrowedTokens).toBe(1);
      await expect(c.acquire()).rejects.toBeInstanceOf(RuntimeError);
      expect(c.borrowedTokens).toBe(1);

      await assertCheckpoints(() => c.acquireOnBehalfOf('someone'));
      expect(c.borrowedTokens).toBe(2);
      expect(() => c.acquireOnBehalfOfNowait('third party')).toThrow(WouldBlock);
      expect(new Set(c.statistics().borrowers)).toEqual(new Set([currentTask(), 'someone']));
      c.releaseOnBehalfOf(currentTask());
      expect(c.statistics().borrowers).toEqual(['someone']);
      c.releaseOnBehalfOf('someone');
      expect(c.borrowedTokens).toBe(0);
      await assertCheckpoints(async () => {
        using _held = await c.hold();
        expect(c.borrowedTokens).toBe(1);
      });

      await openNursery(async (nursery) => {
        await c.acquireOnBehalfOf('value 1');
        await c.acquireOnBehalfOf('value 2');
        nursery.startSoon(() => c.acquireOnBehalfOf('value 3'));
        await waitAllTasksBlocked();
        expect(c.borrowedTokens).toBe(2);
        expect(c.statistics().tasksWaiting).toBe(1);
        c.releaseOnBehalfOf('value 2');
        // Fairness: the token went to the waiter, not back to the pool.
        expect(c.borrowedTokens).toBe(2);
        expect(() => c.acquireNowait()).toThrow(WouldBlock);
      });
      c.releaseOnBehalfOf('value 3');
      c.releaseOnBehalfOf('value 1');
    }),
  );

  test(
    'an Infinity limiter never runs out',
    trioTest(() => {
      const c = new CapacityLimiter(Infinity);
      expect([c.totalTokens, c.borrowedTokens, c.availableTokens]).toEqual([Infinity, 0, Infinity]);
      expect(() => c.release()).toThrow(RuntimeError);
      c.acquireNowait();
      expect([c.borrowedTokens, c.availableTokens]).toEqual([1, Infinity]);
    }),
  );

  test(
    'raising totalTokens wakes waiters at once; lowering it takes nothing back',
    trioTest(async () => {
      const c = new CapacityLimiter(2);
      expect(() => (c.totalTokens = 1.5)).toThrow(TypeError);
      expect(() => (c.totalTokens = 0)).toThrow(ValueError);
      expect(() => (c.totalTokens = 0)).toThrow(/^totalTokens must be >= 1$/);
      expect(() => (c.totalTokens = -10)).toThrow(/^totalTokens must be >= 1$/);
      expect(c.totalTokens).toBe(2);
      await openNursery(async (nursery) => {
        for (let i = 0; i < 5; i++) {
          nursery.startSoon(() => c.acquireOnBehalfOf(i));
          await waitAllTasksBlocked();
        }
        expect(new Set(c.statistics().borrowers)).toEqual(new Set([0, 1]));
        expect(c.statistics().tasksWaiting).toBe(3);
        c.totalTokens += 2;
        expect(new Set(c.statistics().borrowers)).toEqual(new Set([0, 1, 2, 3]));
        expect(c.statistics().tasksWaiting).toBe(1);
        c.totalTokens -= 3;
        expect(c.borrowedTokens).toBe(4);
        expect(c.totalTokens).toBe(1);
        // As Trio's: total minus borrowed, so below 0 while over capacity.
        expect(c.availableTokens).toBe(-3);
        c.releaseOnBehalfOf(0);
        c.releaseOnBehalfOf(1);
        c.releaseOnBehalfOf(2);
        expect(c.statistics().borrowers).toEqual([3]);
        expect(c.statistics().tasksWaiting).toBe(1);
        c.releaseOnBehalfOf(3);
        expect(c.statistics().borrowers).toEqual([4]);
        expect(c.statistics().tasksWaiting).toBe(0);
      });
    }),
  );

  test(
    'a cancelled acquire leaves nothing behind: the next release goes to the pool',
    trioTest(async () => {
      const limiter = new CapacityLimiter(1);
      await limiter.acquire();
      await openNursery(async (n) => {
        n.startSoon(() => limiter.acquire());
        n.startSoon(() => limiter.acquireOnBehalfOf('someone'));
        await waitAllTasksBlocked();
        n.cancelScope.cancel();
      });
      expect(limiter.statistics().tasksWaiting).toBe(0);
      limiter.release();
      expect(limiter.statistics().borrowers).toEqual([]);
      limiter.acquireOnBehalfOfNowait('someone');
      expect(limiter.statistics().borrowers).toEqual(['someone']);
    }),
  );
});

describe('Semaphore', () => {
  test(
    'value, acquire/release, hold, and fairness',
    trioTest(async () => {
      expect(() => new Semaphore(1.5)).toThrow(TypeError);
      expect(() => new Semaphore(-1)).toThrow(ValueError);
      expect(() => new Semaphore(-1)).toThrow(/^initial value must be >= 0$/);
      const s = new Semaphore(1);
      expect(s.value).toBe(1);
      expect(s.maxValue).toBeNull();
      s.release();
      expect(s.value).toBe(2);
      expect(s.statistics().tasksWaiting).toBe(0);
      s.acquireNowait();
      expect(s.value).toBe(1);
      await assertCheckpoints(() => s.acquire());
      expect(s.value).toBe(0);
      expect(() => s.acquireNowait()).toThrow(WouldBlock);
      s.release();
      expect(s.value).toBe(1);
      await assertCheckpoints(async () => {
        using _held = await s.hold();
        expect(s.value).toBe(0);
      });
      expect(s.value).toBe(1);
      s.acquireNowait();

      const record: string[] = [];
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          record.push('started');
          await s.acquire();
          record.push('finished');
        });
        await waitAllTasksBlocked();
        expect(record).toEqual(['started']);
        expect(s.value).toBe(0);
        s.release();
        // Fairness: the waiter got it.
        expect(s.value).toBe(0);
        expect(() => s.acquireNowait()).toThrow(WouldBlock);
      });
      expect(record).toEqual(['started', 'finished']);
    }),
  );

  test(
    'a bounded semaphore refuses to go above maxValue',
    trioTest(() => {
      expect(() => new Semaphore(1, { maxValue: 1.5 })).toThrow(TypeError);
      expect(() => new Semaphore(2, { maxValue: 1 })).toThrow(ValueError);
      expect(() => new Semaphore(2, { maxValue: 1 })).toThrow(/^maxValue must be >= initialValue$/);
      // Trio compares the bound with the initial value first, so a negative bound says the same.
      expect(() => new Semaphore(0, { maxValue: -1 })).toThrow(
        /^maxValue must be >= initialValue$/,
      );
      const bs = new Semaphore(1, { maxValue: 1 });
      expect(bs.maxValue).toBe(1);
      expect(() => bs.release()).toThrow(ValueError);
      expect(() => bs.release()).toThrow(/^semaphore released too many times$/);
      expect(bs.value).toBe(1);
      bs.acquireNowait();
      expect(bs.value).toBe(0);
      bs.release();
      expect(bs.value).toBe(1);
    }),
  );
});

describe.each([
  ['Lock', () => new Lock()],
  ['StrictFIFOLock', () => new StrictFIFOLock()],
])('%s', (_name, make) => {
  test(
    'ownership, errors, statistics, and a holder cancelled away',
    trioTest(async () => {
      const l = make();
      expect(l.locked()).toBe(false);
      await assertCheckpoints(async () => {
        using _held = await l.hold();
        expect(l.locked()).toBe(true);
      });
      expect(l.locked()).toBe(false);
      l.acquireNowait();
      expect(l.locked()).toBe(true);
      l.release();
      expect(l.locked()).toBe(false);
      await assertCheckpoints(() => l.acquire());
      expect(l.locked()).toBe(true);
      l.release();

      l.acquireNowait();
      expect(() => l.acquireNowait()).toThrow(RuntimeError); // already ours
      l.release();
      expect(() => l.release()).toThrow(RuntimeError); // not ours

      let holderTask: Task | undefined;
      const holder = async (): Promise<void> => {
        holderTask = currentTask();
        using _held = await l.hold();
        await sleepForever();
      };
      await openNursery(async (nursery) => {
        expect(l.locked()).toBe(false);
        nursery.startSoon(holder);
        await waitAllTasksBlocked();
        expect(l.locked()).toBe(true);
        expect(() => l.acquireNowait()).toThrow(WouldBlock);
        expect(() => l.release()).toThrow(RuntimeError);
        let stats = l.statistics();
        expect(stats.locked).toBe(true);
        expect(stats.owner).toBe(holderTask);
        expect(stats.tasksWaiting).toBe(0);
        nursery.startSoon(holder);
        await waitAllTasksBlocked();
        stats = l.statistics();
        expect(stats.tasksWaiting).toBe(1);
        nursery.cancelScope.cancel();
      });
      const stats = l.statistics();
      expect(stats.locked).toBe(false);
      expect(stats.owner).toBeNull();
      expect(stats.tasksWaiting).toBe(0);
    }),
  );
});

describe('a Lock whose owner exits without releasing it', () => {
  // Trio >= 0.27 (issue 3035): the lock is broken; waiters and later acquirers get
  // BrokenResourceError instead of waiting forever.
  test(
    'a later acquire raises BrokenResourceError naming the owner; acquireNowait would block',
    trioTest(async () => {
      const lock = new Lock();
      let owner: Task | undefined;
      await openNursery((nursery) => {
        nursery.startSoon(async () => {
          owner = currentTask();
          await lock.acquire();
        });
      });
      await expect(lock.acquire()).rejects.toThrow(BrokenResourceError);
      await expect(lock.acquire()).rejects.toThrow(
        `Owner of this lock exited without releasing: ${String(owner)}`,
      );
      expect(() => lock.acquireNowait()).toThrow(WouldBlock);
      expect(lock.locked()).toBe(true);
      expect(lock.statistics().owner).toBe(owner);
    }),
  );

  test(
    'a task waiting for the lock when its owner exits gets BrokenResourceError',
    trioTest(async () => {
      const lock = new Lock();
      const err = await openNursery((nursery) => {
        nursery.startSoon(() => lock.acquire());
        nursery.startSoon(() => lock.acquire());
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ExceptionGroup);
      const errors = (err as ExceptionGroup).exceptions;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(BrokenResourceError);
      expect((errors[0] as Error).message).toMatch(
        /^Owner of this lock exited without releasing: /,
      );
      expect(lock.statistics().tasksWaiting).toBe(0);
    }),
  );

  test(
    'the lock handed over on release belongs to the new owner, whose exit breaks it',
    trioTest(async () => {
      const lock = new Lock();
      let child: Task | undefined;
      lock.acquireNowait();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          child = currentTask();
          await lock.acquire();
        });
        await waitAllTasksBlocked();
        lock.release(); // to the child, which exits holding it
      });
      await expect(lock.acquire()).rejects.toThrow(
        `Owner of this lock exited without releasing: ${String(child)}`,
      );
    }),
  );

  test(
    'an owner that released before exiting leaves the lock usable',
    trioTest(async () => {
      const lock = new Lock();
      await openNursery((nursery) => {
        nursery.startSoon(async () => {
          using _held = await lock.hold();
        });
      });
      await lock.acquire();
      lock.release();
      expect(lock.locked()).toBe(false);
    }),
  );

  test(
    'a Condition waiter queued for the lock of an owner that exits gets BrokenResourceError',
    trioTest(async () => {
      const cond = new Condition();
      let waitError: unknown;
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await cond.acquire();
          try {
            await cond.wait();
          } catch (err) {
            waitError = err;
          }
        });
        await waitAllTasksBlocked();
        nursery.startSoon(async () => {
          await cond.acquire();
          cond.notify(); // the waiter now queues for the lock, which this task keeps
        });
      });
      expect(waitError).toBeInstanceOf(BrokenResourceError);
    }),
  );
});

describe('Condition', () => {
  test(
    'takes only a Lock; wait and notify need the lock held',
    trioTest(async () => {
      expect(() => new Condition(new Semaphore(1) as unknown as Lock)).toThrow(TypeError);
      expect(() => new Condition(StrictFIFOLock as unknown as Lock)).toThrow(TypeError);
      const l = new Lock();
      let c = new Condition(l);
      expect(l.locked()).toBe(false);
      expect(c.locked()).toBe(false);
      await assertCheckpoints(() => c.acquire());
      expect(l.locked()).toBe(true);
      expect(c.locked()).toBe(true);

      c = new Condition();
      expect(c.locked()).toBe(false);
      c.acquireNowait();
      expect(c.locked()).toBe(true);
      expect(() => c.acquireNowait()).toThrow(RuntimeError);
      c.release();
      await expect(c.wait()).rejects.toBeInstanceOf(RuntimeError);
      expect(() => c.notify()).toThrow(RuntimeError);
      expect(() => c.notifyAll()).toThrow(RuntimeError);
    }),
  );

  test(
    'notify wakes one, notify(n) n, notifyAll the rest; woken waiters queue for the lock',
    trioTest(async () => {
      const c = new Condition();
      let finished = new Set<number>();
      const waiter = async (i: number): Promise<void> => {
        {
          using _held = await c.hold();
          await c.wait();
        }
        finished.add(i);
      };
      await openNursery(async (nursery) => {
        for (let i = 0; i < 3; i++) {
          nursery.startSoon(waiter, i);
          await waitAllTasksBlocked();
        }
        {
          using _held = await c.hold();
          c.notify();
        }
        expect(c.locked()).toBe(true); // handed to the woken waiter
        await waitAllTasksBlocked();
        expect(finished).toEqual(new Set([0]));
        {
          using _held = await c.hold();
          c.notifyAll();
        }
        await waitAllTasksBlocked();
        expect(finished).toEqual(new Set([0, 1, 2]));
      });

      finished = new Set();
      await openNursery(async (nursery) => {
        for (let i = 0; i < 3; i++) {
          nursery.startSoon(waiter, i);
          await waitAllTasksBlocked();
        }
        {
          using _held = await c.hold();
          c.notify(2);
          const stats = c.statistics();
          expect(stats.tasksWaiting).toBe(1);
          expect(stats.lockStatistics.tasksWaiting).toBe(2);
        }
        // Releasing handed the lock to the first woken task.
        expect(c.statistics().lockStatistics.tasksWaiting).toBe(1);
        await waitAllTasksBlocked();
        expect(finished).toEqual(new Set([0, 1]));
        using _held = await c.hold();
        c.notifyAll();
      });
    }),
  );

  test(
    'a cancelled wait still returns holding the lock',
    trioTest(async () => {
      const c = new Condition();
      let lockedAfter: boolean | undefined;
      await new CancelScope().run(async (scope) => {
        using _held = await c.hold();
        scope.cancel();
        try {
          await c.wait();
        } finally {
          lockedAfter = c.locked();
        }
      });
      expect(lockedAfter).toBe(true);
      expect(c.locked()).toBe(false);
    }),
  );
});

// ---- the generic lock tests --------------------------------------------------------------------

interface LockLike {
  acquire(): Promise<void>;
  acquireNowait(): void;
  release(): void;
}

/** A lock made of a channel with room for `capacity`: holding it is a value in the buffer. */
function bufferLock(capacity: number): LockLike {
  const [tx, rx] = openMemoryChannel<null>(capacity);
  for (let i = 0; i < capacity - 1; i++) tx.sendNowait(null);
  return {
    acquire: () => tx.send(null),
    acquireNowait: () => tx.sendNowait(null),
    release: () => rx.receiveNowait(),
  };
}

/** A lock made of one token passed around a channel: holding it is having received the token. */
function tokenLock(): LockLike {
  const [tx, rx] = openMemoryChannel<null>(10);
  tx.sendNowait(null);
  return {
    acquire: async () => {
      await rx.receive();
    },
    acquireNowait: () => {
      rx.receiveNowait();
    },
    release: () => tx.sendNowait(null),
  };
}

/** A lock made of a rendezvous channel: a waiter blocks in send until a release receives it. */
function handoffLock(): LockLike {
  const [tx, rx] = openMemoryChannel<null>(0);
  let held = false;
  return {
    async acquire() {
      if (held) {
        await tx.send(null);
      } else {
        held = true;
        await checkpoint();
      }
    },
    acquireNowait() {
      if (held) throw new WouldBlock('held');
      held = true;
    },
    release() {
      try {
        rx.receiveNowait();
      } catch (err) {
        if (!(err instanceof WouldBlock)) throw err;
        held = false;
      }
    },
  };
}

const lockFactories: [string, () => LockLike][] = [
  ['CapacityLimiter(1)', () => new CapacityLimiter(1)],
  ['Semaphore(1)', () => new Semaphore(1)],
  ['Lock', () => new Lock()],
  ['StrictFIFOLock', () => new StrictFIFOLock()],
  ['buffer channel lock (10)', () => bufferLock(10)],
  ['buffer channel lock (1)', () => bufferLock(1)],
  ['token channel lock', tokenLock],
  ['hand-off channel lock', handoffLock],
];

describe.each(lockFactories)('generic lock: %s', (_name, make) => {
  test(
    'one task at a time in the critical section',
    trioTest(async () => {
      const LOOPS = 10;
      const WORKERS = 5;
      let inside = false;
      let acquires = 0;
      const lock = make();
      const worker = async (): Promise<void> => {
        for (let i = 0; i < LOOPS; i++) {
          await lock.acquire();
          try {
            acquires++;
            expect(inside).toBe(false);
            inside = true;
            await checkpoint();
            await checkpoint();
            expect(inside).toBe(true);
            inside = false;
          } finally {
            lock.release();
          }
        }
      };
      await openNursery((nursery) => {
        for (let i = 0; i < WORKERS; i++) nursery.startSoon(worker);
      });
      expect(inside).toBe(false);
      expect(acquires).toBe(LOOPS * WORKERS);
    }),
  );

  test(
    'waiters get the lock in the order they first asked, round after round',
    trioTest(async () => {
      const initialOrder: number[] = [];
      const record: number[] = [];
      const LOOPS = 5;
      const lock = make();
      const loopy = async (name: number): Promise<void> => {
        initialOrder.push(name);
        for (let i = 0; i < LOOPS; i++) {
          await lock.acquire();
          record.push(name);
          lock.release();
        }
      };
      await openNursery((nursery) => {
        for (const name of [1, 2, 3]) nursery.startSoon(loopy, name);
      });
      for (let i = 0; i < LOOPS; i++) expect(record.slice(3 * i, 3 * i + 3)).toEqual(initialOrder);
    }),
  );

  test(
    'acquireNowait blocks a later acquire until release',
    trioTest(async () => {
      const lock = make();
      const record: string[] = [];
      await openNursery(async (nursery) => {
        lock.acquireNowait();
        nursery.startSoon(async () => {
          record.push('started');
          await lock.acquire();
          lock.release();
          record.push('finished');
        });
        await waitAllTasksBlocked();
        expect(record).toEqual(['started']);
        lock.release();
      });
      expect(record).toEqual(['started', 'finished']);
    }),
  );
});
