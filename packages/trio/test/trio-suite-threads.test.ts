// `toThread` behaviours that Trio's own suite checks (trio/_tests/test_threads.py: results and
// errors, cancellation before and during the call, limiters, custom limiters, a limiter whose
// release fails, async functions), written afresh for Duet's worker threads.
import {
  CancelScope,
  CapacityLimiter,
  checkpoint,
  openNursery,
  run,
  toThread,
  currentDefaultThreadLimiter,
} from '@duet/trio';
import { waitAllTasksBlocked } from '@duet/trio/testing';

/** Blocks the worker for `ms` real milliseconds. */
function block(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}

describe('toThread.runSync', () => {
  test('the function runs on another thread; its result and its error come back', async () => {
    await run(async () => {
      // Runs in the worker, where `require` is a global (the function is sent as source).
      const threadId = (x: number): [number, number] => {
        const load = (globalThis as unknown as { require: (m: string) => unknown }).require;
        return [x, (load('node:worker_threads') as { threadId: number }).threadId];
      };
      const [x, id] = await toThread.runSync(threadId, 1);
      expect(x).toBe(1);
      expect(id).not.toBe(0); // 0 is the main thread
      await expect(
        toThread.runSync(() => {
          throw new RangeError('from the worker');
        }),
      ).rejects.toMatchObject({ name: 'RangeError', message: 'from the worker' });
    });
  });

  test('cancelled before it starts: the function never runs, and the scope catches it', async () => {
    await run(async () => {
      const limiter = new CapacityLimiter(1);
      const scope = new CancelScope();
      scope.cancel();
      let reached = false;
      await scope.run(async () => {
        await toThread.runSync({ limiter }, block, 1000);
        reached = true;
      });
      expect(reached).toBe(false);
      expect(scope.cancelledCaught).toBe(true);
      expect(limiter.borrowedTokens).toBe(0);
    });
  });

  test('without abandonOnCancel a cancel waits for the function; with it the task leaves at once', async () => {
    await run(async () => {
      const record: string[] = [];
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          record.push('start');
          try {
            await toThread.runSync(block, 200);
          } finally {
            record.push('exit');
          }
        });
        await waitAllTasksBlocked();
        nursery.cancelScope.cancel();
        await new CancelScope({ shield: true }).run(async () => {
          for (let i = 0; i < 10; i++) await checkpoint();
        });
        expect(record).toEqual(['start']); // still running
      });
      expect(record).toEqual(['start', 'exit']);

      const limiter = new CapacityLimiter(1);
      const t0 = Date.now();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await toThread.runSync({ abandonOnCancel: true, limiter }, block, 300);
        });
        await waitAllTasksBlocked();
        nursery.cancelScope.cancel();
      });
      expect(Date.now() - t0).toBeLessThan(250);
      expect(limiter.borrowedTokens).toBe(1); // the worker still holds its token
    });
  });

  test('a limiter of MAX lets MAX calls run at once, the default limiter too', async () => {
    // Runs in the worker: counts the calls running at once in shared memory.
    function counted(shared: SharedArrayBuffer): void {
      const state = new Int32Array(shared); // [running, highWater, ran]
      const now = Atomics.add(state, 0, 1) + 1;
      for (;;) {
        const high = Atomics.load(state, 1);
        if (now <= high || Atomics.compareExchange(state, 1, high, now) === high) break;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60);
      Atomics.add(state, 2, 1);
      Atomics.sub(state, 0, 1);
    }
    for (const useDefault of [false, true]) {
      await run(async () => {
        const MAX = 2;
        const limiter = useDefault ? currentDefaultThreadLimiter() : new CapacityLimiter(MAX);
        if (useDefault) limiter.totalTokens = MAX;
        const options = useDefault ? {} : { limiter };
        const shared = new SharedArrayBuffer(12);
        await openNursery(async (nursery) => {
          for (let i = 0; i < 2 * MAX; i++)
            nursery.startSoon(() => toThread.runSync(options, counted, shared));
          await waitAllTasksBlocked();
          expect(limiter.statistics().tasksWaiting).toBe(MAX);
        });
        expect(Array.from(new Int32Array(shared))).toEqual([0, MAX, 2 * MAX]);
        expect(limiter.borrowedTokens).toBe(0);
      });
    }
  });

  test('the limiter is held while the function runs and given back after', async () => {
    await run(async () => {
      const limiter = new CapacityLimiter(1);
      await openNursery(async (nursery) => {
        nursery.startSoon(() => toThread.runSync({ limiter }, block, 100));
        await waitAllTasksBlocked();
        expect(limiter.borrowedTokens).toBe(1);
        expect(limiter.statistics().borrowers).toHaveLength(1);
      });
      expect(limiter.borrowedTokens).toBe(0);
    });
  });

  test('a custom limiter: only acquireOnBehalfOf and releaseOnBehalfOf are called, with one borrower', async () => {
    await run(async () => {
      const record: string[] = [];
      let borrower: unknown = null;
      const custom = {
        async acquireOnBehalfOf(b: unknown): Promise<void> {
          record.push('acquire');
          borrower = b;
        },
        releaseOnBehalfOf(b: unknown): void {
          record.push('release');
          expect(b).toBe(borrower);
        },
      };
      expect(await toThread.runSync({ limiter: custom }, () => 7)).toBe(7);
      expect(record).toEqual(['acquire', 'release']);
    });
  });

  test('a limiter whose release fails: its error reaches the caller, after the function ran', async () => {
    await run(async () => {
      let record: string[] = [];
      const bad = {
        async acquireOnBehalfOf(): Promise<void> {
          record.push('acquire');
        },
        releaseOnBehalfOf(): void {
          record.push('release');
          throw new TypeError('bad release');
        },
      };
      await expect(toThread.runSync({ limiter: bad }, () => null)).rejects.toThrow('bad release');
      expect(record).toEqual(['acquire', 'release']);
      record = [];
      // The function's own error is replaced by the release's (as a `finally` that throws).
      await expect(
        toThread.runSync({ limiter: bad }, () => {
          throw new RangeError('key');
        }),
      ).rejects.toThrow('bad release');
      expect(record).toEqual(['acquire', 'release']);
    });
  });

  test('an async function is a TypeError: expected a sync function', async () => {
    await run(async () => {
      const limiter = new CapacityLimiter(1);
      await expect(toThread.runSync({ limiter }, async () => 1)).rejects.toThrow(
        /expected a sync function/,
      );
      expect(limiter.borrowedTokens).toBe(0);
    });
  });

  test('an argument that cannot be cloned fails the call and gives its token back; the pool still works', async () => {
    await run(async () => {
      const limiter = new CapacityLimiter(1);
      const unclonable = (): number => 2;
      await expect(
        toThread.runSync({ limiter }, (f: unknown) => f, unclonable),
      ).rejects.toMatchObject({
        name: 'DataCloneError',
      });
      expect(limiter.borrowedTokens).toBe(0);
      await expect(
        toThread.runSync({ limiter, callbacks: { cb: () => 1 } }, (f: unknown) => f, unclonable),
      ).rejects.toMatchObject({ name: 'DataCloneError' });
      expect(limiter.borrowedTokens).toBe(0);
      expect(await toThread.runSync({ limiter }, (x: number) => x + 1, 1)).toBe(2);
    });
  });

  test('the default limiter: 40 tokens, one per run', async () => {
    const first = await run(async () => {
      const l = currentDefaultThreadLimiter();
      expect(l).toBeInstanceOf(CapacityLimiter);
      expect(l.totalTokens).toBe(40);
      expect(currentDefaultThreadLimiter()).toBe(l);
      expect(toThread.currentDefaultThreadLimiter()).toBe(l);
      return l;
    });
    const second = await run(() => currentDefaultThreadLimiter());
    expect(second).not.toBe(first);
  });
});

describe('fromThread.checkCancelled', () => {
  /**
   * Runs in the worker: polls `fromThread.checkCancelled()` every 5 ms for up to `ms`; returns
   * how many polls it made, or rethrows the Cancelled (or, with `swallow`, returns -polls).
   */
  function poll(ms: number, swallow: boolean): number {
    const g = globalThis as unknown as { fromThread: { checkCancelled(): void } };
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let polls = 0;
    for (const end = Date.now() + ms; Date.now() < end; polls++) {
      try {
        g.fromThread.checkCancelled();
      } catch (error) {
        if (swallow) return -polls;
        throw error;
      }
      Atomics.wait(pause, 0, 0, 5);
    }
    return polls;
  }

  test('not cancelled: it returns, and the call its value', async () => {
    const polls = await run(() => toThread.runSync(poll, 30, false));
    expect(polls).toBeGreaterThan(0);
  });

  test('a call that is not abandoned stops at the next poll and the task raises its Cancelled', async () => {
    await run(async () => {
      const started = Date.now();
      let reached = false;
      const scope = new CancelScope();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await scope.run(async () => {
            await toThread.runSync(poll, 20_000, false);
            reached = true;
          });
        });
        // The worker is polling by now (or soon): cancel its task.
        await toThread.runSync(block, 100);
        scope.cancel();
      });
      expect(reached).toBe(false);
      expect(scope.cancelledCaught).toBe(true);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  test('the worker may catch it and return: the value comes back, the cancel lands at the next checkpoint', async () => {
    await run(async () => {
      const log: unknown[] = [];
      const scope = new CancelScope();
      await openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await scope.run(async () => {
            log.push(
              (await toThread.runSync(poll, 20_000, true)) <= 0 ? 'stopped early' : 'ran out',
            );
            await checkpoint();
            log.push('not reached');
          });
        });
        await toThread.runSync(block, 100);
        scope.cancel();
      });
      expect(log).toEqual(['stopped early']);
      expect(scope.cancelledCaught).toBe(true);
    });
  });
});
