// The published `.d.ts` type-check without @types/node (issue 17): no declaration file imports a
// Node built-in's types, except the kernel's node-types.d.ts, whose imports carry `@ts-ignore`
// and are read only where Node's types are loaded. The consumer check proves this on the packed
// packages in CI; this finds it in the ordinary suite, on the built dist.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const LIBRARIES = ['kernel', 'trio', 'asyncio', 'bridge', 'otel'];

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return declarationFiles(full);
    return /\.d\.[cm]?ts$/.test(entry.name) ? [full] : [];
  });
}

/** `file:line: text` of each import of a Node built-in not guarded by `@ts-ignore`. */
function unguardedNodeImports(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  return lines.flatMap((line, i) =>
    /^\s*(import|export)\b.*\bfrom\s+['"]node:|import\(['"]node:/.test(line) &&
    !(lines[i - 1] ?? '').includes('@ts-ignore')
      ? [`${path.relative(root, file)}:${i + 1}: ${line.trim()}`]
      : [],
  );
}

test('no published declaration file needs @types/node', () => {
  const files = LIBRARIES.flatMap((pkg) =>
    declarationFiles(path.join(root, 'packages', pkg, 'dist')),
  );
  expect(files.length).toBeGreaterThan(20);
  expect(files.flatMap(unguardedNodeImports)).toEqual([]);
});
