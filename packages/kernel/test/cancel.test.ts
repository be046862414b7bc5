import {
  Cancelled,
  CancelScope,
  MockClock,
  RuntimeError,
  ValueError,
  cancelShieldedCheckpoint,
  checkpoint,
  checkpointIfCancelled,
  currentEffectiveDeadline,
  currentTime,
  openNursery,
  run,
  sleep,
  sleepForever,
  waitAllTasksBlocked,
} from '@duet/kernel';

const autojump = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

describe('cancelShieldedCheckpoint', () => {
  test('lets the other tasks run, is not cancelled, and resolves with the value it is given', async () => {
    const order: string[] = [];
    await run(async () => {
      await openNursery(async (n) => {
        n.startSoon(async () => {
          order.push('other');
        });
        n.cancelScope.cancel();
        expect(await cancelShieldedCheckpoint({ item: 7 })).toEqual({ item: 7 });
        order.push('after');
        expect(await cancelShieldedCheckpoint()).toBeUndefined();
        await expect(checkpoint()).rejects.toBeInstanceOf(Cancelled);
      });
    });
    expect(order).toEqual(['other', 'after']);
  });
});

describe('level-triggered cancellation', () => {
  test('every checkpoint inside a cancelled scope raises until it exits', async () => {
    let raised = 0;
    await run(async () => {
      const scope = new CancelScope();
      await scope.run(async () => {
        scope.cancel();
        for (let i = 0; i < 3; i++) {
          try {
            await checkpoint();
          } catch (e) {
            expect(e).toBeInstanceOf(Cancelled);
            raised++;
          }
        }
      });
      expect(scope.cancelCalled).toBe(true);
      // Every Cancelled was swallowed by the body, so none reached the scope.
      expect(scope.cancelledCaught).toBe(false);
      await checkpoint();
    });
    expect(raised).toBe(3);
  });

  test('a scope cancelled before it is entered raises at the first checkpoint', async () => {
    await run(async () => {
      const scope = new CancelScope();
      scope.cancel();
      const after: string[] = [];
      await scope.run(async () => {
        after.push('entered');
        await checkpoint();
        after.push('not reached');
      });
      expect(after).toEqual(['entered']);
      expect(scope.cancelledCaught).toBe(true);
    });
  });

  test('checkpointIfCancelled raises only when cancelled, and then yields first', async () => {
    const log: string[] = [];
    await run(async () => {
      await checkpointIfCancelled();
      const scope = new CancelScope();
      await openNursery(async (n) => {
        n.startSoon(() => {
          log.push('sibling ran');
        });
        await scope.run(async () => {
          scope.cancel();
          log.push('before');
          try {
            await checkpointIfCancelled();
          } catch (err) {
            log.push('raised');
            throw err;
          }
          log.push('not reached');
        });
      });
      expect(scope.cancelledCaught).toBe(true);
    });
    // The cancelled checkpoint was a schedule point: the sibling got its turn before it raised.
    expect(log).toEqual(['before', 'sibling ran', 'raised']);
  });

  test('the outermost cancelled scope catches; inner unrelated scopes let it pass', async () => {
    await run(async () => {
      const outer = new CancelScope();
      const middle = new CancelScope();
      const inner = new CancelScope();
      await outer.run(() =>
        middle.run(() =>
          inner.run(async () => {
            inner.cancel();
            outer.cancel();
            await checkpoint();
          }),
        ),
      );
      expect(inner.cancelledCaught).toBe(false);
      expect(middle.cancelledCaught).toBe(false);
      expect(outer.cancelledCaught).toBe(true);
    });
  });

  test('only the cancelled inner scope catches when the outer is not cancelled', async () => {
    await run(async () => {
      const outer = new CancelScope();
      const inner = new CancelScope();
      const events: string[] = [];
      await outer.run(async () => {
        await inner.run(async () => {
          inner.cancel();
          await checkpoint();
        });
        events.push('after inner');
        await checkpoint();
        events.push('outer body done');
      });
      expect(events).toEqual(['after inner', 'outer body done']);
      expect(inner.cancelledCaught).toBe(true);
      expect(outer.cancelledCaught).toBe(false);
    });
  });

  test('a shield blocks outer cancellation, and unshielding exposes it', async () => {
    const events: string[] = [];
    await run(async () => {
      const outer = new CancelScope();
      await outer.run(async () => {
        outer.cancel();
        const shield = new CancelScope({ shield: true });
        await shield.run(async () => {
          await checkpoint();
          events.push('shielded checkpoint passed');
          shield.shield = false;
          try {
            await checkpoint();
          } catch (e) {
            events.push('raised after unshield');
            throw e;
          }
        });
      });
      expect(outer.cancelledCaught).toBe(true);
    });
    expect(events).toEqual(['shielded checkpoint passed', 'raised after unshield']);
  });

  test('cancelling an outer scope while a shielded inner scope sleeps', async () => {
    const events: string[] = [];
    await run(autojump(), async () => {
      const outer = new CancelScope();
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await outer.run(async () => {
            await new CancelScope({ shield: true }).run(async () => {
              await sleep(5);
              events.push(`shielded sleep done at ${currentTime()}`);
            });
            await checkpoint();
            events.push('not reached');
          });
          events.push(`outer caught=${outer.cancelledCaught}`);
        });
        await sleep(1);
        outer.cancel();
      });
    });
    expect(events).toEqual(['shielded sleep done at 5', 'outer caught=true']);
  });

  test('the shielded scope itself can still be cancelled', async () => {
    await run(autojump(), async () => {
      const shielded = new CancelScope({ shield: true, relativeDeadline: 2 });
      const outer = new CancelScope();
      await outer.run(async () => {
        outer.cancel();
        await shielded.run(() => sleep(10));
        expect(currentTime()).toBe(2);
        await checkpoint();
      });
      expect(shielded.cancelledCaught).toBe(true);
      expect(outer.cancelledCaught).toBe(true);
    });
  });

  test('turning the shield on blocks a cancellation already in force', async () => {
    await run(autojump(), async () => {
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
    });
  });

  test('cancelled, but the body ends without a checkpoint: cancelCalled, not cancelledCaught', async () => {
    await run(async () => {
      const scope = new CancelScope();
      const value = await scope.run((s) => {
        s.cancel();
        return 'done';
      });
      expect(value).toBe('done');
      expect(scope.cancelCalled).toBe(true);
      expect(scope.cancelledCaught).toBe(false);
    });
  });

  test('cancel() from another task wakes the blocked task', async () => {
    const log: string[] = [];
    await run(autojump(), async () => {
      const scope = new CancelScope();
      await openNursery(async (n) => {
        n.startSoon(async () => {
          await scope.run(() => sleepForever());
          log.push(`woken at ${currentTime()}`);
        });
        await sleep(4);
        scope.cancel();
      });
    });
    expect(log).toEqual(['woken at 4']);
  });

  test('entering a scope twice is a RuntimeError', async () => {
    await run(async () => {
      const scope = new CancelScope();
      await scope.run(() => undefined);
      await expect(scope.run(() => undefined)).rejects.toThrow(RuntimeError);
    });
  });

  test('the scope signal aborts when cancellation comes into force', async () => {
    await run(async () => {
      const outer = new CancelScope();
      await outer.run(async () => {
        const inner = new CancelScope();
        await inner.run(async () => {
          const signal = inner.signal;
          expect(signal.aborted).toBe(false);
          outer.cancel();
          expect(signal.aborted).toBe(true);
          expect(signal.reason).toBeInstanceOf(Cancelled);
        });
      });
    });
  });

  test('a Cancelled inside an ExceptionGroup is caught by the scope that caused it', async () => {
    await run(async () => {
      const scope = new CancelScope();
      await scope.run(() =>
        openNursery(async (n) => {
          n.startSoon(sleepForever);
          n.startSoon(sleepForever);
          await waitAllTasksBlocked();
          scope.cancel();
        }),
      );
      expect(scope.cancelledCaught).toBe(true);
    });
  });
});

describe('deadlines', () => {
  test('a deadline in the past cancels at once', async () => {
    await run(autojump(), async () => {
      const scope = new CancelScope({ deadline: -1 });
      await scope.run(() => checkpoint());
      expect(scope.cancelCalled).toBe(true);
      expect(scope.cancelledCaught).toBe(true);
      expect(scope.cancelReason).toBe('deadline');
    });
  });

  test('relativeDeadline counts from entry', async () => {
    await run(autojump(), async () => {
      const scope = new CancelScope({ relativeDeadline: 3 });
      expect(scope.relativeDeadline).toBe(3);
      await sleep(10);
      await scope.run(async () => {
        expect(scope.deadline).toBe(13);
        await sleepForever();
      });
      expect(currentTime()).toBe(13);
    });
  });

  test('deadline and relativeDeadline together are a ValueError; NaN too', () => {
    expect(() => new CancelScope({ deadline: 1, relativeDeadline: 1 })).toThrow(ValueError);
    expect(() => new CancelScope({ deadline: NaN })).toThrow(ValueError);
    expect(() => new CancelScope({ relativeDeadline: -1 })).toThrow(ValueError);
  });

  test('moving a deadline earlier while a task sleeps wakes it sooner; later postpones', async () => {
    const times: number[] = [];
    await run(autojump(), async () => {
      await openNursery(async (n) => {
        const earlier = new CancelScope({ deadline: 100 });
        const later = new CancelScope({ deadline: 2 });
        n.startSoon(async () => {
          await earlier.run(() => sleepForever());
          times.push(currentTime());
        });
        n.startSoon(async () => {
          await later.run(() => sleepForever());
          times.push(currentTime());
        });
        await sleep(1);
        earlier.deadline = 5;
        later.deadline = 10;
      });
    });
    expect(times).toEqual([5, 10]);
  });

  test('removing the deadline (Infinity) lets the body finish', async () => {
    await run(autojump(), async () => {
      const scope = new CancelScope({ deadline: 2 });
      await openNursery(async (n) => {
        n.startSoon(() => scope.run(() => sleep(5)));
        await sleep(1);
        scope.deadline = Infinity;
      });
      expect(currentTime()).toBe(5);
      expect(scope.cancelCalled).toBe(false);
    });
  });

  test('currentEffectiveDeadline follows scopes up to the nearest shield', async () => {
    await run(autojump(), async () => {
      expect(currentEffectiveDeadline()).toBe(Infinity);
      await new CancelScope({ deadline: 10 }).run(async () => {
        await new CancelScope({ deadline: 20 }).run(async () => {
          expect(currentEffectiveDeadline()).toBe(10);
          await new CancelScope({ deadline: 30, shield: true }).run(async () => {
            expect(currentEffectiveDeadline()).toBe(30);
          });
        });
        const cancelled = new CancelScope();
        await cancelled.run(() => {
          cancelled.cancel();
          expect(currentEffectiveDeadline()).toBe(-Infinity);
        });
      });
    });
  });

  test('sleep validates its argument and sleep(0) is a checkpoint', async () => {
    await run(async () => {
      expect(() => sleep(-1)).toThrow(ValueError);
      expect(() => sleep(NaN)).toThrow(ValueError);
      const scope = new CancelScope();
      await scope.run(async () => {
        scope.cancel();
        await sleep(0);
      });
      expect(scope.cancelledCaught).toBe(true);
    });
  });

  test('many scopes with distinct deadlines fire in deadline order', async () => {
    const order: number[] = [];
    await run(autojump(), async () => {
      await openNursery(async (n) => {
        for (const d of [5, 1, 4, 2, 3]) {
          n.startSoon(async () => {
            await new CancelScope({ deadline: d }).run(() => sleepForever());
            order.push(currentTime());
          });
        }
      });
    });
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('await using', () => {
  test('a Cancelled raised while disposing is still caught by its scope, not lost in a SuppressedError', async () => {
    await run(async () => {
      const scope = new CancelScope();
      const log: string[] = [];
      await scope.run(async () => {
        await using _resource = {
          async [Symbol.asyncDispose]() {
            log.push('disposing');
            await checkpoint(); // raises Cancelled again: the scope is cancelled
          },
        };
        scope.cancel();
        await checkpoint();
      });
      expect(log).toEqual(['disposing']);
      expect(scope.cancelledCaught).toBe(true);
    });
  });

  test('the same inside a nursery child', async () => {
    await run(autojump(), async () => {
      const caught = await openNursery(async (n) => {
        n.startSoon(async () => {
          await using _resource = { [Symbol.asyncDispose]: () => checkpoint() };
          await sleepForever();
        });
        await sleep(1);
        n.cancelScope.cancel();
        return 'body value';
      });
      expect(caught).toBe('body value');
    });
  });
});

describe('CancelScope.run without an async frame', () => {
  test('bad input and a body that throws at once reject (never throw), and the scope has exited', async () => {
    await run(async () => {
      const outer = currentEffectiveDeadline();
      const notAFunction = new CancelScope().run(42 as never);
      expect(notAFunction).toBeInstanceOf(Promise);
      await expect(notAFunction).rejects.toBeInstanceOf(TypeError);
      const scope = new CancelScope({ relativeDeadline: 5 });
      const boom = new Error('boom');
      const thrown = scope.run(() => {
        throw boom;
      });
      // Exited at once, as the async function did: the deadline is the outer one again.
      expect(currentEffectiveDeadline()).toBe(outer);
      await expect(thrown).rejects.toBe(boom);
      // A scope that catches its own Cancelled thrown at once resolves with undefined.
      const cancelling = new CancelScope();
      await expect(
        cancelling.run((s) => {
          s.cancel();
          throw new Cancelled();
        }),
      ).resolves.toBeUndefined();
      expect(cancelling.cancelledCaught).toBe(true);
    });
  });

  test('a plain value, a promise and a rejection come out as they go in, the exit after a tick', async () => {
    await run(async () => {
      const outer = currentEffectiveDeadline();
      const plain = new CancelScope({ deadline: 1e6 });
      const pending = plain.run(() => 'value');
      // As with an async function's await: the body returned, the scope exits a tick later.
      expect(currentEffectiveDeadline()).toBe(1e6);
      expect(await pending).toBe('value');
      expect(currentEffectiveDeadline()).toBe(outer);
      expect(await new CancelScope().run(() => Promise.resolve('promise'))).toBe('promise');
      await expect(
        new CancelScope().run(() => Promise.reject(new ValueError('no'))),
      ).rejects.toBeInstanceOf(ValueError);
      expect(currentEffectiveDeadline()).toBe(outer);
    });
  });
});
