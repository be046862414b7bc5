// waitAllTasksBlocked and tasks that wait on the host (a foreign Promise, a socket, a thread).
// Trio's wait_all_tasks_blocked returns once no task is runnable, and a task waiting for I/O is
// not runnable; autojump and deadlock detection still hold off while the host may wake a task.
import {
  HangError,
  MockClock,
  awaitForeign,
  currentTime,
  openNursery,
  run,
  sleep,
  sleepForever,
  waitAllTasksBlocked,
} from '@duet/kernel';

const later = (ms: number, value: string) =>
  new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));

test('waitAllTasksBlocked returns while another task waits on a foreign Promise', async () => {
  const order = await run(async () => {
    const seen: string[] = [];
    await openNursery(async (n) => {
      n.startSoon(async () => {
        seen.push(await awaitForeign(later(50, 'foreign work done')));
      });
      await waitAllTasksBlocked();
      seen.push('all blocked');
    });
    return seen;
  });
  expect(order).toEqual(['all blocked', 'foreign work done']);
});

test('with a cushion, it returns once every task has stayed parked that long', async () => {
  const order = await run(async () => {
    const seen: string[] = [];
    await openNursery(async (n) => {
      n.startSoon(async () => {
        seen.push(await awaitForeign(later(5, 'first')));
        seen.push(await awaitForeign(later(300, 'second')));
      });
      await waitAllTasksBlocked(0.05);
      seen.push('settled');
    });
    return seen;
  });
  expect(order).toEqual(['first', 'settled', 'second']);
});

test('MockClock autojump still waits for foreign work, and a waiter wakes first', async () => {
  const clock = new MockClock({ autojumpThreshold: 0 });
  const seen = await run({ clock }, async () => {
    const log: string[] = [];
    await openNursery(async (n) => {
      n.startSoon(async () => {
        await sleep(10);
        log.push(`slept until ${currentTime()}`);
      });
      n.startSoon(async () => {
        log.push(`${await awaitForeign(later(20, 'foreign'))} at ${currentTime()}`);
      });
      await waitAllTasksBlocked();
      log.push(`all blocked at ${currentTime()}`);
    });
    return log;
  });
  expect(seen).toEqual(['all blocked at 0', 'foreign at 0', 'slept until 10']);
});

test('deadlock detection does not count a task waiting on the host as stuck', async () => {
  const result = await run({ hangDetection: { deadlock: true } }, async () => {
    let got = '';
    await openNursery(async (n) => {
      n.startSoon(async () => {
        got = await awaitForeign(later(20, 'done'));
      });
    });
    return got;
  });
  expect(result).toBe('done');
  // The same shape with no host wait is a deadlock.
  await expect(
    run({ hangDetection: { deadlock: true } }, () =>
      openNursery(async (n) => {
        n.startSoon(() => sleepForever());
      }),
    ),
  ).rejects.toBeInstanceOf(HangError);
});
