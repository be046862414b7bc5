// trio.from_thread: a toThread worker calls back into the run by name (real threads, real time).
import {
  Cancelled,
  moveOnAfter,
  run,
  sleep,
  sleepForever,
  toThread,
  type FromThread,
} from '@duet/trio';

declare const fromThread: FromThread;

/** Waits (without blocking the loop) until a worker stores a non-zero value in `cell[0]`. */
async function settledCell(cell: Int32Array): Promise<number> {
  const deadline = Date.now() + 5000;
  while (Atomics.load(cell, 0) === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Atomics.load(cell, 0);
}

test('fromThread.run and runSync call the run back, with results and errors crossing by clone', async () => {
  const seen: string[] = [];
  const result = await run(() =>
    toThread.runSync(
      {
        callbacks: {
          add: (a: number, b: number) => a + b,
          double: async (x: number) => {
            await sleep(0.01); // a checkpoint of the calling task: the callback runs in the run
            return x * 2;
          },
          fail: () => {
            throw new RangeError('no such user');
          },
          note: (line: string) => void seen.push(line),
        },
      },
      (n: number) => {
        const sum = fromThread.runSync('add', n, 1) as number;
        const doubled = fromThread.run('double', sum) as number;
        let failure = '';
        try {
          fromThread.runSync('fail');
        } catch (err) {
          failure = (err as Error).message;
        }
        let unknown = '';
        try {
          fromThread.runSync('nope');
        } catch (err) {
          unknown = (err as Error).message;
        }
        for (let i = 0; i < 5; i++) fromThread.callSoon('note', `line ${i}`);
        return { sum, doubled, failure, unknown };
      },
      41,
    ),
  );
  expect(result).toEqual({
    sum: 42,
    doubled: 84,
    failure: 'no such user',
    unknown: 'no callback named "nope" was registered',
  });
  // callSoon requests sent before the function returned are all served before the call returns.
  expect(seen).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
});

test('runSync with an async callback is an error in the worker', async () => {
  const message = await run(() =>
    toThread.runSync({ callbacks: { later: async () => 1 } }, () => {
      try {
        fromThread.runSync('later');
        return 'no error';
      } catch (err) {
        return (err as Error).message;
      }
    }),
  );
  expect(message).toBe('callback later is async: call it with fromThread.run');
});

test('a callback into a cancelled call raises Cancelled, which reaches the worker as an error', async () => {
  const cancelledNames: string[] = [];
  await run(async () => {
    const scope = moveOnAfter(0.05);
    const answer = await scope.run(() =>
      toThread.runSync(
        {
          callbacks: {
            wait: async () => {
              try {
                await sleepForever();
              } catch (err) {
                if (err instanceof Cancelled) cancelledNames.push('wait');
                throw err;
              }
            },
          },
        },
        () => {
          try {
            fromThread.run('wait');
            return 'returned';
          } catch (err) {
            return `the worker saw ${(err as Error).name}`;
          }
        },
      ),
    );
    expect(answer).toBe('the worker saw Cancelled');
  });
  expect(cancelledNames).toEqual(['wait']);
});

test('after the waiting task abandoned the call, fromThread fails at once in the worker', async () => {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  await run(async () => {
    const scope = moveOnAfter(0.02);
    await scope.run(() =>
      toThread.runSync(
        { abandonOnCancel: true, callbacks: { ping: () => 'pong' } },
        (shared: Int32Array) => {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // still busy at the cancel
          try {
            fromThread.runSync('ping');
            Atomics.store(shared, 0, 2);
          } catch (err) {
            Atomics.store(shared, 0, /stopped waiting/.test((err as Error).message) ? 1 : 3);
          }
          Atomics.notify(shared, 0);
        },
        cell,
      ),
    );
    expect(scope.cancelledCaught).toBe(true);
  });
  expect(await settledCell(cell)).toBe(1);
});

test('after the call returned, fromThread fails in the worker; without callbacks it says so', async () => {
  const cell = new Int32Array(new SharedArrayBuffer(8));
  const before = await run(() =>
    toThread.runSync(
      { callbacks: { ping: () => 'pong' } },
      (shared: Int32Array) => {
        setTimeout(() => {
          try {
            fromThread.runSync('ping');
            Atomics.store(shared, 0, 2);
          } catch (err) {
            Atomics.store(shared, 0, /already returned/.test((err as Error).message) ? 1 : 3);
          }
          Atomics.notify(shared, 0);
        }, 10);
        return fromThread.runSync('ping');
      },
      cell,
    ),
  );
  expect(before).toBe('pong');
  expect(await settledCell(cell)).toBe(1);
  const message = await run(() =>
    toThread.runSync(() => {
      try {
        fromThread.runSync('ping');
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    }),
  );
  expect(message).toMatch(/this call registered no callbacks/);
});
