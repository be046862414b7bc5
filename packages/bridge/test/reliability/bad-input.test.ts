/**
 * Bad input, table-driven, for the public functions of every package: each kind of bad argument,
 * calling outside `run()`, a started Promise where a function belongs, releasing what is not held,
 * using what is closed (the I/O functions are in `bad-input-io.test.ts`). What each row checks:
 * see `bad-input-table.ts`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the rows pass wrong types on purpose */
import * as kernel from '@duet/kernel';
import * as trio from '@duet/trio';
import * as aio from '@duet/asyncio';
import * as bridge from '@duet/bridge';
import { asyncioWork, row, runRow, work, type Row } from './bad-input-table';

async function startsWithCheckpoint(): Promise<void> {
  await kernel.checkpoint();
}
const lockState = (l: trio.Lock) => l.statistics();
const channelState = ([tx, rx]: [
  trio.MemorySendChannel<number>,
  trio.MemoryReceiveChannel<number>,
]) => [tx.statistics(), rx.statistics()];

const NOT_A_NUMBER = /must be a number/;
const rows: Row[] = [
  // ---- a started Promise where a function belongs ---------------------------------------------
  row({
    name: 'trio run(main())',
    where: 'outside',
    call: () => trio.run(work() as any),
    error: TypeError,
    hint: /pass the function itself/,
  }),
  row({
    name: 'kernel run(main())',
    where: 'outside',
    call: () => kernel.run(work() as any),
    error: TypeError,
    hint: /pass the function itself/,
  }),
  row({
    name: 'asyncio run(main())',
    where: 'outside',
    call: () => aio.run(asyncioWork() as any),
    error: TypeError,
    hint: /pass main, not main\(\)|pass the function itself/,
  }),
  row({
    name: 'nursery.startSoon(work())',
    where: 'trio',
    call: () =>
      trio.openNursery(
        (n) => {
          n.startSoon(work() as any);
        },
        { strictExceptionGroups: false },
      ),
    error: TypeError,
    hint: /pass the function itself, f or \(\) => f\(x\), not the Promise/,
  }),
  row({
    name: 'nursery.startSoon(startsWithCheckpoint()) (the stray wait is a yield)',
    where: 'trio',
    call: () =>
      trio.openNursery(
        (n) => {
          n.startSoon(startsWithCheckpoint() as any);
        },
        { strictExceptionGroups: false },
      ),
    error: TypeError,
    hint: /not the Promise/,
  }),
  row({
    name: 'await nursery.start(work())',
    where: 'trio',
    call: () => trio.openNursery((n) => n.start(work() as any), { strictExceptionGroups: false }),
    error: TypeError,
    hint: /not the Promise/,
  }),
  row({
    name: 'asyncio createTask(work())',
    where: 'asyncio',
    call: () => aio.createTask(asyncioWork() as any),
    error: TypeError,
    hint: /not the Promise/,
  }),
  row({
    name: 'asyncio TaskGroup createTask(work())',
    where: 'asyncio',
    call: () =>
      new aio.TaskGroup()
        .run((tg) => {
          try {
            tg.createTask(asyncioWork() as any);
          } catch (err) {
            return err;
          }
          return null;
        })
        .then((err) => {
          throw err;
        }),
    error: TypeError,
    hint: /not the Promise/,
  }),
  row({
    name: 'openNursery(body())',
    where: 'trio',
    call: () => trio.openNursery(work() as any),
    error: TypeError,
    hint: /not the Promise/,
  }),
  row({
    name: 'CancelScope.run(body())',
    where: 'trio',
    call: () => new trio.CancelScope().run(work() as any),
    error: TypeError,
    hint: /expects a function/,
  }),
  // ---- bad values -----------------------------------------------------------------------------
  row({
    name: "trio sleep('1')",
    where: 'trio',
    call: () => trio.sleep('1' as any),
    error: TypeError,
    hint: /seconds must be a number of seconds >= 0, got "1"/,
  }),
  row({
    name: 'trio sleep(-1)',
    where: 'trio',
    call: () => trio.sleep(-1),
    error: kernel.ValueError,
    hint: />= 0, got -1/,
  }),
  row({
    name: 'trio sleep(NaN)',
    where: 'trio',
    call: () => trio.sleep(NaN),
    error: kernel.ValueError,
    hint: /got NaN/,
  }),
  row({
    name: "trio sleepUntil('soon')",
    where: 'trio',
    call: () => trio.sleepUntil('soon' as any),
    error: TypeError,
    hint: NOT_A_NUMBER,
  }),
  row({
    name: "asyncio sleep('1')",
    where: 'asyncio',
    call: () => aio.sleep('1' as any),
    error: TypeError,
    hint: /delay must be a number of seconds, got "1"/,
  }),
  row({
    name: "asyncio new Queue('3')",
    where: 'outside',
    call: () => new aio.Queue('3' as any),
    error: TypeError,
    hint: /maxsize must be a number, got "3"/,
  }),
  row({
    name: 'asyncio new PriorityQueue(0, {})',
    where: 'outside',
    call: () => new aio.PriorityQueue(0, {} as any),
    error: TypeError,
    hint: /compare must be a function/,
  }),
  row({
    name: 'asyncio waitFor(42, 1)',
    where: 'asyncio',
    call: () => aio.waitFor(42 as any, 1),
    error: TypeError,
    hint: /expected a Future, a Task, a Promise or a function/,
  }),
  row({
    name: "asyncio waitFor(f, '1')",
    where: 'asyncio',
    call: () => aio.waitFor(asyncioWork, '1' as any),
    error: TypeError,
    hint: NOT_A_NUMBER,
  }),
  row({
    name: "asyncio timeout('1')",
    where: 'asyncio',
    call: () => aio.timeout('1' as any),
    error: TypeError,
    hint: NOT_A_NUMBER,
  }),
  row({
    name: "new CancelScope({ shield: 'yes' })",
    where: 'outside',
    call: () => new trio.CancelScope({ shield: 'yes' as any }),
    error: TypeError,
    hint: /shield must be true or false, got "yes"/,
  }),
  row({
    name: "scope.shield = 'yes'",
    where: 'outside',
    setup: () => new trio.CancelScope(),
    call: (s) => {
      s.shield = 'yes' as any;
    },
    error: TypeError,
    hint: /shield must be true or false/,
    state: (s) => s.shield,
  }),
  row({
    name: "new CancelScope({ deadline: '5' })",
    where: 'outside',
    call: () => new trio.CancelScope({ deadline: '5' as any }),
    error: TypeError,
    hint: /deadline must be a number of seconds/,
  }),
  row({
    name: 'new CancelScope(5)',
    where: 'outside',
    call: () => new trio.CancelScope(5 as any),
    error: TypeError,
    hint: /options must be an object/,
  }),
  row({
    name: "trio run(main, { strictExceptionGroups: 'no' }) (options first)",
    where: 'outside',
    call: () => trio.run({ strictExceptionGroups: 'no' as any }, async () => {}),
    error: TypeError,
    hint: /strictExceptionGroups must be true or false, got "no"/,
  }),
  row({
    name: "openNursery(body, { strictExceptionGroups: 'no' })",
    where: 'trio',
    call: () => trio.openNursery(async () => {}, { strictExceptionGroups: 'no' as any }),
    error: TypeError,
    hint: /strictExceptionGroups must be true or false/,
  }),
  row({
    name: 'moveOnAfter(-1)',
    where: 'trio',
    call: () => trio.moveOnAfter(-1, async () => {}),
    error: kernel.ValueError,
    hint: />= 0/,
  }),
  row({
    name: 'openMemoryChannel(-1)',
    where: 'outside',
    call: () => trio.openMemoryChannel(-1),
    error: kernel.ValueError,
    hint: /integer >= 0 or Infinity/,
  }),
  row({
    name: "openMemoryChannel('1')",
    where: 'outside',
    call: () => trio.openMemoryChannel('1' as any),
    error: TypeError,
    hint: /must be a number/,
  }),
  row({
    name: 'trio new Semaphore(-1)',
    where: 'outside',
    call: () => new trio.Semaphore(-1),
    error: kernel.ValueError,
    hint: />= 0/,
  }),
  row({
    name: 'new CapacityLimiter(0)',
    where: 'outside',
    call: () => new trio.CapacityLimiter(0),
    error: kernel.ValueError,
    hint: />= 1/,
  }),
  row({
    name: 'asyncio new Semaphore(-1)',
    where: 'outside',
    call: () => new aio.Semaphore(-1),
    error: kernel.ValueError,
    hint: /integer >= 0/,
  }),
  row({
    name: 'asyncio new Barrier(0)',
    where: 'outside',
    call: () => new aio.Barrier(0),
    error: kernel.ValueError,
    hint: /integer >= 1/,
  }),
  row({
    name: 'asyncio wait([])',
    where: 'asyncio',
    call: () => aio.wait([]),
    error: kernel.ValueError,
    hint: /empty/,
  }),
  row({
    name: "asyncio loop.callLater('1', f)",
    where: 'asyncio',
    call: () => aio.getRunningLoop().callLater('1' as any, () => {}),
    error: TypeError,
    hint: NOT_A_NUMBER,
  }),
  row({
    name: 'asyncio loop.callSoon(42)',
    where: 'asyncio',
    call: () => aio.getRunningLoop().callSoon(42 as any),
    error: TypeError,
    hint: /expects a function/,
  }),
  row({
    name: 'new ExceptionGroup(msg, [])',
    where: 'outside',
    call: () => new kernel.ExceptionGroup('x', []),
    error: kernel.ValueError,
    hint: /at least one error/,
  }),
  row({
    name: "waitAllTasksBlocked('1')",
    where: 'trio',
    call: () => kernel.waitAllTasksBlocked('1' as any),
    error: kernel.ValueError,
    hint: />= 0/,
  }),
  row({
    name: 'channelAsQueue(tx) without the receive end',
    where: 'outside',
    setup: () => trio.openMemoryChannel<number>(1),
    call: ([tx]) => bridge.channelAsQueue(tx, undefined as any),
    error: TypeError,
    hint: /pass both ends, channelAsQueue\(send, receive\)/,
    state: channelState,
  }),
  row({
    name: 'channelAsQueue(rx, tx) (ends swapped)',
    where: 'outside',
    setup: () => trio.openMemoryChannel<number>(1),
    call: ([tx, rx]) => bridge.channelAsQueue(rx as any, tx as any),
    error: TypeError,
    hint: /the send end of openMemoryChannel\(\)/,
    state: channelState,
  }),
  row({
    name: 'waitTaskRescheduled(42)',
    where: 'trio',
    call: () => kernel.waitTaskRescheduled(42 as any),
    error: TypeError,
    hint: /expects an abort function/,
  }),
  row({
    name: 'reschedule(a task that is not parked)',
    where: 'trio',
    call: () => kernel.reschedule(kernel.currentTask()),
    error: kernel.RuntimeError,
    hint: /is not parked/,
    state: () => kernel.currentTask().state,
  }),
  row({
    name: 'ParkingLot.repark(notALot)',
    where: 'outside',
    setup: () => new kernel.ParkingLot(),
    call: (lot) => lot.repark({} as any),
    error: TypeError,
    hint: /expects a ParkingLot/,
    state: (lot) => lot.statistics(),
  }),
  row({
    name: 'ParkingLot.unpark(-1)',
    where: 'outside',
    setup: () => new kernel.ParkingLot(),
    call: (lot) => lot.unpark(-1),
    error: kernel.ValueError,
    hint: />= 0/,
    state: (lot) => lot.statistics(),
  }),
  row({
    name: 'new CancelScope({ deadline, relativeDeadline })',
    where: 'outside',
    call: () => new trio.CancelScope({ deadline: 1, relativeDeadline: 1 }),
    error: kernel.ValueError,
    hint: /deadline or relativeDeadline, not both/,
  }),
  row({
    name: 'new CancelScope({ relativeDeadline: [1] })',
    where: 'outside',
    call: () => new trio.CancelScope({ relativeDeadline: [1] as any }),
    error: TypeError,
    hint: /must be a number of seconds, got an array/,
  }),
  row({
    name: 'atRunEnd(42)',
    where: 'trio',
    call: () => kernel.atRunEnd(42 as any),
    error: TypeError,
    hint: /expects a function/,
  }),
  row({
    name: 'queueAsChannels(notAQueue)',
    where: 'outside',
    call: () => bridge.queueAsChannels({} as any),
    error: TypeError,
    hint: /expects an asyncio Queue/,
  }),
  row({
    name: 'runWithSignal(notASignal, f)',
    where: 'outside',
    call: () => bridge.runWithSignal({} as any, async () => {}),
    error: TypeError,
    hint: /expects an AbortSignal/,
  }),
  // ---- outside run() --------------------------------------------------------------------------
  ...(
    [
      ['trio sleep(1)', () => trio.sleep(1)],
      ['trio checkpoint()', () => trio.checkpoint()],
      ['trio openNursery(body)', () => trio.openNursery(async () => {})],
      ['trio currentTime()', () => trio.currentTime()],
      ['trio moveOnAfter(1, body)', () => trio.moveOnAfter(1, async () => {})],
      ['kernel currentTask()', () => kernel.currentTask()],
      ['kernel spawnSystemTask(f)', () => kernel.spawnSystemTask(async () => {})],
      ['asyncio createTask(f)', () => aio.createTask(asyncioWork)],
      ['asyncio getRunningLoop()', () => aio.getRunningLoop()],
      ['asyncio currentTask()', () => aio.currentTask()],
      ['kernel atRunEnd(release)', () => kernel.atRunEnd(() => {})],
    ] as const
  ).map(([name, call]) =>
    row({
      name: `${name} outside run()`,
      where: 'outside',
      call,
      error: kernel.RuntimeError,
      hint: /inside run\(\)|no running event loop|run\(/,
    }),
  ),
  // ---- releasing what is not held --------------------------------------------------------------
  row({
    name: 'trio Lock.release() when not held',
    where: 'trio',
    setup: () => new trio.Lock(),
    call: (l) => l.release(),
    error: kernel.RuntimeError,
    hint: /not (the )?(owner|held|holding)|does not hold|must be held/i,
    state: lockState,
  }),
  row({
    name: 'trio CapacityLimiter.release() when not holding a token',
    where: 'trio',
    setup: () => new trio.CapacityLimiter(2),
    call: (l) => l.release(),
    error: kernel.RuntimeError,
    hint: /hold|borrow/i,
    state: (l) => l.statistics(),
  }),
  row({
    name: 'trio Semaphore({ maxValue: 1 }).release() above maxValue',
    where: 'trio',
    setup: () => new trio.Semaphore(1, { maxValue: 1 }),
    call: (s) => s.release(),
    error: kernel.ValueError,
    hint: /maxValue/,
    state: (s) => s.value,
  }),
  row({
    name: 'asyncio Lock.release() when unlocked',
    where: 'asyncio',
    setup: () => new aio.Lock(),
    call: (l) => l.release(),
    error: kernel.RuntimeError,
    hint: /unlocked|not (locked|acquired)/i,
    state: (l) => l.locked(),
  }),
  row({
    name: 'asyncio BoundedSemaphore.release() too often',
    where: 'asyncio',
    setup: () => new aio.BoundedSemaphore(1),
    call: (s) => s.release(),
    error: kernel.ValueError,
    hint: /released too many times/,
    state: (s) => s.locked(),
  }),
  row({
    name: 'asyncio Queue.taskDone() with no item taken',
    where: 'outside',
    setup: () => new aio.Queue<number>(),
    call: (q) => q.taskDone(),
    error: kernel.ValueError,
    hint: /too many times/,
    state: (q) => q.qsize(),
  }),
  row({
    name: 'asyncio Condition.notify() without the lock',
    where: 'asyncio',
    setup: () => new aio.Condition(),
    call: (c) => c.notify(),
    error: kernel.RuntimeError,
    hint: /lock/i,
    state: (c) => c.locked(),
  }),
  // ---- using what is closed ------------------------------------------------------------------
  row({
    name: 'send on a closed channel',
    where: 'trio',
    setup: () => {
      const pair = trio.openMemoryChannel<number>(1);
      pair[0].close();
      return pair;
    },
    call: ([tx]) => tx.send(1),
    error: trio.ClosedResourceError,
    hint: /closed/,
    state: channelState,
  }),
  row({
    name: 'sendNowait when the receive end is closed',
    where: 'trio',
    setup: () => {
      const pair = trio.openMemoryChannel<number>(1);
      pair[1].close();
      return pair;
    },
    call: ([tx]) => tx.sendNowait(1),
    error: trio.BrokenResourceError,
    hint: /receive/,
    state: channelState,
  }),
  row({
    name: 'receive on a closed receive end',
    where: 'trio',
    setup: () => {
      const pair = trio.openMemoryChannel<number>(1);
      pair[1].close();
      return pair;
    },
    call: ([, rx]) => rx.receive(),
    error: trio.ClosedResourceError,
    hint: /closed/,
    state: channelState,
  }),
  row({
    name: 'startSoon on a closed nursery',
    where: 'trio',
    setup: async () => {
      let nursery!: trio.Nursery;
      await trio.openNursery((n) => {
        nursery = n;
      });
      return nursery;
    },
    call: (n) => n.startSoon(work),
    error: kernel.RuntimeError,
    hint: /closed|no longer/,
    state: (n) => n.childTasks.size,
  }),
  row({
    name: 'entering a CancelScope twice',
    where: 'trio',
    setup: async () => {
      const scope = new trio.CancelScope();
      await scope.run(async () => {});
      return scope;
    },
    call: (s) => s.run(async () => {}),
    error: kernel.RuntimeError,
    hint: /(already|once|more than once|twice)/i,
    state: (s) => [s.cancelCalled, s.cancelledCaught],
  }),
  row({
    name: 'asyncio Queue.putNowait after shutdown',
    where: 'asyncio',
    setup: () => {
      const q = new aio.Queue<number>();
      q.shutdown();
      return q;
    },
    call: (q) => q.putNowait(1),
    error: aio.QueueShutDown,
    hint: /.*/,
    state: (q) => q.qsize(),
  }),
  row({
    name: 'asyncio TaskGroup.createTask after exit',
    where: 'asyncio',
    setup: async () => {
      const tg = new aio.TaskGroup();
      await tg.run(async () => {});
      return tg;
    },
    call: (tg) => tg.createTask(asyncioWork),
    error: kernel.RuntimeError,
    hint: /finished/,
  }),
  row({
    name: 'asyncio Future.result() before it is done',
    where: 'asyncio',
    setup: () => ({ f: aio.getRunningLoop().createFuture<number>() }),
    call: ({ f }) => f.result(),
    error: aio.InvalidStateError,
    hint: /not (yet )?(set|done)|pending/i,
    state: ({ f }) => f.done(),
  }),
  row({
    name: 'asyncio Future.setResult() twice',
    where: 'asyncio',
    setup: () => {
      const f = aio.getRunningLoop().createFuture<number>();
      f.setResult(1);
      return { f };
    },
    call: ({ f }) => f.setResult(2),
    error: aio.InvalidStateError,
    hint: /FINISHED/, // CPython's words
    state: ({ f }) => f.result(),
  }),
  row({
    name: 'trio Event.set() is fine, but Event.wait() outside run()',
    where: 'outside',
    setup: () => new trio.Event(),
    call: (e) => e.wait(),
    error: kernel.RuntimeError,
    hint: /inside run\(\)/,
    state: (e) => e.isSet(),
  }),
];

describe('bad input gets a clear, typed error and changes nothing', () => {
  test.each(rows.map((r) => [r.name, r] as const))('%s', (_name, r) => runRow(r));
});

describe('a function sent to a worker thread', () => {
  const captured = 21;
  test.each([
    ['trio toThread.runSync', () => trio.run(() => trio.toThread.runSync(() => captured * 2))],
    ['asyncio toThread', () => aio.run(() => aio.toThread(() => captured * 2))],
  ])(
    '%s: a closure variable gives a ReferenceError that says the closure stays behind',
    async (_name, go) => {
      const err = await go().then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as Error).name).toBe('ReferenceError'); // cloned from the worker, in Jest's other realm
      expect((err as Error).message).toMatch(/captured is not defined/);
      expect((err as Error).message).toMatch(
        /runs in a worker thread, without its closure: pass what it uses as arguments/,
      );
    },
  );
});
