#!/usr/bin/env node
// Make a checkout ready to test or run: install the locked dependencies with
// the pinned pnpm, then build every package (dependencies first) unless the
// last build is still current.
// Used by `npm test`, `npm run demo`, `npm run pack` and the consumer check, so
// a fresh clone needs only Node + npm.
//
//   node scripts/bootstrap.mjs [--force]   --force: build even if up to date
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pnpm, rootDir } from './pnpm.mjs';

// Everything a build reads besides node_modules: hashing their contents (about
// a megabyte) takes a few milliseconds, a build tens of seconds.
const BUILD_INPUTS = ['pnpm-lock.yaml', 'tsconfig.base.json', 'scripts/rollup-package.mjs'];
const PACKAGE_INPUTS = ['package.json', 'tsconfig.json', 'rollup.config.mjs', 'src'];
const stampFile = path.join(rootDir, 'node_modules', '.cache', 'duet', 'build-inputs.sha256');

function filesUnder(file) {
  if (!existsSync(file)) return [];
  if (!statSync(file).isDirectory()) return [file];
  return readdirSync(file, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

function packageDirs() {
  const dir = path.join(rootDir, 'packages');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(dir, d.name));
}

/** A hash of every build input (names and contents). */
export function buildInputsHash() {
  const files = [
    ...BUILD_INPUTS.map((f) => path.join(rootDir, f)),
    ...packageDirs().flatMap((dir) => PACKAGE_INPUTS.map((f) => path.join(dir, f))),
  ].flatMap(filesUnder);
  const hash = createHash('sha256');
  for (const file of files.sort()) {
    hash.update(path.relative(rootDir, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** True when every package has a dist/ built from the current inputs. */
function buildIsCurrent(hash) {
  if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== hash) return false;
  return packageDirs().every((dir) => existsSync(path.join(dir, 'dist', 'index.cjs')));
}

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

export function bootstrap({ force = false } = {}) {
  // --frozen-lockfile: never rewrite pnpm-lock.yaml behind the developer's back;
  // a stale lockfile is an error, fixed by running `node scripts/pnpm.mjs install`.
  // When node_modules is already up to date this takes well under a second.
  step('install', ['install', '--frozen-lockfile']);
  const hash = buildInputsHash();
  if (!force && buildIsCurrent(hash)) {
    console.log('> bootstrap: build skipped: dist/ is up to date (--force to rebuild)');
    return;
  }
  step('build', ['-r', '--reporter', 'append-only', 'build']);
  mkdirSync(path.dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, hash);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bootstrap({ force: process.argv.includes('--force') });
}
