/**
 * Trio's wake-vs-cancel rule (issue 15): once a task is rescheduled with a value it keeps it, and
 * a cancel that arrives before it resumes lands at its next checkpoint. Checked on Trio 0.22 with
 * the same programs (a cancel scope cancelled in the step of the wake-up). The kernel applies the
 * rule to edge cancels too (an asyncio-style `Task.requestCancel` reaching a task that waits on a
 * Trio primitive, as through the bridge): no wake-up is ever taken back from a Trio primitive.
 */
import {
  CancelScope,
  Cancelled,
  CapacityLimiter,
  Condition,
  Lock,
  Semaphore,
  checkpoint,
  currentTask,
  openMemoryChannel,
  openNursery,
  type Task,
} from '@duet/trio';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

type Setup = () => Promise<{
  wait: () => Promise<unknown>;
  wake: () => void;
  after?: () => unknown;
}>;

const primitives: [string, Setup, unknown][] = [
  [
    'memory channel receive',
    async () => {
      const [tx, rx] = openMemoryChannel<number>(0);
      return { wait: () => rx.receive(), wake: () => tx.sendNowait(1) };
    },
    1,
  ],
  [
    'memory channel send',
    async () => {
      const [tx, rx] = openMemoryChannel<number>(0);
      let got: number | undefined;
      return {
        wait: () => tx.send(7),
        wake: () => (got = rx.receiveNowait()),
        after: () => got,
      };
    },
    undefined,
  ],
  [
    'Lock',
    async () => {
      const lock = new Lock();
      await lock.acquire();
      return {
        wait: async () => {
          await lock.acquire();
          const owned = lock.locked();
          lock.release();
          return owned;
        },
        wake: () => lock.release(),
      };
    },
    true,
  ],
  [
    'Semaphore',
    async () => {
      const sem = new Semaphore(0);
      return {
        wait: async () => {
          await sem.acquire();
          return sem.value;
        },
        wake: () => sem.release(),
      };
    },
    0,
  ],
  [
    'CapacityLimiter',
    async () => {
      const limiter = new CapacityLimiter(1);
      await limiter.acquire();
      return {
        wait: async () => {
          await limiter.acquireOnBehalfOf('w');
          const borrowed = limiter.borrowedTokens;
          limiter.releaseOnBehalfOf('w');
          return borrowed;
        },
        wake: () => limiter.release(),
      };
    },
    1,
  ],
  [
    'Condition',
    async () => {
      const cond = new Condition();
      return {
        wait: async () => {
          using _ = await cond.hold();
          await cond.wait();
          return 'notified';
        },
        wake: () => {
          cond.acquireNowait();
          cond.notify();
          cond.release();
        },
      };
    },
    'notified',
  ],
];

describe.each(primitives)('%s', (_name, setup, expected) => {
  test.each(['level (a cancel scope)', 'edge (Task.requestCancel)'])(
    'a waiter cancelled (%s) in the step of its wake-up keeps the wake-up; the cancel lands at the next checkpoint',
    (kind) =>
      trioTest(async () => {
        const log: unknown[] = [];
        const { wait, wake, after } = await setup();
        const scope = new CancelScope();
        let waiter: Task | undefined;
        await openNursery(async (n) => {
          n.startSoon(async () => {
            waiter = currentTask();
            await scope.run(async () => {
              log.push(await wait());
              try {
                await checkpoint();
                log.push('not cancelled');
              } catch (err) {
                log.push(err instanceof Cancelled ? 'cancelled at the next checkpoint' : err);
                if (kind.startsWith('level')) throw err;
              }
            });
          });
          await waitAllTasksBlocked();
          wake();
          if (kind.startsWith('level')) scope.cancel();
          else waiter!.requestCancel();
        });
        expect(log).toEqual([expected, 'cancelled at the next checkpoint']);
        if (after !== undefined) expect(after()).toBe(7);
      })(),
  );
});
