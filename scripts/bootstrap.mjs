#!/usr/bin/env node
// Make a checkout ready to test or run: install the locked dependencies with
// the pinned pnpm, then build every package (dependencies first).
// Used by `npm test`, `npm run demo` and the consumer check, so a fresh clone
// needs only Node + npm.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pnpm } from './pnpm.mjs';

function step(label, args) {
  const start = process.hrtime.bigint();
  console.log(`> bootstrap: ${label} (pnpm ${args.join(' ')})`);
  const status = pnpm(args);
  const seconds = (Number(process.hrtime.bigint() - start) / 1e9).toFixed(1);
  if (status !== 0) {
    console.error(`> bootstrap: ${label} FAILED (exit ${status}) after ${seconds}s`);
    process.exit(status);
  }
  console.log(`> bootstrap: ${label} done in ${seconds}s`);
}

export function bootstrap() {
  // --frozen-lockfile: never rewrite pnpm-lock.yaml behind the developer's back;
  // a stale lockfile is an error, fixed by running `node scripts/pnpm.mjs install`.
  // When node_modules is already up to date this takes well under a second.
  step('install', ['install', '--frozen-lockfile']);
  step('build', ['-r', '--reporter', 'append-only', 'build']);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bootstrap();
}
