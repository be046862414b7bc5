/**
 * The run's life on `node:diagnostics_channel`, Node's convention for what tracing tools and APMs
 * subscribe to. A run checks once, when it starts, whether anyone subscribes to a Duet channel; if
 * nobody does it installs nothing and pays nothing more. A subscriber added during a run sees the
 * runs started after it.
 */
import diagnostics from 'node:diagnostics_channel';
import type { CancelScope } from './cancel';
import type { Nursery } from './nursery';
import type { Runner } from './runner';
import type { Task } from './task';

/**
 * The names of Duet's diagnostics channels. Every message carries `runId` (unique in the process)
 * and the live kernel objects, so a subscriber can read more than the fields listed.
 *
 * | channel | message |
 * | --- | --- |
 * | `duet:run:start` | {@link RunMessage} |
 * | `duet:run:end` | {@link RunMessage} |
 * | `duet:task:spawn` | {@link TaskMessage} (with `parentTaskId`) |
 * | `duet:task:park` | {@link TaskMessage} (with `waitingOn`) |
 * | `duet:task:exit` | {@link TaskMessage} (with `failed`, `error`) |
 * | `duet:scope:enter` | {@link ScopeMessage} |
 * | `duet:scope:exit` | {@link ScopeMessage} (with `cancelledCaught`) |
 * | `duet:nursery:open` | {@link NurseryMessage} |
 * | `duet:nursery:close` | {@link NurseryMessage} |
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * diagnostics.subscribe(DIAGNOSTICS_CHANNELS.taskSpawn, (m) => console.log((m as TaskMessage).name));
 * ```
 */
export const DIAGNOSTICS_CHANNELS = {
  /** A run starts. */
  runStart: 'duet:run:start',
  /** A run has ended. */
  runEnd: 'duet:run:end',
  /** A task was created. */
  taskSpawn: 'duet:task:spawn',
  /** A task parked (it waits). */
  taskPark: 'duet:task:park',
  /** A task finished. */
  taskExit: 'duet:task:exit',
  /** A task entered a cancel scope. */
  scopeEnter: 'duet:scope:enter',
  /** A task left a cancel scope. */
  scopeExit: 'duet:scope:exit',
  /** A task opened a nursery. */
  nurseryOpen: 'duet:nursery:open',
  /** A nursery closed. */
  nurseryClose: 'duet:nursery:close',
} as const;

/** A message of `duet:run:start` / `duet:run:end`. */
export interface RunMessage {
  /** The run, unique in the process. */
  runId: number;
  /** The run's engine. */
  runner: Runner;
  /** The run's clock time. */
  time: number;
}

/** A message of the `duet:task:*` channels. */
export interface TaskMessage extends RunMessage {
  /** The task. */
  task: Task;
  /** The task's id. */
  taskId: number;
  /** The task's name. */
  name: string;
  /** The id of the task whose nursery holds this one; `null` for the root task. */
  parentTaskId: number | null;
  /** For `duet:task:park`: what the task waits on. */
  waitingOn?: string | null;
  /** For `duet:task:exit`: whether it failed. */
  failed?: boolean;
  /** For `duet:task:exit` of a failed task: its error. */
  error?: unknown;
}

/** A message of `duet:scope:enter` / `duet:scope:exit`. */
export interface ScopeMessage extends RunMessage {
  /** The task that entered the scope. */
  task: Task;
  /** Its id. */
  taskId: number;
  /** The scope. */
  scope: CancelScope;
  /** An id for the scope, unique in the process. */
  scopeId: number;
  /** The scope's absolute deadline on the run's clock (`Infinity`: none). */
  deadline: number;
  /** Whether it shields. */
  shield: boolean;
  /** For `duet:scope:exit`: whether the scope caught a cancellation. */
  cancelledCaught?: boolean;
}

/** A message of `duet:nursery:open` / `duet:nursery:close`. */
export interface NurseryMessage extends RunMessage {
  /** The task that opened the nursery. */
  task: Task;
  /** Its id. */
  taskId: number;
  /** The nursery. */
  nursery: Nursery;
  /** The id of the nursery's cancel scope (see {@link ScopeMessage}). */
  scopeId: number;
}

/**
 * @internal What the publisher uses of a channel: declared here, not taken from
 * `node:diagnostics_channel`, so the kernel's public types need no `@types/node`.
 */
export interface Channel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

/** @internal The channel objects, by the keys of {@link DIAGNOSTICS_CHANNELS}. */
export const channels: Record<keyof typeof DIAGNOSTICS_CHANNELS, Channel> = Object.fromEntries(
  Object.entries(DIAGNOSTICS_CHANNELS).map(([key, name]) => [key, diagnostics.channel(name)]),
) as Record<keyof typeof DIAGNOSTICS_CHANNELS, diagnostics.Channel>;
const channelList = Object.values(channels);

/**
 * @internal True if some Duet channel has a subscriber: a run that starts now loads and installs
 * the publisher (`publisher.ts`); otherwise it installs nothing.
 */
export function diagnosticsObserved(): boolean {
  return channelList.some((channel) => channel.hasSubscribers);
}
