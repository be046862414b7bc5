import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const kernel = path.join(root, 'packages/kernel/src/index.ts');

function runScript(body: string): Promise<{ code: number | null; stdout: string; ms: number }> {
  // The kernel sources are CommonJS to tsx (no "type": "module"), so take the default export.
  const script = `const m = await import(${JSON.stringify(kernel)}); const k = m.run ? m : m.default;\n${body}`;
  const start = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root, timeout: 20_000 },
      (err, stdout) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout,
          ms: Date.now() - start,
        }),
    );
  });
}

describe('process exit', () => {
  test('the process exits on its own after run() settles, even after cancelled timeouts', async () => {
    const result = await runScript(`
      const value = await k.run(async () => {
        await k.openNursery(async (n) => {
          n.startSoon(() => k.sleep(0.01));
          n.startSoon(() => new k.CancelScope({ relativeDeadline: 3600 }).run(() => k.sleep(0.02)));
          n.startSoon(() => k.awaitForeign(new Promise((r) => setTimeout(r, 5))));
        });
        return 'done';
      });
      console.log(value, process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length);
    `);
    expect(result.stdout.trim()).toBe('done 0');
    expect(result.code).toBe(0);
  }, 30_000);

  test('a failed run leaves no timer or immediate behind either', async () => {
    const result = await runScript(`
      const outcome = await k.run(async () => {
        await new k.CancelScope({ relativeDeadline: 30 }).run(async () => {
          await k.sleep(0.001);
          throw new Error('fail');
        });
      }).then(() => 'resolved', (err) => err.message);
      console.log(outcome, process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length);
    `);
    expect(result.stdout.trim()).toBe('fail 0');
    expect(result.code).toBe(0);
  }, 30_000);
});
