/**
 * Cancel scopes: Trio's level-triggered cancellation, with deadlines and shields. Scopes form a
 * tree that follows the task tree; each scope caches whether cancellation is in force inside it
 * (`effective`), so a checkpoint needs one field read.
 */
import { currentTaskOrUndefined, requireTask } from './context';
import {
  Cancelled,
  ExceptionGroup,
  RuntimeError,
  ValueError,
  cancellationOf,
  newCancelled,
  unwrapDisposalCancel,
} from './errors';
import type { Nursery } from './nursery';
import type { Runner } from './runner';
import type { Task } from './task';
import { checkBoolean, checkFunction, checkNumber, checkOptions, checkSignal } from './validate';
import * as cancelDelivery from './cancel-delivery';
import * as waits from './waits';

/** Options of a {@link CancelScope}. */
export interface CancelScopeOptions {
  /** Absolute time (on the run's clock) at which the scope cancels itself; `Infinity` for none. */
  deadline?: number;
  /** Seconds after entering at which the scope cancels itself; not together with `deadline`. */
  relativeDeadline?: number;
  /** Block cancellation of outer scopes from reaching the code inside. */
  shield?: boolean;
  /**
   * An outside `AbortSignal`: aborting it cancels the scope (level-triggered, as `cancel()`), with
   * the signal's reason as the message. Already aborted at entry: the scope starts cancelled.
   */
  signal?: AbortSignal;
}

/** The keys of {@link CancelScopeOptions}, for option checks. */
export const CANCEL_SCOPE_OPTIONS: readonly string[] = [
  'deadline',
  'relativeDeadline',
  'shield',
  'signal',
];

/**
 * Why a scope was cancelled: `cancel()`, its deadline, a failure in its nursery, or the outside
 * `AbortSignal` it was given.
 */
export type CancelReason = 'explicit' | 'deadline' | 'nursery' | 'signal';

/** The message a cancellation by `signal` carries: its reason's message. */
function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason);
}

function checkDeadline(name: string, value: unknown): number {
  checkNumber('CancelScope', name, value, { unit: 'seconds' });
  return value;
}

const stackCorrupted = (): RuntimeError =>
  new RuntimeError(
    'cancel scope stack corrupted: a scope exited before the scopes entered inside it ' +
      '(is a scope or nursery body left running without await?)',
  );

/** Marks "no exception" in exit paths, where `undefined` is a legal thrown value. */
export const NO_ERROR: unique symbol = Symbol('no error');

/**
 * A region of code that can be cancelled, as Trio's `CancelScope`. Once cancelled (by
 * {@link CancelScope.cancel} or its deadline), every checkpoint inside it raises `Cancelled` until
 * the scope exits, and the scope itself catches that `Cancelled` on the way out.
 *
 * @example
 * ```ts
 * const scope = new CancelScope({ relativeDeadline: 5 });
 * await scope.run(async () => { await sleep(10); });
 * scope.cancelledCaught; // true
 * ```
 */
export class CancelScope {
  // An entry of the deadline heap by shape: its TimedEntry members are internal to the kernel.
  /** True once this scope caught the `Cancelled` it caused. */
  cancelledCaught = false;
  /** @internal The absolute deadline (the heap's key). */
  when: number;
  /** @internal Its place in the deadline heap (-1 when not in it). */
  heapIndex = -1;
  /** @internal Its order among deadlines at the same time (FIFO). */
  seq = 0;
  /** @internal Cancellation is in force inside this scope. */
  effective = false;
  /** @internal The enclosing scope while entered. */
  parent: CancelScope | null = null;
  /** @internal The run this scope is entered in. */
  runner: Runner | null = null;
  private relative: number;
  private shieldValue: boolean;
  private called = false;
  private reason: CancelReason | null = null;
  private reasonMessage: string | undefined = undefined;
  private entered = false;
  /**
   * An enclosing scope of the same task exited while this one was still open: this scope is
   * cancelled for whatever still runs inside it, and its own exit no longer moves the task.
   */
  private abandoned = false;
  private exited = false;
  /** The task that entered the scope; cancellation reaches it here while this is its innermost scope. */
  private owner: Task | null = null;
  private children: Set<CancelScope> | null = null;
  /**
   * @internal The nursery whose children are spawned directly under this scope (its own scope):
   * its `children` set is this scope's member tasks, so a spawn joins one set, not two. A task
   * stays a member while it enters scopes of its own: entering and leaving touches no task set.
   */
  nursery: Nursery | null = null;
  private controller: AbortController | null = null;
  private readonly outsideSignal: AbortSignal | null;
  private onOutsideAbort: (() => void) | null = null;
  private listenedTo: AbortSignal | null = null;
  /** @internal Tasks holding a `currentSignal()` made in this scope (see `currentSignal`). */
  signalTasks: Set<Task> | null = null;

  constructor(options: CancelScopeOptions = {}) {
    checkOptions('new CancelScope()', options, CANCEL_SCOPE_OPTIONS);
    checkSignal('new CancelScope()', options.signal);
    checkBoolean('new CancelScope()', 'shield', options.shield, true);
    const deadline = checkDeadline('deadline', options.deadline ?? Infinity);
    const relative = checkDeadline('relativeDeadline', options.relativeDeadline ?? Infinity);
    if (relative < 0) throw new ValueError(`relativeDeadline must be >= 0, got ${relative}`);
    if (deadline !== Infinity && relative !== Infinity) {
      throw new ValueError('a CancelScope takes deadline or relativeDeadline, not both');
    }
    this.when = deadline;
    this.relative = relative;
    this.shieldValue = options.shield ?? false;
    this.outsideSignal = options.signal ?? null;
  }

  /** @internal A scope at the top of a task tree (the root task's, or a system nursery's). */
  static root(runner: Runner): CancelScope {
    const scope = new CancelScope();
    scope.entered = true;
    scope.runner = runner;
    return scope;
  }

  /** @internal The root task starts in this root scope, as if it had entered it. */
  ownedBy(task: Task): void {
    this.owner = task;
  }

  /**
   * Enters the scope in the current task, runs `fn(scope)` inside it and exits. Resolves with
   * `fn`'s value, or with `undefined` when the scope caught the cancellation it caused.
   */
  run<T>(fn: (scope: this) => Promise<T> | T): Promise<T | undefined> {
    // Not an async function: one reaction on fn's promise instead of the async frame's promise
    // and its await (each promise costs ALS's hooks on Node 20; W4a and fan-out run a scope per
    // operation). Errors still arrive as rejections, and the exit waits a tick as an await did.
    let entered: Task | null = null;
    try {
      checkFunction('CancelScope.run()', fn);
      const task = requireTask('CancelScope.run()');
      this.enter(task);
      entered = task;
      return Promise.resolve(fn(this)).then(
        (value) => this.leave(task, NO_ERROR, value),
        (e: unknown) => this.leave(task, e, undefined),
      );
    } catch (e) {
      // Bad input rejects; a body that threw at once exits at once, as in the async function.
      const task = entered;
      return task === null
        ? Promise.reject(e)
        : new Promise((resolve) => resolve(this.leave(task, e, undefined)));
    }
  }

  /** Exits after {@link CancelScope.run}'s body: its value, or what goes on propagating. */
  private leave<T>(task: Task, error: unknown, value: T | undefined): T | undefined {
    error = this.exit(task, error);
    if (error !== NO_ERROR) throw error;
    return value;
  }

  /** Cancels the scope (idempotent): every checkpoint inside raises `Cancelled` until it exits. */
  cancel(message?: string): void {
    this.cancelFor('explicit', message);
  }

  /** @internal Cancels the scope for `reason` (a deadline, a nursery, a signal, or `cancel()`). */
  cancelFor(reason: CancelReason, message?: string): void {
    if (this.called) return;
    this.called = true;
    this.reason = reason;
    this.reasonMessage = message;
    if (this.isActive()) {
      this.runner!.deadlines.remove(this);
      this.recompute();
    }
  }

  /** @internal The deadline passed (the heap already dropped the entry). */
  expire(): void {
    this.cancelFor('deadline');
  }

  /** True once `cancel()` was called or the deadline passed. */
  get cancelCalled(): boolean {
    if (!this.called && this.when !== Infinity && !this.exited) {
      const task = currentTaskOrUndefined();
      if (task !== undefined && task.runner.clock.currentTime() >= this.when)
        this.cancelFor('deadline');
    }
    return this.called;
  }

  /** What cancelled the scope: `'explicit'`, `'deadline'` or `'nursery'` (a child failed), or `null`. */
  get cancelReason(): CancelReason | null {
    return this.reason;
  }

  /**
   * A short description for logs and debugging, as Trio's `repr`: `<CancelScope unbound>`, then
   * `active` or `exited`, the deadline relative to now while one is pending (inside a run only, where
   * there is a clock to read), and `cancelled` once cancelled.
   */
  toString(): string {
    const open = this.entered && !this.exited;
    // Read the clock without cancelFor: describing a scope must not change it. NaN outside a run.
    const ahead = this.when - (currentTaskOrUndefined()?.runner.clock.currentTime() ?? NaN);
    const state = this.exited ? 'exited' : open ? 'active' : 'unbound';
    const detail = this.called
      ? ', cancelled'
      : open && Number.isFinite(ahead)
        ? `, deadline is ${Math.abs(ahead).toFixed(2)} seconds ${ahead < 0 ? 'ago' : 'from now'}`
        : '';
    return `<CancelScope ${state}${detail}>`;
  }

  /** Whether cancellation of outer scopes is blocked from the code inside; settable. */
  get shield(): boolean {
    return this.shieldValue;
  }

  /** Sets `shield` (see the getter). */
  set shield(value: boolean) {
    checkBoolean('CancelScope', 'shield', value);
    this.shieldValue = value;
    if (this.isActive()) this.recompute();
  }

  /**
   * The absolute deadline (`Infinity` for none), settable at any time, even while a task inside is
   * blocked: earlier wakes it sooner, later postpones, a time already past cancels the scope.
   * Before entry, a relative deadline counts from now.
   */
  get deadline(): number {
    if (this.relative !== Infinity && !this.entered) {
      const task = currentTaskOrUndefined();
      return task === undefined ? this.relative : task.runner.clock.currentTime() + this.relative;
    }
    return this.when;
  }

  /** Sets `deadline` (see the getter). */
  set deadline(value: number) {
    checkDeadline('deadline', value);
    if (!this.entered) {
      this.relative = Infinity;
      this.when = value;
      return;
    }
    const runner = this.runner!;
    const heap = runner.deadlines;
    this.when = value;
    if (!this.isActive() || this.called) return;
    if (value <= runner.clock.currentTime()) {
      this.cancelFor('deadline');
    } else if (value === Infinity) {
      heap.remove(this);
    } else if (this.heapIndex >= 0) {
      heap.update(this, value);
    } else {
      heap.push(this);
    }
  }

  /**
   * Seconds from now to the deadline once entered; before entry, the deadline relative to entering.
   * Setting it once entered moves the deadline to that many seconds from now. An unentered scope
   * with an absolute deadline has no relative one: reading or setting it is a `RuntimeError`, as
   * in Trio.
   */
  get relativeDeadline(): number {
    if (this.entered && this.runner !== null) return this.when - this.runner.clock.currentTime();
    this.checkRelative();
    return this.relative;
  }

  /** Sets `relativeDeadline` (see the getter). */
  set relativeDeadline(seconds: number) {
    checkDeadline('relativeDeadline', seconds);
    if (seconds < 0) throw new ValueError(`relativeDeadline must be >= 0, got ${seconds}`);
    if (!this.entered) {
      this.checkRelative();
      this.relative = seconds;
      return;
    }
    this.deadline = this.runner!.clock.currentTime() + seconds;
  }

  /**
   * Trio's `is_relative`: before entry, whether the scope has a relative deadline (`false` when it
   * has an absolute one or none); `null` once entered, when every deadline is absolute.
   */
  get isRelative(): boolean | null {
    return this.entered ? null : this.relative !== Infinity;
  }

  private checkRelative(): void {
    if (this.when !== Infinity) {
      // Trio's words first, so that a test matching Trio's message matches Duet's.
      throw new RuntimeError(
        'unentered non-relative cancel scope does not have a relative deadline ' +
          '(its deadline is absolute)',
      );
    }
  }

  /**
   * An `AbortSignal` that aborts when cancellation comes into force inside this scope; pass it to
   * `fetch` and friends so foreign work stops too. Made on first use.
   */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.effective) this.controller.abort(newCancelled(this.reasonMessage));
    }
    return this.controller.signal;
  }

  private abortTaskSignals(): void {
    const reason = this.newCancellation();
    for (const task of this.signalTasks!) {
      const controller = task.signals!.get(this);
      if (controller !== undefined && !controller.signal.aborted) controller.abort(reason);
    }
  }

  /** @internal The scope whose cancellation is in force here (the nearest cancelled one), or null. */
  private cancelOrigin(): CancelScope | null {
    // A loop, not recursion: scopes nest thousands deep.
    if (this.called) return this;
    if (this.shieldValue) return null;
    for (let scope = this.parent; scope !== null; scope = scope.parent) {
      if (scope.called) return scope;
      if (scope.shieldValue) return null;
    }
    return null;
  }

  /** @internal The message of the cancellation in force here: that of the nearest cancelled scope. */
  cancelMessage(): string | undefined {
    return this.cancelOrigin()?.reasonMessage;
  }

  /** @internal A new `Cancelled` for the cancellation in force here, naming its source and message. */
  newCancellation(): Cancelled {
    const origin = this.cancelOrigin();
    return origin === null
      ? newCancelled()
      : newCancelled(origin.reasonMessage, origin.reason ?? undefined);
  }

  /** @internal Entered and not yet exited. */
  isActive(): boolean {
    return this.entered && !this.exited;
  }

  /** @internal Enters the scope in `task`, below its current innermost scope. */
  enter(task: Task): void {
    if (this.entered) {
      throw new RuntimeError(
        'a CancelScope can be entered only once; make a new one for each block',
      );
    }
    const runner = task.runner;
    const parent = task.scope;
    this.entered = true;
    this.owner = task;
    this.runner = runner;
    this.parent = parent;
    parent.addChild(this);
    task.scope = this;
    if (this.outsideSignal !== null && !this.called) this.listen(this.outsideSignal);
    if (!this.called && (this.when !== Infinity || this.relative !== Infinity)) {
      const now = runner.clock.currentTime();
      if (this.relative !== Infinity) {
        this.when = now + this.relative;
        this.relative = Infinity;
      }
      if (this.when <= now) {
        this.called = true;
        this.reason = 'deadline';
      } else {
        runner.deadlines.push(this);
      }
    }
    this.effective = this.called || (!this.shieldValue && parent.effective);
    if (this.effective) this.controller?.abort(newCancelled(this.reasonMessage));
    if (runner.instruments.list.length !== 0) runner.instruments.call('scopeEntered', task, this);
  }

  /**
   * @internal Exits the scope in `task` with `error` (or {@link NO_ERROR}); returns what goes on
   * propagating after the scope caught its own `Cancelled`.
   */
  exit(task: Task, error: unknown): unknown {
    const misnested = task.scope !== this && !this.abandoned;
    if (this.owner !== task || (misnested && !this.abandonInside(task))) throw stackCorrupted();
    // As Trio, a misnested exit raises, and the task goes on in this scope's parent. No `cause`:
    // an error caused by a Cancelled would count as one.
    if (misnested) error = stackCorrupted();
    error = unwrapDisposalCancel(error);
    // Where cancellation is in force, an error it caused (Node's AbortError) is that cancellation.
    if (this.effective && error !== NO_ERROR) error = cancellationOf(error) ?? error;
    const debug = this.runner!.debug;
    if (debug !== null) {
      if (error instanceof Cancelled || error instanceof ExceptionGroup)
        debug.cancelPropagated(task);
      debug.scopeExited(this.controller?.signal ?? null);
    }
    if (error !== NO_ERROR && this.catchesCancelled()) {
      if (error instanceof Cancelled) {
        this.cancelledCaught = true;
        if (error._edge) this.rearmEdge(task);
        error = NO_ERROR;
      } else if (error instanceof ExceptionGroup) {
        const [matched, rest] = error.split(Cancelled);
        if (matched !== null) {
          this.cancelledCaught = true;
          // An edge request delivered inside a nursery arrives here in a group: keep it pending too.
          if (matched.subgroup((e) => e instanceof Cancelled && e._edge) !== null)
            this.rearmEdge(task);
        }
        error = rest === null ? NO_ERROR : rest.collapse();
      }
    }
    this.exited = true;
    this.stopListening();
    if (this.signalTasks !== null) {
      for (const t of this.signalTasks) t.signals!.delete(this);
      this.signalTasks = null;
    }
    const parent = this.parent!;
    this.runner!.deadlines.remove(this);
    parent.removeChild(this);
    if (task.scope === this) task.scope = parent;
    this.parent = null;
    const instruments = this.runner!.instruments;
    if (instruments.list.length !== 0) instruments.call('scopeExited', task, this);
    return error;
  }

  /**
   * Marks the scopes of `task` open inside this one abandoned, with all theirs, and moves the
   * task here; false (and nothing done) if this scope does not enclose the task's scope.
   */
  private abandonInside(task: Task): boolean {
    let top = task.scope;
    while (top.parent !== this) {
      if (top.parent === null) return false;
      top = top.parent;
    }
    task.scope = this;
    const todo = [top];
    while (todo.length !== 0) {
      const scope = todo.pop()!;
      scope.abandoned = true;
      scope.recompute();
      // A loop, not push(...): a nursery may hold 100,000 child scopes (RangeError).
      if (scope.children !== null) for (const child of scope.children) todo.push(child);
    }
    return true;
  }

  /** @internal Cancels this scope when `signal` aborts (now, if it has); the listener goes at exit. */
  listen(signal: AbortSignal): void {
    if (signal.aborted) {
      this.cancelFor('signal', abortMessage(signal));
      return;
    }
    this.listenedTo = signal;
    this.onOutsideAbort = () => this.cancelFor('signal', abortMessage(signal));
    signal.addEventListener('abort', this.onOutsideAbort, { once: true });
  }

  /** @internal Removes the listener {@link CancelScope.listen} added, if any. */
  stopListening(): void {
    if (this.onOutsideAbort === null) return;
    this.listenedTo!.removeEventListener('abort', this.onOutsideAbort);
    this.onOutsideAbort = null;
  }

  /** A `Cancelled` carrying an asyncio-style request was caught here: the request stays pending. */
  private rearmEdge(task: Task): void {
    if (task.cancelRequests > 0) task.edgePending = true;
  }

  /** @internal Exiting now, this scope would catch a `Cancelled` (it is cancelled, its parent not). */
  catchesCancelled(): boolean {
    return this.effective && !this.parentCancellationVisible();
  }

  private parentCancellationVisible(): boolean {
    return !this.shieldValue && !this.abandoned && this.parent !== null && this.parent.effective;
  }

  /**
   * @internal Recomputes `effective` here and below, delivering cancellation where it comes into
   * force. Walks the tree in pre-order with a stack of its own, not by recursion: scopes nest as
   * deep as a program likes (thousands deep overflowed Node 22's call stack).
   */
  recompute(): void {
    if (!this.recomputeOne() || this.children === null) return;
    const pending: CancelScope[] = [];
    CancelScope.pushChildren(pending, this);
    while (pending.length !== 0) {
      const scope = pending.pop()!;
      if (scope.recomputeOne()) CancelScope.pushChildren(pending, scope);
    }
  }

  /** Pushes `scope`'s children on `stack` so that popping visits them in the order they entered. */
  private static pushChildren(stack: CancelScope[], scope: CancelScope): void {
    // Youngest first, so that the oldest is popped first (cancellation only: the copy is rare).
    // A loop, not push(...): a nursery may hold 100,000 child scopes.
    if (scope.children !== null)
      for (const child of [...scope.children].reverse()) stack.push(child);
  }

  /** Recomputes `effective` of this scope alone; true if it changed (its children must follow). */
  private recomputeOne(): boolean {
    const effective =
      this.called ||
      this.abandoned ||
      (!this.shieldValue && this.parent !== null && this.parent.effective);
    if (effective === this.effective) return false;
    this.effective = effective;
    if (effective) {
      this.controller?.abort(newCancelled(this.reasonMessage));
      if (this.signalTasks !== null) this.abortTaskSignals();
      const owner = this.owner;
      if (owner !== null && owner.scope === this) cancelDelivery.deliverCancel(owner);
      if (this.nursery !== null) {
        for (const task of this.nursery.children)
          if (task.scope === this) cancelDelivery.deliverCancel(task);
      }
    }
    return true;
  }

  private addChild(child: CancelScope): void {
    (this.children ??= new Set()).add(child);
  }

  private removeChild(child: CancelScope): void {
    this.children?.delete(child);
  }

  /**
   * @internal Moves the child scopes of this scope, and the `members` (tasks spawned under it),
   * under `target`: used when a task started with `Nursery.start` moves to its real nursery.
   */
  moveContentsTo(target: CancelScope, members: Iterable<Task>): void {
    if (this.children !== null) {
      for (const child of this.children) {
        child.parent = target;
        target.addChild(child);
        child.recompute();
      }
      this.children.clear();
    }
    for (const task of members) {
      if (task.scope !== this) continue;
      task.scope = target;
      if (target.effective) cancelDelivery.deliverCancel(task);
    }
  }
}

const CHECKED: Promise<void> = Promise.resolve();

/**
 * Cancel point, as Trio's `checkpoint_if_cancelled`: when cancellation is in force for the current
 * task, it is also a schedule point and then raises `Cancelled` (so a loop of cancelled operations
 * still lets timers, I/O and other tasks run); otherwise it resolves at once without yielding.
 */
export function checkpointIfCancelled(): Promise<void> {
  const task = requireTask('checkpointIfCancelled()');
  if (task.cancelPending) return waits.yieldTask(task, true);
  task.cancelPoints++;
  return CHECKED;
}

/**
 * True when the current task's next checkpoint would raise `Cancelled` (a cancelled scope is in
 * force or an edge request waits). For primitives with a fast path that must not skip a cancel
 * point: `if (cancellationPending()) return checkpoint().then(retry)`. The check is that fast
 * path's cancel point: it counts in `Task.cancelPoints`.
 */
export function cancellationPending(): boolean {
  const task = requireTask('cancellationPending()');
  task.cancelPoints++;
  return task.cancelPending;
}

/**
 * The earliest deadline that applies to the current task (up to the nearest shield); `-Infinity`
 * if an enclosing scope is already cancelled, `Infinity` if none.
 */
export function currentEffectiveDeadline(): number {
  let scope: CancelScope | null = requireTask('currentEffectiveDeadline()').scope;
  let deadline = Infinity;
  while (scope !== null) {
    if (scope.cancelCalled) return -Infinity;
    if (scope.when < deadline) deadline = scope.when;
    if (scope.shield) break;
    scope = scope.parent;
  }
  return deadline;
}
