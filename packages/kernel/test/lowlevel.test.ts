/**
 * `@duet/kernel/lowlevel`: the contract facades and bridges build their waits on (park a task on
 * a waitable, wake it with a value or an error, see its wait, read and hand on an edge request).
 */
import {
  Abort,
  Cancelled,
  RuntimeError,
  currentTask,
  openNursery,
  run,
  waitAllTasksBlocked,
  type Task,
  type Waitable,
} from '@duet/kernel';
import {
  breakWait,
  cancellationPendingIn,
  checkpointTask,
  currentWait,
  edgeCancelMessage,
  parkTask,
  wake,
  wakeWithError,
  yieldTask,
} from '@duet/kernel/lowlevel';

const abandonable = (): Waitable => ({ abortWait: () => Abort.SUCCEEDED });

/** Runs `waiter` in a child, waits until it is blocked, then hands its task to `poke`. */
async function withWaiter(
  waiter: (task: Task) => Promise<unknown>,
  poke: (task: Task) => void,
): Promise<unknown[]> {
  const log: unknown[] = [];
  await run(async () => {
    let task!: Task;
    await openNursery(async (n) => {
      n.startSoon(async () => {
        task = currentTask();
        try {
          log.push(['value', await waiter(task)]);
        } catch (err) {
          log.push(['error', err instanceof Cancelled ? 'Cancelled' : (err as Error).message]);
        }
      });
      await waitAllTasksBlocked();
      poke(task);
    });
  });
  return log;
}

test('parkTask + wake: the task resumes with the value; currentWait shows the wait until then', async () => {
  const on = abandonable();
  const seen: unknown[] = [];
  const log = await withWaiter(
    (task) => parkTask(task, on),
    (task) => {
      seen.push(currentWait(task) === on);
      wake(task, 42);
      seen.push(currentWait(task));
    },
  );
  expect(seen).toEqual([true, null]);
  expect(log).toEqual([['value', 42]]);
});

test('wakeWithError: the wait rejects with the error', async () => {
  const log = await withWaiter(
    (task) => parkTask(task, abandonable()),
    (task) => wakeWithError(task, new Error('boom')),
  );
  expect(log).toEqual([['error', 'boom']]);
});

test('waking a task that is not parked is a RuntimeError', async () => {
  await run(async () => {
    const task = currentTask();
    expect(() => wake(task, 1)).toThrow(RuntimeError);
    expect(() => wakeWithError(task, new Error('x'))).toThrow(/is not parked/);
  });
});

test('edgeCancelMessage: the pending request, which a waitable can hand on and discard', async () => {
  const handedOn: unknown[] = [];
  const log = await withWaiter(
    (task) =>
      parkTask(task, {
        abortWait: (t) => {
          handedOn.push(edgeCancelMessage(t));
          t.discardPendingCancel();
          handedOn.push(edgeCancelMessage(t));
          wake(t, 'handed on');
          return Abort.FAILED;
        },
      }),
    (task) => {
      handedOn.push(edgeCancelMessage(task));
      task.requestCancel('stop');
    },
  );
  expect(handedOn).toEqual([undefined, 'stop', undefined]);
  expect(log).toEqual([['value', 'handed on']]);
});

test('breakWait ends an abandonable wait with the error and leaves a kept one alone', async () => {
  const results: unknown[] = [];
  const log = await withWaiter(
    async (task) => {
      const kept: Waitable = { abortWait: () => Abort.FAILED };
      const first = parkTask(task, kept);
      first.then(undefined, () => {});
      results.push(breakWait(task, new Error('raced')), currentWait(task) === kept);
      wake(task, 'kept');
      results.push(await first);
      const second = parkTask(task, abandonable());
      results.push(breakWait(task, new Error('raced')), currentWait(task));
      return await second;
    },
    () => {},
  );
  expect(results).toEqual([false, true, 'kept', true, null]);
  expect(log).toEqual([['error', 'raced']]);
});

test('cancellationPendingIn, checkpointTask and yieldTask act for the task in hand', async () => {
  const log: unknown[] = [];
  await run(async () => {
    const task = currentTask();
    await openNursery(async (n) => {
      n.startSoon(async () => {
        log.push('other ran');
      });
      log.push(await yieldTask(task, 'value'), cancellationPendingIn(task)); // lets the child run
      n.cancelScope.cancel();
      log.push(cancellationPendingIn(task), await yieldTask(task, 'shielded'));
      log.push(await checkpointTask(task).catch((e: unknown) => e instanceof Cancelled));
    });
    log.push(cancellationPendingIn(task));
    task.requestCancel();
    log.push(cancellationPendingIn(task));
    log.push(await checkpointTask(task).catch((e: unknown) => e instanceof Cancelled));
  });
  expect(log).toEqual(['other ran', 'value', false, true, 'shielded', true, false, true, true]);
});
