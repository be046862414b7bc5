/**
 * `@duet/otel`: OpenTelemetry spans for Duet tasks. It subscribes to the kernel's
 * `node:diagnostics_channel` channels and turns each task into a span whose parent is the span of
 * the task that spawned it, so a trace follows the task tree; cancel scopes and nurseries become
 * span events. It depends on `@opentelemetry/api` only: bring your own SDK and exporter.
 *
 * @packageDocumentation
 * @module @duet/otel
 */
import diagnostics from 'node:diagnostics_channel';
import {
  DIAGNOSTICS_CHANNELS,
  currentTask,
  isCancelled,
  type NurseryMessage,
  type ScopeMessage,
  type Task,
  type TaskMessage,
} from '@duet/kernel';
import {
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/** Options of {@link instrumentDuet}. */
export interface DuetTracingOptions {
  /** The tracer spans are made with; `trace.getTracer('@duet/otel')` by default. */
  tracer?: Tracer;
  /** Add a `park` event (with what the task waits on) at every wait; off by default (many events). */
  recordWaits?: boolean;
}

/** What {@link instrumentDuet} returns. */
export interface DuetTracing {
  /** Stops making spans for runs started after this call (spans of runs in progress still end). */
  disable(): void;
}

const spans = new WeakMap<Task, Span>();

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Starts making spans for the Duet runs started from now on. One span per task, named after the
 * task, with attributes `duet.task.id`, `duet.task.name` and `duet.run.id`; the root task's span is
 * a child of the context active where `run()` was called. A task that fails records its error and
 * ends with status `ERROR`; a cancelled one gets `duet.cancelled = true` and no error. Cancel
 * scopes and nurseries appear as events on the span of the task that opened them.
 *
 * Runs check for subscribers when they start: call this before `run()`.
 *
 * @example
 * ```ts
 * const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
 * provider.register();
 * const tracing = instrumentDuet();
 * await run(main); // one span per task
 * tracing.disable();
 * ```
 */
export function instrumentDuet(options: DuetTracingOptions = {}): DuetTracing {
  const tracer = options.tracer ?? trace.getTracer('@duet/otel');
  const handlers: Array<[string, (message: unknown) => void]> = [];
  const on = <M>(name: string, handler: (message: M) => void): void => {
    handlers.push([name, handler as (message: unknown) => void]);
  };

  on<TaskMessage>(DIAGNOSTICS_CHANNELS.taskSpawn, (m) => {
    const parent = m.task.parentTask;
    const parentSpan = parent === null ? undefined : spans.get(parent);
    const ctx =
      parentSpan === undefined ? context.active() : trace.setSpan(context.active(), parentSpan);
    const attributes: Attributes = {
      'duet.task.id': m.taskId,
      'duet.task.name': m.name,
      'duet.run.id': m.runId,
    };
    spans.set(m.task, tracer.startSpan(m.name, { attributes }, ctx));
  });
  on<TaskMessage>(DIAGNOSTICS_CHANNELS.taskExit, (m) => {
    const span = spans.get(m.task);
    if (span === undefined) return;
    spans.delete(m.task);
    if (m.failed === true) {
      if (isCancelled(m.error)) span.setAttribute('duet.cancelled', true);
      else {
        span.recordException(m.error instanceof Error ? m.error : String(m.error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: m.error instanceof Error ? m.error.message : String(m.error),
        });
      }
    }
    span.end();
  });
  if (options.recordWaits === true) {
    on<TaskMessage>(DIAGNOSTICS_CHANNELS.taskPark, (m) => {
      spans.get(m.task)?.addEvent('park', { 'duet.waiting_on': m.waitingOn ?? '' });
    });
  }
  const scopeEvent = (name: string) => (m: ScopeMessage) => {
    const attributes: Attributes = { 'duet.scope.id': m.scopeId, 'duet.scope.shield': m.shield };
    const deadline = finite(m.deadline);
    if (deadline !== undefined) attributes['duet.scope.deadline'] = deadline;
    if (m.cancelledCaught !== undefined)
      attributes['duet.scope.cancelled_caught'] = m.cancelledCaught;
    spans.get(m.task)?.addEvent(name, attributes);
  };
  on(DIAGNOSTICS_CHANNELS.scopeEnter, scopeEvent('cancel scope entered'));
  on(DIAGNOSTICS_CHANNELS.scopeExit, scopeEvent('cancel scope exited'));
  const nurseryEvent = (name: string) => (m: NurseryMessage) => {
    spans.get(m.task)?.addEvent(name, { 'duet.scope.id': m.scopeId });
  };
  on(DIAGNOSTICS_CHANNELS.nurseryOpen, nurseryEvent('nursery opened'));
  on(DIAGNOSTICS_CHANNELS.nurseryClose, nurseryEvent('nursery closed'));

  for (const [name, handler] of handlers) diagnostics.subscribe(name, handler);
  let enabled = true;
  return {
    disable() {
      if (!enabled) return;
      enabled = false;
      for (const [name, handler] of handlers) diagnostics.unsubscribe(name, handler);
    },
  };
}

/**
 * The span of the current task (made by {@link instrumentDuet}), to parent spans of your own on:
 * `tracer.startSpan('query', {}, trace.setSpan(context.active(), currentTaskSpan()!))`. `undefined`
 * when tracing was not on as the task started.
 *
 * @example
 * ```ts
 * const span = currentTaskSpan();
 * span?.setAttribute('user.id', userId);
 * ```
 */
export function currentTaskSpan(): Span | undefined {
  return spans.get(currentTask());
}
