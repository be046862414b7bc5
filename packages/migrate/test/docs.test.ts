// docs/migration.md shows what the codemod really does: its diffs and report are the CLI's
// --dry-run output on the example and the fixture they come from.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { main, migrateSource, unifiedDiff } from '@duet/migrate';
import { repoRoot } from './convert-examples';

const doc = readFileSync(path.join(repoRoot, 'docs/migration.md'), 'utf8');
/** Markdown drops the trailing space of a diff's blank context line: compare without it. */
const trimLines = (text: string) => text.replace(/[ \t]+$/gm, '');
const blocks = (lang: string) =>
  [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) =>
    trimLines(m[1]!),
  );

function dryRun(file: string): string {
  let out = '';
  main(['--dry-run', file], { out: (t) => (out += t), err: (t) => (out += t) });
  return trimLines(out.split(file).join(path.basename(file)));
}

test('the docs start with the three commands of a migration', () => {
  const [first] = blocks('sh');
  expect(doc.indexOf('```sh')).toBeLessThan(doc.indexOf('```diff'));
  expect(first!.split('\n').map((l) => l.replace(/\s+#.*/, ''))).toEqual([
    'npx eslint .',
    'npx duet-migrate --dry-run src/',
    'npx duet-migrate src/',
    '',
  ]);
});

test('the hello diff and report are the dry run of examples/hello', () => {
  const out = dryRun(path.join(repoRoot, 'examples/hello/lib/asyncio-hello.ts'));
  const [diff] = blocks('diff');
  const [report] = blocks('text');
  expect(out).toContain(diff);
  expect(out).toContain(report);
});

test('the queue diff is the dry run of the queue fixture', () => {
  const input = readFileSync(path.join(__dirname, 'fixtures/queue.in.txt'), 'utf8');
  const out = unifiedDiff('queue.ts', input, migrateSource(input).output);
  expect(trimLines(out)).toContain(blocks('diff')[1]);
});
