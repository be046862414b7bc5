import { currentTaskSpan, instrumentDuet } from '@duet/otel';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { CancelScope, openNursery, run, sleep, sleepForever } from '@duet/trio';
import { MockClock } from '@duet/trio/testing';

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracing = instrumentDuet({ tracer: provider.getTracer('test') });
  return { exporter, tracing };
}

const byName = (spans: ReadableSpan[], name: string) => spans.find((s) => s.name === name)!;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('@duet/otel', () => {
  test('one span per task, parented along the task tree, ended when the task ends', async () => {
    const { exporter, tracing } = setup();
    try {
      await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, async function main() {
        await openNursery(async (n) => {
          n.startSoon(async function parent() {
            await openNursery(async (inner) => {
              inner.startSoon(async function child() {
                currentTaskSpan()!.setAttribute('custom', 'yes');
                await sleep(1);
              });
            });
          });
          n.startSoon(async function sibling() {
            await sleep(2);
          });
        });
      });
    } finally {
      tracing.disable();
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['child', 'main', 'parent', 'sibling']);
    const [main, parent, child, sibling] = ['main', 'parent', 'child', 'sibling'].map((n) =>
      byName(spans, n),
    ) as [ReadableSpan, ReadableSpan, ReadableSpan, ReadableSpan];
    expect(parentOf(main)).toBeUndefined();
    expect(parentOf(parent)).toBe(main.spanContext().spanId);
    expect(parentOf(sibling)).toBe(main.spanContext().spanId);
    expect(parentOf(child)).toBe(parent.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(child.attributes['custom']).toBe('yes');
    expect(child.attributes['duet.task.name']).toBe('child');
    expect(parent.events.map((e) => e.name)).toEqual(
      expect.arrayContaining(['nursery opened', 'nursery closed']),
    );
  });

  test('a failure is an error status with the exception; a cancellation is not', async () => {
    const { exporter, tracing } = setup();
    try {
      await expect(
        run(async function main() {
          await openNursery(async (n) => {
            n.startSoon(async function waiter() {
              await new CancelScope({ shield: false }).run(sleepForever);
            });
            n.startSoon(async function failing() {
              await sleep(0.001);
              throw new Error('boom');
            });
          });
        }),
      ).rejects.toThrow();
    } finally {
      tracing.disable();
    }
    const spans = exporter.getFinishedSpans();
    const failing = byName(spans, 'failing');
    expect(failing.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(failing.events.some((e) => e.name === 'exception')).toBe(true);
    const waiter = byName(spans, 'waiter');
    expect(waiter.status.code).toBe(0);
    expect(waiter.attributes['duet.cancelled']).toBe(true);
    expect(waiter.events.map((e) => e.name)).toEqual([
      'cancel scope entered',
      'cancel scope exited',
    ]);
  });

  test('after disable(), runs make no spans', async () => {
    const { exporter, tracing } = setup();
    tracing.disable();
    tracing.disable();
    await run(async () => {
      expect(currentTaskSpan()).toBeUndefined();
    });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});
