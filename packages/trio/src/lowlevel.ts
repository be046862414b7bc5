/**
 * `@duet/trio/lowlevel`: Trio's `trio.lowlevel` for library authors — parking, rescheduling,
 * system tasks, instruments and introspection. These are the kernel's own primitives.
 *
 * @example
 * ```ts
 * import { ParkingLot, currentTask, reschedule, waitTaskRescheduled, Abort } from '@duet/trio/lowlevel';
 * ```
 *
 * @packageDocumentation
 * @module @duet/trio/lowlevel
 */
import { formatTaskTree, taskTree } from '@duet/kernel';

// Trio 0.22 has these in trio.lowlevel as well as (or instead of) trio itself.
export { Process, openProcess, type OpenProcessOptions } from './process';

export { addParkingLotBreaker, removeParkingLotBreaker } from './lot-breakers';

export {
  TrioToken,
  currentStatistics,
  currentTrioToken,
  inTrioRun,
  inTrioTask,
  type RunStatistics,
  type RunSyncSoonOptions,
} from './token';

export {
  Abort,
  LookupError,
  ParkingLot,
  RunVar,
  RunVarToken,
  Task,
  addInstrument,
  cancelShieldedCheckpoint,
  checkpoint,
  checkpointIfCancelled,
  currentClock,
  currentRootTask,
  currentTask,
  removeInstrument,
  reschedule,
  spawnSystemTask,
  taskTree,
  TraceRecorder,
  waitTaskRescheduled,
  type AbortFn,
  type TaskTree,
  type TraceEvent,
  type TraceRecorderOptions,
  type Instrument,
  type InstrumentHook,
  type Outcome,
  type ParkingLotStatistics,
  type SpawnOptions,
  type TaskStatus,
} from '@duet/kernel';

/**
 * The current run's task tree as text: every task with its state, what it waits for, its cancel
 * scopes and nurseries, and the system tasks. For debugging a hang.
 *
 * @example
 * ```ts
 * console.log(dumpTaskTree());
 * ```
 */
export function dumpTaskTree(): string {
  return formatTaskTree(taskTree());
}
