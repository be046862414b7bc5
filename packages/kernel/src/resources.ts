/**
 * Host resources that must not outlive the run that opened them: a listening server, a child
 * process, a socket. Code that opens one registers what to do with it if it is still open when
 * the run ends (close it, kill it, or let it go on without holding Node), and unregisters once it
 * is closed. One system task per run that has any: when the root task ends, the system tasks are
 * cancelled, and this one then deals with what is left, before `run()` settles.
 */
import { CancelScope } from './cancel';
import { requireTask } from './context';
import { awaitForeign } from './interop';
import { RunVar } from './runvar';
import { sleepForever } from './sleep';

/** What to do with a resource left open: release it now, or start to and return when done. */
type Release = () => void | Promise<void>;

/** What the run still has open; made (with the task that releases it) at the first `atRunEnd`. */
const leftovers = /* @__PURE__ */ new RunVar<Set<Release> | undefined>(
  'resources left open',
  undefined,
);

async function reaper(pending: Set<Release>): Promise<void> {
  try {
    await sleepForever();
  } finally {
    leftovers.set(undefined);
    const closing: Promise<void>[] = [];
    for (const release of pending) {
      try {
        const done = release();
        if (done !== undefined) closing.push(done.catch(() => {}));
      } catch {
        // Releasing is best effort: the resource may already be gone on the host's side.
      }
    }
    pending.clear();
    // Wait for the host to close the handles, so that none is left when run() settles. Node
    // frees a handle in the close phase of the loop iteration that emitted its 'close' event:
    // an immediate set from the next iteration runs after it.
    if (closing.length !== 0) {
      await new CancelScope({ shield: true }).run(() =>
        awaitForeign(
          Promise.all(closing).then(
            () => new Promise((resolve) => setImmediate(() => setImmediate(resolve))),
          ),
        ),
      );
    }
  }
}

/**
 * Registers `release`, to be called if the resource is still open when the current run ends (its
 * root task has returned and its system tasks are being cancelled); a Promise it returns is
 * waited for, so that the host has closed the handle when `run()` settles. Returns the function to
 * call once the resource was closed normally, which unregisters it.
 *
 * @example
 * ```ts
 * const server = net.createServer().listen(0);
 * const forget = atRunEnd(() => server.close());
 * // ... later, when closed by its owner:
 * server.close();
 * forget();
 * ```
 */
export function atRunEnd(release: () => void | Promise<void>): () => void {
  if (typeof release !== 'function') throw new TypeError('atRunEnd() expects a function');
  const runner = requireTask('atRunEnd()').runner;
  let pending = leftovers.get();
  if (pending === undefined) {
    pending = new Set();
    leftovers.set(pending);
    runner.spawnSystemTask(reaper, [pending], 'resources left open at the end of the run');
  }
  const set = pending;
  const entry: Release = () => release();
  set.add(entry);
  return () => {
    set.delete(entry);
  };
}

/** A Node stream or socket, as {@link destroyAll} uses it. */
export interface Destroyable {
  /** Closes it at once. */
  destroy(): unknown;
  /** True once it has emitted `'close'`. */
  readonly closed?: boolean;
  /** Adds a one-time listener. */
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Destroys each stream or socket given (`null`s are skipped) and resolves once all have emitted
 * `'close'`: a release for {@link atRunEnd}.
 *
 * @example
 * ```ts
 * atRunEnd(() => destroyAll(child.stdio));
 * ```
 */
export function destroyAll(streams: Iterable<Destroyable | null | undefined>): Promise<void> {
  const closing: Promise<void>[] = [];
  for (const stream of streams) {
    if (stream === null || stream === undefined || stream.closed === true) continue;
    closing.push(new Promise((resolve) => stream.once('close', () => resolve())));
    stream.destroy();
  }
  return Promise.all(closing).then(() => {});
}
