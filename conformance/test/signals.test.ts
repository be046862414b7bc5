// openSignalReceiver (trio.open_signal_receiver), each case in a child process (child-script.ts):
// Jest's sandboxed `process` does not receive real signals. Expectations checked against trio 0.22's behaviour
// (coalescing, the innermost receiver, redelivery on exit, one iterating task).
import { runChildScript as runScript } from './child-script';

test('signals arrive in order, a repeat before it is taken is delivered once, names or numbers', async () => {
  const o = await runScript(`
    await t.run(async () => {
      await t.openSignalReceiver(['SIGUSR1', 12], async (signals) => {
        await raise('SIGUSR1'); await raise('SIGUSR2'); await raise('SIGUSR1'); await raise('SIGUSR2');
        const got = [];
        for await (const s of signals) { got.push(s); if (got.length === 2) break; }
        console.log(got.join(' '));
        console.log(String(await t.moveOnAfter(0.1, () => signals.receive())));
      });
      console.log('listeners after', process.listenerCount('SIGUSR1'), process.listenerCount('SIGUSR2'));
    });
  `);
  expect(o.stderr).toBe('');
  expect(o.lines).toEqual(['SIGUSR1 SIGUSR2', 'undefined', 'listeners after 0 0']);
});

test('bad arguments: TypeError or ValueError, and no listener is left behind', async () => {
  const o = await runScript(`
    await t.run(async () => {
      for (const signals of [[], ['SIGNOPE'], [123456], ['SIGKILL'], [{}], 'SIGINT']) {
        console.log(await failure(() => t.openSignalReceiver(signals, () => {})));
      }
      console.log(await failure(() => t.openSignalReceiver(['SIGUSR1', 'SIGSTOP'], () => {})));
      console.log('listeners', process.listenerCount('SIGUSR1'));
    });
    console.log(await failure(() => t.openSignalReceiver(['SIGUSR1'], () => {})));
  `);
  expect(o.lines).toEqual([
    'TypeError: openSignalReceiver(): no signals were given',
    'ValueError: openSignalReceiver(): "SIGNOPE" is not a signal of this OS',
    'ValueError: openSignalReceiver(): 123456 is not a signal of this OS',
    'ValueError: openSignalReceiver(): SIGKILL cannot be caught',
    "TypeError: openSignalReceiver(): a signal is a name such as 'SIGINT' or a number, got object",
    "TypeError: openSignalReceiver(): signals must be an array such as ['SIGINT']",
    'ValueError: openSignalReceiver(): SIGSTOP cannot be caught',
    'listeners 0',
    expect.stringMatching(/^RuntimeError: /),
  ]);
});

test('after the block: receive raises RuntimeError; two iterating tasks: BusyResourceError', async () => {
  const o = await runScript(`
    await t.run(async () => {
      let kept;
      await t.openSignalReceiver(['SIGUSR1'], async (signals) => {
        kept = signals;
        console.log(await failure(() => t.openNursery(async (n) => {
          n.startSoon(() => signals.receive());
          n.startSoon(() => signals.receive());
        })));
      });
      console.log(await failure(() => kept.receive()));
    });
  `);
  expect(o.lines).toEqual([
    'BusyResourceError: only one task can iterate on a signal receiver at a time',
    'RuntimeError: the openSignalReceiver() block already exited',
  ]);
});

test('only the innermost receiver sees a signal; one left pending goes to the next one out', async () => {
  const o = await runScript(`
    await t.run(async () => {
      await t.openSignalReceiver(['SIGUSR1'], async (outer) => {
        await t.openSignalReceiver(['SIGUSR1'], async (inner) => {
          await raise('SIGUSR1');
          console.log('inner', await inner.receive());
          await raise('SIGUSR1'); // not taken: redelivered to outer when this block ends
        });
        console.log('outer', await outer.receive());
        console.log('outer again', String(await t.moveOnAfter(0.1, () => outer.receive())));
      });
    });
  `);
  expect(o.lines).toEqual(['inner SIGUSR1', 'outer SIGUSR1', 'outer again undefined']);
});

test('a signal still pending when the last receiver exits takes its default action', async () => {
  const o = await runScript(`
    await t.run(async () => {
      await t.openSignalReceiver(['SIGUSR2'], async () => {
        await raise('SIGUSR2');
        console.log('pending at exit');
      });
      await t.sleep(1);
      console.log('still alive');
    });
  `);
  expect(o.lines).toEqual(['pending at exit']);
  expect(o.signal).toBe('SIGUSR2');
});

test('while a receiver listens for SIGINT, SIGINT does not end the process', async () => {
  const o = await runScript(`
    await t.run(async () => {
      await t.openSignalReceiver(['SIGINT'], async (signals) => {
        await raise('SIGINT');
        console.log('got', await signals.receive());
      });
    });
    console.log('exited normally');
  `);
  expect(o.lines).toEqual(['got SIGINT', 'exited normally']);
  expect(o.code).toBe(0);
});
