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
import { EventEmitter } from 'node:events';
import { Inspector } from '@duet/kernel/inspector';
import * as lowlevel from '@duet/trio/lowlevel';
import { MockClock, Sequencer, trioTest } from '@duet/trio/testing';
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
    hint: /must be >= 0/,
  }),
  row({
    name: "openMemoryChannel('1')",
    where: 'outside',
    call: () => trio.openMemoryChannel('1' as any),
    error: TypeError,
    hint: /must be an integer or Infinity/,
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
    error: TypeError,
    hint: /cushion must be a number of seconds >= 0, got "1"/,
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
  // ---- trio lowlevel and testing ----------------------------------------------------------------
  row({
    name: "new MockClock({ rate: '1' })",
    where: 'outside',
    call: () => new MockClock({ rate: '1' as any }),
    error: TypeError,
    hint: /rate must be a number >= 0, got "1"/,
  }),
  row({
    name: 'new MockClock({ autojumpThreshhold: 0 }) (a typo)',
    where: 'outside',
    call: () => new MockClock({ autojumpThreshhold: 0 } as any),
    error: TypeError,
    hint: /unknown option 'autojumpThreshhold' \(allowed: rate, autojumpThreshold\)/,
  }),
  row({
    name: 'new MockClock(0)',
    where: 'outside',
    call: () => new MockClock(0 as any),
    error: TypeError,
    hint: /options must be an object/,
  }),
  row({
    name: "clock.rate = '2'",
    where: 'outside',
    setup: () => new MockClock(),
    call: (c) => {
      c.rate = '2' as any;
    },
    error: TypeError,
    hint: /rate must be a number/,
    state: (c) => c.rate,
  }),
  row({
    name: 'trioTest(fn, 5)',
    where: 'outside',
    call: () => trioTest(async () => {}, 5 as any),
    error: TypeError,
    hint: /options must be an object/,
  }),
  row({
    name: "trioTest(fn, { clok: 'system' }) (a typo, reported when the test is declared)",
    where: 'outside',
    call: () => trioTest(async () => {}, { clok: 'system' } as any),
    error: TypeError,
    hint: /unknown option 'clok' \(allowed: .*clock/,
  }),
  row({
    name: "trioTest(fn, { clock: 'real' })",
    where: 'outside',
    call: () => trioTest(async () => {}, { clock: 'real' as any }),
    error: TypeError,
    hint: /clock must be a MockClock or 'system'/,
  }),
  row({
    name: "ParkingLot.unpark('1')",
    where: 'outside',
    setup: () => new kernel.ParkingLot(),
    call: (lot) => lot.unpark('1' as any),
    error: TypeError,
    hint: /count must be an integer >= 0, got "1"/,
    state: (lot) => lot.statistics(),
  }),
  row({
    name: 'ParkingLot.unpark(1.5)',
    where: 'outside',
    setup: () => new kernel.ParkingLot(),
    call: (lot) => lot.unpark(1.5),
    error: kernel.ValueError,
    hint: /count must be an integer >= 0, got 1\.5/,
    state: (lot) => lot.statistics(),
  }),
  row({
    name: 'reschedule(42)',
    where: 'trio',
    call: () => lowlevel.reschedule(42 as any),
    error: TypeError,
    hint: /task must be a Task \(currentTask\(\)\), got 42/,
  }),
  row({
    name: 'reschedule(parkedTask, 42) (not an outcome)',
    where: 'trio',
    setup: async () => {
      const lot = new kernel.ParkingLot();
      const waiter = kernel.spawnSystemTask(() => lot.park().catch(() => {}));
      await kernel.waitAllTasksBlocked();
      return { lot, waiter };
    },
    call: ({ waiter }) => lowlevel.reschedule(waiter, 42 as any),
    error: TypeError,
    hint: /outcome must be an object/,
    state: ({ lot }) => lot.statistics(),
    teardown: ({ lot }) => lot.unparkAll(),
  }),
  row({
    name: 'addInstrument({ beforeTaskStep: 5 })',
    where: 'trio',
    call: () => lowlevel.addInstrument({ beforeTaskStep: 5 } as any),
    error: TypeError,
    hint: /beforeTaskStep must be a function, got number/,
  }),
  row({
    name: 'Sequencer.run(-1, f)',
    where: 'trio',
    setup: () => new Sequencer(),
    call: (seq) => seq.run(-1, () => {}),
    error: kernel.ValueError,
    hint: /position must be an integer >= 0, got -1/,
  }),
  row({
    name: "Sequencer.run('0', f)",
    where: 'trio',
    setup: () => new Sequencer(),
    call: (seq) => seq.run('0' as any, () => {}),
    error: TypeError,
    hint: /position must be an integer >= 0, got "0"/,
  }),
  row({
    name: 'Sequencer.run(0, 42) (the position stays free)',
    where: 'trio',
    setup: () => new Sequencer(),
    call: (seq) => seq.run(0, 42 as any),
    error: TypeError,
    hint: /Sequencer\.run\(\) expects a function/,
    teardown: (seq) => seq.run(0, () => {}), // would fail if the bad call had claimed 0
  }),
  // ---- asyncio locks, wait, asCompleted, gather -------------------------------------------------
  row({
    name: "asyncio new Barrier('3')",
    where: 'outside',
    call: () => new aio.Barrier('3' as any),
    error: TypeError,
    hint: /parties must be an integer >= 1, got "3"/,
  }),
  row({
    name: 'asyncio Condition.waitFor(42)',
    where: 'asyncio',
    setup: () => new aio.Condition(),
    call: (c) => c.waitFor(42 as any),
    error: TypeError,
    hint: /Condition\.waitFor\(\) expects a function/,
    state: (c) => c.locked(),
  }),
  row({
    name: "asyncio Condition.notify('1')",
    where: 'asyncio',
    setup: () => new aio.Condition(),
    call: (c) => c.notify('1' as any),
    error: TypeError,
    hint: /n must be a number, got "1"/,
    state: (c) => c.locked(),
  }),
  row({
    name: 'asyncio wait(task) (one Task, not an iterable of them)',
    where: 'asyncio',
    setup: () => ({ t: aio.createTask(asyncioWork) }), // in an object: a Task is awaitable
    call: ({ t }) => aio.wait(t as any),
    error: TypeError,
    hint: /expects an iterable of Futures or Tasks, e.g\. \[task\]/,
    state: ({ t }) => t.done(),
    teardown: ({ t }) => t.cancel(),
  }),
  row({
    name: 'asyncio wait([task], { retrunWhen }) (a typo)',
    where: 'asyncio',
    setup: () => ({ t: aio.createTask(asyncioWork) }), // in an object: a Task is awaitable
    call: ({ t }) => aio.wait([t], { retrunWhen: aio.FIRST_COMPLETED } as any),
    error: TypeError,
    hint: /unknown option 'retrunWhen' \(allowed: timeout, returnWhen\)/,
    state: ({ t }) => t.done(),
    teardown: ({ t }) => t.cancel(),
  }),
  row({
    name: "asyncio wait([task], { timeout: '1' })",
    where: 'asyncio',
    setup: () => ({ t: aio.createTask(asyncioWork) }), // in an object: a Task is awaitable
    call: ({ t }) => aio.wait([t], { timeout: '1' as any }),
    error: TypeError,
    hint: /wait\(\): timeout must be a number of seconds, got "1"/,
    state: ({ t }) => t.done(),
    teardown: ({ t }) => t.cancel(),
  }),
  row({
    name: 'asyncio asCompleted(task)',
    where: 'asyncio',
    setup: () => ({ t: aio.createTask(asyncioWork) }), // in an object: a Task is awaitable
    call: ({ t }) => aio.asCompleted(t as any),
    error: TypeError,
    hint: /asCompleted\(\) expects an iterable of Futures or Tasks/,
    teardown: ({ t }) => t.cancel(),
  }),
  row({
    name: "asyncio asCompleted([f], { timeout: '1' }) (starts no task)",
    where: 'asyncio',
    call: () => aio.asCompleted([asyncioWork], { timeout: '1' as any }),
    error: TypeError,
    hint: /asCompleted\(\): timeout must be a number of seconds/,
    state: () => aio.allTasks().size,
  }),
  row({
    name: 'asyncio asCompleted([f], { timout: 1 }) (a typo)',
    where: 'asyncio',
    call: () => aio.asCompleted([asyncioWork], { timout: 1 } as any),
    error: TypeError,
    hint: /unknown option 'timout' \(allowed: timeout\)/,
    state: () => aio.allTasks().size,
  }),
  row({
    name: 'asyncio gather.withOptions({ returnExeptions: true }) (a typo)',
    where: 'asyncio',
    call: () => aio.gather.withOptions({ returnExeptions: true } as any, asyncioWork),
    error: TypeError,
    hint: /unknown option 'returnExeptions' \(allowed: returnExceptions\)/,
    state: () => aio.allTasks().size,
  }),
  row({
    name: "asyncio gather.withOptions({ returnExceptions: 'yes' })",
    where: 'asyncio',
    call: () => aio.gather.withOptions({ returnExceptions: 'yes' as any }, asyncioWork),
    error: TypeError,
    hint: /returnExceptions must be true or false/,
    state: () => aio.allTasks().size,
  }),
  row({
    name: "asyncio new Runner({ debug: 'yes' })",
    where: 'outside',
    call: () => new aio.Runner({ debug: 'yes' as any }),
    error: TypeError,
    hint: /debug must be true or false, got "yes"/,
  }),
  row({
    name: "asyncio run(main, { debug: 'yes' })",
    where: 'outside',
    call: () => aio.run(asyncioWork, { debug: 'yes' as any }),
    error: TypeError,
    hint: /debug must be true or false, got "yes"/,
  }),
  // ---- bridge entry points ------------------------------------------------------------------------
  row({
    name: "iterateEvents(emitter, 'x', { bufferSize: '5' })",
    where: 'trio',
    setup: () => new EventEmitter(),
    call: (e) => bridge.iterateEvents(e, 'x', { bufferSize: '5' as any }),
    error: TypeError,
    hint: /bufferSize must be an integer >= 1, got "5"/,
    state: (e) => e.listenerCount('x'),
  }),
  row({
    name: "iterateEvents(emitter, 'x', { overflow: 0 })",
    where: 'trio',
    setup: () => new EventEmitter(),
    call: (e) => bridge.iterateEvents(e, 'x', { overflow: 0 as any }),
    error: TypeError,
    hint: /overflow must be one of "error", "dropOldest", "dropNewest", got 0/,
    state: (e) => e.listenerCount('x'),
  }),
  row({
    name: "iterateEvents(emitter, 'x', { bufferSzie: 5 }) (a typo)",
    where: 'trio',
    setup: () => new EventEmitter(),
    call: (e) => bridge.iterateEvents(e, 'x', { bufferSzie: 5 } as any),
    error: TypeError,
    hint: /unknown option 'bufferSzie' \(allowed: bufferSize, overflow\)/,
    state: (e) => e.listenerCount('x'),
  }),
  row({
    name: "iterateEvents(emitter, 'x', 5)",
    where: 'trio',
    setup: () => new EventEmitter(),
    call: (e) => bridge.iterateEvents(e, 'x', 5 as any),
    error: TypeError,
    hint: /options must be an object/,
    state: (e) => e.listenerCount('x'),
  }),
  row({
    name: "runWithSignal(signal, f, { style: 'aio' })",
    where: 'outside',
    call: () => bridge.runWithSignal(new AbortController().signal, work, { style: 'aio' as any }),
    error: kernel.ValueError,
    hint: /style must be one of "trio", "asyncio", got "aio"/,
  }),
  row({
    name: "runWithSignal(signal, f, { styl: 'asyncio' }) (a typo)",
    where: 'outside',
    call: () => bridge.runWithSignal(new AbortController().signal, work, { styl: 'x' } as any),
    error: TypeError,
    hint: /unknown option 'styl' \(allowed: style, trio\)/,
  }),
  // ---- kernel inspector, trace, host waits --------------------------------------------------------
  row({
    name: "new Inspector({ port: '80' })",
    where: 'outside',
    call: () => new Inspector({ port: '80' as any }),
    error: TypeError,
    hint: /port must be an integer from 0 to 65535, got "80"/,
  }),
  row({
    name: 'new Inspector({ prot: 80 }) (a typo)',
    where: 'outside',
    call: () => new Inspector({ prot: 80 } as any),
    error: TypeError,
    hint: /unknown option 'prot' \(allowed: port, onListening, traceLimit\)/,
  }),
  row({
    name: "new Inspector({ onListening: 'print' })",
    where: 'outside',
    call: () => new Inspector({ onListening: 'print' as any }),
    error: TypeError,
    hint: /onListening expects a function/,
  }),
  row({
    name: 'new Inspector({ traceLimit: 0 })',
    where: 'outside',
    call: () => new Inspector({ traceLimit: 0 }),
    error: kernel.ValueError,
    hint: /traceLimit must be an integer >= 1, got 0/,
  }),
  row({
    name: "new TraceRecorder({ time: 'wall' })",
    where: 'outside',
    call: () => new kernel.TraceRecorder({ time: 'wall' as any }),
    error: kernel.ValueError,
    hint: /time must be one of "virtual", "real", got "wall"/,
  }),
  row({
    name: "new TraceRecorder({ limit: '5' })",
    where: 'outside',
    call: () => new kernel.TraceRecorder({ limit: '5' as any }),
    error: TypeError,
    hint: /limit must be an integer >= 1, got "5"/,
  }),
  row({
    name: 'new TraceRecorder({ lmit: 5 }) (a typo)',
    where: 'outside',
    call: () => new kernel.TraceRecorder({ lmit: 5 } as any),
    error: TypeError,
    hint: /unknown option 'lmit' \(allowed: time, limit\)/,
  }),
  row({
    name: 'new HostWait(42)',
    where: 'outside',
    call: () => new kernel.HostWait(42 as any),
    error: TypeError,
    hint: /what must be a string, got 42/,
  }),
  row({
    name: "new HostWait('x', { onAbort: 'close' })",
    where: 'outside',
    call: () => new kernel.HostWait('x', { onAbort: 'close' as any }),
    error: TypeError,
    hint: /onAbort expects a function/,
  }),
  row({
    name: "new HostWait('x', { uncancelable: true }) (a typo)",
    where: 'outside',
    call: () => new kernel.HostWait('x', { uncancelable: true } as any),
    error: TypeError,
    hint: /unknown option 'uncancelable' \(allowed: onAbort, uncancellable\)/,
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
    hint: /released too many times/, // Trio's text, as asyncio's BoundedSemaphore row
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
