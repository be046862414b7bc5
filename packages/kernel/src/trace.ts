/**
 * A tracing instrument: records what every task does with timestamps, and exports the record in
 * the Chrome trace-event format, so a run can be opened in chrome://tracing or Perfetto.
 */
import { performance } from 'node:perf_hooks';
import type { Instrument } from './instruments';
import type { Task } from './task';
import { checkChoice, checkNumber, checkOptions } from './validate';

/** What happened to a task. */
export type TraceEventKind = 'spawn' | 'schedule' | 'step' | 'park' | 'exit';

/** One recorded event. */
export interface TraceEvent {
  /** What happened. */
  kind: TraceEventKind;
  /** The task's id. */
  taskId: number;
  /** The task's name. */
  taskName: string;
  /** Seconds: the run's clock time (`virtual`) or real time since recording began (`real`). */
  time: number;
  /** For `park`: what the task waits on. */
  detail?: string;
}

/** Options of {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /** Timestamp with the run's clock (`'virtual'`, the default) or real time (`'real'`). */
  time?: 'virtual' | 'real';
  /** Keep at most this many events (oldest dropped); 100,000 by default. */
  limit?: number;
}

/**
 * An instrument that records spawn / schedule / step / park / exit events.
 *
 * @example
 * ```ts
 * const trace = new TraceRecorder();
 * await run({ instruments: [trace] }, main);
 * writeFileSync('trace.json', JSON.stringify(trace.toChromeTrace()));
 * ```
 */
export class TraceRecorder implements Instrument {
  /** The events recorded so far, oldest first. */
  readonly events: TraceEvent[] = [];
  private readonly realStart = performance.now();
  private readonly useReal: boolean;
  private readonly limit: number;

  constructor(options: TraceRecorderOptions = {}) {
    checkOptions('new TraceRecorder()', options, ['time', 'limit']);
    const { time = 'virtual', limit = 100_000 } = options;
    checkChoice('new TraceRecorder()', 'time', time, ['virtual', 'real']);
    checkNumber('new TraceRecorder()', 'limit', limit, { min: 1, integer: true });
    this.useReal = options.time === 'real';
    this.limit = options.limit ?? 100_000;
  }

  private record(kind: TraceEventKind, task: Task): void {
    const time = this.useReal
      ? (performance.now() - this.realStart) / 1000
      : task.runner.clock.currentTime();
    const event: TraceEvent = { kind, taskId: task.id, taskName: task.name, time };
    if (kind === 'park') {
      const on = task.waitingOn;
      if (on !== null) event.detail = on;
    }
    this.events.push(event);
    if (this.events.length > this.limit) this.events.shift();
  }

  taskSpawned(task: Task): void {
    this.record('spawn', task);
  }

  taskScheduled(task: Task): void {
    this.record('schedule', task);
  }

  beforeTaskStep(task: Task): void {
    this.record('step', task);
  }

  afterTaskStep(task: Task): void {
    if (!task.done && task.state === 'parked') this.record('park', task);
  }

  taskExited(task: Task): void {
    this.record('exit', task);
  }

  /**
   * The record as Chrome trace events: one timeline row per task, a slice from each step to the
   * next park or exit, instant events for spawn and schedule.
   */
  toChromeTrace(): {
    /** The events, in the Chrome trace-event format. */
    traceEvents: object[];
    /** How viewers should show times. */
    displayTimeUnit: 'ms';
  } {
    const out: object[] = [];
    const open = new Map<number, TraceEvent>();
    const us = (t: number) => Math.round(t * 1e6);
    for (const e of this.events) {
      const base = { pid: 1, tid: e.taskId, ts: us(e.time) };
      if (e.kind === 'spawn') {
        out.push({
          ...base,
          ph: 'M',
          name: 'thread_name',
          args: { name: `#${e.taskId} ${e.taskName}` },
        });
        out.push({ ...base, ph: 'i', s: 't', name: 'spawn' });
      } else if (e.kind === 'schedule') {
        out.push({ ...base, ph: 'i', s: 't', name: 'scheduled' });
      } else if (e.kind === 'step') {
        open.set(e.taskId, e);
      } else {
        const start = open.get(e.taskId);
        open.delete(e.taskId);
        if (start !== undefined) {
          out.push({
            ...base,
            ts: us(start.time),
            ph: 'X',
            dur: Math.max(0, us(e.time) - us(start.time)),
            name: 'step',
          });
        }
        out.push({
          ...base,
          ph: 'i',
          s: 't',
          name: e.kind === 'exit' ? 'exit' : `park: ${e.detail ?? ''}`,
        });
      }
    }
    return { traceEvents: out, displayTimeUnit: 'ms' };
  }
}
