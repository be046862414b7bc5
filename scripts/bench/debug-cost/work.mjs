// The workload of docs/debugging.md's cost measurements: node work.mjs <path of a kernel dist/index.mjs>.
const { run, openNursery, checkpoint, CancelScope, MockClock } = await import(process.argv[2]);
await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, async () => {
  await openNursery(async (n) => {
    for (let t = 0; t < 200; t++)
      n.startSoon(async () => {
        for (let i = 0; i < 200; i++) await checkpoint();
        for (let i = 0; i < 100; i++)
          await new CancelScope({ relativeDeadline: 1 }).run(() => checkpoint());
      });
  });
});
