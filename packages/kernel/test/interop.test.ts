/**
 * interop.ts: foreign Promises as checkpoints (awaitForeign), the task's signal, orderly teardown
 * of foreign work, outside signals, host waits (HostWait, hostEvent), and the explained deadlock
 * when Node runs out of work.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CancelScope,
  Cancelled,
  awaitForeign,
  currentSignal,
  currentTask,
  openNursery,
  run,
  sleep,
  HostWait,
  hostEvent,
  checkpoint,
} from '@duet/kernel';

describe('currentSignal', () => {
  test('aborts when a scope around it is cancelled, with a Cancelled as reason', async () => {
    await run(async () => {
      const scope = new CancelScope();
      await scope.run(async () => {
        const signal = currentSignal();
        expect(signal.aborted).toBe(false);
        scope.cancel('enough');
        expect(signal.aborted).toBe(true);
        expect(signal.reason).toBeInstanceOf(Cancelled);
        expect((signal.reason as Error).message).toBe('enough');
      });
    });
  });

  test('a shield stops it: the signal inside a shielded scope stays quiet', async () => {
    await run(async () => {
      const outer = new CancelScope();
      await outer.run(async () => {
        await new CancelScope({ shield: true }).run(async () => {
          const inner = currentSignal();
          outer.cancel();
          expect(inner.aborted).toBe(false);
        });
      });
      expect(outer.cancelledCaught).toBe(false);
    });
  });

  test('an edge request aborts it; after uncancel a fresh one is handed out', async () => {
    await run(async () => {
      const task = currentTask();
      const before = currentSignal();
      task.requestCancel('edge');
      expect(before.aborted).toBe(true);
      expect((before.reason as Cancelled)._edge).toBe(true);
      task.uncancel();
      const after = currentSignal();
      expect(after).not.toBe(before);
      expect(after.aborted).toBe(false);
      await sleep(0); // no request pending any more: the checkpoint passes
    });
  });
});

describe('awaitForeign with a work function (orderly teardown)', () => {
  test('on cancel it aborts the work and waits until the work has settled', async () => {
    const log: string[] = [];
    const scope = new CancelScope({ relativeDeadline: 0.02 });
    await run(() =>
      scope.run(() =>
        awaitForeign(async (signal) => {
          try {
            await delay(5000, undefined, { signal });
          } finally {
            await delay(30);
            log.push('cleaned up');
          }
        }),
      ),
    );
    log.push('scope exited');
    expect(log).toEqual(['cleaned up', 'scope exited']);
    expect(scope.cancelledCaught).toBe(true);
  });

  test('a value the work returns after the abort is kept; the cancel lands at the next checkpoint', async () => {
    const log: unknown[] = [];
    const scope = new CancelScope();
    await run(() =>
      scope.run(async () => {
        const value = awaitForeign(async (signal) => {
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          return 'done anyway';
        });
        scope.cancel();
        log.push(await value);
        await sleep(0);
        log.push('not reached');
      }),
    );
    expect(log).toEqual(['done anyway']);
    expect(scope.cancelledCaught).toBe(true);
  });

  test('work that ignores its signal is given up on after `settle` seconds', async () => {
    const start = performance.now();
    const scope = new CancelScope({ relativeDeadline: 0.02 });
    let release!: () => void;
    const ignored = new Promise<void>((resolve) => (release = resolve));
    await run(() => scope.run(() => awaitForeign(() => ignored, { settle: 0.1 })));
    const took = performance.now() - start;
    release();
    expect(scope.cancelledCaught).toBe(true);
    expect(took).toBeGreaterThanOrEqual(100);
    expect(took).toBeLessThan(2000);
  });

  test('settle: 0 abandons at once; a later rejection is not unhandled', async () => {
    const scope = new CancelScope({ relativeDeadline: 0.01 });
    let fail!: (e: Error) => void;
    await run(() =>
      scope.run(() =>
        awaitForeign(() => new Promise((_, reject) => (fail = reject)), { settle: 0 }),
      ),
    );
    fail(new Error('late'));
    await delay(10); // the Jest guard fails the test on an unhandled rejection
    expect(scope.cancelledCaught).toBe(true);
  });

  test('an error other than the abort is raised as is', async () => {
    await expect(
      run(() =>
        awaitForeign(async () => {
          throw new Error('db down');
        }),
      ),
    ).rejects.toThrow('db down');
  });

  test('bad options are TypeErrors naming the key; a negative settle is a ValueError', async () => {
    await run(async () => {
      expect(() => awaitForeign(async () => 1, { setle: 1 } as never)).toThrow(
        /unknown option 'setle' \(allowed: settle\)/,
      );
      expect(() => awaitForeign(async () => 1, { settle: -1 })).toThrow(RangeError);
      expect(() => awaitForeign(Promise.resolve(1) as never, { settle: 1 })).toThrow(TypeError);
    });
  });
});

describe('outside signals', () => {
  test('new CancelScope({ signal }) is cancelled by an abort, with the reason as message', async () => {
    const controller = new AbortController();
    const scope = new CancelScope({ signal: controller.signal });
    await run(() =>
      scope.run(async () => {
        setTimeout(() => controller.abort(new Error('user pressed stop')), 10);
        await sleep(10);
      }),
    );
    expect(scope.cancelledCaught).toBe(true);
    expect(scope.cancelReason).toBe('signal');
  });

  test('a signal aborted before entry starts the scope cancelled; the listener goes at exit', async () => {
    const scope = new CancelScope({ signal: AbortSignal.abort() });
    await run(() => scope.run(() => sleep(10)));
    expect(scope.cancelledCaught).toBe(true);
    const controller = new AbortController();
    const late = new CancelScope({ signal: controller.signal });
    await run(() => late.run(() => sleep(0)));
    controller.abort(); // after exit: changes nothing
    expect(late.cancelCalled).toBe(false);
  });

  test('openNursery({ signal }) cancels the nursery', async () => {
    const controller = new AbortController();
    const result = await run(() =>
      openNursery(
        async (n) => {
          n.startSoon(sleep, 10);
          controller.abort();
          await sleep(10);
          return 'not reached';
        },
        { signal: controller.signal },
      ),
    );
    expect(result).toBeUndefined();
  });

  test('run({ signal }) cancels the run: run() rejects with a Cancelled carrying the reason', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGINT')), 10);
    const err = await run({ signal: controller.signal }, () =>
      openNursery(async (n) => {
        n.startSoon(sleep, 10);
        await sleep(10);
      }),
    ).catch((e: unknown) => e);
    // One Cancelled, not the group of them the nursery raised.
    expect(err).toBeInstanceOf(Cancelled);
    expect((err as Error).message).toBe('SIGINT');
    expect(((err as Error).cause as Error).message).toBe('SIGINT');
  });

  test('unknown option keys are reported with the allowed ones', async () => {
    expect(() => new CancelScope({ dedline: 1 } as never)).toThrow(
      /unknown option 'dedline' \(allowed: deadline, relativeDeadline, shield, signal\)/,
    );
    expect(() => new CancelScope({ shield: 'yes' } as never)).toThrow(TypeError);
    expect(() => new CancelScope({ signal: {} } as never)).toThrow(/must be an AbortSignal/);
    expect(() => run({ clokc: 1 } as never, () => 1)).toThrow(/unknown option 'clokc'/);
    await run(async () => {
      await expect(openNursery(() => 1, { strict: true } as never)).rejects.toThrow(
        /unknown option 'strict'/,
      );
    });
  });
});

describe('a deadlock outside a test is explained', () => {
  // Runs a small program against the built packages (npm test builds them first) and reads how it ended.
  const dist = path.resolve(__dirname, '../dist');
  const program = (load: string) => `
    const k = ${load};
    k.run(async () => {
      await k.openNursery(async (n) => {
        n.startSoon(async function waitsForever() { await new k.ParkingLot().park(); });
      });
    }).then(
      () => console.log('resolved'),
      (err) => console.log(err.name + '\\n' + err.message),
    );`;

  test.each([
    ['CommonJS', ['-e', program(`require(${JSON.stringify(path.join(dist, 'index.cjs'))})`)]],
    [
      'ESM',
      [
        '--input-type=module',
        '-e',
        program(`await import(${JSON.stringify(path.join(dist, 'index.mjs'))})`),
      ],
    ],
  ])(
    'regression (%s): run() rejects with a HangError showing what each task waits on',
    (_, args) => {
      expect(existsSync(path.join(dist, 'index.cjs'))).toBe(true);
      const child = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000 });
      expect(child.stdout).toMatch(/^HangError\n/);
      expect(child.stdout).toMatch(/nothing left to do/);
      expect(child.stdout).toMatch(/waitsForever/);
      expect(child.status).toBe(0);
    },
  );
});

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

describe('hostEvent', () => {
  const hostListeners = (e: EventEmitter) => e.listenerCount('ready') + e.listenerCount('error');

  test("resolves with the event's arguments and removes both listeners", async () => {
    const emitter = new EventEmitter();
    const args = await run(async () => {
      setImmediate(() => emitter.emit('ready', 1, 'two'));
      return hostEvent(emitter, 'ready', 'ready');
    });
    expect(args).toEqual([1, 'two']);
    expect(hostListeners(emitter)).toBe(0);
  });

  test("raises the 'error' event's error and removes both listeners", async () => {
    const emitter = new EventEmitter();
    const failure = new Error('refused');
    const outcome = await run(async () => {
      setImmediate(() => emitter.emit('error', failure));
      return hostEvent(emitter, 'ready', 'ready').catch((err: unknown) => err);
    });
    expect(outcome).toBe(failure);
    expect(hostListeners(emitter)).toBe(0);
  });

  test('cancellation abandons the wait: onAbort runs, the listeners go, the scope catches it', async () => {
    const emitter = new EventEmitter();
    let aborted = 0;
    const caught = await run(async () => {
      const scope = new CancelScope();
      setImmediate(() => scope.cancel());
      await scope.run(() => hostEvent(emitter, 'ready', 'ready', { onAbort: () => aborted++ }));
      return scope.cancelledCaught;
    });
    expect(caught).toBe(true);
    expect(aborted).toBe(1);
    expect(hostListeners(emitter)).toBe(0);
  });

  test('uncancellable: a cancel waits for the event, then is raised at the next checkpoint', async () => {
    const emitter = new EventEmitter();
    const seen: string[] = [];
    await run(async () => {
      const scope = new CancelScope();
      setImmediate(() => {
        scope.cancel();
        setImmediate(() => emitter.emit('ready'));
      });
      await scope.run(async () => {
        await hostEvent(emitter, 'ready', 'spawn', { uncancellable: true });
        seen.push('event arrived');
        await checkpoint();
        seen.push('not reached: the checkpoint raises');
      });
      seen.push(`cancelled caught: ${scope.cancelledCaught}`);
    });
    expect(seen).toEqual(['event arrived', 'cancelled caught: true']);
    expect(hostListeners(emitter)).toBe(0);
  });
});
