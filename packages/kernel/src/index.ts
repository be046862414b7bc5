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
  KeyboardInterrupt,
  LookupError,
  RunFinishedError,
  RuntimeError,
  ValueError,
  cancellationOf,
  isCancelled,
  type CancelSource,
  type ErrorMatcher,
} from './errors';
export { MockClock, SystemClock, type Clock, type MockClockOptions } from './clock';
export {
  TEST_HANG_DETECTION,
  testClock,
  testRunnerSignal,
  whenAborted,
  type TestClockOption,
} from './testing';
export {
  CANCEL_SCOPE_OPTIONS,
  CancelScope,
  cancellationPending,
  checkpointIfCancelled,
  currentEffectiveDeadline,
  type CancelReason,
  type CancelScopeOptions,
} from './cancel';
export { Task, type TaskName, type TaskSink, type TaskState } from './task';
export { RunVar, RunVarToken } from './runvar';
export { ChildExit, type ChildAtRunEnd, type ChildProcessLike } from './child-process';
export {
  Abort,
  ParkingLot,
  park,
  reschedule,
  waitTaskRescheduled,
  type AbortFn,
  type Outcome,
  type ParkOptions,
  type ParkingLotOptions,
  type ParkingLotStatistics,
  type Waitable,
} from './park';
export {
  NURSERY_OPTIONS,
  Nursery,
  TASK_STATUS_IGNORED,
  openNursery,
  type NurseryOptions,
  type SpawnOptions,
  type TaskStatus,
} from './nursery';
export { Runner } from './runner';
export { callSoonHoldingRun, runStatistics, type RunStatistics } from './held';
export { TimerHandle, callAt } from './call-at';
export {
  RUN_OPTIONS,
  run,
  runArguments,
  type InternalErrorClass,
  type RunArguments,
  type RunOptions,
} from './run';
export {
  addInstrument,
  currentClock,
  currentRootTask,
  currentRunner,
  currentTask,
  currentTime,
  removeInstrument,
  spawnSystemTask,
} from './current';
export { cancelShieldedCheckpoint, checkpoint } from './checkpoints';
export { waitAllTasksBlocked } from './wait-all-blocked';
export { sleep, sleepForever, sleepUntil } from './sleep';
export {
  DEFAULT_SETTLE_SECONDS,
  HostWait,
  hostEvent,
  type HostEmitter,
  awaitForeign,
  currentSignal,
  type AwaitForeignOptions,
  type HostWaitOptions,
} from './interop';
export { type Instrument, type InstrumentHook } from './instruments';
export {
  DIAGNOSTICS_CHANNELS,
  type NurseryMessage,
  type RunMessage,
  type ScopeMessage,
  type TaskMessage,
} from './diagnostics';
export {
  formatTaskTree,
  taskTree,
  type NurseryNode,
  type TaskNode,
  type TaskTree,
} from './introspect';
export { currentTaskOrUndefined } from './context';
export { atRunEnd, destroyAll, type Destroyable } from './resources';
export type {
  EventEmitterLike,
  FileHandleLike,
  NodeBuffer,
  NodeBufferEncoding,
  NodeChildProcess,
  NodeEventEmitter,
  NodeFileHandle,
  NodeProcessEnv,
  NodeReadable,
  NodeServer,
  NodeSignal,
  NodeSocket,
  NodeStats,
  NodeTypesLoaded,
  NodeWritable,
  ReadableLike,
  ServerLike,
  SocketAddressLike,
  SocketLike,
  StatsLike,
  WritableLike,
} from './node-types';
export {
  checkBoolean,
  checkBytes,
  checkDeadline,
  checkEncoding,
  checkChoice,
  checkFunction,
  checkFunctions,
  checkInstance,
  checkMethods,
  checkNumber,
  checkObject,
  checkOptions,
  checkSeconds,
  checkSignal,
  checkStdio,
  checkString,
  optionsFirst,
  type CheckNumberOptions,
  type OptionsFirst,
} from './validate';
export { catchableSignalName } from './signal-names';
export { type DebugCheck, type DebugOptions } from './debug';
export {
  TraceRecorder,
  type TraceEvent,
  type TraceEventKind,
  type TraceRecorderOptions,
} from './trace';
export {
  runInWorker,
  workerCall,
  workerPoolStatistics,
  type FromThread,
  type RunInWorkerOptions,
  type WorkerCall,
} from './workers';
