/**
 * Regression (found by conformance/test/model.property.test.ts, seed -34992430):
 * an edge-triggered cancel delivered in a nursery's body reaches the nursery's scope inside an
 * ExceptionGroup; the scope caught it and the request was lost, so the cancelled task ran on.
 */
import { MockClock, Task, currentTask, openNursery, run, sleep, Cancelled } from '@duet/kernel';

test('an edge cancel caught by a nursery scope stays pending for the next checkpoint', async () => {
  let ranOn = false;
  let raised: unknown = null;
  await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, async () => {
    let target: Task | null = null;
    await openNursery(async (outer) => {
      outer.startSoon(async () => {
        target = currentTask();
        try {
          await openNursery(async (inner) => {
            inner.startSoon(() => sleep(2));
            await sleep(10); // the edge cancel arrives here
          });
          await sleep(1); // the request must still be pending: this raises
          ranOn = true;
        } catch (e) {
          raised = e;
        }
      });
      await sleep(1);
      target!.requestCancel();
    });
  });
  expect(ranOn).toBe(false);
  expect(raised).toBeInstanceOf(Cancelled);
});
