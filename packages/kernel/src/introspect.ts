/**
 * A live picture of a run: its task tree with nurseries, cancel scopes, deadlines and what each
 * task is waiting for.
 */
import type { CancelScope } from './cancel';
import { requireTask } from './context';
import type { Nursery } from './nursery';
import type { Runner } from './runner';
import type { Task, TaskState } from './task';

/** One task in a {@link TaskTree}. */
export interface TaskNode {
  /** The task's id, unique in its run. */
  id: number;
  /** The task's name. */
  name: string;
  /** `ready`, `running`, `parked` or `done`. */
  state: TaskState;
  /** What the task is parked on, in words, or `null`. */
  waitingOn: string | null;
  /** The cancel scopes the task entered itself, innermost first, described. */
  scopes: string[];
  /** The nurseries the task has open, each with its children. */
  nurseries: NurseryNode[];
}

/** One nursery in a {@link TaskTree}. */
export interface NurseryNode {
  /** The nursery's cancel scope, described. */
  scope: string;
  /** The nursery's child tasks. */
  children: TaskNode[];
}

/** A snapshot of a run's tasks. */
export interface TaskTree {
  /** The time of the snapshot on the run's clock. */
  time: number;
  /** The run's root task, with everything below it. */
  root: TaskNode;
  /** The system tasks (not under any user nursery). */
  systemTasks: TaskNode[];
}

/** An entered scope in words: its deadline, shield and cancellation. */
function describeScope(scope: CancelScope, now: number): string {
  const parts: string[] = [];
  // Entered, so `deadline` is the absolute one; a reason is set exactly when it was cancelled.
  if (scope.deadline !== Infinity) {
    const left = scope.deadline - now;
    parts.push(left > 0 ? `deadline in ${left.toFixed(3)} s` : 'deadline passed');
  }
  if (scope.shield) parts.push('shield');
  if (scope.cancelReason !== null) parts.push(`cancelled (${scope.cancelReason})`);
  return parts.length === 0 ? 'scope' : `scope (${parts.join(', ')})`;
}

function ownScopes(task: Task, now: number): string[] {
  const stop = task.parentNursery?.cancelScope ?? null;
  const out: string[] = [];
  let scope: CancelScope | null = task.scope;
  while (scope !== null && scope !== stop && scope.parent !== null) {
    if (!isNurseryScope(task, scope)) out.push(describeScope(scope, now));
    scope = scope.parent;
  }
  return out;
}

function isNurseryScope(task: Task, scope: CancelScope): boolean {
  for (const nursery of task.openNurseries) if (nursery.cancelScope === scope) return true;
  return false;
}

function describeTask(task: Task, now: number): TaskNode {
  return {
    id: task.id,
    name: task.name,
    state: task.state,
    waitingOn: task.waitingOn,
    scopes: ownScopes(task, now),
    nurseries: [...task.openNurseries].map((n) => describeNursery(n, now)),
  };
}

function describeNursery(nursery: Nursery, now: number): NurseryNode {
  return {
    scope: describeScope(nursery.cancelScope, now),
    children: [...nursery.childTasks].map((t) => describeTask(t, now)),
  };
}

/** A snapshot of the task tree of `runner` (the current run by default). */
export function taskTree(runner: Runner = requireTask('taskTree()').runner): TaskTree {
  const now = runner.clock.currentTime();
  return {
    time: now,
    root: describeTask(runner.rootTask, now),
    systemTasks: [...runner.systemNursery.childTasks].map((t) => describeTask(t, now)),
  };
}

function renderTask(node: TaskNode, indent: string, lines: string[]): void {
  const wait = node.waitingOn === null ? node.state : `${node.state} on ${node.waitingOn}`;
  const scopes = node.scopes.length === 0 ? '' : ` [${node.scopes.join('; ')}]`;
  lines.push(`${indent}task #${node.id} ${node.name}: ${wait}${scopes}`);
  for (const nursery of node.nurseries) {
    lines.push(`${indent}  nursery ${nursery.scope}`);
    for (const child of nursery.children) renderTask(child, indent + '    ', lines);
  }
}

/** The task tree as text, one line per task and nursery. */
export function formatTaskTree(tree: TaskTree): string {
  const lines = [`task tree at t=${tree.time.toFixed(3)}`];
  renderTask(tree.root, '  ', lines);
  if (tree.systemTasks.length !== 0) {
    lines.push('  system tasks');
    for (const task of tree.systemTasks) renderTask(task, '    ', lines);
  }
  return lines.join('\n');
}
