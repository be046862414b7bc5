#!/usr/bin/env node
// Run every example program, one after another, against the *built* packages.
//
//   node scripts/demo.mjs            run all examples
//   node scripts/demo.mjs hello      run only examples/hello/
//
// An example is a folder examples/<name>/. Its programs are the files directly
// inside it ending in .ts, .mts, .js or .mjs, except *.test.* and *.d.ts; they run
// in alphabetical order. Put shared helpers in a subfolder (e.g. examples/<name>/lib/).
// Programs run with `node --import tsx`, and import @duet/* by package name,
// which resolves through node_modules to packages/*/dist (run `npm run build`
// first; `npm run demo` does).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = path.join(rootDir, 'examples');
const timeoutMs = Number(process.env.DEMO_TIMEOUT_MS ?? 60_000);
const only = new Set(process.argv.slice(2));

const isProgram = (file) =>
  /\.(ts|mts|js|mjs)$/.test(file) && !/\.test\.[cm]?[tj]s$/.test(file) && !file.endsWith('.d.ts');

const examples = existsSync(examplesDir)
  ? readdirSync(examplesDir)
      .filter((name) => statSync(path.join(examplesDir, name)).isDirectory())
      .filter((name) => only.size === 0 || only.has(name))
      .sort()
  : [];

for (const name of only) {
  if (!examples.includes(name)) {
    console.error(`demo: no example named "${name}" in examples/`);
    process.exit(1);
  }
}

const programs = examples.flatMap((name) =>
  readdirSync(path.join(examplesDir, name))
    .filter((file) => isProgram(file) && statSync(path.join(examplesDir, name, file)).isFile())
    .sort()
    .map((file) => path.join('examples', name, file)),
);

if (programs.length === 0) {
  console.log('demo: no example programs found under examples/ - nothing to run.');
  process.exit(0);
}

const failures = [];
for (const program of programs) {
  console.log(`\n=== ${program} ===`);
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', 'tsx', program], {
    cwd: rootDir,
    stdio: 'inherit',
    timeout: timeoutMs,
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: path.join(rootDir, 'scripts', 'tsconfig.examples.json'),
    },
  });
  const seconds = (Number(process.hrtime.bigint() - start) / 1e9).toFixed(1);
  if (result.error?.code === 'ETIMEDOUT') {
    console.error(`--- ${program}: timed out after ${timeoutMs / 1000}s`);
    failures.push(program);
  } else if (result.status !== 0) {
    console.error(`--- ${program}: FAILED (exit ${result.status ?? result.signal}) in ${seconds}s`);
    failures.push(program);
  } else {
    console.log(`--- ${program}: ok in ${seconds}s`);
  }
}

console.log(
  `\ndemo: ${programs.length - failures.length} of ${programs.length} example programs succeeded`,
);
if (failures.length > 0) {
  console.error(`demo: failed: ${failures.join(', ')}`);
  process.exit(1);
}
