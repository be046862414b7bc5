// node:test with Duet's test adapters: virtual time, the test context passed through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeoutError, sleep, waitFor, asyncioTest } from '@duet/asyncio';
import { currentTime, moveOnAfter, sleepForever } from '@duet/trio';
import { trioTest } from '@duet/trio/testing';

test(
  'an hour-long timeout takes no real time',
  trioTest(async () => {
    await moveOnAfter(3600, () => sleepForever());
    assert.equal(currentTime(), 3600);
  }),
);

test(
  'the body gets the clock, then the test context',
  trioTest(async (clock, t) => {
    clock.jump(5);
    assert.equal(currentTime(), 5);
    assert.equal(t.name, 'the body gets the clock, then the test context');
    assert.ok(t.signal instanceof AbortSignal);
  }),
);

test(
  'asyncio: waitFor times out in virtual time',
  asyncioTest(async () => {
    await assert.rejects(
      waitFor(() => sleep(60), 1),
      TimeoutError,
    );
  }),
);
