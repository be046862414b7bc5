/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_pep492.py (`async with` on the
 * synchronization primitives), restated for Duet's API: `using _ = await x.hold()` is Duet's
 * `async with x`. The coroutine-object cases (`iscoroutine`, awaiting a coroutine twice) have no
 * counterpart: a Duet task takes a function (see the README's differences). Each case was run on
 * CPython 3.13.0.
 */
import { BoundedSemaphore, Condition, Lock, Semaphore, sleep } from '@duet/asyncio';
import { vrun } from './helpers';

describe('CPython test_pep492: async with on the primitives', () => {
  // test_context_manager_async_with
  test.each([
    ['Lock', () => new Lock()],
    ['Condition', () => new Condition()],
    ['Semaphore', () => new Semaphore()],
    ['BoundedSemaphore', () => new BoundedSemaphore()],
  ])('%s: locked() inside hold()’s block, across a wait, and not after it', async (_name, make) => {
    const out = await vrun(async () => {
      const primitive = make();
      const seen: boolean[] = [];
      await sleep(0.01);
      seen.push(primitive.locked());
      {
        using _held = await primitive.hold();
        seen.push(primitive.locked());
        await sleep(0.01);
        seen.push(primitive.locked());
      }
      seen.push(primitive.locked());
      return seen;
    });
    expect(out).toEqual([false, true, true, false]);
  });

  test('a block that throws still releases', async () => {
    const out = await vrun(async () => {
      const lock = new Lock();
      try {
        using _held = await lock.hold();
        await sleep(0.01);
        throw new RangeError('inside');
      } catch (err) {
        return [(err as Error).message, lock.locked()];
      }
    });
    expect(out).toEqual(['inside', false]);
  });
});
