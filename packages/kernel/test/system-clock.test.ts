// The system clock reads the global `performance` at each call, so fake timers installed after
// the kernel was imported (Jest's, Vitest's, @sinonjs/fake-timers) drive it.
import { SystemClock } from '@duet/kernel';

test('SystemClock follows fake timers installed after import', () => {
  const clock = new SystemClock();
  jest.useFakeTimers();
  try {
    const before = clock.currentTime();
    jest.advanceTimersByTime(5000);
    expect(clock.currentTime() - before).toBeCloseTo(5, 6);
    expect(clock.deadlineToSleepTime(clock.currentTime() + 2)).toBeCloseTo(2, 6);
  } finally {
    jest.useRealTimers();
  }
});
