/** A cookbook of Trio-style timeouts; each recipe prints what happened and when. */
import {
  CancelScope,
  TooSlowError,
  currentEffectiveDeadline,
  currentTime,
  failAfter,
  moveOnAfter,
  sleep,
} from '@duet/trio';

/** Runs every recipe in turn. */
export async function trioTimeouts(print: (line: string) => void = console.log): Promise<void> {
  const start = currentTime();
  const at = () => `t=${(currentTime() - start).toFixed(1)}s`;

  // 1. moveOnAfter: give up quietly, then look at the scope.
  const scope = moveOnAfter(0.5);
  await scope.run(() => sleep(10));
  print(`${at()} moveOnAfter(0.5): moved on, cancelledCaught=${scope.cancelledCaught}`);

  // 2. moveOnAfter with a body returns its value, or undefined when it moved on.
  const value = await moveOnAfter(0.5, async () => {
    await sleep(0.1);
    return 'fast enough';
  });
  print(`${at()} moveOnAfter(0.5, body): the body returned ${JSON.stringify(value)}`);

  // 3. failAfter: the same deadline, but an error you must handle.
  try {
    await failAfter(0.3, () => sleep(10));
  } catch (err) {
    if (!(err instanceof TooSlowError)) throw err;
    print(`${at()} failAfter(0.3): raised TooSlowError`);
  }

  // 4. Nested deadlines: the earliest one wins, wherever it is.
  await moveOnAfter(1, async () => {
    await moveOnAfter(5, async () => {
      print(
        `${at()} nested: inner asks for 5 s, effective deadline in ` +
          `${(currentEffectiveDeadline() - currentTime()).toFixed(1)} s`,
      );
      await sleep(10);
      print('never printed');
    });
    print(`${at()} nested: never printed either — the outer scope was cancelled too`);
  });
  print(`${at()} nested: the outer 1 s deadline ended both scopes`);

  // 5. shield: cleanup that must run even though we are being cancelled.
  await moveOnAfter(0.2, async () => {
    try {
      await sleep(10);
    } finally {
      // Any checkpoint here would raise Cancelled at once; a shielded scope lets cleanup wait,
      // and its own deadline keeps the cleanup from hanging forever.
      await new CancelScope({ shield: true, relativeDeadline: 1 }).run(async () => {
        await sleep(0.3); // e.g. tell the server goodbye
        print(`${at()} shield: cleanup finished its 0.3 s of work after the 0.2 s timeout`);
      });
    }
  });

  // 6. Moving a deadline while the scope runs.
  await moveOnAfter(0.2, async (s) => {
    s.deadline += 0.3; // more time, granted from inside
    await sleep(10);
  });
  print(`${at()} deadline moved: 0.2 s became 0.5 s`);
}
