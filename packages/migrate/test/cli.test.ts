// The duet-migrate command line: --dry-run prints a unified diff and writes nothing, the default
// writes in place, and bad usage exits with 2 and the usage text.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '@duet/migrate';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'duet-migrate-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const source = `import { sleep, waitFor } from '@duet/asyncio';

export async function nap(): Promise<void> {
  await waitFor(() => sleep(1), 0.5);
}
`;

function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = main(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

test('--dry-run prints a diff and a report, and leaves the file alone', () => {
  const file = path.join(dir, 'nap.ts');
  writeFileSync(file, source);
  const { code, out } = cli(['--dry-run', dir]);
  expect(code).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe(source);
  expect(out).toBe(
    [
      `--- ${file}`,
      `+++ ${file} (migrated)`,
      '@@ -1,5 +1,5 @@',
      "-import { sleep, waitFor } from '@duet/asyncio';",
      "+import { failAfter, sleep } from '@duet/trio';",
      ' ',
      ' export async function nap(): Promise<void> {',
      '-  await waitFor(() => sleep(1), 0.5);',
      '+  await failAfter(0.5, () => sleep(1));',
      ' }',
      `${file}: 1 rewritten, 0 behaviour changes, 0 left as is`,
      `  ${file}:4  rewrote  waitFor(fn, t) → failAfter(t, fn)`,
      '',
    ].join('\n'),
  );
});

test('without --dry-run the files are rewritten; --quiet drops the report', () => {
  const file = path.join(dir, 'nap.ts');
  writeFileSync(file, source);
  expect(cli(['--quiet', file])).toEqual({ code: 0, out: '', err: '' });
  expect(readFileSync(file, 'utf8')).toContain('await failAfter(0.5, () => sleep(1));');
});

test('bad usage exits with 2 and says why', () => {
  expect(cli([])).toMatchObject({ code: 2, err: expect.stringContaining('usage: duet-migrate') });
  expect(cli(['--wet', dir])).toMatchObject({
    code: 2,
    err: expect.stringContaining('unknown option --wet'),
  });
  expect(cli([path.join(dir, 'missing.ts')])).toMatchObject({
    code: 2,
    err: expect.stringContaining('no such file'),
  });
});
