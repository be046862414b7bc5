/**
 * The functions a migrated file gets when it used `gather` or `Promise.all` (a nursery that
 * collects its children's results in order) or awaited a TaskGroup's task (a task for
 * `nursery.start` whose start value is its result). They are appended to the file (once), so the
 * migrated code depends on nothing but `@duet/trio`.
 */

/** A helper's source text and the `@duet/trio` names it imports (`type X` for a type). */
export interface Helper {
  text: string;
  needs: string[];
}

const RESULTS = '{ -readonly [K in keyof F]: F[K] extends () => infer R ? Awaited<R> : never }';

/** The helpers, by function name. */
export const HELPERS: Record<string, Helper> = {
  gatherInNursery: {
    needs: ['openNursery'],
    text: `/**
 * Added by duet-migrate for \`gather\` / \`Promise.all\`: runs each function as a child of one
 * nursery and returns their results in order. The first failure cancels the others; every failure
 * arrives in an ExceptionGroup.
 */
async function gatherInNursery<const F extends readonly (() => unknown)[]>(
  ...fns: F
): Promise<${RESULTS}> {
  const results: unknown[] = new Array(fns.length);
  await openNursery(async (nursery) => {
    fns.forEach((fn, i) => nursery.startSoon(async () => (results[i] = await fn())));
  });
  return results as ${RESULTS};
}
`,
  },
  settleInNursery: {
    needs: ['openNursery', 'isCancelled'],
    text: `/**
 * Added by duet-migrate for \`gather(..., { returnExceptions: true })\`: runs each function as a
 * child of one nursery and returns, in order, each result or the error it raised; no failure
 * cancels the others (a cancellation from outside still does).
 */
async function settleInNursery<const F extends readonly (() => unknown)[]>(
  ...fns: F
): Promise<{ -readonly [K in keyof F]: (F[K] extends () => infer R ? Awaited<R> : never) | Error }> {
  const results: unknown[] = new Array(fns.length);
  await openNursery(async (nursery) => {
    fns.forEach((fn, i) =>
      nursery.startSoon(async () => {
        try {
          results[i] = await fn();
        } catch (err) {
          if (isCancelled(err)) throw err;
          results[i] = err;
        }
      }),
    );
  });
  return results as { -readonly [K in keyof F]: (F[K] extends () => infer R ? Awaited<R> : never) | Error };
}
`,
  },
  startedWith: {
    needs: ['type TaskStatus'],
    text: `/**
 * Added by duet-migrate for \`await tg.createTask(fn)\`: a task for \`nursery.start\` that runs
 * \`fn\` and gives its result as the start value, so the caller waits for the result as it
 * awaited the Task, while the task belongs to the nursery.
 */
function startedWith<R>(fn: () => R): (taskStatus: TaskStatus<Awaited<R>>) => Promise<void> {
  return async (taskStatus) => (taskStatus as TaskStatus<unknown>).started(await fn());
}
`,
  },
};
