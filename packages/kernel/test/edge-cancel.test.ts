import {
  Cancelled,
  CancelScope,
  MockClock,
  checkpoint,
  currentTask,
  openNursery,
  run,
  sleep,
  sleepForever,
  waitAllTasksBlocked,
  type Task,
} from '@duet/kernel';

const autojump = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

describe('edge-triggered cancel requests (asyncio style)', () => {
  test('one request raises once, at the next checkpoint', async () => {
    const events: string[] = [];
    await run(async () => {
      const task = currentTask();
      expect(task.requestCancel('stop')).toBe(true);
      expect(task.cancelling()).toBe(1);
      try {
        await checkpoint();
      } catch (e) {
        expect(e).toBeInstanceOf(Cancelled);
        events.push(`raised: ${(e as Error).message}`);
      }
      await checkpoint();
      events.push('second checkpoint passes');
      expect(task.cancelling()).toBe(1);
      expect(task.uncancel()).toBe(0);
    });
    expect(events).toEqual(['raised: stop', 'second checkpoint passes']);
  });

  test('a parked task is woken at once', async () => {
    await run(autojump(), async () => {
      let child: Task | undefined;
      const events: string[] = [];
      await openNursery(async (n) => {
        n.startSoon(async () => {
          child = currentTask();
          try {
            await sleep(100);
          } catch (e) {
            events.push(`child ${(e as Error).name}`);
          }
        });
        await waitAllTasksBlocked();
        child!.requestCancel();
      });
      expect(events).toEqual(['child Cancelled']);
    });
  });

  test('uncancel before delivery withdraws the request', async () => {
    await run(async () => {
      const task = currentTask();
      task.requestCancel();
      expect(task.uncancel()).toBe(0);
      await checkpoint();
      task.requestCancel();
      task.requestCancel();
      expect(task.uncancel()).toBe(1);
      await expect(checkpoint()).rejects.toBeInstanceOf(Cancelled);
    });
  });

  test('a task cancelled before its first step never runs', async () => {
    let ran = false;
    await run(async () => {
      await openNursery(async (n) => {
        const task = n.spawn(async () => {
          ran = true;
        }, []);
        task.requestCancel();
      }).catch((e) => {
        // The child ended with Cancelled (an edge request, caught by no scope): a failure.
        expect(String(e)).toMatch(/Cancelled/);
      });
    });
    expect(ran).toBe(false);
  });

  test('requestCancel on a finished task returns false', async () => {
    await run(async () => {
      let task: Task | undefined;
      await openNursery(async (n) => {
        task = n.spawn(async () => undefined, []);
      });
      expect(task!.requestCancel()).toBe(false);
      expect(task!.cancelling()).toBe(0);
    });
  });

  test('an edge Cancelled caught by a cancelled scope is delivered again', async () => {
    const events: string[] = [];
    await run(async () => {
      const task = currentTask();
      const scope = new CancelScope();
      await scope.run(async () => {
        scope.cancel();
        task.requestCancel();
        await checkpoint();
      });
      expect(scope.cancelledCaught).toBe(true);
      try {
        await checkpoint();
      } catch {
        events.push('edge request still delivered');
      }
    });
    expect(events).toEqual(['edge request still delivered']);
  });

  test('a level cancellation and an edge request both in force raise one Cancelled', async () => {
    await run(autojump(), async () => {
      const scope = new CancelScope();
      let raised = 0;
      await scope.run(async () => {
        currentTask().requestCancel();
        scope.cancel();
        try {
          await sleepForever();
        } catch {
          raised++;
        }
      });
      expect(raised).toBe(1);
      // The body swallowed the one Cancelled, so the edge request was used up.
      await checkpoint();
      expect(currentTask().cancelling()).toBe(1);
    });
  });
});
