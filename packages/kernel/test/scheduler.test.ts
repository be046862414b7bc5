// The scheduler's rules (scheduler.ts): FIFO batches, callbacks in queue order with task steps,
// a turn for the host between batches, and a task out in foreign work holding nobody else.
import { once } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { checkpoint, currentRunner, currentTaskOrUndefined, openNursery, run } from '@duet/kernel';

test('tasks take their steps in FIFO order, one step each per batch', async () => {
  const log: string[] = [];
  await run(async () => {
    await openNursery(async (nursery) => {
      for (const name of ['a', 'b', 'c']) {
        nursery.startSoon(async () => {
          for (let i = 0; i < 3; i++) {
            log.push(`${name}${i}`);
            await checkpoint();
          }
        });
      }
    });
  });
  expect(log).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
});

test('a step that takes several microtask hops ends before the next task of the batch resumes', async () => {
  // asyncio's and Trio's tasks run one step at a time: a task woken first has taken its whole
  // step (here: resumed through two extra promise hops, then finished) before a task woken after
  // it resumes. CPython: `fut.set_result(1); await sleep(0)` finds the waiting task done.
  const log: string[] = [];
  await run(async () => {
    await openNursery(async (nursery) => {
      nursery.startSoon(async () => {
        await Promise.resolve(checkpoint()).then((v) => v);
        log.push('first task, end of step');
        await checkpoint();
      });
      nursery.startSoon(async () => {
        await checkpoint();
        log.push('second task resumed');
      });
    });
  });
  expect(log).toEqual(['first task, end of step', 'second task resumed']);
});

test('a callback queued after a task waits until that task is back in the kernel', async () => {
  const log: string[] = [];
  await run(async () => {
    const runner = currentRunner();
    runner.callSoon(() => log.push('cb1'));
    const resumed = checkpoint(); // queued after cb1
    runner.callSoon(() => log.push('cb2')); // queued after the task
    await resumed;
    log.push('task step');
    await checkpoint(); // back in the kernel: cb2 may run now
    log.push('task again');
  });
  expect(log).toEqual(['cb1', 'task step', 'cb2', 'task again']);
});

test('a loop of checkpoints lets the host run between batches', async () => {
  const rounds = await run(async () => {
    let hostRan = false;
    setImmediate(() => (hostRan = true));
    let n = 0;
    while (!hostRan && n < 100_000) {
      await checkpoint();
      n++;
    }
    return n;
  });
  // Batches follow each other as microtasks for about a millisecond (HOST_TURN_MS), a few hundred
  // checkpoints at most; a run that never gave the host its turn would reach the cap.
  expect(rounds).toBeLessThan(20_000);
});

/** CPU time of this process so far, in ms: unlike wall time, it stands still while the OS runs others. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

test('a run busy with one-task batches lets a foreign socket and a host timer through', async () => {
  // One task checkpointing in a loop: every batch holds one step, the case where batches follow
  // each other as microtasks. An echo over a real socket and a 1 ms timer chain, both outside the
  // run, must keep going while it is busy. The gaps are measured in this process's CPU time, so a
  // loaded machine that does not schedule the process at all does not count as starvation.
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  let busy = true;
  let echoes = 0;
  let ticks = 0;
  let last = cpuMs();
  let worstGap = 0;
  const seen = (): void => {
    const now = cpuMs();
    worstGap = Math.max(worstGap, now - last);
    last = now;
  };
  client.on('data', () => {
    echoes++;
    seen();
    if (busy) client.write('x');
  });
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    ticks++;
    seen();
    if (busy) timer = setTimeout(tick, 1);
  };
  try {
    await run(async () => {
      client.write('x');
      timer = setTimeout(tick, 1);
      const start = (last = cpuMs());
      for (let n = 0; echoes < 20 || ticks < 20; n++) {
        await checkpoint();
        // A run that starves the host would loop here until this cap.
        if (n % 64 === 0 && cpuMs() - start > 3000) break;
      }
      busy = false;
    });
  } finally {
    clearTimeout(timer);
    client.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  expect(echoes).toBeGreaterThanOrEqual(20);
  expect(ticks).toBeGreaterThanOrEqual(20);
  expect(worstGap).toBeLessThan(100);
});

test('a run whose steps are long gives the host a turn after each of them', async () => {
  // The host's turn is due after a time, not after a number of steps. The scheduler looks at the
  // time less often while steps are cheap (here a few thousand checkpoints first), but once they
  // turn long (3 ms each) it must soon let a foreign setImmediate chain in after every one of them.
  let longSteps = 0;
  let stepsSinceImmediate = 0;
  let worst = 0;
  let worstSettled = 0; // from the 10th long step on
  let turns = 0;
  let immediate: NodeJS.Immediate | undefined;
  const onImmediate = (): void => {
    turns++;
    worst = Math.max(worst, stepsSinceImmediate);
    if (longSteps >= 10) worstSettled = Math.max(worstSettled, stepsSinceImmediate);
    stepsSinceImmediate = 0;
    immediate = setImmediate(onImmediate);
  };
  try {
    await run(async () => {
      immediate = setImmediate(onImmediate);
      for (let i = 0; i < 5000; i++) await checkpoint();
      turns = 0;
      for (; longSteps < 40; longSteps++) {
        const end = performance.now() + 3;
        while (performance.now() < end); // a step that computes for 3 ms
        stepsSinceImmediate++;
        await checkpoint();
      }
    });
  } finally {
    clearImmediate(immediate);
  }
  expect(turns).toBeGreaterThanOrEqual(20);
  expect(worst).toBeLessThanOrEqual(9); // at most 16 items (8 one-task batches) before a look
  expect(worstSettled).toBeLessThanOrEqual(2);
});

test('a task out in foreign work mid-step does not hold the other tasks back', async () => {
  const log: string[] = [];
  await run(async () => {
    await openNursery(async (nursery) => {
      nursery.startSoon(async () => {
        await checkpoint();
        // A plain await of foreign work: the task stays mid-step until the timer fires.
        await new Promise((resolve) => setTimeout(resolve, 200));
        log.push('foreign done');
      });
      nursery.startSoon(async () => {
        for (let i = 0; i < 3; i++) {
          await checkpoint();
          log.push(`other ${i}`);
        }
      });
    });
  });
  expect(log).toEqual(['other 0', 'other 1', 'other 2', 'foreign done']);
});

test('callSoon(fn, arg) calls fn with arg, in FIFO order with task steps', async () => {
  const log: unknown[] = [];
  const record = (arg: unknown): void => {
    log.push(arg);
  };
  await run(async () => {
    const runner = currentRunner();
    runner.callSoon(record, 'first');
    const resumed = checkpoint();
    runner.callSoon(record, undefined);
    runner.callSoon(record, record); // a function as the argument is not taken for a callback
    await resumed;
    log.push('task step');
    await checkpoint();
  });
  expect(log).toEqual(['first', 'task step', undefined, record]);
});

test("a queued task is taken out of the queue, not a callback's argument that is that task", async () => {
  const log: unknown[] = [];
  await run(async () => {
    const runner = currentRunner();
    const task = currentTaskOrUndefined()!;
    runner.callSoon((arg) => log.push(arg === task ? 'got the task' : arg), task);
    runner.callSoon((arg) => log.push(arg), 'second');
    await openNursery((nursery) => {
      // A started checkpoint queued this task; the TypeError drops that queued step again.
      expect(() => nursery.startSoon(checkpoint() as never)).toThrow(TypeError);
    });
  });
  expect(log).toEqual(['got the task', 'second']);
});
