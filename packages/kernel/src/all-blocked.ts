/**
 * What the idle check does once every task is parked: wake the `waitAllTasksBlocked` callers,
 * autojump a `MockClock`, or report a deadlock. A module of its own, installed on a run's
 * {@link Idleness} by what needs it (a jumping clock, the first `waitAllTasksBlocked` caller,
 * deadlock detection): a run that uses none of them, such as a hello-nursery program, does not
 * carry it.
 */
import { allParked, type Idleness } from './idle';

/**
 * @internal Every task is parked: wake `waitAllTasksBlocked` callers, or, if no task waits on the
 * host (which may wake it at any time), autojump the clock or report a deadlock.
 */
export function onAllBlocked(idle: Idleness): void {
  const runner = idle.runner;
  const cushion = idle.waiters?.firstCushion();
  let delay = cushion ?? Infinity;
  let jump = false;
  const clock = idle.jumping;
  const hostMayWake = runner.hostWaits !== 0;
  // As Trio: while a task waits in waitAllTasksBlocked, it wakes first and time does not jump,
  // whatever its cushion (real seconds) and the threshold.
  if (
    clock !== null &&
    !hostMayWake &&
    cushion === undefined &&
    runner.deadlines.size !== 0 &&
    clock.autojumpThreshold < delay
  ) {
    delay = Math.max(clock.autojumpThreshold, 0); // a negative threshold acts as 0, as in Trio
    jump = true;
  }
  if (delay === Infinity) {
    const watchdog = runner.watchdog;
    if (
      watchdog !== null &&
      watchdog.detectsDeadlock &&
      !hostMayWake &&
      runner.deadlines.size === 0
    )
      watchdog.deadlocked();
    return;
  }
  if (idle.timer !== null) clearTimeout(idle.timer);
  idle.timer = null;
  if (delay === 0) {
    act(idle, jump);
    return;
  }
  const activity = idle.activity;
  idle.timer = setTimeout(() => {
    idle.timer = null;
    // A jump also needs the host to wait on nobody still.
    if (idle.activity === activity && allParked(runner) && !(jump && runner.hostWaits !== 0))
      act(idle, jump);
  }, delay * 1000);
}

function act(idle: Idleness, jump: boolean): void {
  const runner = idle.runner;
  if (runner.instruments.list.length !== 0) runner.instruments.call('afterIdle');
  if (jump) {
    idle.jumping!._jumpTo(runner.deadlines.peek()!.when);
    runner.expireDeadlines();
    // The expired deadlines may have woken nobody (an abort that said FAILED): look again.
    if (!runner.scheduler.hasWork()) idle.schedule();
    return;
  }
  idle.waiters!.wakeFirst();
}
