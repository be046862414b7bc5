// Lowlevel helpers shared by the Trio suite's run-loop tests.
import { currentTask } from '@duet/trio';
import {
  Abort,
  currentTrioToken,
  reschedule,
  waitTaskRescheduled,
  type Outcome,
} from '@duet/trio/lowlevel';

/**
 * Parks the current task with a slow abort, as Trio's test_slow_abort: the abort cannot stop the
 * wait at once, so it captures the cancellation, queues the reschedule with it through the run
 * token and says FAILED. `onAbort` is called each time the abort function is.
 */
export function waitWithSlowAbort(onAbort: () => void = () => {}): Promise<unknown> {
  const task = currentTask();
  const token = currentTrioToken();
  return waitTaskRescheduled((raiseCancel) => {
    onAbort();
    let outcome: Outcome;
    try {
      raiseCancel();
      outcome = { ok: true, value: undefined };
    } catch (error) {
      outcome = { ok: false, error };
    }
    token.runSyncSoon(reschedule, task, outcome);
    return Abort.FAILED;
  });
}
