// asyncio debug mode: "coroutine ... was never awaited" becomes a warning naming the dropped wait.
import { readFileSync } from 'node:fs';
import { Queue, run, sleep } from '@duet/asyncio';

const lineOf = (text: string) =>
  readFileSync(__filename, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

async function warningsOf(debug: boolean, main: () => Promise<void>) {
  const warnings: string[] = [];
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => {
    warnings.push(String(w));
  });
  try {
    const error = await run(main, { debug }).then(
      () => null,
      // (today the mistake arrives as the cause of a KernelInternalError)
      (err: unknown) => ((err as Error).cause ?? err) as Error,
    );
    return { warnings, error };
  } finally {
    spy.mockRestore();
  }
}

test('a dropped Queue.get is named at its creation site', async () => {
  const { warnings, error } = await warningsOf(true, async () => {
    void new Queue<number>().get(); // dropped
  });
  expect(error?.message).toMatch(/was still pending: a Duet call was not awaited/);
  const unawaited = warnings.filter((w) => w.includes('never awaited'));
  expect(unawaited).toHaveLength(1);
  expect(unawaited[0]).toContain(`never-awaited.test.ts:${lineOf('.get(); // dropped')}:`);
});

test('without debug mode there is no warning', async () => {
  const { warnings, error } = await warningsOf(false, async () => {
    void sleep(1);
  });
  expect(error?.message).toMatch(/was still pending: a Duet call was not awaited/);
  expect(warnings.filter((w) => w.includes('never awaited'))).toEqual([]);
});
