/**
 * `@duet/asyncio`: Python's asyncio API (in camelCase, times in seconds, functions instead of
 * coroutine objects) on the Duet kernel. The guide, with recipes:
 * [asyncio style](../../../docs/asyncio.md).
 *
 * @packageDocumentation
 * @module @duet/asyncio
 */
export {
  BrokenBarrierError,
  CancelledError,
  ExceptionGroup,
  InvalidStateError,
  KeyboardInterrupt,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  TimeoutError,
  ValueError,
} from './errors';
export {
  HangError,
  MockClock,
  awaitForeign,
  currentSignal,
  isCancelled,
  type AwaitForeignOptions,
  type Clock,
} from '@duet/kernel';
export {
  EventLoop,
  Handle,
  TimerHandle,
  type ExceptionContext,
  type ExceptionHandler,
} from './loop';
export { getRunningLoop } from './events';
export { Future, isFuture, type DoneCallback, type FutureOptions } from './futures';
export {
  Task,
  allTasks,
  asyncioTaskOf,
  createEagerTaskFactory,
  createTask,
  currentTask,
  eagerTaskFactory,
  ensureFuture,
  runWithTaskNursery,
  type Awaitable,
  type AwaitedOf,
  type TaskConstructor,
  type TaskConstructorOptions,
  type TaskFactory,
  type TaskOptions,
} from './tasks';
export { Runner, run, type RunOptions } from './runners';
export { sleep } from './sleep';
export { formatCallGraph, printCallGraph } from './graph';
export { ASYNCIO_TEST_HANG_DETECTION, asyncioTest, type AsyncioTestOptions } from './testing';
export {
  GatheringFuture,
  gather,
  shield,
  type GatherOptions,
  type GatherResults,
  type GatherResultsOrErrors,
} from './gather';
export { TaskGroup, type TaskGroupOptions } from './taskgroups';
export { Timeout, timeout, timeoutAt, waitFor } from './timeouts';
export {
  ALL_COMPLETED,
  AsCompletedIterator,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  asCompleted,
  wait,
  type AsCompletedOptions,
  type ReturnWhen,
  type WaitOptions,
} from './wait';
export { Barrier, BoundedSemaphore, Condition, Event, Lock, Semaphore, type Held } from './locks';
export { LifoQueue, PriorityQueue, Queue, defaultCompare, type Compare } from './queues';
export {
  BrokenPipeError,
  ConnectionError,
  ProcessLookupError,
  ConnectionRefusedError,
  ConnectionResetError,
  IncompleteReadError,
  LimitOverrunError,
} from './stream-errors';
export { StreamReader } from './stream-reader';
export { StreamWriter } from './stream-writer';
export {
  openConnection,
  openUnixConnection,
  type OpenConnectionOptions,
  type OpenUnixConnectionOptions,
} from './connection';
export {
  Server,
  startServer,
  startUnixServer,
  type ClientConnectedCallback,
  type ServerSocket,
  type StartServerOptions,
  type StartUnixServerOptions,
} from './server';
export {
  DEVNULL,
  PIPE,
  Process,
  STDOUT,
  createSubprocessExec,
  createSubprocessShell,
  type SubprocessOptions,
} from './subprocess';
export { toThread, type Executor, type ThreadModuleRef, type ToThreadOptions } from './threads';
export { type FromThread } from '@duet/kernel';
