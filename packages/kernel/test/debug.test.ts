import diagnostics from 'node:diagnostics_channel';
import {
  CancelScope,
  DIAGNOSTICS_CHANNELS,
  HangError,
  MockClock,
  ParkingLot,
  TraceRecorder,
  checkpoint,
  openNursery,
  run,
  sleep,
} from '@duet/kernel';

describe('debug mode', () => {
  test('warns once when a task swallows Cancelled and waits again', async () => {
    const warnings: string[] = [];
    await run({ debug: { onWarning: (m) => warnings.push(m) } }, async () => {
      const scope = new CancelScope();
      await scope.run(async () => {
        scope.cancel();
        for (let i = 0; i < 3; i++) {
          try {
            await checkpoint();
          } catch {
            // swallowed on purpose
          }
        }
      });
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/caught a Cancelled and went on to wait again/);
  });

  test('a Cancelled that propagates gives no warning', async () => {
    const warnings: string[] = [];
    await run({ debug: { onWarning: (m) => warnings.push(m) } }, async () => {
      const scope = new CancelScope();
      await scope.run(async () => {
        scope.cancel();
        await checkpoint();
      });
      await checkpoint();
    });
    expect(warnings).toEqual([]);
  });

  test('warns when a step holds the event loop past the threshold, naming the task', async () => {
    const warnings: string[] = [];
    await run(
      { debug: { slowStepThreshold: 0.005, onWarning: (m) => warnings.push(m) } },
      async function busy() {
        await checkpoint();
        const end = performance.now() + 15;
        while (performance.now() < end) {
          // hold the loop
        }
        await checkpoint();
      },
    );
    expect(warnings.some((w) => /busy.*ran for \d+ ms without yielding/.test(w))).toBe(true);
  });

  test('warns when a scope exits with listeners still on its signal', async () => {
    const warnings: string[] = [];
    await run({ debug: { onWarning: (m) => warnings.push(m) } }, async () => {
      await new CancelScope().run((scope) => {
        scope.signal.addEventListener('abort', () => undefined);
      });
    });
    expect(warnings[0]).toMatch(/AbortSignal still had 1 abort listener/);
  });
});

describe('debug mode as a lazily loaded chunk', () => {
  test('the options are checked at the call, before the chunk loads', () => {
    const main = async (): Promise<void> => {};
    expect(() => run({ debug: true, bogus: 1 } as never, main)).toThrow(
      /run\(\): unknown option 'bogus'/,
    );
    expect(() => run({ debug: true, signal: 'x' as never }, main)).toThrow(TypeError);
  });

  test('with a diagnostics subscriber too, the run has both from its first task', async () => {
    const warnings: string[] = [];
    const spawned: string[] = [];
    const onSpawn = (m: unknown): void => {
      spawned.push((m as { name: string }).name);
    };
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.taskSpawn, onSpawn);
    try {
      await run({ debug: { onWarning: (m) => warnings.push(m) } }, async function root() {
        void sleep(1); // never awaited: debug mode names it
        await sleep(0);
      }).catch(() => {});
    } finally {
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.taskSpawn, onSpawn);
    }
    expect(spawned).toContain('root');
    expect(warnings.some((w) => /never awaited/.test(w))).toBe(true);
  });
});

describe('hang detection', () => {
  test('a deadlock fails the run with the task tree naming the stuck task', async () => {
    const lot = new ParkingLot('Lock#3');
    const err = await run({ hangDetection: { deadlock: true } }, async () => {
      await openNursery(async (n) => {
        n.startSoon(async function stuckWorker() {
          await lot.park();
        });
      });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HangError);
    expect((err as Error).message).toMatch(/deadlock/);
    expect((err as Error).message).toMatch(/stuckWorker: parked on Lock#3/);
  });

  test('the real-time limit fails a run that never finishes', async () => {
    const err = await run(
      { clock: new MockClock(), hangDetection: { realTimeout: 0.01 } },
      async function waiter() {
        await sleep(10); // the mock clock never moves
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HangError);
    expect((err as Error).message).toMatch(
      /real-time limit of 0.01 s[\s\S]*waiter: parked on sleep until t=10/,
    );
  });
});

describe('dump on signal', () => {
  test('prints the task tree to stderr and goes on', async () => {
    const writes: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      await run({ dumpOnSignal: 'SIGUSR2' }, async function dumped() {
        process.emit('SIGUSR2', 'SIGUSR2');
        await checkpoint();
      });
    } finally {
      process.stderr.write = original;
    }
    expect(writes.join('')).toMatch(/task tree at t=[\s\S]*dumped/);
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });
});

describe('TraceRecorder', () => {
  test('records spawn, step, park and exit with virtual times, exports Chrome trace events', async () => {
    const trace = new TraceRecorder();
    await run(
      { clock: new MockClock({ autojumpThreshold: 0 }), instruments: [trace] },
      async function main() {
        await openNursery(async (n) => {
          n.startSoon(async function sleeper() {
            await sleep(2);
          });
        });
      },
    );
    const sleeper = trace.events.filter((e) => e.taskName === 'sleeper');
    expect(sleeper.map((e) => e.kind)).toEqual([
      'spawn',
      'schedule',
      'step',
      'park',
      'schedule',
      'step',
      'exit',
    ]);
    expect(sleeper.find((e) => e.kind === 'park')!.detail).toMatch(/sleep until t=2/);
    expect(sleeper.at(-1)!.time).toBe(2);
    const chrome = trace.toChromeTrace();
    expect(chrome.traceEvents.some((e) => (e as { ph: string }).ph === 'X')).toBe(true);
    expect(JSON.parse(JSON.stringify(chrome)).traceEvents.length).toBe(chrome.traceEvents.length);
  });
});
