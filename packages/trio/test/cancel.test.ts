import {
  CancelScope,
  Cancelled,
  FailScope,
  TooSlowError,
  ValueError,
  checkpoint,
  currentEffectiveDeadline,
  currentTime,
  failAfter,
  failAt,
  moveOnAfter,
  moveOnAt,
  openNursery,
  sleep,
  sleepForever,
  sleepUntil,
} from '@duet/trio';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

describe('cancel scopes', () => {
  test(
    'cancel() inside the scope: the next checkpoint raises and the scope catches it',
    trioTest(async () => {
      const log: string[] = [];
      const scope = new CancelScope();
      const result = await scope.run(async (s) => {
        s.cancel();
        log.push('after cancel');
        await checkpoint();
        log.push('unreachable');
        return 1;
      });
      expect(result).toBeUndefined();
      expect(log).toEqual(['after cancel']);
      expect(scope.cancelCalled).toBe(true);
      expect(scope.cancelledCaught).toBe(true);
      expect(scope.cancelReason).toBe('explicit');
    }),
  );

  test(
    'level-triggered: every checkpoint raises until the scope exits',
    trioTest(async () => {
      let raised = 0;
      await new CancelScope().run(async (s) => {
        s.cancel();
        for (let i = 0; i < 3; i++) {
          try {
            await checkpoint();
          } catch (err) {
            expect(err).toBeInstanceOf(Cancelled);
            raised++;
          }
        }
      });
      expect(raised).toBe(3);
      await checkpoint(); // outside: no longer cancelled
    }),
  );

  test(
    'cancel before entering: the first checkpoint inside raises',
    trioTest(async () => {
      const scope = new CancelScope();
      scope.cancel();
      expect(scope.cancelCalled).toBe(true);
      const log: string[] = [];
      await scope.run(async () => {
        log.push('entered');
        await sleep(1);
        log.push('unreachable');
      });
      expect(log).toEqual(['entered']);
      expect(scope.cancelledCaught).toBe(true);
      expect(currentTime()).toBe(0);
    }),
  );

  test(
    'a scope can be entered only once',
    trioTest(async () => {
      const scope = new CancelScope();
      await scope.run(() => undefined);
      await expect(scope.run(() => undefined)).rejects.toThrow(/entered only once/);
    }),
  );

  test(
    'cancelled but the body finished without a checkpoint: cancelCalled without cancelledCaught',
    trioTest(async () => {
      const scope = new CancelScope();
      const value = await scope.run((s) => {
        s.cancel();
        return 'done';
      });
      expect(value).toBe('done');
      expect(scope.cancelCalled).toBe(true);
      expect(scope.cancelledCaught).toBe(false);
    }),
  );

  test(
    'nested: cancelling the outer scope is caught by the outer one, not the inner',
    trioTest(async () => {
      const outer = new CancelScope();
      let inner!: CancelScope;
      const log: string[] = [];
      await outer.run(async () => {
        inner = new CancelScope();
        await inner.run(async () => {
          outer.cancel();
          try {
            await checkpoint();
          } finally {
            log.push('inner body unwinds');
          }
        });
        log.push('unreachable: Cancelled passes through the inner scope');
      });
      expect(log).toEqual(['inner body unwinds']);
      expect(inner.cancelledCaught).toBe(false);
      expect(inner.cancelCalled).toBe(false);
      expect(outer.cancelledCaught).toBe(true);
    }),
  );

  test(
    'both cancelled: the outermost cancelled scope catches (the inner one lets it pass)',
    trioTest(async () => {
      // Checked against Trio 0.22: with outer and inner both cancelled, only the outer scope reports
      // cancelled_caught, because the inner one sees its parent is cancelled too.
      const outer = new CancelScope();
      const inner = new CancelScope();
      const log: string[] = [];
      await outer.run(async () => {
        await inner.run(async () => {
          inner.cancel();
          outer.cancel();
          await checkpoint();
        });
        log.push('unreachable');
      });
      expect(log).toEqual([]);
      expect(inner.cancelledCaught).toBe(false);
      expect(outer.cancelledCaught).toBe(true);
    }),
  );

  test(
    'inner cancelled only: the inner scope catches and the outer body continues',
    trioTest(async () => {
      const outer = new CancelScope();
      const inner = new CancelScope();
      const log: string[] = [];
      await outer.run(async () => {
        await inner.run(async () => {
          inner.cancel();
          await checkpoint();
        });
        log.push('outer continues');
        await checkpoint();
      });
      expect(log).toEqual(['outer continues']);
      expect(inner.cancelledCaught).toBe(true);
      expect(outer.cancelledCaught).toBe(false);
    }),
  );

  test(
    'a shield blocks outer cancellation; the next checkpoint after leaving it raises',
    trioTest(async () => {
      const outer = new CancelScope();
      const log: string[] = [];
      await outer.run(async () => {
        outer.cancel();
        await new CancelScope({ shield: true }).run(async () => {
          await sleep(1);
          log.push('shielded sleep finished');
        });
        log.push('after shield, before checkpoint');
        await checkpoint();
        log.push('unreachable');
      });
      expect(log).toEqual(['shielded sleep finished', 'after shield, before checkpoint']);
      expect(currentTime()).toBe(1);
      expect(outer.cancelledCaught).toBe(true);
    }),
  );

  test(
    'cancelling the outer scope while the inner shielded one sleeps: the sleep completes',
    trioTest(async () => {
      const outer = new CancelScope();
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await outer.run(async () => {
            await new CancelScope({ shield: true }).run(async () => {
              await sleep(5);
              log.push(`shielded done at ${currentTime()}`);
            });
            await sleep(1);
            log.push('unreachable');
          });
          log.push(`outer exited at ${currentTime()}`);
        });
        await sleep(2);
        outer.cancel();
        log.push('cancelled outer at 2');
      });
      expect(log).toEqual(['cancelled outer at 2', 'shielded done at 5', 'outer exited at 5']);
      expect(outer.cancelledCaught).toBe(true);
    }),
  );

  test(
    'a shielded scope can still be cancelled by itself',
    trioTest(async () => {
      const shielded = new CancelScope({ shield: true, relativeDeadline: 3 });
      await shielded.run(() => sleepForever());
      expect(shielded.cancelledCaught).toBe(true);
      expect(currentTime()).toBe(3);
    }),
  );

  test(
    'turning the shield off while inside exposes the pending outer cancellation',
    trioTest(async () => {
      const outer = new CancelScope();
      const log: string[] = [];
      await outer.run(async () => {
        outer.cancel();
        await new CancelScope({ shield: true }).run(async (s) => {
          await checkpoint();
          log.push('shielded checkpoint passed');
          s.shield = false;
          await checkpoint();
          log.push('unreachable');
        });
      });
      expect(log).toEqual(['shielded checkpoint passed']);
      expect(outer.cancelledCaught).toBe(true);
    }),
  );

  test(
    'turning the shield on blocks a cancellation that is already in force',
    trioTest(async () => {
      const outer = new CancelScope();
      await outer.run(async () => {
        outer.cancel();
        await new CancelScope().run(async (s) => {
          s.shield = true;
          await sleep(1);
        });
        expect(currentTime()).toBe(1);
        await checkpoint();
      });
      expect(outer.cancelledCaught).toBe(true);
    }),
  );

  test(
    'a deadline in the past cancels at the first checkpoint',
    trioTest(async () => {
      await sleep(10);
      const scope = new CancelScope({ deadline: currentTime() - 5 });
      const log: string[] = [];
      await scope.run(async () => {
        log.push('entered');
        await checkpoint();
        log.push('unreachable');
      });
      expect(log).toEqual(['entered']);
      expect(scope.cancelledCaught).toBe(true);
      expect(scope.cancelReason).toBe('deadline');
    }),
  );

  test(
    'moving the deadline earlier while a task sleeps wakes it at the new deadline',
    trioTest(async () => {
      const scope = new CancelScope({ deadline: 100 });
      await openNursery(async (n) => {
        n.startSoon(() => scope.run(() => sleepForever()));
        await sleep(1);
        scope.deadline = 3;
      });
      expect(currentTime()).toBe(3);
      expect(scope.cancelledCaught).toBe(true);
    }),
  );

  test(
    'moving the deadline later while a task sleeps postpones the cancellation',
    trioTest(async () => {
      const scope = new CancelScope({ deadline: 2 });
      await openNursery(async (n) => {
        n.startSoon(() => scope.run(() => sleepForever()));
        await sleep(1);
        scope.deadline = 7;
      });
      expect(currentTime()).toBe(7);
    }),
  );

  test(
    'removing the deadline (Infinity) lets the body finish',
    trioTest(async () => {
      const scope = new CancelScope({ deadline: 2 });
      await openNursery(async (n) => {
        n.startSoon(() =>
          scope.run(async () => {
            await sleep(5);
          }),
        );
        await sleep(1);
        scope.deadline = Infinity;
      });
      expect(currentTime()).toBe(5);
      expect(scope.cancelCalled).toBe(false);
    }),
  );

  test(
    'relativeDeadline counts from entering the scope',
    trioTest(async () => {
      const scope = new CancelScope({ relativeDeadline: 2 });
      expect(scope.relativeDeadline).toBe(2);
      await sleep(5);
      await scope.run(async (s) => {
        expect(s.deadline).toBe(7);
        await sleepForever();
      });
      expect(currentTime()).toBe(7);
      expect(() => new CancelScope({ deadline: 1, relativeDeadline: 1 })).toThrow(ValueError);
    }),
  );

  test(
    'currentEffectiveDeadline: earliest deadline up to the nearest shield; -Infinity when cancelled',
    trioTest(async () => {
      expect(currentEffectiveDeadline()).toBe(Infinity);
      await new CancelScope({ deadline: 10 }).run(async () => {
        expect(currentEffectiveDeadline()).toBe(10);
        await new CancelScope({ deadline: 20 }).run(async () => {
          expect(currentEffectiveDeadline()).toBe(10);
        });
        await new CancelScope({ deadline: 5 }).run(async () => {
          expect(currentEffectiveDeadline()).toBe(5);
        });
        await new CancelScope({ shield: true, deadline: 30 }).run(async () => {
          expect(currentEffectiveDeadline()).toBe(30);
        });
        await new CancelScope().run(async (s) => {
          s.cancel();
          expect(currentEffectiveDeadline()).toBe(-Infinity);
        });
      });
    }),
  );

  test(
    'cancel() from another task wakes the blocked task',
    trioTest(async () => {
      const scope = new CancelScope();
      const log: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await scope.run(() => sleepForever());
          log.push(`woken at ${currentTime()}`);
        });
        await sleep(4);
        scope.cancel();
      });
      expect(log).toEqual(['woken at 4']);
    }),
  );

  test(
    'the signal aborts when the scope is cancelled',
    trioTest(async () => {
      const scope = new CancelScope();
      const signal = scope.signal;
      await scope.run(async (s) => {
        expect(signal.aborted).toBe(false);
        s.cancel();
        expect(signal.aborted).toBe(true);
        await checkpoint();
      });
    }),
  );
});

describe('moveOnAfter / moveOnAt', () => {
  test(
    'moves on at the deadline and resolves undefined',
    trioTest(async () => {
      const value = await moveOnAfter(5, async () => {
        await sleep(10);
        return 'finished';
      });
      expect(value).toBeUndefined();
      expect(currentTime()).toBe(5);
    }),
  );

  test(
    'resolves with the body value when it finishes in time; the body gets the scope',
    trioTest(async () => {
      let seen: CancelScope | undefined;
      const value = await moveOnAfter(5, async (scope) => {
        seen = scope;
        await sleep(1);
        return 'finished';
      });
      expect(value).toBe('finished');
      expect(seen).toBeInstanceOf(CancelScope);
      expect(seen!.cancelCalled).toBe(false);
      expect(currentTime()).toBe(1);
    }),
  );

  test(
    'without a body returns an unentered scope whose clock starts at entry',
    trioTest(async () => {
      const scope = moveOnAfter(3);
      expect(scope).toBeInstanceOf(CancelScope);
      await sleep(10);
      await scope.run(() => sleepForever());
      expect(currentTime()).toBe(13);
      expect(scope.cancelledCaught).toBe(true);
    }),
  );

  test(
    'moveOnAt uses an absolute deadline',
    trioTest(async () => {
      await sleep(1);
      const scope = moveOnAt(4);
      expect(scope.deadline).toBe(4);
      await scope.run(() => sleepForever());
      expect(currentTime()).toBe(4);
      await moveOnAt(2, () => sleep(1)); // a past deadline: cancelled at the first checkpoint
      expect(currentTime()).toBe(4);
    }),
  );

  test(
    'shield option: the body ignores outer cancellation but not its own deadline',
    trioTest(async () => {
      const outer = new CancelScope();
      let inner!: CancelScope;
      await outer.run(async () => {
        outer.cancel();
        inner = moveOnAfter(2, { shield: true });
        await inner.run(() => sleep(5));
        expect(currentTime()).toBe(2);
        await moveOnAfter(1, () => sleep(5), { shield: true });
        expect(currentTime()).toBe(3);
      });
      expect(inner.shield).toBe(true);
      expect(inner.cancelledCaught).toBe(true);
    }),
  );

  test(
    'bad timeouts are ValueErrors',
    trioTest(async () => {
      expect(() => moveOnAfter(-1)).toThrow(ValueError);
      expect(() => moveOnAfter(NaN)).toThrow(ValueError);
      expect(() => failAfter(-0.5)).toThrow(ValueError);
      expect(() => moveOnAt(NaN)).toThrow(ValueError);
      expect(() => failAt(NaN)).toThrow(ValueError);
      expect(() => moveOnAfter(0)).not.toThrow();
    }),
  );

  test(
    'moveOnAfter(0) cancels at the first checkpoint',
    trioTest(async () => {
      const log: string[] = [];
      await moveOnAfter(0, async () => {
        log.push('in');
        await checkpoint();
        log.push('unreachable');
      });
      expect(log).toEqual(['in']);
    }),
  );
});

describe('failAfter / failAt', () => {
  test(
    'raises TooSlowError when the deadline expires',
    trioTest(async () => {
      await expect(failAfter(5, () => sleep(10))).rejects.toBeInstanceOf(TooSlowError);
      expect(currentTime()).toBe(5);
    }),
  );

  test(
    'resolves with the value when the body is fast enough',
    trioTest(async () => {
      await expect(failAfter(5, async () => (await sleep(1), 42))).resolves.toBe(42);
    }),
  );

  test(
    'an explicit cancel() moves on instead of raising (Duet rule)',
    trioTest(async () => {
      const value = await failAfter(5, async (scope) => {
        scope.cancel();
        await checkpoint();
        return 'unreachable';
      });
      expect(value).toBeUndefined();
    }),
  );

  test(
    'without a body returns an unentered FailScope',
    trioTest(async () => {
      const scope = failAt(2);
      expect(scope).toBeInstanceOf(FailScope);
      expect(scope).toBeInstanceOf(CancelScope);
      await expect(scope.run(() => sleepForever())).rejects.toBeInstanceOf(TooSlowError);
      expect(scope.cancelledCaught).toBe(true);
      expect(currentTime()).toBe(2);
    }),
  );

  test(
    'an outer cancellation passes through a failAfter scope untouched',
    trioTest(async () => {
      const outer = new CancelScope();
      let inner!: FailScope;
      await outer.run(async () => {
        inner = failAfter(10);
        await inner.run(async () => {
          outer.cancel();
          await sleepUntil(20);
        });
      });
      expect(outer.cancelledCaught).toBe(true);
      expect(inner.cancelledCaught).toBe(false);
    }),
  );

  test(
    'a deadline that passes while a task is blocked on something else still raises TooSlowError',
    trioTest(async () => {
      const log: string[] = [];
      try {
        await failAfter(1, async () => {
          await openNursery(async (n) => {
            n.startSoon(async () => {
              try {
                await sleepForever();
              } finally {
                log.push('child cancelled');
              }
            });
            await waitAllTasksBlocked();
            await sleepForever();
          });
        });
      } catch (err) {
        log.push((err as Error).name);
      }
      expect(log).toEqual(['child cancelled', 'TooSlowError']);
    }),
  );
});
