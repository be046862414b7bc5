/**
 * The kernel's edge-native task policy (asyncio's): a task spawned with a sink reports its outcome
 * there instead of to its nursery's aggregation (issue 15).
 */
import {
  Cancelled,
  MockClock,
  currentRunner,
  openNursery,
  run,
  sleep,
  type Task,
} from '@duet/kernel';

const autojump = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });
const outcome = (t: Task) =>
  !t.failed
    ? ['value', t.result]
    : t.result instanceof Cancelled
      ? ['cancelled', t.result.message]
      : ['error', (t.result as Error).message];

describe('edge-native tasks (Nursery.spawn with a sink)', () => {
  test('a failure goes to the sink: siblings go on and the nursery raises nothing', async () => {
    const out = await run(autojump(), async () => {
      const sunk: unknown[] = [];
      const log: string[] = [];
      await openNursery(async (n) => {
        n.spawn(
          async () => {
            await sleep(1);
            throw new Error('boom');
          },
          [],
          'failing',
          (t) => sunk.push(outcome(t)),
        );
        n.startSoon(async () => {
          await sleep(2);
          log.push('sibling finished');
        });
      });
      return { sunk, log };
    });
    expect(out).toEqual({ sunk: [['error', 'boom']], log: ['sibling finished'] });
  });

  test('an edge cancel before the first step is legal, even for a system task: the function never runs', async () => {
    const out = await run(async () => {
      const sunk: unknown[] = [];
      let ran = false;
      const t = currentRunner().spawnSystemTask(
        () => {
          ran = true;
        },
        [],
        'early',
        (task) => sunk.push(outcome(task)),
      );
      t.requestCancel('before it started');
      await sleep(0);
      await sleep(0);
      return { sunk, ran };
    });
    expect(out).toEqual({ sunk: [['cancelled', 'before it started']], ran: false });
  });

  test('its edge Cancelled is the outcome "cancelled" and does not cancel siblings', async () => {
    const out = await run(autojump(), async () => {
      const sunk: unknown[] = [];
      const log: string[] = [];
      await openNursery(async (n) => {
        const t = n.spawn(
          () => sleep(10),
          [],
          'cancelled',
          (task) => sunk.push(outcome(task)),
        );
        n.startSoon(async () => {
          await sleep(1);
          t.requestCancel('stop');
          await sleep(1);
          log.push('sibling finished');
        });
      });
      return { sunk, log };
    });
    expect(out).toEqual({ sunk: [['cancelled', 'stop']], log: ['sibling finished'] });
  });

  test('a task that returns while an edge cancel is pending ends cancelled', async () => {
    const out = await run(async () => {
      const sunk: unknown[] = [];
      await openNursery(async (n) => {
        const t = n.spawn(
          async () => {
            t.requestCancel('too late to wait');
            return 'value';
          },
          [],
          'returns',
          (task) => sunk.push(outcome(task)),
        );
      });
      return sunk;
    });
    expect(out).toEqual([['cancelled', 'too late to wait']]);
  });

  test('a sink that throws breaks the run', async () => {
    await expect(
      run(async () => {
        await openNursery(async (n) => {
          n.spawn(
            () => undefined,
            [],
            'bad sink',
            () => {
              throw new Error('sink failed');
            },
          );
        });
      }),
    ).rejects.toThrow(/a system task or kernel callback failed/);
  });
});

describe('task names given as an object (Nursery.spawn)', () => {
  test('the name is asked for when read, so it may change; assigning a name replaces the object', async () => {
    const names = await run(async () => {
      let asked = 0;
      const facade = {
        label: 'first',
        getName(): string {
          asked++;
          return this.label;
        },
      };
      const seen: unknown[] = [];
      await openNursery((n) => {
        const t = n.spawn(async () => undefined, [], facade);
        seen.push(asked); // nothing read the name yet
        seen.push(t.name, String(t).endsWith(' first>'));
        facade.label = 'second';
        seen.push(t.name);
        t.name = 'plain';
        facade.label = 'third';
        seen.push(t.name, asked);
      });
      return seen;
    });
    expect(names).toEqual([0, 'first', true, 'second', 'plain', 3]);
  });
});
