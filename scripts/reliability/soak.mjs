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
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : argv[i + 1];
};
const TASKS = Number(flag('tasks', 10_000_000));
const SCOPES = Number(flag('scopes', 1_000_000));
const CHURN_SECONDS = Number(flag('churn-seconds', 60));
const BATCH = 10_000;
const CONCURRENT_SCOPES = 1_000;
const CHURN_TASKS = 1_000;

const heapAfterGc = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

async function trioSoak() {
  const trio = await import('@duet/trio');
  const result = { errors: 0, phases: {} };
  const time = async (name, fn) => {
    const start = performance.now();
    const detail = await fn();
    result.phases[name] = { seconds: (performance.now() - start) / 1000, ...detail };
  };
  const phases = async (time, TASKS, SCOPES, CHURN_SECONDS) => {
    await time('tasks', async () => {
      let done = 0;
      const task = async () => {
        await trio.checkpoint();
        done++;
      };
      for (let spawned = 0; spawned < TASKS; spawned += BATCH) {
        await trio.openNursery((n) => {
          for (let i = 0; i < BATCH; i++) n.startSoon(task);
        });
      }
      if (done !== TASKS) result.errors++;
      return { tasks: done };
    });
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
  };
  await trio.run(async () => {
    // A small pass first, so that the start heap already holds what a run keeps once warm (compiled
    // code, pools, caches): growth after that is what a leak would show.
    await phases(async (_name, fn) => fn(), BATCH, CONCURRENT_SCOPES * 2, 0.5);
    result.heapStart = heapAfterGc();
    await phases(time, TASKS, SCOPES, CHURN_SECONDS);
    result.heapEnd = heapAfterGc();
  });
  return result;
}

async function asyncioSoak() {
  const aio = await import('@duet/asyncio');
  const result = { errors: 0, phases: {} };
  const time = async (name, fn) => {
    const start = performance.now();
    const detail = await fn();
    result.phases[name] = { seconds: (performance.now() - start) / 1000, ...detail };
  };
  const phases = async (time, TASKS, SCOPES, CHURN_SECONDS) => {
    await time('tasks', async () => {
      let done = 0;
      const task = async () => {
        await aio.sleep(0);
        done++;
      };
      for (let spawned = 0; spawned < TASKS; spawned += BATCH) {
        await new aio.TaskGroup().run((tg) => {
          for (let i = 0; i < BATCH; i++) tg.createTask(task);
        });
      }
      if (done !== TASKS) result.errors++;
      return { tasks: done };
    });
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
  };
  await aio.run(async () => {
    // A small pass first, so that the start heap already holds what a run keeps once warm (compiled
    // code, pools, caches): growth after that is what a leak would show.
    await phases(async (_name, fn) => fn(), BATCH, CONCURRENT_SCOPES * 2, 0.5);
    result.heapStart = heapAfterGc();
    await phases(time, TASKS, SCOPES, CHURN_SECONDS);
    result.heapEnd = heapAfterGc();
  });
  return result;
}

/** Child: one facade; prints its result, then the time run() settled, then lets Node exit. */
async function child(facade) {
  const before = process.getActiveResourcesInfo();
  const result = facade === 'trio' ? await trioSoak() : await asyncioSoak();
  result.activeResources = process.getActiveResourcesInfo();
  for (const r of before) result.activeResources.splice(result.activeResources.indexOf(r), 1);
  process.stdout.write(`${JSON.stringify(result)}\n${Date.now()}\n`);
}

/** Parent: runs each facade in its own process and measures how long each took to exit. */
async function parent() {
  const facades = flag('facades', 'trio,asyncio').split(',');
  const script = fileURLToPath(import.meta.url);
  const results = {};
  for (const facade of facades) {
    const proc = spawn(process.execPath, ['--expose-gc', script, ...argv, '--child', facade], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const exitedAt = await new Promise((resolve) => proc.on('exit', () => resolve(Date.now())));
    const [json, settledAt] = out.trim().split('\n');
    const result = JSON.parse(json);
    result.exitMs = exitedAt - Number(settledAt);
    result.heapChange = (result.heapEnd - result.heapStart) / result.heapStart;
    results[facade] = result;
    console.log(`${facade}:`, JSON.stringify(result, null, 2));
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
  console.log(`machine: ${machine}`);
  console.log(`command: node scripts/reliability/soak.mjs ${argv.join(' ')}`.trim());
  const failed = Object.values(results).some(
    (r) => r.errors !== 0 || r.activeResources.length !== 0,
  );
  process.exitCode = failed ? 1 : 0;
}

const childFacade = flag('child', null);
if (childFacade !== null) await child(childFacade);
else await parent();
