/**
 * `@duet/trio/testing`: Trio's `trio.testing` — a virtual clock, waiting for everything to block,
 * forcing an order across tasks, checking that code checkpoints, in-memory and lockstep streams,
 * matching exception groups, and a Jest adapter.
 *
 * @packageDocumentation
 * @module @duet/trio/testing
 */
import {
  CancelScope,
  Cancelled,
  MockClock,
  RuntimeError,
  SystemClock,
  TEST_HANG_DETECTION,
  testClock,
  testRunnerSignal,
  whenAborted,
  type TestClockOption,
  checkFunction,
  checkNumber,
  checkInstance,
  checkOptions,
  RUN_OPTIONS,
} from '@duet/kernel';
import { run, type RunOptions } from './run';
import type { SocketStream } from './socket-stream';
import { Event } from './sync';
export { activeThreadCount, waitAllThreadsCompleted } from './threads';
import { openTcpStream } from './tcp-connect';
import { SocketListener } from './tcp-listen';

export {
  MockClock,
  SystemClock,
  waitAllTasksBlocked,
  type MockClockOptions,
  type TestClockOption,
} from '@duet/kernel';
export {
  MemoryReceiveStream,
  MemorySendStream,
  memoryStreamOneWayPair,
  memoryStreamPair,
  memoryStreamPump,
  type MemoryReceiveStreamOptions,
  type MemorySendStreamOptions,
  type StreamHook,
} from './memory-streams';
export { lockstepStreamOneWayPair, lockstepStreamPair } from './lockstep-streams';
export { assertCheckpoints, assertNoCheckpoints } from './checkpoint-asserts';
export {
  Matcher,
  RaisesGroup,
  type ErrorClass,
  type ExpectedError,
  type MatcherOptions,
  type MessagePattern,
  type RaisesGroupOptions,
} from './raises-group';
export {
  checkHalfCloseableStream,
  checkOneWayStream,
  checkTwoWayStream,
  type StreamMaker,
} from './stream-checks';

/**
 * `trio.testing.Sequencer`: makes blocks in different tasks run in a fixed order. `seq.run(n, fn)`
 * waits until the blocks numbered `0 .. n-1` have finished, then runs `fn`. Each number can be used
 * once. If a task is cancelled while waiting its turn, the sequence is broken: that task and every
 * later one get `RuntimeError`.
 *
 * @example
 * ```ts
 * const seq = new Sequencer();
 * nursery.startSoon(async () => { await seq.run(1, () => log.push('second')); });
 * nursery.startSoon(async () => { await seq.run(0, () => log.push('first')); });
 * ```
 */
export class Sequencer {
  private readonly points = new Map<number, Event>();
  private readonly claimed = new Set<number>();
  private broken = false;

  private point(position: number): Event {
    let event = this.points.get(position);
    if (event === undefined) {
      event = new Event();
      this.points.set(position, event);
    }
    return event;
  }

  /** Runs `fn` as block number `position` (an integer >= 0) of the sequence; resolves with its value. */
  async run<T>(position: number, fn: () => Promise<T> | T): Promise<T> {
    checkNumber('Sequencer.run()', 'position', position, { min: 0, integer: true });
    checkFunction('Sequencer.run()', fn);
    if (this.claimed.has(position))
      throw new RuntimeError(`sequence point ${position} was already used`);
    if (this.broken) throw new RuntimeError('the sequence is broken');
    this.claimed.add(position);
    if (position !== 0) {
      try {
        await this.point(position).wait();
      } catch (err) {
        if (!(err instanceof Cancelled)) throw err;
        this.broken = true;
        for (const event of this.points.values()) event.set();
        // No `cause`: an error caused by a Cancelled would count as that cancellation.
        throw new RuntimeError('a Sequencer wait was cancelled: the sequence is broken');
      }
      if (this.broken) throw new RuntimeError('the sequence is broken');
    }
    try {
      return await fn();
    } finally {
      this.point(position + 1).set();
    }
  }
}

/**
 * `trio.testing.open_stream_to_socket_listener`: connects to `listener` and returns the client
 * end. A listener bound to every address (`0.0.0.0` or `::`) is reached over loopback.
 *
 * @example
 * ```ts
 * const [listener] = await openTcpListeners(0, { host: '127.0.0.1' });
 * const client = await openStreamToSocketListener(listener);
 * const server = await listener.accept();
 * ```
 */
export async function openStreamToSocketListener(listener: SocketListener): Promise<SocketStream> {
  checkInstance(
    'openStreamToSocketListener()',
    'listener',
    listener,
    SocketListener,
    'a SocketListener',
  );
  const { address, port } = listener.getsockname();
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return openTcpStream(host, port);
}

/**
 * Options of {@link trioTest}.
 *
 * @example
 * ```ts
 * test('uses my clock', trioTest(async (clock) => { clock.jump(1); }, { clock: new MockClock() }));
 * test('real I/O', trioTest(async () => { await fetchWithTimeout(); }, { clock: 'system' }));
 * ```
 */
export interface TrioTestOptions extends Omit<RunOptions, 'clock'> {
  /**
   * The clock of the run: a fresh `MockClock({ autojumpThreshold: 0 })` by default (virtual time:
   * sleeps and timeouts finish at once). `'system'` runs on real time, for tests that do real I/O:
   * under a mock clock a `failAfter(1, ...)` around a real 3 s request does not fire, since virtual
   * time only moves when every task waits in the kernel. See `docs/testing.md`.
   */
  clock?: TestClockOption;
}

/** What `trioTest` takes: what `run()` takes. */
const TRIO_TEST_KEYS = [...RUN_OPTIONS, 'strictExceptionGroups'];

/**
 * The hang detection `trioTest` turns on unless told otherwise: a deadlock, or 4 real seconds
 * (before Jest's 5 s timeout), fails the test with a `HangError` that shows the task tree.
 */
export const TRIO_TEST_HANG_DETECTION = TEST_HANG_DETECTION;

/**
 * A Jest (or any runner's) test function that runs `fn` as the root task of its own `run()`, like
 * pytest-trio with `autojump_clock`: by default the run uses a fresh `MockClock` with
 * `autojumpThreshold: 0`, so sleeps and timeouts finish at once in virtual time (`clock: 'system'`
 * runs on real time instead, for tests doing real I/O). `fn` gets the clock, then whatever the
 * runner passes the test function (`node:test`'s `t`, Vitest's context); the runner's abort signal
 * (`t.signal`, `context.signal`) cancels the run, and the test fails with the signal's reason.
 * A test that deadlocks or runs 4 real seconds fails with a `HangError` showing the task tree
 * (see {@link TRIO_TEST_HANG_DETECTION}; pass `hangDetection` to change it — turn `deadlock` off
 * when something outside the kernel, such as a raw `setTimeout`, wakes the test's tasks).
 *
 * @example
 * ```ts
 * test('times out', trioTest(async (clock) => {
 *   await moveOnAfter(60, () => sleepForever());
 *   expect(currentTime()).toBe(60);
 * }));
 * ```
 */
export function trioTest<T, A extends unknown[] = []>(
  fn: (clock: MockClock, ...args: A) => Promise<T> | T,
  options?: TrioTestOptions & { clock?: MockClock },
): (...args: A) => Promise<T>;
/** With `clock: 'system'`, `fn` gets the run's real-time `SystemClock`. */
export function trioTest<T, A extends unknown[] = []>(
  fn: (clock: SystemClock, ...args: A) => Promise<T> | T,
  options: TrioTestOptions & { clock: 'system' },
): (...args: A) => Promise<T>;
export function trioTest<T, A extends unknown[]>(
  fn: (clock: never, ...args: A) => Promise<T> | T,
  options: TrioTestOptions = {},
): (...args: A) => Promise<T> {
  checkFunction('trioTest()', fn);
  checkOptions('trioTest()', options, TRIO_TEST_KEYS);
  testClock(options.clock); // a bad clock fails here, not when the test runs
  // `(...args)` has length 0, so no runner mistakes it for a callback-style (`done`) test.
  return (...args: A) => {
    const clock = testClock(options.clock);
    const signal = testRunnerSignal(args);
    const body = fn as (clock: MockClock | SystemClock, ...args: A) => Promise<T> | T;
    return run({ hangDetection: TRIO_TEST_HANG_DETECTION, ...options, clock }, async () => {
      // The runner's abort (its timeout, a bail-out) cancels the whole test, as a scope would.
      const scope = new CancelScope();
      const stop = whenAborted(signal, () => scope.cancel('the test runner aborted the test'));
      try {
        const value = await scope.run(() => body(clock, ...args));
        if (scope.cancelledCaught) throw signal?.reason;
        return value as T;
      } finally {
        stop();
      }
    });
  };
}
