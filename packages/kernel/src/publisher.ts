/**
 * The publisher of a run's life on the Duet diagnostics channels (see `diagnostics.ts`): a chunk
 * of its own, loaded only by a run that starts while some channel has a subscriber.
 */
import type { CancelScope } from './cancel';
import { channels, type Channel, type TaskMessage } from './diagnostics';
import type { Instrument } from './instruments';
import type { Nursery } from './nursery';
import type { Runner } from './runner';
import type { Task } from './task';

let nextRunId = 1;
let nextScopeId = 1;
const scopeIds = new WeakMap<CancelScope, number>();

function scopeId(scope: CancelScope): number {
  let id = scopeIds.get(scope);
  if (id === undefined) scopeIds.set(scope, (id = nextScopeId++));
  return id;
}

/** Publishes one run's hooks on the channels; a message is built only if its channel has subscribers. */
export function publisher(runner: Runner): Instrument {
  const runId = nextRunId++;
  const send = (channel: Channel, fields: object): void =>
    channel.publish({ runId, runner, time: runner.clock.currentTime(), ...fields });
  const task = (channel: Channel, t: Task, extra?: Partial<TaskMessage>): void => {
    if (channel.hasSubscribers) {
      const parentTaskId = t.parentTask?.id ?? null;
      send(channel, { task: t, taskId: t.id, name: t.name, parentTaskId, ...extra });
    }
  };
  const scope = (channel: Channel, t: Task, s: CancelScope, exit: boolean): void => {
    if (channel.hasSubscribers) {
      const fields = { task: t, taskId: t.id, scope: s, scopeId: scopeId(s) };
      send(channel, {
        ...fields,
        deadline: s.deadline,
        shield: s.shield,
        ...(exit && { cancelledCaught: s.cancelledCaught }),
      });
    }
  };
  const nursery = (channel: Channel, t: Task, n: Nursery): void => {
    if (channel.hasSubscribers)
      send(channel, { task: t, taskId: t.id, nursery: n, scopeId: scopeId(n.cancelScope) });
  };
  return {
    beforeRun: () => channels.runStart.hasSubscribers && send(channels.runStart, {}),
    afterRun: () => channels.runEnd.hasSubscribers && send(channels.runEnd, {}),
    taskSpawned: (t) => task(channels.taskSpawn, t),
    afterTaskStep: (t) => {
      if (!t.done && t.state === 'parked') task(channels.taskPark, t, { waitingOn: t.waitingOn });
    },
    taskExited: (t) =>
      task(channels.taskExit, t, t.failed ? { failed: true, error: t.result } : { failed: false }),
    scopeEntered: (t, s) => scope(channels.scopeEnter, t, s, false),
    scopeExited: (t, s) => scope(channels.scopeExit, t, s, true),
    nurseryOpened: (t, n) => nursery(channels.nurseryOpen, t, n),
    nurseryClosed: (t, n) => nursery(channels.nurseryClose, t, n),
  };
}
