import {
  Abort,
  CancelScope,
  Cancelled,
  ExceptionGroup,
  KernelInternalError,
  MockClock,
  ParkingLot,
  RuntimeError,
  ValueError,
  addInstrument,
  awaitForeign,
  checkpoint,
  currentRootTask,
  currentSignal,
  currentTask,
  currentTime,
  HostWait,
  formatTaskTree,
  isCancelled,
  openNursery,
  removeInstrument,
  reschedule,
  run,
  sleep,
  sleepForever,
  spawnSystemTask,
  taskTree,
  waitAllTasksBlocked,
  waitTaskRescheduled,
  type Instrument,
  type Task,
} from '@duet/kernel';

const autojump = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

function ourHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate')
    .length;
}

describe('awaitForeign and currentSignal', () => {
  test('resolves and rejects with the foreign outcome', async () => {
    await run(async () => {
      await expect(awaitForeign(Promise.resolve(7))).resolves.toBe(7);
      await expect(awaitForeign(Promise.reject(new Error('x')))).rejects.toThrow('x');
    });
  });

  test('a timeout abandons the wait, and a later rejection is not unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      let rejectLater!: (e: Error) => void;
      const foreign = new Promise<never>((_, reject) => {
        rejectLater = reject;
      });
      const caught = await run(async () => {
        const scope = new CancelScope({ relativeDeadline: 0.005 });
        await scope.run(() => awaitForeign(foreign));
        return scope.cancelledCaught;
      });
      expect(caught).toBe(true);
      rejectLater(new Error('late'));
      await new Promise((r) => setTimeout(r, 5));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('currentSignal aborts foreign work when the scope is cancelled', async () => {
    await run(async () => {
      const scope = new CancelScope();
      let aborted = false;
      await scope.run(async () => {
        const signal = currentSignal();
        signal.addEventListener('abort', () => {
          aborted = true;
        });
        scope.cancel();
      });
      expect(aborted).toBe(true);
    });
  });
});

describe('parking', () => {
  test('ParkingLot is FIFO and unpark(n) wakes the oldest n', async () => {
    const woke: number[] = [];
    await run(async () => {
      const lot = new ParkingLot();
      await openNursery(async (n) => {
        for (let i = 0; i < 4; i++) {
          n.startSoon(async () => {
            await lot.park();
            woke.push(i);
          });
        }
        await waitAllTasksBlocked();
        expect(lot.statistics()).toEqual({ tasksWaiting: 4 });
        expect(lot.unpark(2)).toHaveLength(2);
        await waitAllTasksBlocked();
        expect(woke).toEqual([0, 1]);
        const other = new ParkingLot();
        lot.repark(other, 1);
        expect(lot.size).toBe(1);
        expect(other.size).toBe(1);
        other.unparkAll();
        lot.unparkAll();
      });
    });
    expect(woke).toEqual([0, 1, 2, 3]);
    expect(() => new ParkingLot().unpark(-1)).toThrow(ValueError);
  });

  test('a cancelled parker leaves the lot', async () => {
    await run(autojump(), async () => {
      const lot = new ParkingLot();
      await new CancelScope({ relativeDeadline: 1 }).run(() => lot.park());
      expect(lot.size).toBe(0);
    });
  });

  test('waitTaskRescheduled: FAILED keeps the wait until rescheduled with an outcome', async () => {
    await run(autojump(), async () => {
      let waiter: Task | undefined;
      const result = await openNursery(async (n) => {
        let got: unknown;
        n.startSoon(async () => {
          waiter = currentTask();
          const scope = new CancelScope({ relativeDeadline: 1 });
          await scope.run(async () => {
            got = await waitTaskRescheduled(() => Abort.FAILED);
          });
        });
        await sleep(5);
        reschedule(waiter!, { ok: true, value: 'late value' });
        await waitAllTasksBlocked();
        return got;
      });
      expect(result).toBe('late value');
    });
  });

  test('two waits at once in one task is a clear error that ends the task, not a throw', async () => {
    let after = false;
    const err = await run(async () => {
      void checkpoint();
      await checkpoint(); // refused: it never settles, so nothing can reject unhandled
      after = true;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/while it was still in another \(a checkpoint\)/);
    expect(after).toBe(false);
  });

  test('a task that returns with a wait pending fails clearly', async () => {
    const err = await run(async () => {
      try {
        await openNursery(async (n) => {
          n.startSoon(async () => {
            void sleep(1);
          });
        });
      } catch (e) {
        return e as ExceptionGroup;
      }
      return null;
    });
    expect(err!.exceptions[0]).toBeInstanceOf(RuntimeError);
    expect(String((err!.exceptions[0] as Error).message)).toMatch(/a Duet call was not awaited/);
  });
});

describe('system tasks, instruments, task tree', () => {
  test('system tasks are cancelled when the root ends, and the run waits for them', async () => {
    const events: string[] = [];
    await run(async () => {
      spawnSystemTask(async () => {
        try {
          await sleepForever();
        } finally {
          events.push('system task unwound');
        }
      });
      await checkpoint();
    });
    expect(events).toEqual(['system task unwound']);
  });

  test('a failing system task ends the run with KernelInternalError', async () => {
    await expect(
      run(async () => {
        spawnSystemTask(async () => {
          throw new Error('system bug');
        });
        await sleepForever();
      }),
    ).rejects.toBeInstanceOf(KernelInternalError);
  });

  test('instruments see spawn, steps and exit; removal works', async () => {
    const seen: string[] = [];
    const instrument: Instrument = {
      taskSpawned: (t) => seen.push(`spawn ${t.name}`),
      taskExited: (t) => seen.push(`exit ${t.name}`),
    };
    await run({ instruments: [instrument] }, async function main() {
      await openNursery(async (n) => {
        n.startSoon(async function child() {
          await checkpoint();
        });
      });
      removeInstrument(instrument);
      expect(() => removeInstrument(instrument)).toThrow(ValueError);
      addInstrument({ beforeTaskStep: () => undefined });
    });
    expect(seen).toEqual(['spawn main', 'spawn child', 'exit child']);
  });

  test('taskTree shows nurseries, scopes and waits', async () => {
    await run(autojump(), async function main() {
      await openNursery(async (n) => {
        n.startSoon(async function sleeper() {
          await new CancelScope({ deadline: 12, shield: true }).run(() => sleep(100));
        });
        await waitAllTasksBlocked();
        const tree = taskTree();
        expect(tree.root.name).toBe('main');
        expect(currentRootTask().name).toBe('main');
        const child = tree.root.nurseries[0]!.children[0]!;
        expect(child.name).toBe('sleeper');
        expect(child.state).toBe('parked');
        expect(child.waitingOn).toBe(`sleep until t=${(100).toFixed(3)}`);
        expect(child.scopes[0]).toMatch(/deadline in 12\.000 s, shield/);
        const text = formatTaskTree(tree);
        expect(text).toMatch(/task #\d+ sleeper: parked on sleep until/);
        n.cancelScope.cancel();
      });
      // The shield kept the nursery's cancellation out: the sleeper ran to its own deadline.
      expect(currentTime()).toBe(12);
    });
  });
});

describe('leaks and exit', () => {
  test('after run() settles no timer or immediate of the run remains', async () => {
    const before = ourHandles();
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(() => sleep(0.002));
        n.startSoon(async () => {
          await new CancelScope({ relativeDeadline: 60 }).run(() => sleep(0.001));
        });
      });
    });
    expect(ourHandles()).toBeLessThanOrEqual(before);
  });

  test('a failed run leaves nothing behind either', async () => {
    const before = ourHandles();
    await expect(
      run(async () => {
        await new CancelScope({ relativeDeadline: 30 }).run(async () => {
          await sleep(0.001);
          throw new Error('fail');
        });
      }),
    ).rejects.toThrow('fail');
    expect(ourHandles()).toBeLessThanOrEqual(before);
  });
});

describe('ExceptionGroup', () => {
  const a = new TypeError('a');
  const b = new RangeError('b');
  const c = new TypeError('c');
  const eg = new ExceptionGroup('outer', [a, new ExceptionGroup('inner', [b, c])]);

  test('is an AggregateError with exceptions and errors', () => {
    expect(eg).toBeInstanceOf(AggregateError);
    expect(eg.exceptions).toHaveLength(2);
    expect(eg.errors).toHaveLength(2);
    expect(eg.message).toBe('outer');
    expect(() => new ExceptionGroup('x', [])).toThrow(ValueError);
  });

  test('split keeps the nesting', () => {
    const [match, rest] = eg.split(TypeError);
    expect(match!.exceptions[0]).toBe(a);
    expect((match!.exceptions[1] as ExceptionGroup).exceptions).toEqual([c]);
    expect((rest!.exceptions[0] as ExceptionGroup).exceptions).toEqual([b]);
    expect(eg.split(Error)).toEqual([eg, null]);
    expect(eg.subgroup((e) => e === b)!.toString()).toContain('RangeError: b');
    expect(eg.split([RangeError])[0]!.exceptions).toHaveLength(1);
  });

  test('isCancelled is true for Cancelled and for groups of nothing but Cancelled', () => {
    expect(isCancelled(new Cancelled())).toBe(true);
    expect(
      isCancelled(
        new ExceptionGroup('g', [new Cancelled(), new ExceptionGroup('h', [new Cancelled()])]),
      ),
    ).toBe(true);
    expect(isCancelled(new ExceptionGroup('g', [new Cancelled(), new Error('real')]))).toBe(false);
    expect(isCancelled(new Error('x'))).toBe(false);
  });

  test('toString shows the tree', () => {
    expect(eg.toString()).toBe(
      [
        'ExceptionGroup: outer (2 sub-exceptions)',
        '├─ TypeError: a',
        '└─ ExceptionGroup: inner (2 sub-exceptions)',
        '   ├─ RangeError: b',
        '   └─ TypeError: c',
      ].join('\n'),
    );
  });
});

describe('HostWait', () => {
  test('wakes with a value or an error from a host callback; does nothing when nobody waits', async () => {
    await run(async () => {
      const ok = new HostWait('a timer');
      ok.wake('ignored: nobody waits yet');
      setTimeout(() => ok.wake('fired'), 1);
      await expect(ok.wait()).resolves.toBe('fired');
      const bad = new HostWait('an error');
      setTimeout(() => bad.fail(new Error('host error')), 1);
      await expect(bad.wait()).rejects.toThrow('host error');
    });
  });

  test('cancellation abandons the wait and calls onAbort; an uncancellable wait finishes first', async () => {
    await run(async () => {
      let aborted = 0;
      const wait = new HostWait('never', { onAbort: () => aborted++ });
      const scope = new CancelScope({ relativeDeadline: 0.002 });
      await scope.run(() => wait.wait());
      expect([scope.cancelledCaught, aborted, wait.waiting]).toEqual([true, 1, false]);

      const firm = new HostWait('brief', { uncancellable: true });
      const timer = setTimeout(() => firm.wake('done anyway'), 5);
      const inner = new CancelScope();
      let got: unknown;
      await inner.run(async () => {
        inner.cancel();
        got = await firm.wait();
      });
      clearTimeout(timer);
      expect(got).toBe('done anyway');
    });
  });
});
