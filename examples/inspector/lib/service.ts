// A small order service with a task tree worth watching: an intake feeding a channel, a pool of
// workers each handling an order under its own deadline, a health check, and an audit task that
// waits for a log rotation inside a shielded scope with its own deadline (so shutting down waits
// for it, up to 0.6 s). It runs for `seconds`, then cancels itself.
import {
  CancelScope,
  Event,
  moveOnAfter,
  openMemoryChannel,
  openNursery,
  sleep,
  type MemoryReceiveChannel,
  type MemorySendChannel,
} from '@duet/trio';

async function intake(orders: MemorySendChannel<number>): Promise<void> {
  for (let id = 1; ; id++) {
    await orders.send(id);
    await sleep(0.2);
  }
}

async function worker(orders: MemoryReceiveChannel<number>, done: number[]): Promise<void> {
  for await (const id of orders) {
    // Each order gets 0.5 s; a slow one is dropped, not waited for.
    await moveOnAfter(0.5, async () => {
      await sleep(0.1 + (id % 4) * 0.15);
      done.push(id);
    });
  }
}

async function healthCheck(): Promise<void> {
  for (;;) await moveOnAfter(2, () => sleep(1));
}

async function audit(rotated: Event): Promise<void> {
  for (;;) {
    await new CancelScope({ shield: true, relativeDeadline: 0.6 }).run(() => rotated.wait());
    await sleep(0); // the checkpoint where a shutdown reaches this task
  }
}

/** Runs the service for `seconds` and returns the ids of the orders handled. */
export async function runService(seconds: number): Promise<number[]> {
  const done: number[] = [];
  const rotated = new Event();
  await moveOnAfter(seconds, () =>
    openNursery(async (n) => {
      const [send, receive] = openMemoryChannel<number>(0);
      n.startSoon(intake, send);
      for (let i = 0; i < 3; i++) n.startSoon(worker, receive.clone(), done);
      n.startSoon(healthCheck);
      n.startSoon(audit, rotated);
    }),
  );
  return done;
}
