/**
 * What the kernel reports about tasks and scopes at each point of their lives: `Task.state`,
 * `parentTask`, `waitingOn`, a scope's relative deadline before and after entry, a deadline that
 * passed while nobody looked.
 */
import {
  CancelScope,
  MockClock,
  checkpoint,
  currentTask,
  openNursery,
  park,
  Abort,
  run,
  sleep,
  type Task,
} from '@duet/kernel';

const mock = () => new MockClock({ autojumpThreshold: 0 });

describe('Task state', () => {
  test('running, ready, parked, done; the root has no parent; a wait with no description', async () => {
    await run({ clock: mock() }, async () => {
      const root = currentTask();
      expect(root.state).toBe('running');
      expect(root.parentTask).toBeNull();
      let child!: Task;
      let release!: () => void;
      await openNursery(async (n) => {
        n.startSoon(async () => {
          child = currentTask();
          // A Waitable without describeWait: dumps still say something.
          await park({ abortWait: () => Abort.SUCCEEDED }).catch(() => {});
        });
        n.startSoon(async () => {
          await new Promise<void>((resolve) => (release = resolve));
        });
        await checkpoint();
        expect(child.state).toBe('parked');
        expect(child.waitingOn).toBe('a kernel wait');
        expect(child.parentTask).toBe(root);
        n.cancelScope.cancel();
        expect(child.state).toBe('ready'); // woken with Cancelled, not yet run
        release();
      });
      expect(child.state).toBe('done');
      expect(child.waitingOn).toBeNull();
    });
  });
});

describe('CancelScope deadlines', () => {
  test('a relative deadline counts from entry; once entered it reads as time left', async () => {
    await run({ clock: mock() }, async () => {
      const scope = new CancelScope({ relativeDeadline: 5 });
      await sleep(1);
      expect(scope.deadline).toBe(6); // not entered: now + 5
      scope.relativeDeadline = 3;
      expect(scope.relativeDeadline).toBe(3);
      await scope.run(async () => {
        expect(scope.deadline).toBe(4);
        await sleep(1);
        expect(scope.relativeDeadline).toBe(2);
        scope.relativeDeadline = 10; // while entered: from now
        expect(scope.deadline).toBe(12);
        expect(() => (scope.relativeDeadline = -1)).toThrow(/>= 0/);
        expect(scope.deadline).toBe(12);
      });
    });
  });

  test('cancelCalled notices a deadline that passed before the heap fired it', async () => {
    const clock = mock();
    await run({ clock }, async () => {
      await new CancelScope({ deadline: 1 }).run(async (scope) => {
        clock.jump(2); // time moves, no scheduling round yet
        expect(scope.cancelCalled).toBe(true);
        expect(scope.cancelReason).toBe('deadline');
        await checkpoint().catch(() => {});
      });
    });
  });
});
