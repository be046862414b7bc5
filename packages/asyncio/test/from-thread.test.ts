// Calling the loop back from a toThread worker: run_coroutine_threadsafe / call_soon_threadsafe.
import { run, sleep, toThread, waitFor, TimeoutError, type FromThread } from '@duet/asyncio';

declare const fromThread: FromThread;

test('fromThread.run runs a coroutine function on the loop; callSoon queues a callback', async () => {
  const notes: number[] = [];
  const result = await run(() =>
    toThread.withOptions(
      {
        callbacks: {
          fetchUser: async (id: number) => {
            await sleep(0.01);
            return { id, name: `user ${id}` };
          },
          progress: (n: number) => void notes.push(n),
        },
      },
      (ids: number[]) =>
        ids.map((id) => {
          fromThread.callSoon('progress', id);
          return (fromThread.run('fetchUser', id) as { name: string }).name;
        }),
      [1, 2, 3],
    ),
  );
  expect(result).toEqual(['user 1', 'user 2', 'user 3']);
  expect(notes).toEqual([1, 2, 3]);
});

test('after the awaiting task is cancelled, a call back fails cleanly in the worker', async () => {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  await run(async () => {
    await expect(
      waitFor(
        () =>
          toThread.withOptions(
            { callbacks: { ping: () => 'pong' } },
            (shared: Int32Array) => {
              Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
              try {
                fromThread.runSync('ping');
                Atomics.store(shared, 0, 2);
              } catch (err) {
                Atomics.store(shared, 0, /stopped waiting/.test((err as Error).message) ? 1 : 3);
              }
              Atomics.notify(shared, 0);
            },
            cell,
          ),
        0.02,
      ),
    ).rejects.toBeInstanceOf(TimeoutError);
  });
  const deadline = Date.now() + 5000;
  while (Atomics.load(cell, 0) === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(Atomics.load(cell, 0)).toBe(1);
});

test('toThread.withOptions rejects a missing options object', async () => {
  await run(async () => {
    await expect(toThread.withOptions(null as never, () => 1)).rejects.toThrow(
      'toThread.withOptions(): options must be an object, got null',
    );
  });
});
