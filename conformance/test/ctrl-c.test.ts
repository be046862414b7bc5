// Ctrl-C (SIGINT) in both styles, each case in a child process (child-script.ts). Trio: trio.run
// raises KeyboardInterrupt once everything has unwound; asyncio (CPython 3.13's Runner, checked on
// the same programs): the main task is cancelled, and run() raises KeyboardInterrupt if that
// cancel is what ended it.
import { runChildScript } from './child-script';

describe('Trio style', () => {
  test('SIGINT cancels the whole run, cleanup runs, then run() raises KeyboardInterrupt', async () => {
    const o = await runChildScript(`
      console.log(await failure(() => t.run(async () => {
        await t.openNursery(async (n) => {
          n.startSoon(async () => {
            try { await t.sleepForever(); } finally { console.log('child cleaned up'); }
          });
          await raise('SIGINT');
          await t.sleepForever();
        });
      })));
      console.log('listeners', process.listenerCount('SIGINT'), a.KeyboardInterrupt === t.KeyboardInterrupt);
    `);
    expect(o.lines).toEqual([
      'child cleaned up',
      'KeyboardInterrupt: the run was interrupted (SIGINT)',
      'listeners 0 true',
    ]);
    expect(o.code).toBe(0);
  });

  test('a root task that returns anyway gives run() its value', async () => {
    const o = await runChildScript(`
      console.log(await t.run(async () => {
        try { await raise('SIGINT'); await t.sleepForever(); } catch { return 'returned anyway'; }
      }));
    `);
    expect(o.lines).toEqual(['returned anyway']);
  });

  test('a second SIGINT while the run unwinds ends the process', async () => {
    const o = await runChildScript(`
      await t.run(async () => {
        try { await raise('SIGINT'); await t.sleepForever(); } finally {
          console.log('unwinding');
          await new t.CancelScope({ shield: true }).run(async () => {
            await raise('SIGINT');
            await t.sleep(5);
          });
        }
      });
      console.log('not reached');
    `);
    expect(o.lines).toEqual(['unwinding']);
    expect(o.signal).toBe('SIGINT');
  });

  test('a program with its own SIGINT listener keeps it; handleSigint: false leaves SIGINT alone', async () => {
    const own = await runChildScript(`
      process.on('SIGINT', () => console.log('program handler'));
      console.log(await t.run(async () => { await raise('SIGINT'); return 'run went on'; }));
      process.removeAllListeners('SIGINT');
    `);
    expect(own.lines).toEqual(['program handler', 'run went on']);
    const off = await runChildScript(`
      await t.run({ handleSigint: false }, async () => { await raise('SIGINT'); await t.sleep(5); });
      console.log('not reached');
    `);
    expect(off.signal).toBe('SIGINT');
    expect(off.stdout).toBe('');
  });

  test('inside an openSignalReceiver block for SIGINT, the block gets it and the run goes on', async () => {
    const o = await runChildScript(`
      console.log(await t.run(async () => {
        const got = await t.openSignalReceiver(['SIGINT'], async (signals) => {
          await raise('SIGINT');
          return signals.receive();
        });
        await t.sleep(0.01);
        return 'received ' + got;
      }));
    `);
    expect(o.lines).toEqual(['received SIGINT']);
  });
});

describe('asyncio style', () => {
  test('SIGINT cancels the main task; run() raises KeyboardInterrupt', async () => {
    const o = await runChildScript(`
      console.log(await failure(() => a.run(async () => {
        try { await raise('SIGINT'); await a.sleep(5); } catch (e) {
          console.log('main got', e.name, 'cancelling', a.currentTask().cancelling());
          throw e;
        } finally { console.log('finally ran'); }
      })));
      console.log('listeners', process.listenerCount('SIGINT'));
    `);
    expect(o.lines).toEqual([
      'main got Cancelled cancelling 1',
      'finally ran',
      'KeyboardInterrupt: the main task was cancelled by SIGINT',
      'listeners 0',
    ]);
  });

  test('a main task that swallows the cancel returns its value', async () => {
    const o = await runChildScript(`
      console.log(await a.run(async () => {
        try { await raise('SIGINT'); await a.sleep(5); } catch { return 42; }
      }));
    `);
    expect(o.lines).toEqual(['42']);
  });

  test('other tasks are cancelled at shutdown as usual; handleSigint: false leaves SIGINT alone', async () => {
    const o = await runChildScript(`
      console.log(await failure(() => a.run(async () => {
        a.createTask(async () => {
          try { await a.sleep(10); } finally { console.log('background task cancelled'); }
        });
        await raise('SIGINT');
        await a.sleep(10);
      })));
    `);
    expect(o.lines).toEqual([
      'background task cancelled',
      'KeyboardInterrupt: the main task was cancelled by SIGINT',
    ]);
    const off = await runChildScript(`
      await a.run(async () => { await raise('SIGINT'); await a.sleep(5); }, { handleSigint: false });
    `);
    expect(off.signal).toBe('SIGINT');
  });
});
