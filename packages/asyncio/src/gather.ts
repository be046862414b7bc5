/** asyncio's `gather` and `shield`. */
import { checkBoolean, checkOptions } from '@duet/kernel';
import { ValueError } from './errors';
import { Future } from './futures';
import { getRunningLoop } from './events';
import { ensureFuture, type Awaitable, type AwaitedOf } from './tasks';

/**
 * Options of {@link gather}, passed with `gather.withOptions(options, ...aws)`.
 *
 * @example
 * ```ts
 * const results = await gather.withOptions({ returnExceptions: true }, t1, t2);
 * ```
 */
export interface GatherOptions {
  /** Put errors (a child's `CancelledError` included) in the results instead of raising the first. */
  returnExceptions?: boolean;
}

/**
 * The results of `gather(...aws)`: a tuple of each awaitable's value, in argument order.
 *
 * @example
 * ```ts
 * const r: GatherResults<[() => Promise<number>, Future<string>]> = [1, 'a'];
 * ```
 */
export type GatherResults<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: AwaitedOf<A[K]>;
};

/**
 * The results of `gather` with `returnExceptions`: each value, or the error in its place.
 *
 * @example
 * ```ts
 * const [a] = await gather.withOptions({ returnExceptions: true }, t1); // a: T | Error
 * ```
 */
export type GatherResultsOrErrors<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: AwaitedOf<A[K]> | Error;
};

/**
 * The Future `gather` returns: cancelling it cancels every child that is not done.
 *
 * @example
 * ```ts
 * const g = gather(() => sleep(10), () => sleep(20));
 * g.cancel(); // cancels both children; `await g` raises CancelledError
 * ```
 */
export class GatheringFuture<T> extends Future<T> {
  /** @internal */
  _cancelRequested = false;

  /** @internal */
  constructor(private readonly children: readonly Future<unknown>[]) {
    super({ loop: getRunningLoop() });
  }

  /** Cancels every child that is not done; `true` if any was. Awaiting the gather then raises `CancelledError`. */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let any = false;
    for (const child of this.children) if (child.cancel(msg)) any = true;
    if (any) this._cancelRequested = true;
    return any;
  }
}

function gatherImpl(
  options: GatherOptions,
  aws: readonly Awaitable<unknown>[],
): GatheringFuture<unknown[]> {
  const returnExceptions = options.returnExceptions === true;
  const byArg = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = [];
  for (const aw of aws) {
    let fut = byArg.get(aw);
    if (fut === undefined) {
      fut = ensureFuture(aw);
      // As CPython: the first child's loop is the gather's; a Future of another is refused.
      if (children.length !== 0 && fut.getLoop() !== children[0]!.getLoop()) {
        throw new ValueError('gather(): the futures belong to different event loops');
      }
      byArg.set(aw, fut);
    }
    children.push(fut);
  }
  const outer = new GatheringFuture<unknown[]>(children);
  if (children.length === 0) {
    outer.setResult([]);
    return outer;
  }
  const distinct = new Set(children).size;
  let finished = 0;
  const onChildDone = (fut: Future<unknown>): void => {
    finished++;
    if (outer.done()) {
      if (!fut.cancelled()) fut.exception(); // retrieved: the gather is already over
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        outer.setException(fut._makeCancelledError());
        return;
      }
      const exc = fut.exception();
      if (exc !== null) {
        outer.setException(exc);
        return;
      }
    }
    if (finished < distinct) return;
    const results = children.map((child) => {
      if (child.cancelled()) return child._makeCancelledError();
      const exc = child.exception();
      return exc !== null ? exc : child.result();
    });
    if (outer._cancelRequested) outer.setException(fut._makeCancelledError());
    else outer.setResult(results);
  };
  for (const fut of new Set(children)) fut.addDoneCallback(onChildDone);
  return outer;
}

/**
 * Runs the awaitables concurrently and returns a Future of their results, in argument order, as
 * asyncio's `gather`. Functions are started as Tasks; Futures and Tasks are used as they are; a
 * Promise is adopted. The first error is raised to whoever awaits the gather (the other
 * awaitables keep running); cancelling the gather cancels every child that is not done.
 * For `returnExceptions`, use {@link gather.withOptions}.
 *
 * @example
 * ```ts
 * const [a, b] = await gather(() => factorial('A', 2), () => factorial('B', 3)); // typed [number, number]
 * const res = await gather.withOptions({ returnExceptions: true }, t1, t2); // errors in place
 * ```
 */
export function gather<A extends readonly Awaitable<unknown>[]>(
  ...aws: A
): GatheringFuture<GatherResults<A>> {
  return gatherImpl({}, aws) as GatheringFuture<never>;
}

/** `gather` with options: `gather.withOptions({ returnExceptions: true }, ...aws)`. */
function withOptions<A extends readonly Awaitable<unknown>[]>(
  options: GatherOptions & { returnExceptions: true },
  ...aws: A
): GatheringFuture<GatherResultsOrErrors<A>>;
function withOptions<A extends readonly Awaitable<unknown>[]>(
  options: GatherOptions & { returnExceptions?: false },
  ...aws: A
): GatheringFuture<GatherResults<A>>;
function withOptions<A extends readonly Awaitable<unknown>[]>(
  options: GatherOptions,
  ...aws: A
): GatheringFuture<GatherResultsOrErrors<A>>;
function withOptions(
  options: GatherOptions,
  ...aws: Awaitable<unknown>[]
): GatheringFuture<unknown[]> {
  if (
    options === null ||
    typeof options !== 'object' ||
    typeof (options as PromiseLike<unknown>).then === 'function'
  ) {
    throw new TypeError(
      'gather.withOptions(options, ...aws) takes an options object first, e.g. { returnExceptions: true }',
    );
  }
  checkOptions('gather.withOptions()', options, ['returnExceptions']);
  checkBoolean('gather.withOptions()', 'returnExceptions', options.returnExceptions, true);
  return gatherImpl(options, aws);
}

/** `gather` with options first: `gather.withOptions({ returnExceptions: true }, ...aws)`. */
gather.withOptions = withOptions;

/**
 * Protects `aw` from cancellation, as asyncio's `shield`: cancelling the returned Future (or the
 * task awaiting it) leaves the inner work running; if the inner work is cancelled itself, the
 * shield is cancelled too.
 *
 * @example
 * ```ts
 * const res = await shield(saveTask); // a cancel of this task does not stop saveTask
 * ```
 */
export function shield<T>(aw: Awaitable<T>): Future<T> {
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const outer = new Future<T>({ loop: inner.getLoop() });
  const onInnerDone = (): void => {
    if (outer.cancelled()) {
      if (!inner.cancelled()) inner.exception(); // retrieved: nobody else will
      return;
    }
    if (inner.cancelled()) {
      outer.cancel();
      return;
    }
    const exc = inner.exception();
    if (exc !== null) outer.setException(exc);
    else outer.setResult(inner.result());
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(() => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  });
  return outer;
}
