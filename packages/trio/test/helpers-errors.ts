/** Helpers for the tests of errors and groups, shared by the trio-suite files. */
import { ExceptionGroup } from '@duet/trio';

/** The errors of a group (at any depth), or the error itself when it is not one. */
export const leaves = (err: unknown): unknown[] =>
  err instanceof ExceptionGroup ? err.exceptions.flatMap(leaves) : [err];

/** The error `p` rejects with; fails if it resolves. */
export async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}
