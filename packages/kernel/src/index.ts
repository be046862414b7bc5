/**
 * `@duet/kernel`: the one engine under Duet's Trio and asyncio facades. Tasks and their tree,
 * cancel scopes (level- and edge-triggered), the scheduler, deadlines and clocks, parking,
 * errors, interop with Promises and AbortSignal, and instruments.
 *
 * @packageDocumentation
 * @module @duet/kernel
 */
export {
  Cancelled,
  ExceptionGroup,
  HangError,
  KernelInternalError,
  RunFinishedError,
  RuntimeError,
  ValueError,
  isCancelled,
  type ErrorMatcher,
} from './errors';
export { MockClock, SystemClock, type Clock, type MockClockOptions } from './clock';
export {
  CancelScope,
  checkpointIfCancelled,
  currentEffectiveDeadline,
  type CancelReason,
  type CancelScopeOptions,
} from './cancel';
export { Task, type TaskState } from './task';
export {
  Abort,
  ParkingLot,
  park,
  reschedule,
  waitTaskRescheduled,
  type AbortFn,
  type Outcome,
  type ParkOptions,
  type ParkingLotStatistics,
  type Waitable,
} from './park';
export {
  Nursery,
  TASK_STATUS_IGNORED,
  openNursery,
  type NurseryOptions,
  type TaskStatus,
} from './nursery';
export {
  Runner,
  TimerHandle,
  addInstrument,
  cancelShieldedCheckpoint,
  checkpoint,
  currentClock,
  currentRootTask,
  currentRunner,
  currentTask,
  currentTime,
  removeInstrument,
  run,
  spawnSystemTask,
  waitAllTasksBlocked,
  type RunOptions,
} from './runner';
export { sleep, sleepForever, sleepUntil } from './sleep';
export { HostWait, awaitForeign, currentSignal, type HostWaitOptions } from './interop';
export { type Instrument, type InstrumentHook } from './instruments';
export {
  formatTaskTree,
  taskTree,
  type NurseryNode,
  type TaskNode,
  type TaskTree,
} from './introspect';
export { currentTaskOrUndefined } from './context';
export { type DebugCheck, type DebugOptions } from './debug';
export {
  TraceRecorder,
  type TraceEvent,
  type TraceEventKind,
  type TraceRecorderOptions,
} from './trace';
export {
  runInWorker,
  workerPoolStatistics,
  type FromThread,
  type RunInWorkerOptions,
  type WorkerCall,
} from './workers';
