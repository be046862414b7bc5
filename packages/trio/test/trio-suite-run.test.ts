// Run-loop behaviours that Trio's own suite checks (trio/_core/_tests/test_run.py and
// test_instrumentation.py: instruments, the task tree, naming tasks, system tasks, statistics,
// the run token), written afresh against Duet's API. Session 16's files cover cancel scopes,
// nurseries and start(); this one covers what they leave out.
import {
  CancelScope,
  Cancelled,
  Event,
  ExceptionGroup,
  RunFinishedError,
  TASK_STATUS_IGNORED,
  TrioInternalError,
  checkpoint,
  currentRootTask,
  currentTask,
  currentTime,
  failAfter,
  sleepForever,
  openNursery,
  run,
  type Instrument,
  type Nursery,
  type TaskStatus,
} from '@duet/trio';
import {
  TrioToken,
  addInstrument,
  currentStatistics,
  currentTrioToken,
  inTrioRun,
  inTrioTask,
  removeInstrument,
  spawnSystemTask,
  waitTaskRescheduled,
  type Task,
} from '@duet/trio/lowlevel';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';
import { failure, leaves } from './helpers-errors';
import { waitWithSlowAbort } from './helpers-lowlevel';

/** The current task, or null where there is none (a hook called from outside any task). */
function taskOrNull(): Task | null {
  try {
    return currentTask();
  } catch {
    return null;
  }
}

type Entry = [string, Task | null];

/** An instrument recording the scheduling hooks, as Trio's suite's TaskRecorder. */
class TaskRecorder implements Instrument {
  readonly record: Entry[] = [];
  /** Hooks called while some other task (or none) was current. */
  readonly notCurrent: Entry[] = [];

  beforeRun(): void {
    this.record.push(['beforeRun', null]);
  }
  taskScheduled(task: Task): void {
    this.record.push(['schedule', task]);
  }
  beforeTaskStep(task: Task): void {
    if (taskOrNull() !== task) this.notCurrent.push(['before', task]);
    this.record.push(['before', task]);
  }
  afterTaskStep(task: Task): void {
    if (taskOrNull() !== task) this.notCurrent.push(['after', task]);
    this.record.push(['after', task]);
  }
  afterRun(): void {
    this.record.push(['afterRun', null]);
  }
  /** The entries about `tasks`, plus beforeRun / afterRun. */
  filter(tasks: readonly Task[]): Entry[] {
    return this.record.filter(([, t]) => t === null || tasks.includes(t));
  }
}

describe('instruments', () => {
  test('a task that checkpoints 5 times: schedule comes between before and after each step', async () => {
    const r1 = new TaskRecorder();
    const r2 = new TaskRecorder();
    const r3 = new TaskRecorder();
    let task: Task | undefined;
    let removeTwice: unknown;
    await run({ instruments: [r1, r2] }, () =>
      openNursery((nursery) => {
        nursery.startSoon(async () => {
          task = currentTask();
          for (let i = 0; i < 4; i++) await checkpoint();
          // Swap r2 for r3 mid-run; adding twice is the same as once.
          removeInstrument(r2);
          try {
            removeInstrument(r2);
          } catch (err) {
            removeTwice = err;
          }
          addInstrument(r3);
          addInstrument(r3);
          await checkpoint();
        });
      }),
    );
    expect(removeTwice).toBeInstanceOf(Error);
    const t = task!;
    const expected: Entry[] = [
      ['beforeRun', null],
      ['schedule', t],
      ...Array.from({ length: 5 }, (): Entry[] => [
        ['before', t],
        ['schedule', t],
        ['after', t],
      ]).flat(),
      ['before', t],
      ['after', t],
      ['afterRun', null],
    ];
    expect(r1.filter([t])).toEqual(expected);
    expect(r1.record).toEqual([...r2.record, ...r3.record]);
    expect(r1.notCurrent).toEqual([]);
  });

  test('before/afterTaskStep run with the stepping task current; a task exits before its last after', async () => {
    const record: string[] = [];
    const recorder: Instrument = {
      beforeTaskStep: (t) => record.push(`before ${t.name} ${taskOrNull() === t}`),
      afterTaskStep: (t) => record.push(`after ${t.name} ${taskOrNull() === t}`),
      taskExited: (t) => record.push(`exited ${t.name}`),
    };
    await run({ instruments: [recorder] }, async function main() {
      await checkpoint();
    });
    expect(record).toEqual([
      'before main true',
      'after main true',
      'before main true',
      'exited main',
      'after main true',
    ]);
  });

  test('two tasks interleave their steps; each step is bracketed by its own before and after', async () => {
    const r = new TaskRecorder();
    const tasks: Task[] = [];
    const twoStep = async (): Promise<void> => {
      tasks.push(currentTask());
      await checkpoint();
    };
    await run({ instruments: [r] }, () =>
      openNursery((nursery) => {
        nursery.startSoon(twoStep);
        nursery.startSoon(twoStep);
      }),
    );
    const [t1, t2] = tasks as [Task, Task];
    const got = r.filter([t1, t2]);
    expect(got.slice(0, 3)).toEqual([
      ['beforeRun', null],
      ['schedule', t1],
      ['schedule', t2],
    ]);
    const sorted = (entries: Entry[]): string[] =>
      entries.map(([what, t]) => `${what} ${t === t1 ? 1 : 2}`).sort();
    expect(sorted(got.slice(3, 9))).toEqual(
      sorted([
        ['before', t1],
        ['schedule', t1],
        ['after', t1],
        ['before', t2],
        ['schedule', t2],
        ['after', t2],
      ]),
    );
    expect(sorted(got.slice(9, 13))).toEqual(
      sorted([
        ['before', t1],
        ['after', t1],
        ['before', t2],
        ['after', t2],
      ]),
    );
    expect(got[13]).toEqual(['afterRun', null]);
    expect(got).toHaveLength(14);
  });

  test('an instrument with none of the hooks is fine; beforeRun and afterRun bracket the run', async () => {
    const record: string[] = [];
    await run({ instruments: [{}] }, () => checkpoint());
    await run(
      {
        instruments: [
          { beforeRun: () => record.push('beforeRun'), afterRun: () => record.push('afterRun') },
        ],
      },
      () => undefined,
    );
    expect(record).toEqual(['beforeRun', 'afterRun']);
  });

  test('taskSpawned and taskExited see the root task', async () => {
    const record: Entry[] = [];
    const main = await run(
      {
        instruments: [
          {
            taskSpawned: (t) => record.push(['spawned', t]),
            taskExited: (t) => record.push(['exited', t]),
          },
        ],
      },
      () => currentTask(),
    );
    expect(record).toContainEqual(['spawned', main]);
    expect(record).toContainEqual(['exited', main]);
  });

  test('an instrument whose hook throws is removed with a warning; the run and other instruments go on', async () => {
    const record: string[] = [];
    const warnings: string[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((w: string | Error) => {
      warnings.push(String(w));
    }) as typeof process.emitWarning);
    try {
      const r = new TaskRecorder();
      const broken: Instrument = {
        taskScheduled() {
          record.push('scheduled');
          throw new Error('oops');
        },
      };
      const main = await run({ instruments: [r, broken] }, () => {
        record.push('main ran');
        return currentTask();
      });
      expect(record).toEqual(['scheduled', 'main ran']);
      expect(r.record).toContainEqual(['after', main]);
      expect(r.record).toContainEqual(['afterRun', null]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/oops/);
      expect(warnings[0]).toMatch(/instrument has been disabled/i);
    } finally {
      spy.mockRestore();
    }
  });

  test('hooks are read when the instrument is added: a hook set later is called only after re-adding it', async () => {
    const instrument: Instrument = {};
    await run({ instruments: [instrument] }, async () => {
      const me = currentTask();
      const record: Task[] = [];
      instrument.beforeTaskStep = (t) => record.push(t);
      await checkpoint();
      await checkpoint();
      expect(record).toHaveLength(0);
      removeInstrument(instrument);
      addInstrument(instrument);
      await checkpoint();
      await checkpoint();
      expect(record.filter((t) => t === me)).toHaveLength(2);
      removeInstrument(instrument);
      await checkpoint();
      await checkpoint();
      expect(record.filter((t) => t === me)).toHaveLength(2);
    });
  });

  test('an instrument whose hook getter throws is not added, and none of its hooks is called', async () => {
    let exitedCalls = 0;
    await run(async () => {
      const evil = {
        taskExited() {
          exitedCalls++;
        },
        get afterRun(): () => void {
          throw new Error('oops');
        },
      };
      expect(() => addInstrument(evil)).toThrow(/^oops$/);
      await checkpoint();
    });
    expect(exitedCalls).toBe(0);
  });
});

describe('start() and its own nursery', () => {
  test(
    'two tasks failing in the nursery start() runs its task in is a TrioInternalError caused by both',
    trioTest(async () => {
      const errorFn = () => {
        throw new Error('ValueError');
      };
      // Before started(), the task's parent nursery is start()'s own: Trio's suite reaches it so.
      const spawnInOldNursery = (_status: TaskStatus) => {
        const old = currentTask().parentNursery!;
        old.startSoon(errorFn);
        old.startSoon(errorFn);
      };
      await openNursery(async (nursery) => {
        const err = await failure(nursery.start(spawnInOldNursery));
        expect(err).toBeInstanceOf(TrioInternalError);
        const cause = (err as TrioInternalError).cause;
        expect(cause).toBeInstanceOf(ExceptionGroup);
        expect(leaves(cause).map((e) => (e as Error).message)).toEqual([
          'ValueError',
          'ValueError',
        ]);
      });
    }),
  );
});

describe('naming tasks', () => {
  // Trio's start_soon(fn, *args, name=...): Duet's options come before the function.
  const check = async (spawn: (...a: unknown[]) => unknown): Promise<string[]> => {
    const names: string[] = [];
    const func1 = (expected: string) => {
      names.push(currentTask().name);
      expect(currentTask().name).toContain(expected);
    };
    const func2 = () => undefined;
    spawn(func1, 'func1');
    spawn({ name: func2 }, func1, 'func2');
    spawn({ name: 'func3' }, func1, 'func3');
    spawn(func1.bind(null, 'func1'));
    spawn({ name: {} }, func1, 'object');
    spawn({ name: 42 }, func1, '42');
    await waitAllTasksBlocked();
    return names;
  };

  test(
    'startSoon({ name }, fn, ...args): a string, a function by its name, anything else as a string',
    trioTest(async () => {
      let names: string[] = [];
      await openNursery(async (nursery) => {
        names = await check((...a) => (nursery.startSoon as (...b: unknown[]) => void)(...a));
      });
      expect(names).toHaveLength(6);
    }),
  );

  test(
    'spawnSystemTask({ name }, fn, ...args) names the system task the same way',
    trioTest(async () => {
      const names = await check((...a) => (spawnSystemTask as (...b: unknown[]) => Task)(...a));
      expect(names).toHaveLength(6);
    }),
  );

  test(
    'start({ name }, fn, ...args) names the started task; the value still comes back',
    trioTest(async () => {
      await openNursery(async (nursery) => {
        const name = await nursery.start(
          { name: 'server' },
          (port: number, status: TaskStatus<string>) => {
            expect(port).toBe(80);
            status.started(currentTask().name);
          },
          80,
        );
        expect(name).toBe('server');
        expect([...nursery.childTasks].map((t) => t.name)).toEqual([]);
      });
    }),
  );

  test(
    'a bad options object or a missing function is a TypeError at the call',
    trioTest(async () => {
      await openNursery((nursery) => {
        const startSoon = nursery.startSoon as (...a: unknown[]) => void;
        expect(() => startSoon({ nmae: 'x' }, () => undefined)).toThrow(TypeError);
        expect(() => startSoon({ name: 'x' })).toThrow(TypeError);
        expect(() => startSoon({ name: 'x' }, 'not a function')).toThrow(TypeError);
        expect(() => startSoon(null)).toThrow(TypeError);
      });
    }),
  );
});

describe('the task tree', () => {
  test(
    'parents, children and the eventual parent of a task under start(); upward links outlive the tasks',
    trioTest(async () => {
      const tasks: Record<string, Task> = {};
      const nurseries: Record<string, Nursery> = {};

      const child2 = () => {
        tasks['child2'] = currentTask();
        expect([...tasks['parent']!.openNurseries]).toEqual([nurseries['parent']]);
        expect([...nurseries['parent']!.childTasks]).toEqual([tasks['child1']]);
        expect([...tasks['child1']!.openNurseries]).toEqual([nurseries['child1']]);
        expect([...nurseries['child1']!.childTasks]).toEqual([tasks['child2']]);
        expect([...tasks['child2']!.openNurseries]).toEqual([]);
      };

      const child1 = async (status: TaskStatus = TASK_STATUS_IGNORED) => {
        const me = (tasks['child1'] = currentTask());
        expect(me.parentNursery!.parentTask).toBe(tasks['parent']);
        expect(me.parentNursery).not.toBe(nurseries['parent']);
        expect(me.eventualParentNursery).toBe(nurseries['parent']);
        status.started();
        expect(me.parentNursery).toBe(nurseries['parent']);
        expect(me.eventualParentNursery).toBeNull();
        // Let start() return and close its own nursery first.
        await waitAllTasksBlocked();
        await openNursery((nursery) => {
          nurseries['child1'] = nursery;
          nursery.startSoon(child2);
        });
      };

      const parent = async () => {
        const me = (tasks['parent'] = currentTask());
        expect([...me.openNurseries]).toEqual([]);
        await openNursery(async (n1) => {
          await openNursery((n2) => {
            expect([...me.openNurseries]).toEqual([n1, n2]);
          });
        });
        expect([...me.openNurseries]).toEqual([]);
        await openNursery(async (nursery) => {
          nurseries['parent'] = nursery;
          await nursery.start(child1);
        });
        expect(nurseries['parent']!.parentTask).toBe(me);
        expect(tasks['child1']!.parentNursery).toBe(nurseries['parent']);
        expect(nurseries['child1']!.parentTask).toBe(tasks['child1']);
        expect(tasks['child2']!.parentNursery).toBe(nurseries['child1']);
        // Walking up ends at the root task, whose parent nursery is null.
        let nursery = currentTask().parentNursery;
        while (nursery !== null) nursery = nursery.parentTask.parentNursery;
      };

      await openNursery((nursery) => {
        nursery.startSoon(parent);
      });
      for (const task of Object.values(tasks)) expect(task.eventualParentNursery).toBeNull();
      const root = currentRootTask();
      expect(root.parentNursery).toBeNull();
      expect(root.eventualParentNursery).toBeNull();
    }),
  );

  test(
    'only the task start() started has an eventual parent, not others spawned beside it',
    trioTest(async () => {
      await openNursery(async (target) => {
        await target.start(async (status: TaskStatus) => {
          const me = currentTask();
          const own = me.parentNursery!;
          let sibling: Task | undefined;
          own.startSoon(() => {
            sibling = currentTask();
          });
          await waitAllTasksBlocked();
          expect(me.eventualParentNursery).toBe(target);
          expect(sibling!.eventualParentNursery).toBeNull();
          status.started();
        });
      });
    }),
  );
});

describe('the run token', () => {
  test('one token per run: the same object for every call in a run, another in the next', async () => {
    const get = () => {
      const token = currentTrioToken();
      expect(currentTrioToken()).toBe(token);
      return token;
    };
    const t1 = await run(get);
    const t2 = await run(get);
    expect(t1).toBeInstanceOf(TrioToken);
    expect(t1).not.toBe(t2);
  });

  test(
    'runSyncSoon queues a call with its arguments; it runs soon, not at once',
    trioTest(async () => {
      const record: unknown[] = [];
      currentTrioToken().runSyncSoon((x: number) => record.push(['cb', x]), 1);
      expect(record).toEqual([]);
      await waitAllTasksBlocked();
      expect(record).toEqual([['cb', 1]]);
    }),
  );

  test('runSyncSoon after the run has finished is a RunFinishedError', async () => {
    const token = await run(() => currentTrioToken());
    expect(() => token.runSyncSoon(() => undefined)).toThrow(RunFinishedError);
  });

  test(
    'idempotent calls: a duplicate of a queued call is dropped; the queue stays FIFO',
    trioTest(async () => {
      let record: number[] = [];
      const cb = (x: number) => record.push(x);
      const token = currentTrioToken();
      token.runSyncSoon(cb, 1);
      token.runSyncSoon({ idempotent: true }, cb, 1);
      token.runSyncSoon({ idempotent: true }, cb, 1);
      token.runSyncSoon({ idempotent: true }, cb, 1);
      token.runSyncSoon({ idempotent: true }, cb, 2);
      token.runSyncSoon({ idempotent: true }, cb, 2);
      await waitAllTasksBlocked();
      expect(record).toHaveLength(3);
      expect([...record].sort()).toEqual([1, 1, 2]);

      record = [];
      for (let round = 0; round < 3; round++)
        for (let i = 0; i < 100; i++) token.runSyncSoon({ idempotent: true }, cb, i);
      await waitAllTasksBlocked();
      expect(record).toEqual(Array.from({ length: 100 }, (_, i) => i));
    }),
  );

  test('an idempotent call queued again once it has started runs again', async () => {
    let calls = 0;
    await run(async () => {
      const token = currentTrioToken();
      const redo = () => {
        calls++;
        try {
          token.runSyncSoon({ idempotent: true }, redo);
        } catch (err) {
          if (!(err instanceof RunFinishedError)) throw err;
        }
      };
      token.runSyncSoon({ idempotent: true }, redo);
      await checkpoint();
      await checkpoint();
      await checkpoint();
    });
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  test('a call queued just before the root task fails still runs', async () => {
    const record: string[] = [];
    const err = await failure(
      run(() => {
        currentTrioToken().runSyncSoon(() => record.push('sync-cb'));
        throw new Error('error text');
      }),
    );
    expect((err as Error).message).toBe('error text');
    expect(record).toEqual(['sync-cb']);
  });

  test('a call that throws fails the run with TrioInternalError; later calls still run and the tasks are cancelled', async () => {
    const record = new Set<string>();
    const keyError = new Error('KeyError');
    const err = await failure(
      run(async () => {
        const token = currentTrioToken();
        token.runSyncSoon(() => {
          throw keyError;
        });
        token.runSyncSoon(() => record.add('2nd runSyncSoon ran'));
        try {
          await sleepForever();
        } catch (e) {
          if (e instanceof Cancelled) record.add('cancelled!');
          throw e;
        }
      }),
    );
    expect(err).toBeInstanceOf(TrioInternalError);
    expect(leaves((err as TrioInternalError).cause)).toEqual([keyError]);
    expect(record).toEqual(new Set(['2nd runSyncSoon ran', 'cancelled!']));
  });

  test(
    'many calls run in the order queued',
    trioTest(async () => {
      const token = currentTrioToken();
      let counter = 0;
      const cb = (i: number) => {
        expect(counter).toBe(i);
        counter++;
      };
      for (let i = 0; i < 1000; i++) token.runSyncSoon(cb, i);
      await waitAllTasksBlocked();
      expect(counter).toBe(1000);
    }),
  );

  test('calls that keep queueing themselves do not starve the tasks, and stop when the run ends', async () => {
    const record: [string, number][] = [];
    let token: TrioToken | undefined;
    const naughty = (i: number) => {
      try {
        token!.runSyncSoon(naughty, i + 1);
      } catch (err) {
        if (!(err instanceof RunFinishedError)) throw err;
        record.push(['run finished', i]);
      }
    };
    await run(async () => {
      token = currentTrioToken();
      token.runSyncSoon(naughty, 0);
      record.push(['starting', 0]);
      for (let i = 0; i < 20; i++) await checkpoint();
    });
    expect(record).toHaveLength(2);
    expect(record[0]).toEqual(['starting', 0]);
    expect(record[1]![0]).toBe('run finished');
    expect(record[1]![1]).toBeGreaterThanOrEqual(19);
  });

  test(
    'a call from a host callback (a timer) reaches the run and wakes a task through an Event',
    trioTest(
      async () => {
        const token = currentTrioToken();
        const event = new Event();
        const timer = setTimeout(() => token.runSyncSoon(() => event.set()), 5);
        try {
          await failAfter(5, () => event.wait());
        } finally {
          clearTimeout(timer);
        }
        expect(event.isSet()).toBe(true);
      },
      { clock: 'system' },
    ),
  );

  test(
    'a slow abort: the abort fails, a queued call reschedules the task with the cancellation',
    trioTest(async () => {
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        await expect(waitWithSlowAbort()).rejects.toBeInstanceOf(Cancelled);
      });
    }),
  );
});

describe('run statistics and context', () => {
  test(
    'currentStatistics: tasks living and runnable, queued calls, the next deadline',
    trioTest(async () => {
      await waitAllTasksBlocked();
      const child = async () => {
        try {
          await sleepForever();
        } catch (err) {
          if (!(err instanceof Cancelled)) throw err;
        }
      };
      let stats = currentStatistics();
      // Duet has no system tasks of its own: the test's task alone (Trio counts 2 more).
      expect(stats.tasksLiving).toBe(1);
      expect(stats.runSyncSoonQueueSize).toBe(0);
      expect(stats.ioStatistics.backend).toBe('node');
      await openNursery(async (nursery) => {
        nursery.startSoon(child);
        await waitAllTasksBlocked();
        const token = currentTrioToken();
        token.runSyncSoon(() => undefined);
        token.runSyncSoon({ idempotent: true }, () => undefined);
        stats = currentStatistics();
        expect(stats.tasksLiving).toBe(2);
        expect(stats.tasksRunnable).toBe(0);
        expect(stats.runSyncSoonQueueSize).toBe(2);
        nursery.cancelScope.cancel();
        expect(currentStatistics().tasksRunnable).toBe(1);
      });
      await checkpoint();
      await checkpoint();
      expect(currentStatistics().runSyncSoonQueueSize).toBe(0);
      await new CancelScope({ deadline: currentTime() + 5 }).run(() => {
        expect(currentStatistics().secondsToNextDeadline).toBe(5);
      });
      expect(currentStatistics().secondsToNextDeadline).toBe(Infinity);
    }),
  );

  test('inTrioRun / inTrioTask: true in a task and what it calls, false outside a run', async () => {
    expect(inTrioRun()).toBe(false);
    expect(inTrioTask()).toBe(false);
    const seen: boolean[] = [];
    await run(async () => {
      seen.push(inTrioRun(), inTrioTask());
      const inner = () => seen.push(inTrioRun(), inTrioTask());
      inner();
      await checkpoint();
    });
    expect(seen).toEqual([true, true, true, true]);
    expect(inTrioRun()).toBe(false);
  });
});

describe('bad calls', () => {
  test('an abort function that returns something else than an Abort breaks the run: TrioInternalError', async () => {
    const err = await failure(
      run(async () => {
        await checkpoint();
        await new CancelScope().run(async (scope) => {
          scope.cancel();
          await waitTaskRescheduled((() => null) as never);
        });
      }),
    );
    expect(err).toBeInstanceOf(TrioInternalError);
    expect(((err as TrioInternalError).cause as Error).message).toMatch(
      /must return an Abort, got null/,
    );
  });

  test('an async generator function given to run() or startSoon() is a TypeError', async () => {
    async function* agen(x: number) {
      yield x;
    }
    const err = await failure(run(agen as never, 0));
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(/expected an async function but got an async generator/);
    const grouped = await failure(
      run(() =>
        openNursery((nursery) => {
          nursery.startSoon(agen as never, 0);
        }),
      ),
    );
    expect(grouped).toBeInstanceOf(ExceptionGroup);
    expect(leaves(grouped)).toHaveLength(1);
    expect((leaves(grouped)[0] as Error).message).toMatch(/async generator/);
  });

  test('a started Promise instead of a function: a TypeError that says so', async () => {
    const f = async () => undefined;
    const p = f();
    expect(() => run(p as never)).toThrow(/expects a function.*not the Promise/);
    const grouped = await failure(
      run(() =>
        openNursery((nursery) => {
          nursery.startSoon(f() as never);
        }),
      ),
    );
    expect(grouped).toBeInstanceOf(ExceptionGroup);
    expect(leaves(grouped)[0]).toBeInstanceOf(TypeError);
    await p;
  });
});
