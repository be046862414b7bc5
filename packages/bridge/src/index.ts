/**
 * `@duet/bridge`: Trio-style and asyncio-style code calling each other, and both living inside
 * plain Promise / AbortSignal code, each side keeping its own cancellation, timeout and error
 * semantics.
 *
 * @packageDocumentation
 * @module @duet/bridge
 */
export {
  awaitEvent,
  iterate,
  runWithSignal,
  toAsyncIterable,
  type Receiver,
  type RunWithSignalOptions,
} from './plain';
export {
  toReadableStream,
  toWritableStream,
  type ReadSource,
  type Sender,
  type WriteSink,
} from './web';
export { EventOverflowError, iterateEvents, type IterateEventsOptions } from './events';
export { awaitForeign as awaitPromise } from '@duet/kernel';
export { aioAsTrio, awaitFuture, openAsyncioLoop, trioAsAio } from './styles';
export {
  ChannelQueue,
  QueueReceiveChannel,
  QueueSendChannel,
  channelAsQueue,
  queueAsChannels,
} from './adapters';
