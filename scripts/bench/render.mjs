#!/usr/bin/env node
// Re-renders a saved run without measuring again: `node scripts/bench/render.mjs
// bench-results/<file>.json [--write]` prints its tables and, with --write, regenerates
// docs/BENCHMARKS.md and its SVG chart from it (picking up an edited FINDINGS.md).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTerminal, writeDocs } from './report.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(benchDir, '../..');
const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/bench/render.mjs bench-results/<file>.json [--write]');
  process.exit(2);
}
const result = JSON.parse(readFileSync(path.resolve(file), 'utf8'));
const findingsFile = path.join(benchDir, 'FINDINGS.md');
result.analysis = existsSync(findingsFile) ? readFileSync(findingsFile, 'utf8') : undefined;
console.log(renderTerminal(result));
if (process.argv.includes('--write')) {
  const written = await writeDocs(result, rootDir);
  console.log(`wrote ${written.join(' and ')}`);
}
