/** Small helpers of the CPython scenario suites: what an await or a call ended with. */

/** What awaiting `aw` gives: its value, or the error's class name. */
export async function outcome(aw: PromiseLike<unknown>): Promise<unknown> {
  try {
    return await aw;
  } catch (err) {
    return (err as Error).name;
  }
}

/** Runs `fn`, giving back what it raised (or `'no error'`). */
export async function raised(fn: () => PromiseLike<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return 'no error';
}

/** The class name of what `fn` throws, or `'no error'`. */
export function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).name;
  }
  return 'no error';
}
