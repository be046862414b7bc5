import {
  asyncioTest,
  getRunningLoop,
  type AsyncioTestOptions,
  type MockClock,
} from '@duet/asyncio';

/**
 * Runs `main` as {@link asyncioTest} does, at once: a MockClock that jumps as soon as every task
 * is blocked, and hang detection that fails the test with the task tree.
 */
export function vrun<T>(
  main: () => T | PromiseLike<T>,
  options: AsyncioTestOptions & { clock?: MockClock } = {},
): Promise<T> {
  return asyncioTest(async () => main(), options)();
}

/** The running loop's time (virtual under {@link vrun}). */
export const now = (): number => getRunningLoop().time();
