#!/usr/bin/env node
// Run the workspace's pinned pnpm (root package.json "packageManager") without
// needing pnpm or corepack on the machine: `node scripts/pnpm.mjs <args...>`.
// npx caches the pnpm package after the first download.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function pnpmSpec() {
  const pkg = JSON.parse(readFileSync(path.join(rootDir, 'package.json'), 'utf8'));
  const match = /^pnpm@(\d+\.\d+\.\d+)/.exec(pkg.packageManager ?? '');
  if (!match) throw new Error('root package.json must pin "packageManager": "pnpm@x.y.z"');
  return `pnpm@${match[1]}`;
}

/** Run pnpm with `args` in `cwd`; returns the exit status (never throws on failure). */
export function pnpm(args, { cwd = rootDir, stdio = 'inherit' } = {}) {
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const result = spawnSync(npx, ['--yes', pnpmSpec(), ...args], {
    cwd,
    stdio,
    shell: process.platform === 'win32',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(pnpm(process.argv.slice(2), { cwd: process.cwd() }));
}
