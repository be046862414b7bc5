// hostEvent: a task waits for an emitter's event or its 'error', as I/O does (connect, listen, spawn).
import { EventEmitter } from 'node:events';
import { CancelScope, checkpoint, hostEvent, run } from '@duet/kernel';

const listeners = (e: EventEmitter) => e.listenerCount('ready') + e.listenerCount('error');

test("resolves with the event's arguments and removes both listeners", async () => {
  const emitter = new EventEmitter();
  const args = await run(async () => {
    setImmediate(() => emitter.emit('ready', 1, 'two'));
    return hostEvent(emitter, 'ready', 'ready');
  });
  expect(args).toEqual([1, 'two']);
  expect(listeners(emitter)).toBe(0);
});

test("raises the 'error' event's error and removes both listeners", async () => {
  const emitter = new EventEmitter();
  const failure = new Error('refused');
  const outcome = await run(async () => {
    setImmediate(() => emitter.emit('error', failure));
    return hostEvent(emitter, 'ready', 'ready').catch((err: unknown) => err);
  });
  expect(outcome).toBe(failure);
  expect(listeners(emitter)).toBe(0);
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
  expect(listeners(emitter)).toBe(0);
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
  expect(listeners(emitter)).toBe(0);
});
