// Fourth sweep: behaviours that newer Trio releases (0.23-0.31) check, and the third sweep's
// leftovers, written afresh against Duet's API.
import net from 'node:net';
import {
  CancelScope,
  RuntimeError,
  SocketListener,
  ValueError,
  openNursery,
  sleepForever,
} from '@duet/trio';
import { trioTest, waitAllTasksBlocked } from '@duet/trio/testing';

describe('abandoned scopes', () => {
  test(
    'a misnested exit abandons a nursery scope holding 150,000 child scopes without a RangeError',
    trioTest(async () => {
      const outer = new CancelScope();
      const count = 150_000;
      let cancelled = 0;
      let nurseryDone: Promise<unknown> = Promise.resolve();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const a = outer.run(async () => {
        nurseryDone = openNursery(async (nursery) => {
          for (let i = 0; i < count; i++)
            nursery.startSoon(() =>
              new CancelScope().run(async () => {
                try {
                  await sleepForever();
                } finally {
                  cancelled++;
                }
              }),
            );
          await waitAllTasksBlocked();
          release();
        });
        await gate; // a plain await: the nursery is still open when the outer scope ends
      });
      await expect(a).rejects.toBeInstanceOf(RuntimeError);
      // The children were cancelled as the abandoned scope's members, and caught at the nursery.
      await expect(nurseryDone).resolves.toBeUndefined();
      expect(cancelled).toBe(count);
    }),
    60_000,
  );
});

describe('SocketListener', () => {
  test('a server that is not listening is a ValueError, as a socket without listen() in Trio', () => {
    // trio 0.22: "SocketListener requires a listening socket".
    const server = net.createServer();
    expect(() => new SocketListener(server)).toThrow(ValueError);
    expect(() => new SocketListener(server)).toThrow(/requires a listening/);
    expect(server.listenerCount('connection')).toBe(0); // nothing attached to the server
  });
});
