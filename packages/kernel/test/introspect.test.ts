// System tasks, instruments and the task tree (runner.ts, instruments.ts, introspect.ts).
import {
  MockClock,
  CancelScope,
  KernelInternalError,
  ValueError,
  addInstrument,
  checkpoint,
  currentRootTask,
  currentTime,
  formatTaskTree,
  openNursery,
  removeInstrument,
  run,
  sleep,
  sleepForever,
  spawnSystemTask,
  taskTree,
  waitAllTasksBlocked,
  type Instrument,
} from '@duet/kernel';

const autojump = () => ({ clock: new MockClock({ autojumpThreshold: 0 }) });

describe('system tasks, instruments, task tree', () => {
  test('system tasks are cancelled when the root ends, and the run waits for them', async () => {
    const events: string[] = [];
    await run(async () => {
      spawnSystemTask(async () => {
        try {
          await sleepForever();
        } finally {
          events.push('system task unwound');
        }
      });
      await checkpoint();
    });
    expect(events).toEqual(['system task unwound']);
  });

  test('a failing system task ends the run with KernelInternalError', async () => {
    await expect(
      run(async () => {
        spawnSystemTask(async () => {
          throw new Error('system bug');
        });
        await sleepForever();
      }),
    ).rejects.toBeInstanceOf(KernelInternalError);
  });

  test('instruments see spawn, steps and exit; removal works', async () => {
    const seen: string[] = [];
    const instrument: Instrument = {
      taskSpawned: (t) => seen.push(`spawn ${t.name}`),
      taskExited: (t) => seen.push(`exit ${t.name}`),
    };
    await run({ instruments: [instrument] }, async function main() {
      await openNursery(async (n) => {
        n.startSoon(async function child() {
          await checkpoint();
        });
      });
      removeInstrument(instrument);
      expect(() => removeInstrument(instrument)).toThrow(ValueError);
      addInstrument({ beforeTaskStep: () => undefined });
    });
    expect(seen).toEqual(['spawn main', 'spawn child', 'exit child']);
  });

  test('taskTree shows nurseries, scopes and waits', async () => {
    await run(autojump(), async function main() {
      await openNursery(async (n) => {
        n.startSoon(async function sleeper() {
          await new CancelScope({ deadline: 12, shield: true }).run(() => sleep(100));
        });
        await waitAllTasksBlocked();
        const tree = taskTree();
        expect(tree.root.name).toBe('main');
        expect(currentRootTask().name).toBe('main');
        const child = tree.root.nurseries[0]!.children[0]!;
        expect(child.name).toBe('sleeper');
        expect(child.state).toBe('parked');
        expect(child.waitingOn).toBe(`sleep until t=${(100).toFixed(3)}`);
        expect(child.scopes[0]).toMatch(/deadline in 12\.000 s, shield/);
        const text = formatTaskTree(tree);
        expect(text).toMatch(/task #\d+ sleeper: parked on sleep until/);
        n.cancelScope.cancel();
      });
      // The shield kept the nursery's cancellation out: the sleeper ran to its own deadline.
      expect(currentTime()).toBe(12);
    });
  });
});
