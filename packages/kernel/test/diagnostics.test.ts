import diagnostics from 'node:diagnostics_channel';
import {
  CancelScope,
  DIAGNOSTICS_CHANNELS,
  MockClock,
  ParkingLot,
  currentRunner,
  openNursery,
  run,
  sleep,
  type NurseryMessage,
  type ScopeMessage,
  type TaskMessage,
} from '@duet/kernel';

const vclock = () => new MockClock({ autojumpThreshold: 0 });

/** Subscribes to every Duet channel for the duration of `fn`, collecting [channel, message]. */
async function observe(fn: () => Promise<unknown>): Promise<Array<[string, unknown]>> {
  const seen: Array<[string, unknown]> = [];
  const handlers = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
    const handler = (message: unknown) => seen.push([name, message]);
    diagnostics.subscribe(name, handler);
    return [name, handler] as const;
  });
  try {
    await fn();
  } finally {
    for (const [name, handler] of handlers) diagnostics.unsubscribe(name, handler);
  }
  return seen;
}

describe('diagnostics_channel', () => {
  test('publishes the run, its tasks, nurseries and scopes, in order, with documented payloads', async () => {
    const seen = await observe(() =>
      run({ clock: vclock() }, async function main() {
        await openNursery(async (n) => {
          n.startSoon(async function worker() {
            await new CancelScope({ relativeDeadline: 5, shield: true }).run(() => sleep(1));
          });
          n.startSoon(async function failing() {
            await sleep(0.5);
            throw new Error('boom');
          });
        }).catch(() => undefined);
      }),
    );
    const names = seen.map(([c]) => c);
    expect(names[0]).toBe('duet:run:start');
    expect(names.at(-1)).toBe('duet:run:end');
    const of = <T>(c: string) => seen.filter(([n]) => n === c).map(([, m]) => m as T);
    const spawns = of<TaskMessage>('duet:task:spawn');
    const main = spawns.find((m) => m.name === 'main')!;
    expect(main.parentTaskId).toBeNull();
    for (const name of ['worker', 'failing'])
      expect(spawns.find((m) => m.name === name)!.parentTaskId).toBe(main.taskId);
    const parks = of<TaskMessage>('duet:task:park');
    expect(parks.some((m) => m.name === 'worker' && /sleep/.test(String(m.waitingOn)))).toBe(true);
    const exits = of<TaskMessage>('duet:task:exit');
    const failing = exits.find((m) => m.name === 'failing')!;
    expect(failing.failed).toBe(true);
    expect((failing.error as Error).message).toBe('boom');
    const enters = of<ScopeMessage>('duet:scope:enter');
    const shielded = enters.find((m) => m.shield)!;
    expect(shielded.deadline).toBe(5);
    const exitsOfScopes = of<ScopeMessage>('duet:scope:exit');
    const shieldedExit = exitsOfScopes.find((m) => m.scopeId === shielded.scopeId)!;
    // The failing sibling cancelled the nursery, but the shield kept the worker's sleep going.
    expect(shieldedExit.cancelledCaught).toBe(false);
    const [open] = of<NurseryMessage>('duet:nursery:open');
    const [close] = of<NurseryMessage>('duet:nursery:close');
    expect(open!.taskId).toBe(main.taskId);
    expect(close!.scopeId).toBe(open!.scopeId);
    expect(enters.some((m) => m.scopeId === open!.scopeId)).toBe(true);
    expect(new Set(seen.map(([, m]) => (m as { runId: number }).runId)).size).toBe(1);
  });

  test('a scope that catches its own cancellation says so at exit', async () => {
    const seen = await observe(() =>
      run({ clock: vclock() }, async () => {
        await new CancelScope({ relativeDeadline: 1 }).run(() => new ParkingLot('forever').park());
      }),
    );
    const exits = seen.filter(([c]) => c === 'duet:scope:exit').map(([, m]) => m as ScopeMessage);
    expect(exits.map((m) => m.cancelledCaught)).toEqual([true]);
    const parks = seen.filter(([c]) => c === 'duet:task:park').map(([, m]) => m as TaskMessage);
    expect(parks.map((m) => m.waitingOn)).toContain('forever');
  });

  test('with no subscriber at run start, no instrument is installed', async () => {
    const counts = await run(
      async () =>
        (currentRunner() as unknown as { instruments: { list: unknown[] } }).instruments.list
          .length,
    );
    expect(counts).toBe(0);
    const handler = () => undefined;
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.taskExit, handler);
    try {
      const withSub = await run(
        async () =>
          (currentRunner() as unknown as { instruments: { list: unknown[] } }).instruments.list
            .length,
      );
      expect(withSub).toBe(1);
    } finally {
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.taskExit, handler);
    }
  });
});
