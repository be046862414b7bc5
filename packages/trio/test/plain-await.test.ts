/**
 * Issue 14: a plain `await` of a foreign Promise is legal. Each test here is one of the failures the
 * issue lists, run against real Node APIs.
 */
import { execFile } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CancelScope,
  Cancelled,
  currentTime,
  ExceptionGroup,
  currentSignal,
  isCancelled,
  moveOnAfter,
  openMemoryChannel,
  openNursery,
  run,
  sleep,
} from '@duet/trio';
import { currentTrioToken } from '@duet/trio/lowlevel';
import { MockClock } from '@duet/trio/testing';

const t0 = () => performance.now();

describe('deadlines fire whatever other tasks await', () => {
  test('regression: a sibling sleep(0.1) wakes on time while another task awaits timers/promises', async () => {
    const start = t0();
    let woke = -1;
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await sleep(0.1);
          woke = t0() - start;
        });
        n.startSoon(async () => {
          await delay(600);
        });
      });
    });
    expect(woke).toBeGreaterThanOrEqual(90);
    expect(woke).toBeLessThan(450);
  });

  test('regression: moveOnAfter around a real fetch of a slow server gives up at its deadline', async () => {
    const server = http.createServer((_req, res) => {
      const timer = setTimeout(() => res.end('late'), 3000);
      res.on('close', () => clearTimeout(timer));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const start = t0();
      const scope = new CancelScope({ relativeDeadline: 0.2 });
      const status = await run(() =>
        scope.run(async () => (await fetch(url, { signal: currentSignal() })).status),
      );
      const took = t0() - start;
      expect(status).toBeUndefined();
      expect(scope.cancelledCaught).toBe(true);
      expect(took).toBeLessThan(2000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('regression: a run whose only wake-up is a deadline over a plain await still finishes', async () => {
    // events.once on an emitter nobody emits holds no handle: before the fix the host timer was never
    // armed, so (outside Jest) the process exited in the middle of the run.
    const emitter = new EventEmitter();
    const start = t0();
    const scope = new CancelScope({ relativeDeadline: 0.1 });
    await run(() => scope.run(() => once(emitter, 'never', { signal: currentSignal() })));
    expect(scope.cancelledCaught).toBe(true);
    expect(t0() - start).toBeLessThan(1500);
    expect(emitter.listenerCount('never')).toBe(0);
  });

  test('several scopes entered in one step each fire at their own deadline', async () => {
    const start = t0();
    const fired: number[] = [];
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(() => delay(700)); // a plain await that spans both deadlines
        n.startSoon(async () => {
          const outer = new CancelScope({ relativeDeadline: 0.4 });
          await outer.run(async () => {
            const inner = new CancelScope({ relativeDeadline: 0.1 });
            await inner.run(() => delay(5000, undefined, { signal: currentSignal() }));
            fired.push(t0() - start);
            await delay(5000, undefined, { signal: currentSignal() });
          });
          fired.push(t0() - start);
        });
      });
    });
    expect(fired).toHaveLength(2);
    expect(fired[0]).toBeLessThan(350);
    expect(fired[1]).toBeGreaterThanOrEqual(380);
    expect(fired[1]).toBeLessThan(650);
  });
});

describe('autojump with tasks out in plain awaits', () => {
  test('the MockClock does not jump while a task is in a plain await, and jumps after', async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const log: string[] = [];
    await run({ clock }, async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await sleep(10);
          log.push(`sleeper woke at ${currentTime()}`);
        });
        n.startSoon(async () => {
          await delay(50); // real time: virtual time must stand still meanwhile
          log.push(`foreign done at ${currentTime()}`);
        });
      });
    });
    expect(log).toEqual(['foreign done at 0', 'sleeper woke at 10']);
  });
});

describe('a cancelled checkpoint is a schedule point', () => {
  test('regression: a loop of cancelled receives lets timers and other tasks run', async () => {
    let immediates = 0;
    let siblingTurns = 0;
    let polls = 0;
    await run(async () => {
      const [, rx] = openMemoryChannel<number>(0);
      await openNursery(async (n) => {
        n.startSoon(async () => {
          for (let i = 0; i < 20; i++) {
            siblingTurns++;
            await sleep(0);
          }
        });
        const end = Date.now() + 150;
        const tick = () => {
          immediates++;
          if (Date.now() < end) setImmediate(tick);
        };
        setImmediate(tick);
        while (Date.now() < end) {
          await moveOnAfter(0, () => rx.receive());
          polls++;
        }
      });
    });
    expect(polls).toBeGreaterThan(0);
    expect(siblingTurns).toBe(20);
    expect(immediates).toBeGreaterThan(3);
  });
});

describe("Node's AbortErrors are the scope's cancellation", () => {
  async function expectCaughtByScope(body: () => Promise<unknown>): Promise<void> {
    const scope = new CancelScope({ relativeDeadline: 0.05 });
    let seen: unknown;
    await run(() =>
      scope.run(async () => {
        try {
          await body();
        } catch (err) {
          seen = err;
          throw err;
        }
      }),
    );
    expect(scope.cancelledCaught).toBe(true);
    expect(isCancelled(seen)).toBe(true);
  }

  test('regression: timers/promises', () =>
    expectCaughtByScope(() => delay(5000, undefined, { signal: currentSignal() })));

  test('regression: events.once', () =>
    expectCaughtByScope(() => once(new EventEmitter(), 'x', { signal: currentSignal() })));

  test('regression: fs.promises.readFile on a FIFO that a writer trickles into', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'duet-fifo-'));
    const fifo = path.join(dir, 'fifo');
    await new Promise<void>((resolve, reject) =>
      execFile('mkfifo', [fifo], (err) => (err ? reject(err) : resolve())),
    );
    // Opening either end blocks (in the thread pool) until the other end opens: start the writer
    // first; it writes a byte every 10 ms, so readFile looks at its signal between reads.
    const opening = fsp.open(fifo, 'w');
    let trickle: NodeJS.Timeout | undefined;
    void opening.then((writer) => {
      trickle = setInterval(() => void writer.write('x').catch(() => {}), 10);
    });
    try {
      await expectCaughtByScope(() => fsp.readFile(fifo, { signal: currentSignal() }));
    } finally {
      const writer = await opening;
      clearInterval(trickle);
      await writer.close();
      await fsp.rm(dir, { recursive: true });
    }
  });

  test('regression: stream.pipeline', () =>
    expectCaughtByScope(() =>
      pipeline(new Readable({ read() {} }), new Writable({ write: (_c, _e, cb) => cb() }), {
        signal: currentSignal(),
      }),
    ));

  test('regression: child_process.execFile', () =>
    expectCaughtByScope(
      () =>
        new Promise((resolve, reject) =>
          execFile(
            process.execPath,
            ['-e', 'setTimeout(() => {}, 5000)'],
            { signal: currentSignal() },
            (err) => (err ? reject(err) : resolve(undefined)),
          ),
        ),
    ));

  test('an AbortError of a child counts as Cancelled in nursery aggregation', async () => {
    const outer = new CancelScope();
    await run(() =>
      outer.run(() =>
        openNursery(async (n) => {
          n.startSoon(() => delay(5000, undefined, { signal: currentSignal() }));
          n.startSoon(() => once(new EventEmitter(), 'x', { signal: currentSignal() }));
          await sleep(0.01);
          outer.cancel();
        }),
      ),
    );
    expect(outer.cancelledCaught).toBe(true);
  });

  test('isCancelled and ExceptionGroup.split follow the cause chain', () => {
    const cancelled = new Cancelled();
    const abortError = Object.assign(new Error('The operation was aborted', { cause: cancelled }), {
      name: 'AbortError',
    });
    expect(isCancelled(abortError)).toBe(true);
    expect(isCancelled(new Error('x', { cause: new Error('y') }))).toBe(false);
    // An error that converts a cancellation on purpose (asyncio's TimeoutError) is a failure.
    expect(isCancelled(new Error('timed out', { cause: cancelled }))).toBe(false);
    const group = new ExceptionGroup('g', [abortError, new Error('boom')]);
    const [matched, rest] = group.split(Cancelled);
    expect(matched?.exceptions).toEqual([abortError]);
    expect(rest?.exceptions.map((e) => (e as Error).message)).toEqual(['boom']);
    expect(isCancelled(new ExceptionGroup('g', [abortError]))).toBe(true);
  });
});

describe('callbacks queued during a plain await', () => {
  test('a runSyncSoon callback runs while the only task awaits a Promise that it resolves', async () => {
    // The callback was queued during the task's step; it used to wait for that step to end,
    // which here is never (the run ended in a deadlock HangError).
    const got = await run(async () => {
      const token = currentTrioToken();
      return await new Promise((resolve) => token.runSyncSoon(() => resolve('ran')));
    });
    expect(got).toBe('ran');
  });

  test('a runSyncSoon callback runs during a plain await of a timer, not after it', async () => {
    const got = await run(async () => {
      let ran = false;
      currentTrioToken().runSyncSoon(() => {
        ran = true;
      });
      await delay(30);
      return ran;
    });
    expect(got).toBe(true);
  });
});
