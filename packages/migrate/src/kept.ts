/**
 * Why the codemod leaves code as is, one entry per case: the `// duet-migrate:` comment above the
 * code and the report line both say it. Reasons naming the code they keep are written where they
 * are found; these are the fixed ones (the fixture tests check each has a fixture).
 */
export const KEPT = {
  createTaskOutsideGroup:
    'createTask() outside a TaskGroup: the Task outlives any nursery (bridge: aioAsTrio)',
  waitForRunning: 'waitFor() of an awaitable that is already running (Future plumbing)',
  gatherOptions: 'gather options other than returnExceptions',
  gatherRunning: 'gather() of awaitables already running (Futures/Tasks) has no nursery equivalent',
  timeoutObject: 'a Timeout object used outside a body: its reschedule()/expired() are edge-style',
  calledTimeoutError:
    'TimeoutError raised by a called function: becomes TooSlowError once that function is migrated',
  loopUsed: 'the event loop is used for more than loop.time()',
  runOptions: 'asyncio run() options other than clock have no Trio equivalent',
  taskCancel:
    'task.cancel() is edge-triggered (one CancelledError); a scope cancel is level-triggered',
  future: 'a Future is resolved from elsewhere (Future plumbing); await it with awaitFuture',
  shield: 'shield() of a running Task: the Task outlives the wait (Future plumbing)',
  storedSignal: 'AbortSignal.timeout() whose signal is stored, not passed to one awaited call',
  queueNotConst: 'a Queue not held in one const variable',
  queueExported: 'an exported Queue: other modules use it as a Queue',
  queueSize: 'maxsize is not a literal: 0 means unbounded for a Queue but no buffer for a channel',
  queueValue: 'the queue is used as a value (handed to or stored by other code)',
  queueJoin:
    'join() waits until taskDone() was called for every item; a channel keeps no such count',
  queueGetNowait: 'getNowait() raises QueueEmpty where receiveNowait() raises WouldBlock',
  queuePutNowait:
    'putNowait() on a bounded queue raises QueueFull where sendNowait() raises WouldBlock',
  queueImmediate: 'shutdown(immediate) drops the items left; closing a channel keeps them',
  queueCallValue: 'taskDone() or shutdown() is not a statement of its own in a block',
  queueShutDownCaught:
    'QueueShutDown is caught: a closed channel raises EndOfChannel or ClosedResourceError',
  queueSentinels:
    'the queue ends on a sentinel, but not the one last put of one producer for one consumer',
} as const;
