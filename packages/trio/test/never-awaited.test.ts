// Debug mode names where a wait was created and then dropped without `await`.
import { Event, run, sleep } from '@duet/trio';

import { readFileSync } from 'node:fs';

const thisFile = /never-awaited\.test\.ts:\d+:\d+/;
const lineOf = (text: string) =>
  readFileSync(__filename, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;
const siteLine = (warning: string) => Number(/never-awaited\.test\.ts:(\d+)/.exec(warning)![1]);

async function warningsOf(debug: boolean, body: () => Promise<void>) {
  const warnings: string[] = [];
  const error = await run(
    debug ? { debug: { onWarning: (m: string) => warnings.push(m) } } : {},
    body,
  ).then(
    () => null,
    (err: unknown) => err as Error,
  );
  return { warnings, error };
}

test('a dropped sleep is named at its creation site when the task returns', async () => {
  const { warnings, error } = await warningsOf(true, async () => {
    void sleep(1); // the mistake: no await
  });
  expect(error?.message).toMatch(
    /returned while a wait it started \(sleep until t=[\d.]+\) was still pending: a Duet call was not awaited/,
  );
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(
    /^Duet debug: a wait created at .* was never awaited \(<Task #\d+ main>/,
  );
  expect(warnings[0]).toMatch(thisFile);
  // The site is the line of the dropped call, not a kernel or facade frame.
  expect(siteLine(warnings[0]!)).toBe(lineOf('void sleep(1); // the mistake'));
});

test('a dropped Event.wait is named when the task starts another wait', async () => {
  const { warnings, error } = await warningsOf(true, async () => {
    void new Event().wait(); // dropped
    await sleep(0.01);
  });
  expect(error?.message).toMatch(
    /started a wait \(sleep\) while it was still in another \(Event.wait\): a Duet call was not awaited/,
  );
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(thisFile);
  expect(siteLine(warnings[0]!)).toBe(lineOf('void new Event().wait(); // dropped'));
});

test('without debug mode: the same error, no warning', async () => {
  const { warnings, error } = await warningsOf(false, async () => {
    void sleep(1);
  });
  expect(error?.message).toMatch(
    /returned while a wait it started \(sleep until t=[\d.]+\) was still pending: a Duet call was not awaited/,
  );
  expect(warnings).toEqual([]);
});

test('awaited waits give no warning', async () => {
  const { warnings, error } = await warningsOf(true, async () => {
    await sleep(0.001);
    await sleep(0.001);
  });
  expect(error).toBeNull();
  expect(warnings).toEqual([]);
});
