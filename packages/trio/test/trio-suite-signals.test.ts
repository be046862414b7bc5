// The scenarios of Trio's trio/_tests/test_signals.py, written afresh against Duet's
// openSignalReceiver: repeats coalesce, the process listeners are restored on every way out
// (a bad signal, a duplicate, an error in the body), one task at a time may wait, and a signal
// still pending at the end goes to the enclosing receiver. Signals are sent with process.emit:
// Jest gives each test file its own process object, which a real signal never reaches.
import { BusyResourceError, ValueError, openNursery, openSignalReceiver, sleep } from '@duet/trio';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

/** How many process listeners each of SIGUSR1 and SIGUSR2 has now. */
function listenerCounts(): [number, number] {
  return [process.listenerCount('SIGUSR1'), process.listenerCount('SIGUSR2')];
}

describe('openSignalReceiver', () => {
  test(
    'signals raised before the first receive come once each, in arrival order; the listeners go at the end',
    trioTest(
      async () => {
        const before = listenerCounts();
        const got = await openSignalReceiver(['SIGUSR1', 'SIGUSR2'], async (receiver) => {
          expect(listenerCounts()).toEqual([before[0] + 1, before[1] + 1]);
          process.emit('SIGUSR2', 'SIGUSR2');
          process.emit('SIGUSR1', 'SIGUSR1');
          process.emit('SIGUSR2', 'SIGUSR2'); // a repeat not yet taken: delivered once
          await sleep(0.05); // all three arrive before the first receive
          const first = await receiver.receive();
          const second = await receiver.receive();
          return [first, second];
        });
        expect(got).toEqual(['SIGUSR2', 'SIGUSR1']);
        expect(listenerCounts()).toEqual(before);
      },
      { clock: 'system' },
    ),
  );

  test(
    'no signals, a bad name, a duplicate: errors leave no listener behind; a duplicate is one signal',
    trioTest(async () => {
      const before = listenerCounts();
      await expect(openSignalReceiver([], () => undefined)).rejects.toBeInstanceOf(TypeError);
      await expect(
        openSignalReceiver(['SIGUSR1', 'SIGNOPE'], () => undefined),
      ).rejects.toBeInstanceOf(ValueError);
      expect(listenerCounts()).toEqual(before);
      await openSignalReceiver(['SIGUSR1', 'SIGUSR1'], () => {
        expect(listenerCounts()).toEqual([before[0] + 1, before[1]]);
      });
      expect(listenerCounts()).toEqual(before);
    }),
  );

  test(
    'an error in the body removes the listeners and comes out as itself',
    trioTest(async () => {
      const before = listenerCounts();
      const oops = new Error('oops');
      await expect(
        openSignalReceiver(['SIGUSR1'], () => {
          throw oops;
        }),
      ).rejects.toBe(oops);
      expect(listenerCounts()).toEqual(before);
    }),
  );

  test(
    'a second task waiting on the same receiver is a BusyResourceError',
    trioTest(
      async () => {
        await openSignalReceiver(['SIGUSR1'], async (receiver) => {
          await openNursery(async (nursery) => {
            nursery.startSoon(async () => {
              expect(await receiver.receive()).toBe('SIGUSR1');
            });
            await waitAllTasksBlocked();
            await expect(receiver.receive()).rejects.toBeInstanceOf(BusyResourceError);
            process.emit('SIGUSR1', 'SIGUSR1');
          });
        });
      },
      { clock: 'system' },
    ),
  );

  test(
    'a signal pending when an inner receiver ends is delivered to the enclosing one',
    trioTest(
      async () => {
        await openSignalReceiver(['SIGUSR1'], async (outer) => {
          await openSignalReceiver(['SIGUSR1'], async (inner) => {
            process.emit('SIGUSR1', 'SIGUSR1');
            expect(await inner.receive()).toBe('SIGUSR1');
            process.emit('SIGUSR1', 'SIGUSR1');
            // Wait until it has arrived at the inner receiver, then leave without taking it.
            await sleep(0.05);
          });
          expect(await outer.receive()).toBe('SIGUSR1');
        });
      },
      { clock: 'system' },
    ),
  );
});
