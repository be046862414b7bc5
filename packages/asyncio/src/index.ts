/**
 * `@duet/asyncio`: Python's asyncio API (in camelCase, times in seconds, functions instead of
 * coroutine objects) on the Duet kernel.
 *
 * @packageDocumentation
 */
export {
  BrokenBarrierError,
  CancelledError,
  ExceptionGroup,
  InvalidStateError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  TimeoutError,
  ValueError,
} from './errors';
export { MockClock, type Clock } from '@duet/kernel';
export {
  EventLoop,
  Handle,
  TimerHandle,
  getRunningLoop,
  type ExceptionContext,
  type ExceptionHandler,
} from './loop';
export { Future, isFuture, type DoneCallback, type FutureOptions } from './futures';
export {
  Task,
  allTasks,
  createTask,
  currentTask,
  ensureFuture,
  type Awaitable,
  type AwaitedOf,
  type TaskConstructorOptions,
  type TaskOptions,
} from './tasks';
export { Runner, run, type RunOptions } from './runners';
export { sleep } from './sleep';
