// Must FAIL, quickly: node:test's timeout aborts t.signal, which cancels the run, so the
// 30 s sleep ends at once and prints that it was cancelled.
import { test } from 'node:test';
import { sleep } from '@duet/trio';
import { trioTest } from '@duet/trio/testing';

test(
  'a test the runner times out',
  { timeout: 200 },
  trioTest(
    async () => {
      try {
        await sleep(30);
      } finally {
        console.log('duet: the body was cancelled');
      }
    },
    { clock: 'system' },
  ),
);
