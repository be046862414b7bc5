/**
 * Cancellation at every checkpoint: each blocking primitive of both facades is cancelled at each
 * of its scheduling points in turn (trial N cancels it after N rounds of the scheduler, until a
 * trial lets it finish), and after every trial the primitive's state is checked: no item lost or
 * duplicated, no waiter left parked, no lock or token held, and the primitive still works.
 *
 * Trio operations are cancelled with a cancel scope (level-triggered); asyncio operations with
 * `Task.cancel()` (edge-triggered), as each facade's users would.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- each scenario holds its own kind of state */
import * as trio from '@duet/trio';
import * as aio from '@duet/asyncio';
import { MockClock } from '@duet/trio/testing';
import { cancelShieldedCheckpoint } from '@duet/kernel';

const clock = () => new MockClock({ autojumpThreshold: 0 });

/** Private waiter lots of asyncio primitives (they have no `statistics()`). */
function parked(x: object, field = 'lot'): number {
  return (x as unknown as Record<string, { size: number }>)[field]!.size;
}

interface Scenario<S> {
  name: string;
  setup(): S;
  /** The blocking operation under test; returns what it got (or undefined). */
  op(s: S): PromiseLike<unknown>;
  /** Background work that lets the op complete after a few rounds. */
  helper?: ((s: S) => Promise<void>) | undefined;
  /** Called after the trial: `completed` tells whether the op returned. */
  check(s: S, completed: boolean, value: unknown): void | Promise<void>;
}

async function rounds(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await cancelShieldedCheckpoint();
}

const ROUNDS = 20;

/**
 * Trial `n` cancels after `n` scheduler rounds; trials past ROUNDS cancel at later and later
 * virtual times, for operations that wait on the clock.
 */
async function waitForTrial(n: number): Promise<void> {
  if (n < ROUNDS) await rounds(n);
  else await trio.sleep((n - ROUNDS + 1) * 0.05);
}

/** Trio: cancel the op's scope after `n` scheduler rounds. Returns whether the op completed. */
async function trialTrio<S>(sc: Scenario<S>, n: number): Promise<boolean> {
  let completed = false;
  await trio.run({ clock: clock() }, async () => {
    const s = sc.setup();
    let value: unknown;
    await trio.openNursery(async (nursery) => {
      const scope = new trio.CancelScope();
      if (sc.helper !== undefined) nursery.startSoon(() => sc.helper!(s));
      nursery.startSoon(async () => {
        await scope.run(async () => {
          value = await sc.op(s);
          completed = true;
        });
      });
      nursery.startSoon(async () => {
        await waitForTrial(n);
        scope.cancel();
      });
    });
    await sc.check(s, completed, value);
  });
  return completed;
}

/** asyncio: `task.cancel()` the op's task after `n` scheduler rounds. */
async function trialAio<S>(sc: Scenario<S>, n: number): Promise<boolean> {
  let completed = false;
  await aio.run(
    async () => {
      const s = sc.setup();
      let value: unknown;
      const helper = sc.helper === undefined ? null : aio.createTask(() => sc.helper!(s));
      const task = aio.createTask(async () => {
        value = await sc.op(s);
        completed = true;
      });
      await waitForTrial(n);
      task.cancel();
      await aio.gather.withOptions({ returnExceptions: true }, task);
      if (helper !== null) await helper;
      await sc.check(s, completed, value);
    },
    { clock: clock() },
  );
  return completed;
}

async function everyCheckpoint<S>(
  trial: (sc: Scenario<S>, n: number) => Promise<boolean>,
  sc: Scenario<S>,
): Promise<number> {
  for (let n = 0; n < ROUNDS + 40; n++) if (await trial(sc, n)) return n;
  throw new Error(`${sc.name} never completed`);
}

// The same steps in both facades (the classes share their method names); each facade's scenario
// adds its own setup and its own check of the primitive's state.

/** `Event.wait`; a helper sets the event after a few rounds. */
const eventWait = {
  op: (s: { ev: { wait(): Promise<unknown> } }) => s.ev.wait(),
  helper: async (s: { ev: { set(): void } }) => {
    await rounds(3);
    s.ev.set();
  },
};

interface ConditionLike {
  acquire(): Promise<unknown>;
  release(): void;
  wait(): Promise<unknown>;
  notifyAll(): void;
}

/** `Condition.wait` holding the lock; a helper notifies every waiter after a few rounds. */
const conditionWait = {
  op: async (s: { cond: ConditionLike }) => {
    await s.cond.acquire();
    try {
      await s.cond.wait();
    } finally {
      s.cond.release();
    }
  },
  helper: async (s: { cond: ConditionLike }) => {
    await rounds(3);
    await s.cond.acquire();
    s.cond.notifyAll();
    s.cond.release();
  },
};

// ---------------------------------------------------------------------------------------------
// Trio

const trioScenarios: Scenario<any>[] = [
  {
    name: 'Event.wait',
    setup: () => ({ ev: new trio.Event() }),
    ...eventWait,
    check: (s) => expect(s.ev.statistics().tasksWaiting).toBe(0),
  },
  ...(['Lock', 'StrictFIFOLock'] as const).map((kind) => ({
    name: `${kind}.acquire`,
    setup: () => ({ lock: new trio[kind](), held: false }),
    op: async (s: { lock: trio.Lock; held: boolean }) => {
      await s.lock.acquire();
      s.held = true;
      s.lock.release();
      s.held = false;
    },
    helper: async (s: { lock: trio.Lock }) => {
      await s.lock.acquire();
      await rounds(3);
      s.lock.release();
    },
    check: (s: { lock: trio.Lock }) => {
      expect(s.lock.statistics()).toMatchObject({ locked: false, tasksWaiting: 0 });
      s.lock.acquireNowait(); // still usable
      s.lock.release();
    },
  })),
  {
    name: 'Semaphore.acquire',
    setup: () => ({ sem: new trio.Semaphore(1) }),
    op: async (s) => {
      await s.sem.acquire();
      s.sem.release();
    },
    helper: async (s) => {
      await s.sem.acquire();
      await rounds(3);
      s.sem.release();
    },
    check: (s) => {
      expect(s.sem.value).toBe(1);
      expect(s.sem.statistics().tasksWaiting).toBe(0);
    },
  },
  {
    name: 'CapacityLimiter.acquire',
    setup: () => ({ lim: new trio.CapacityLimiter(1) }),
    op: async (s) => {
      await s.lim.acquire();
      s.lim.release();
    },
    helper: async (s) => {
      await s.lim.acquireOnBehalfOf('helper');
      await rounds(3);
      s.lim.releaseOnBehalfOf('helper');
    },
    check: (s) => expect(s.lim.statistics()).toMatchObject({ borrowedTokens: 0, tasksWaiting: 0 }),
  },
  {
    name: 'Condition.wait',
    setup: () => ({ cond: new trio.Condition() }),
    ...conditionWait,
    check: (s) =>
      expect(s.cond.statistics()).toMatchObject({
        tasksWaiting: 0,
        lockStatistics: { locked: false, tasksWaiting: 0 },
      }),
  },
  ...[0, 1].map((size) => ({
    name: `MemorySendChannel.send (buffer ${size})`,
    setup: () => {
      const [tx, rx] = trio.openMemoryChannel<number>(size);
      return { tx, rx, got: [] as number[] };
    },
    op: async (s: any) => {
      if (size === 1) s.tx.sendNowait(1); // fill the buffer so that send blocks
      await s.tx.send(2);
    },
    helper: async (s: any) => {
      await rounds(3);
      await trio.moveOnAfter(1, async () => {
        for (;;) s.got.push(await s.rx.receive());
      });
    },
    check: (s: any, completed: boolean) => {
      while (s.rx.statistics().currentBufferUsed > 0) s.got.push(s.rx.receiveNowait());
      // The item is delivered exactly once if the send returned, never if it was cancelled.
      const expected = (size === 1 ? [1] : []).concat(completed ? [2] : []);
      expect(s.got).toEqual(expected);
      expect(s.tx.statistics()).toMatchObject({ tasksWaitingSend: 0, tasksWaitingReceive: 0 });
    },
  })),
  {
    name: 'MemoryReceiveChannel.receive',
    setup: () => {
      const [tx, rx] = trio.openMemoryChannel<number>(Infinity);
      return { tx, rx };
    },
    op: (s) => s.rx.receive(),
    helper: async (s) => {
      await rounds(3);
      s.tx.sendNowait(7);
    },
    check: (s, completed, value) => {
      // A cancelled receive consumes nothing: the item is still in the buffer.
      const left = s.rx.statistics().currentBufferUsed;
      if (completed) expect([value, left]).toEqual([7, 0]);
      else expect(left === 1 ? s.rx.receiveNowait() : 'lost').toBe(7);
      expect(s.rx.statistics().tasksWaitingReceive).toBe(0);
    },
  },
  {
    name: 'sleep',
    setup: () => ({}),
    op: () => trio.sleep(0.5),
    check: () => undefined,
  },
  {
    name: 'Nursery.start',
    setup: () => ({ ran: 0 }),
    op: async (s) =>
      trio.openNursery(async (n) => {
        await n.start(async (status: trio.TaskStatus<void>) => {
          await trio.sleep(0.1);
          status.started();
          s.ran++;
        });
      }),
    check: (s, completed) => expect(s.ran).toBe(completed ? 1 : s.ran),
  },
];

// ---------------------------------------------------------------------------------------------
// asyncio

const aioScenarios: Scenario<any>[] = [
  {
    name: 'Event.wait',
    setup: () => ({ ev: new aio.Event() }),
    ...eventWait,
    check: (s) => expect(parked(s.ev)).toBe(0),
  },
  ...(['Lock', 'Semaphore', 'BoundedSemaphore'] as const).map((kind) => ({
    name: `${kind}.acquire`,
    setup: () => ({ lock: new aio[kind]() }),
    op: async (s: { lock: aio.Lock }) => {
      await s.lock.acquire();
      s.lock.release();
    },
    helper: async (s: { lock: aio.Lock }) => {
      await s.lock.acquire();
      await rounds(3);
      s.lock.release();
    },
    check: async (s: { lock: aio.Lock }) => {
      expect(s.lock.locked()).toBe(false);
      expect(parked(s.lock)).toBe(0);
      await s.lock.acquire(); // still usable, and at its start value
      expect(s.lock.locked()).toBe(true);
      s.lock.release();
    },
  })),
  {
    name: 'Condition.wait',
    setup: () => ({ cond: new aio.Condition() }),
    ...conditionWait,
    check: (s) => {
      expect(s.cond.locked()).toBe(false);
      expect(parked(s.cond)).toBe(0);
    },
  },
  {
    name: 'Barrier.wait',
    setup: () => ({ barrier: new aio.Barrier(2) }),
    op: (s) => s.barrier.wait(),
    helper: async (s) => {
      await rounds(3);
      await aio.waitFor(() => s.barrier.wait(), 1).catch(() => undefined);
    },
    check: (s) => expect(s.barrier.nWaiting).toBe(0),
  },
  {
    name: 'Queue.get',
    setup: () => ({ q: new aio.Queue<number>() }),
    op: (s) => s.q.get(),
    helper: async (s) => {
      await rounds(3);
      s.q.putNowait(7);
    },
    check: (s, completed, value) => {
      if (completed) expect([value, s.q.qsize()]).toEqual([7, 0]);
      else expect(s.q.getNowait()).toBe(7); // not lost
      expect(parked(s.q, 'getters')).toBe(0);
    },
  },
  {
    name: 'Queue.put',
    setup: () => {
      const q = new aio.Queue<number>(1);
      q.putNowait(1);
      return { q };
    },
    op: (s) => s.q.put(2),
    helper: async (s) => {
      await rounds(3);
      s.q.getNowait();
    },
    check: (s, completed) => {
      expect(s.q.qsize()).toBe(completed ? 1 : 0);
      if (completed) expect(s.q.getNowait()).toBe(2);
      expect(parked(s.q, 'putters')).toBe(0);
    },
  },
  {
    name: 'Queue.join',
    setup: () => {
      const q = new aio.Queue<number>();
      q.putNowait(1);
      return { q };
    },
    op: (s) => s.q.join(),
    helper: async (s) => {
      await rounds(3);
      await s.q.get();
      s.q.taskDone();
    },
    check: (s) => expect(s.q.qsize()).toBe(0),
  },
  { name: 'sleep', setup: () => ({}), op: () => aio.sleep(0.5), check: () => undefined },
  {
    name: 'waitFor',
    setup: () => ({ inner: null as aio.Task<number> | null }),
    op: (s) => {
      s.inner = aio.createTask(() => aio.sleep(0.5, 1));
      return aio.waitFor(s.inner, 10);
    },
    check: (s) => expect(s.inner?.done() ?? true).toBe(true),
  },
  {
    name: 'gather',
    setup: () => ({ tasks: [] as aio.Task<number>[] }),
    op: (s) => {
      s.tasks = [1, 2].map((i) => aio.createTask(() => aio.sleep(0.1 * i, i)));
      return aio.gather(...s.tasks);
    },
    check: (s, completed) => {
      // Cancelling the gather cancels its children: none is left running.
      for (const t of s.tasks) expect(t.done()).toBe(true);
      if (!completed) expect(s.tasks.every((t: aio.Task<number>) => t.cancelled() || t.result()));
    },
  },
  {
    name: 'TaskGroup',
    setup: () => ({ tasks: [] as aio.Task<unknown>[] }),
    op: (s) =>
      new aio.TaskGroup().run(async (tg) => {
        s.tasks.push(tg.createTask(() => aio.sleep(0.2)));
        await aio.sleep(0.1);
      }),
    check: (s) => {
      for (const t of s.tasks) expect(t.done()).toBe(true);
    },
  },
  {
    name: 'shield',
    setup: () => ({ inner: null as aio.Task<number> | null }),
    op: (s) => {
      s.inner = aio.createTask(() => aio.sleep(0.2, 5));
      return aio.shield(s.inner);
    },
    check: async (s) => {
      // Cancelling the shield leaves the inner task running to its result.
      if (s.inner !== null) expect(await s.inner).toBe(5);
    },
  },
];

describe('cancellation at every checkpoint leaves no corrupted state', () => {
  test.each(trioScenarios.map((s) => [s.name, s] as const))('trio %s', async (_name, sc) => {
    // At least the first trial cancels the operation before it could finish.
    expect(await everyCheckpoint(trialTrio, sc)).toBeGreaterThan(0);
  });

  test.each(aioScenarios.map((s) => [s.name, s] as const))('asyncio %s', async (_name, sc) => {
    expect(await everyCheckpoint(trialAio, sc)).toBeGreaterThan(0);
  });
});
