import { MockClock, run, type RunOptions } from '@duet/asyncio';

/** Runs `main` on a MockClock that jumps as soon as every task is blocked. */
export function vrun<T>(main: () => T | PromiseLike<T>, options: RunOptions = {}): Promise<T> {
  return run(main, { clock: new MockClock({ autojumpThreshold: 0 }), ...options });
}
