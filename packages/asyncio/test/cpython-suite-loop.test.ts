/**
 * More loop scenarios of CPython 3.13's test_base_events.py / test_events.py (the first ones are
 * in cpython-suite-events.test.ts and cpython-suite-base-events.test.ts), restated for Duet's
 * API. Expected values are what CPython 3.13.0 printed or returned.
 */
import { MockClock, getRunningLoop, run, sleep, type ExceptionContext } from '@duet/asyncio';

const clock = (): MockClock => new MockClock({ autojumpThreshold: 0 });

/** What `fn` writes to stderr. */
async function stderrOf(fn: () => Promise<unknown>): Promise<string> {
  const writes: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return writes.join('');
}

describe('CPython test_base_events: the default exception handler', () => {
  test('test_default_exc_handler_*: every other key of the context is a line "key: value", sorted, strings quoted', async () => {
    const text = await stderrOf(() =>
      run(
        () => {
          getRunningLoop().callExceptionHandler({
            message: 'm',
            zeta: 1,
            alpha: 'two',
          } as ExceptionContext);
        },
        { clock: clock() },
      ),
    );
    expect(text).toBe("m\nalpha: 'two'\nzeta: 1\n");
  });

  test('a context with no message: "Unhandled exception in event loop"', async () => {
    const text = await stderrOf(() =>
      run(
        () => {
          getRunningLoop().callExceptionHandler({ foo: 1 } as unknown as ExceptionContext);
        },
        { clock: clock() },
      ),
    );
    expect(text).toBe('Unhandled exception in event loop\nfoo: 1\n');
  });

  test('a handle is shown by its repr; the error’s stack comes last', async () => {
    const text = await stderrOf(() =>
      run(
        () => {
          const loop = getRunningLoop();
          const h = loop.callSoon(function print() {});
          h.cancel();
          const err = new RangeError('v');
          err.stack = 'RangeError: v\n    at here';
          loop.callExceptionHandler({ message: 'h', exception: err, handle: h });
        },
        { clock: clock() },
      ),
    );
    expect(text).toBe('h\nhandle: <Handle cancelled>\nRangeError: v\n    at here\n');
  });

  test('an unretrieved task error: the task is shown once, as CPython\'s "future:" line', async () => {
    const text = await stderrOf(() =>
      run(
        async () => {
          // Nobody awaits it: the run reports it when it ends.
          getRunningLoop().createTask(
            async () => {
              throw new RangeError('lost');
            },
            { name: 'lonely' },
          );
          await sleep(0);
        },
        { clock: clock() },
      ),
    );
    expect(text.split('\n').filter((l) => /^(future|task): /.test(l))).toEqual([
      "future: <Task finished name='lonely' exception=RangeError('lost')>",
    ]);
  });
});
