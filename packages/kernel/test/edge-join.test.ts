/**
 * Edge-style joining (`openNursery(body, { onJoinCancelled })`, asyncio's TaskGroup): an edge
 * cancel request that reaches the parent while it waits for the children is delivered to the
 * facade's function, once, and the join goes on until the children are done.
 */
import {
  CancelScope,
  Cancelled,
  MockClock,
  checkpoint,
  currentTask,
  currentTime,
  openNursery,
  run,
  sleep,
  type Task,
} from '@duet/kernel';

const autojump = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

test('an edge cancel of the waiting parent goes to onJoinCancelled; the join waits for the children', async () => {
  const out = await run(autojump(), async () => {
    const parent = currentTask();
    const log: unknown[] = [];
    let child!: Task;
    await openNursery(
      (n) => {
        child = n.spawn(
          async () => {
            await sleep(1);
            log.push(['child cancelled?', false, currentTime()]);
          },
          [],
          'child',
        );
        n.spawn(async () => {
          await sleep(0.5);
          parent.requestCancel('stop');
        }, []);
      },
      {
        onJoinCancelled: (cancelled) =>
          log.push(['hook', cancelled instanceof Cancelled, cancelled.message, currentTime()]),
      },
    );
    // Delivered: nothing is pending any more, though the count stays for uncancel().
    log.push([parent.cancelRequested, parent.cancelling(), child.failed]);
    await checkpoint(); // no Cancelled left to raise here
    return log;
  });
  expect(out).toEqual([
    ['hook', true, 'stop', 0.5],
    ['child cancelled?', false, 1],
    [false, 1, false],
  ]);
});

test('a cancel already pending when the join starts is delivered at once; level cancellation never is', async () => {
  const out = await run(autojump(), async () => {
    const parent = currentTask();
    const hooked: number[] = [];
    const scope = new CancelScope();
    await scope.run(() =>
      openNursery(
        (n) => {
          n.spawn(() => new CancelScope({ shield: true }).run(() => sleep(1)), []);
          n.spawn(async () => {
            await sleep(0.5);
            scope.cancel(); // level: the join goes on, no hook
          }, []);
          parent.requestCancel();
        },
        { onJoinCancelled: () => hooked.push(currentTime()) },
      ),
    );
    return [hooked, currentTime(), scope.cancelledCaught];
  });
  expect(out).toEqual([[0], 1, false]);
});

test('without onJoinCancelled the request stays pending until after the nursery', async () => {
  const out = await run(autojump(), async () => {
    const parent = currentTask();
    await openNursery((n) => {
      n.spawn(() => sleep(1), []);
      n.spawn(async () => {
        await sleep(0.5);
        parent.requestCancel('later');
      }, []);
    });
    const pending = [parent.cancelRequested, currentTime()];
    try {
      await checkpoint();
      return [...pending, 'not raised'];
    } catch (err) {
      return [...pending, (err as Cancelled).message];
    }
  });
  expect(out).toEqual([true, 1, 'later']);
});

test('onJoinCancelled must be a function', async () => {
  await run(async () => {
    await expect(
      openNursery(() => {}, { onJoinCancelled: 'no' as unknown as () => void }),
    ).rejects.toThrow(TypeError);
  });
});
