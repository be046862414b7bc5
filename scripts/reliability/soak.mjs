#!/usr/bin/env node
// Soak test (issue 9): long, bounded runs of each facade that check that nothing grows and nothing
// is lost. Not part of `npm test`; run it on the built packages (`npm run build` first):
//
//   node scripts/reliability/soak.mjs [--tasks N] [--scopes N] [--churn-seconds S] [--facades trio,asyncio]
//
// Per facade, in a fresh Node process with --expose-gc:
//   1. tasks: N tasks (default 10,000,000) spawned in batches of 10,000 into a nursery / TaskGroup,
//      each with one checkpoint; every one must run and return.
//   2. deadline scopes: N scopes (default 1,000,000), 1,000 at a time, every other one expiring
//      (timeout 0) and the rest not (timeout 3600 s); exactly half must expire.
//   3. churn: a 1,000-task nursery / TaskGroup started, cancelled and started again for S seconds
//      (default 60); every task of every round must be cancelled.
// It prints the heap after a full GC at the start and the end, the errors (any miscount is one),
// the time of each phase, and how long the process took to exit after the last run() settled.
import { flag, harness, heapAfterGc } from './lib.mjs';

const TASKS = Number(flag('tasks', 10_000_000));
const SCOPES = Number(flag('scopes', 1_000_000));
const CHURN_SECONDS = Number(flag('churn-seconds', 60));
const BATCH = 10_000;
const CONCURRENT_SCOPES = 1_000;
const CHURN_TASKS = 1_000;

/**
 * Runs `phases(time, result, tasks, scopes, churnSeconds)` inside `runFacade`: a small pass first,
 * so that the start heap already holds what a run keeps once warm (compiled code, pools, caches)
 * and growth after that is what a leak would show, then the measured pass.
 */
async function soak(runFacade, phases) {
  const result = { errors: 0, phases: {} };
  const time = async (name, fn) => {
    const start = performance.now();
    const detail = await fn();
    result.phases[name] = { seconds: (performance.now() - start) / 1000, ...detail };
  };
  await runFacade(async () => {
    await phases(async (_name, fn) => fn(), result, BATCH, CONCURRENT_SCOPES * 2, 0.5);
    result.heapStart = heapAfterGc();
    await phases(time, result, TASKS, SCOPES, CHURN_SECONDS);
    result.heapEnd = heapAfterGc();
  });
  return result;
}

/** `count` tasks that each `checkpoint()` once, started `BATCH` at a time by `runBatch(task)`. */
async function tasksPhase(result, count, checkpoint, runBatch) {
  let done = 0;
  const task = async () => {
    await checkpoint();
    done++;
  };
  for (let spawned = 0; spawned < count; spawned += BATCH) await runBatch(task);
  if (done !== count) result.errors++;
  return { tasks: done };
}

async function trioSoak() {
  const trio = await import('@duet/trio');
  return soak(trio.run, async (time, result, TASKS, SCOPES, CHURN_SECONDS) => {
    await time('tasks', () =>
      tasksPhase(result, TASKS, trio.checkpoint, (task) =>
        trio.openNursery((n) => {
          for (let i = 0; i < BATCH; i++) n.startSoon(task);
        }),
      ),
    );
    await time('scopes', async () => {
      let expired = 0;
      const worker = async (first) => {
        for (let i = first; i < SCOPES; i += CONCURRENT_SCOPES) {
          const scope = trio.moveOnAfter(i % 2 === 0 ? 0 : 3600);
          await scope.run(() => trio.checkpoint());
          if (scope.cancelledCaught) expired++;
        }
      };
      await trio.openNursery((n) => {
        for (let w = 0; w < CONCURRENT_SCOPES; w++) n.startSoon(worker, w);
      });
      if (expired !== SCOPES / 2) result.errors++;
      return { scopes: SCOPES, expired };
    });
    await time('churn', async () => {
      let rounds = 0;
      let cancelled = 0;
      const end = trio.currentTime() + CHURN_SECONDS;
      while (trio.currentTime() < end) {
        let started = 0;
        await trio.openNursery(async (n) => {
          for (let i = 0; i < CHURN_TASKS; i++) {
            n.startSoon(async () => {
              started++;
              try {
                await trio.sleepForever();
              } catch (err) {
                if (trio.isCancelled(err)) cancelled++;
                throw err;
              }
            });
          }
          await trio.sleep(0.001);
          n.cancelScope.cancel();
        });
        if (started !== CHURN_TASKS) result.errors++;
        rounds++;
      }
      if (cancelled !== rounds * CHURN_TASKS) result.errors++;
      return { rounds, cancelled };
    });
  });
}

async function asyncioSoak() {
  const aio = await import('@duet/asyncio');
  return soak(aio.run, async (time, result, TASKS, SCOPES, CHURN_SECONDS) => {
    await time('tasks', () =>
      tasksPhase(
        result,
        TASKS,
        () => aio.sleep(0),
        (task) =>
          new aio.TaskGroup().run((tg) => {
            for (let i = 0; i < BATCH; i++) tg.createTask(task);
          }),
      ),
    );
    await time('scopes', async () => {
      let expired = 0;
      const worker = async (first) => {
        for (let i = first; i < SCOPES; i += CONCURRENT_SCOPES) {
          try {
            await aio.timeout(i % 2 === 0 ? 0 : 3600, () => aio.sleep(0));
          } catch (err) {
            if (!(err instanceof aio.TimeoutError)) throw err;
            expired++;
          }
        }
      };
      await new aio.TaskGroup().run((tg) => {
        for (let w = 0; w < CONCURRENT_SCOPES; w++) tg.createTask(() => worker(w));
      });
      if (expired !== SCOPES / 2) result.errors++;
      return { scopes: SCOPES, expired };
    });
    await time('churn', async () => {
      let rounds = 0;
      let cancelled = 0;
      const loop = aio.getRunningLoop();
      const end = loop.time() + CHURN_SECONDS;
      while (loop.time() < end) {
        const tasks = [];
        await new aio.TaskGroup().run(async (tg) => {
          for (let i = 0; i < CHURN_TASKS; i++) {
            tasks.push(tg.createTask(() => aio.sleep(3600)));
          }
          await aio.sleep(0.001);
          for (const t of tasks) t.cancel();
        });
        cancelled += tasks.filter((t) => t.cancelled()).length;
        rounds++;
      }
      if (cancelled !== rounds * CHURN_TASKS) result.errors++;
      return { rounds, cancelled };
    });
  });
}

await harness(import.meta.url, { trio: trioSoak, asyncio: asyncioSoak }, (result) => {
  result.heapChange = (result.heapEnd - result.heapStart) / result.heapStart;
});
