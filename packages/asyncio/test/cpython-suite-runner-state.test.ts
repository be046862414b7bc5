/**
 * Scenarios from CPython 3.13's Lib/test/test_asyncio/test_runners.py and test_events.py about
 * what a loop says of itself between runs and inside callbacks, restated for Duet's API. Each
 * case was run on CPython 3.13.0; the comments say what CPython prints.
 */
import net from 'node:net';
import { Runner, createTask, getRunningLoop, run, type Task } from '@duet/asyncio';
import { startServer } from '../src/server';

describe('CPython test_runners: the loop between two Runner.run() calls', () => {
  // r.run(main()); r.get_loop().is_running() -> False; is_closed() -> False; then True inside
  // the next run, and False (closed) after close().
  test('isRunning() is false between two runs, true inside each, false once closed', async () => {
    const runner = new Runner();
    const loop = runner.getLoop();
    const seen: unknown[] = [];
    seen.push(await runner.run(() => getRunningLoop().isRunning()));
    seen.push(['between', loop.isRunning(), loop.isClosed()]);
    seen.push(await runner.run(() => getRunningLoop().isRunning()));
    await runner.close();
    seen.push(['after', loop.isRunning(), loop.isClosed()]);
    expect(seen).toEqual([true, ['between', false, false], true, ['after', false, true]]);
  });

  // A task left pending by one run goes on in Duet between runs (CPython suspends it): the code
  // of the run itself still sees its loop running.
  test('a task left pending by the last run sees the loop running', async () => {
    const runner = new Runner();
    let left: Task<boolean> | undefined;
    let gate: (() => void) | undefined;
    const opened = new Promise<void>((resolve) => (gate = resolve));
    await runner.run(() => {
      left = createTask(async () => {
        await opened;
        return getRunningLoop().isRunning();
      });
    });
    gate!();
    const inside = await runner.run(() => left!);
    await runner.close();
    expect(inside).toBe(true);
  });
});

describe('CPython 3.13 test_base_events: create_server(keep_alive=True)', () => {
  // asyncio.start_server(cb, host, 0, keep_alive=True) sets SO_KEEPALIVE on each accepted
  // socket (3.13); Node does it for a server made with { keepAlive: true }.
  test('startServer takes keepAlive and hands it to Node; a non-boolean is a TypeError', async () => {
    const made = jest.spyOn(net, 'createServer');
    try {
      const got = await run(async () => {
        const server = await startServer(async () => {}, '127.0.0.1', 0, { keepAlive: true });
        server.close();
        await server.waitClosed();
        let bad = '';
        try {
          await startServer(async () => {}, '127.0.0.1', 0, { keepAlive: 1 as never });
        } catch (err) {
          bad = err instanceof TypeError ? 'TypeError' : String(err);
        }
        return bad;
      });
      expect(got).toBe('TypeError');
      expect(made).toHaveBeenCalledTimes(1);
      expect(made.mock.calls[0]![0]).toMatchObject({ keepAlive: true });
    } finally {
      made.mockRestore();
    }
  });
});
