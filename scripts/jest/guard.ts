/**
 * Runs around every test of the workspace: a test fails if it caused an unhandled rejection or an
 * uncaught exception, or if it left a timer or an immediate behind.
 */
const problems: string[] = [];
let handlesBefore = 0;

function onRejection(reason: unknown): void {
  problems.push(
    `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
  );
}

function onException(err: Error): void {
  problems.push(`uncaught exception: ${err.stack ?? err.message}`);
}

function hostHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate')
    .length;
}

beforeEach(() => {
  problems.length = 0;
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  handlesBefore = hostHandles();
});

afterEach(async () => {
  // Let rejections that were about to be reported surface first.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  // Jest and ts-jest start short-lived timers of their own on a cold cache: give them a moment.
  let leaked = hostHandles() - handlesBefore;
  for (let i = 0; i < 25 && leaked > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    leaked = hostHandles() - handlesBefore;
  }
  if (leaked > 0) problems.push(`${leaked} timer(s) or immediate(s) left behind after the test`);
  if (problems.length !== 0) throw new Error(problems.join('\n'));
});
