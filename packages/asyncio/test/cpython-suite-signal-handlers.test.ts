/**
 * `loop.addSignalHandler` / `removeSignalHandler`, as CPython 3.13's unix event loop defines them
 * (test_unix_events.py's add_signal_handler cases, restated for Duet): the callback runs as a loop
 * callback with its arguments, a handler replaces the one before it, removing says whether there
 * was one, coroutines and uncatchable signals are refused, and nothing is left listening once the
 * loop has closed. Signals are delivered with `process.emit`, as the process would.
 */
import { createTask, currentTask, getRunningLoop, run, sleep } from '@duet/asyncio';
import { vrun } from './helpers';

test('the callback runs soon after the signal, as a loop callback, with its arguments', async () => {
  const got = await vrun(async () => {
    const calls: unknown[][] = [];
    const loop = getRunningLoop();
    loop.addSignalHandler(
      'SIGUSR2',
      (...args: unknown[]) => {
        calls.push([...args, currentTask()]);
      },
      'a',
      1,
    );
    process.emit('SIGUSR2' as never);
    const atOnce = calls.length;
    await sleep(0);
    return { atOnce, calls };
  });
  expect(got.atOnce).toBe(0);
  expect(got.calls).toEqual([['a', 1, null]]);
});

test('a second handler replaces the first; remove says whether there was one', async () => {
  const got = await vrun(async () => {
    const seen: string[] = [];
    const loop = getRunningLoop();
    loop.addSignalHandler('SIGUSR2', () => seen.push('first'));
    loop.addSignalHandler(process.platform === 'linux' ? 12 : 'SIGUSR2', () => seen.push('second'));
    process.emit('SIGUSR2' as never);
    await sleep(0);
    const removed = [loop.removeSignalHandler('SIGUSR2'), loop.removeSignalHandler('SIGUSR2')];
    process.emit('SIGUSR2' as never);
    await sleep(0);
    return { seen, removed, listeners: process.listenerCount('SIGUSR2') };
  });
  expect(got).toEqual({ seen: ['second'], removed: [true, false], listeners: 0 });
});

test('handlers left set are removed when the loop closes', async () => {
  const before = process.listenerCount('SIGUSR2') + process.listenerCount('SIGHUP');
  await run(async () => {
    getRunningLoop().addSignalHandler('SIGUSR2', () => {});
    getRunningLoop().addSignalHandler('SIGHUP', () => {});
    expect(process.listenerCount('SIGUSR2')).toBe(1);
  });
  expect(process.listenerCount('SIGUSR2') + process.listenerCount('SIGHUP')).toBe(before);
});

test('a SIGINT handler takes Ctrl-C over: the main task is not cancelled', async () => {
  const got = await run(async () => {
    let interrupted = 0;
    getRunningLoop().addSignalHandler('SIGINT', () => interrupted++);
    process.emit('SIGINT' as never);
    await sleep(0.01);
    return interrupted;
  });
  expect(got).toBe(1);
});

test('refused: coroutines, uncatchable or unknown signals, and a closed loop', async () => {
  await vrun(async () => {
    const loop = getRunningLoop();
    expect(() => loop.addSignalHandler('SIGUSR2', async () => {})).toThrow(
      /coroutines cannot be used with addSignalHandler/,
    );
    expect(() => loop.addSignalHandler('SIGKILL', () => {})).toThrow(/SIGKILL cannot be caught/);
    expect(() => loop.addSignalHandler('SIGNOPE', () => {})).toThrow(/not a signal of this OS/);
    expect(() => loop.addSignalHandler({} as never, () => {})).toThrow(TypeError);
    expect(() => loop.removeSignalHandler(-1)).toThrow(/not a signal of this OS/);
    // A loop callback may set one (CPython allows it anywhere in the main thread).
    const fromCallback = await new Promise<unknown>((resolve) => {
      loop.callSoon(() => {
        loop.addSignalHandler('SIGUSR2', () => {});
        resolve(loop.removeSignalHandler('SIGUSR2'));
      });
    });
    expect(fromCallback).toBe(true);
    // A task of the loop may.
    await createTask(() => loop.addSignalHandler('SIGUSR2', () => {}));
    expect(loop.removeSignalHandler('SIGUSR2')).toBe(true);
  });
  const closed = await run(async () => getRunningLoop());
  expect(() => closed.addSignalHandler('SIGUSR2', () => {})).toThrow('Event loop is closed');
});
