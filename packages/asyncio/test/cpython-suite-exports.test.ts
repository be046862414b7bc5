// Every public name of asyncio 3.13 (`asyncio.__all__` without its underscore names) exists in
// @duet/asyncio under its camelCase name, or the README's "Differences from asyncio" says, with
// the reason, that Duet lacks it (as trio-suite-exports.test.ts checks Trio's names).
import { readFileSync } from 'node:fs';
import nodePath from 'node:path';
import * as asyncio from '@duet/asyncio';

// sorted(asyncio.__all__) of CPython 3.13.0, in camelCase (isfuture is isFuture).
const ASYNCIO_NAMES = `ALL_COMPLETED AbstractChildWatcher AbstractEventLoop AbstractEventLoopPolicy
  AbstractServer Barrier BaseEventLoop BaseProtocol BaseTransport BoundedSemaphore
  BrokenBarrierError BufferedProtocol CancelledError Condition DatagramProtocol DatagramTransport
  DefaultEventLoopPolicy Event EventLoop FIRST_COMPLETED FIRST_EXCEPTION FastChildWatcher Future
  Handle IncompleteReadError InvalidStateError LifoQueue LimitOverrunError Lock
  MultiLoopChildWatcher PidfdChildWatcher PriorityQueue Protocol Queue QueueEmpty QueueFull
  QueueShutDown ReadTransport Runner SafeChildWatcher SelectorEventLoop Semaphore
  SendfileNotAvailableError Server StreamReader StreamReaderProtocol StreamWriter
  SubprocessProtocol SubprocessTransport Task TaskGroup ThreadedChildWatcher Timeout TimeoutError
  TimerHandle Transport WriteTransport allTasks asCompleted createEagerTaskFactory
  createSubprocessExec createSubprocessShell createTask currentTask eagerTaskFactory ensureFuture
  gather getChildWatcher getEventLoop getEventLoopPolicy getRunningLoop isFuture iscoroutine
  iscoroutinefunction newEventLoop openConnection openUnixConnection run runCoroutineThreadsafe
  setChildWatcher setEventLoop setEventLoopPolicy shield sleep startServer startUnixServer timeout
  timeoutAt toThread wait waitFor wrapFuture`
  .split(/\s+/)
  .filter(Boolean);

/** The "Differences from asyncio" section of the README. */
function differences(): string {
  const readme = readFileSync(nodePath.join(__dirname, '..', 'README.md'), 'utf8');
  const start = readme.indexOf('## Differences from asyncio');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

test("@duet/asyncio has every asyncio 3.13 name, or the README's differences say why not", () => {
  const text = differences();
  const missing = ASYNCIO_NAMES.filter((name) => !(name in asyncio));
  expect(missing.filter((name) => !text.includes(`\`${name}\``))).toEqual([]);
});

test('no name the README says Duet lacks is exported after all', () => {
  // The "Duet lacks ..." sentences, up to their reason (after the colon).
  const lacking = [...differences().matchAll(/Duet lacks ([^:]*):/g)].flatMap((m) =>
    [...m[1]!.matchAll(/`(\w+)`/g)].map((n) => n[1]!),
  );
  expect(lacking.length).toBeGreaterThan(30);
  expect(lacking.filter((name) => name in asyncio)).toEqual([]);
});
