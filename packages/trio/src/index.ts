/**
 * `@duet/trio`: Python Trio's structured concurrency for TypeScript, on the `@duet/kernel` engine.
 * Names are Trio's in camelCase, times are seconds, and `async with` blocks become callbacks:
 *
 * ```ts
 * import { run, openNursery, moveOnAfter, sleep } from '@duet/trio';
 *
 * await run(async () => {
 *   await openNursery(async (nursery) => {
 *     nursery.startSoon(sleep, 1);
 *     await moveOnAfter(0.5, () => sleep(10));
 *   });
 * });
 * ```
 *
 * Test helpers are in `@duet/trio/testing`; tools for library authors in `@duet/trio/lowlevel`.
 * The guide, with recipes: [Trio style](../../../docs/trio.md); also
 * [cancellation](../../../docs/cancellation.md) and [testing](../../../docs/testing.md).
 *
 * @packageDocumentation
 * @module @duet/trio
 */
export {
  CancelScope,
  Cancelled,
  ExceptionGroup,
  HangError,
  KeyboardInterrupt,
  Nursery,
  RunFinishedError,
  RuntimeError,
  TASK_STATUS_IGNORED,
  Task,
  ValueError,
  awaitForeign,
  checkpoint,
  checkpointIfCancelled,
  currentEffectiveDeadline,
  currentRootTask,
  currentSignal,
  currentTask,
  currentTime,
  isCancelled,
  sleep,
  sleepForever,
  sleepUntil,
  type CancelReason,
  type CancelScopeOptions,
  type CancelSource,
  type Clock,
  type Instrument,
  type SpawnOptions,
  type TaskStatus,
} from '@duet/kernel';
export { run, openNursery, type RunOptions, type OpenNurseryOptions } from './run';
export {
  FailScope,
  failAfter,
  failAt,
  moveOnAfter,
  moveOnAt,
  type TimeoutBody,
  type TimeoutOptions,
} from './timeouts';
export {
  CapacityLimiter,
  Condition,
  Event,
  Lock,
  Semaphore,
  StrictFIFOLock,
  type CapacityLimiterStatistics,
  type ConditionStatistics,
  type EventStatistics,
  type Held,
  type LockStatistics,
  type SemaphoreOptions,
  type SemaphoreStatistics,
} from './sync';
export {
  MemoryReceiveChannel,
  MemorySendChannel,
  openMemoryChannel,
  type MemoryChannelStatistics,
  type ReceiveChannel,
  type SendChannel,
} from './channel';
export { asSafeChannel, type SafeChannelBody, type SafeChannelOpener } from './safe-channel';
export {
  BrokenResourceError,
  BusyResourceError,
  ClosedResourceError,
  EndOfChannel,
  TooSlowError,
  TrioInternalError,
  WouldBlock,
} from './errors';
export {
  DEFAULT_RECEIVE_BUFFER,
  acloseForcefully,
  DEFAULT_RECEIVE_SIZE,
  type AsyncResource,
  type Bytes,
  type HalfCloseableStream,
  type Listener,
  type ReceiveStream,
  type SendStream,
  type Stream,
} from './stream-abc';
export { ReadableReceiveStream, WritableSendStream } from './node-streams';
export { StapledStream } from './stapled';
export { BufferedReceiveStream, type ReceiveUntilOptions } from './buffered';
export { SocketStream, openUnixSocket, type SocketAddress } from './socket-stream';
export { openTcpStream, type OpenTcpStreamOptions } from './tcp-connect';
export { SocketListener, openTcpListeners, type OpenTcpListenersOptions } from './tcp-listen';
export {
  serveListeners,
  serveTcp,
  type ServeListenersOptions,
  type ServeTcpOptions,
  type StreamHandler,
} from './tcp-serve';
export { SignalReceiver, openSignalReceiver, type SignalId } from './signals';
export { Process, openProcess, type OpenProcessOptions, type StdioSpec } from './process';
export {
  CalledProcessError,
  CompletedProcess,
  runProcess,
  type RunProcessOptions,
} from './run-process';
export { AsyncFile, type FileMode } from './file';
export { Path, openFile, wrapFile, type OpenFileOptions } from './path';
export {
  currentDefaultThreadLimiter,
  toThread,
  type ModuleRef,
  type RunSyncOptions,
  type ThreadLimiter,
} from './threads';
export { type FromThread } from '@duet/kernel';
