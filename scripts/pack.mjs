#!/usr/bin/env node
// Write installable tarballs of every package in packages/*: `npm run pack`.
//
//   node scripts/pack.mjs [--out <dir>] [--no-build]
//
// Builds first (skipped when dist/ is up to date), then `pnpm pack`s each
// package, which replaces `workspace:*` with the real version (plain `npm pack`
// would leave it, and npm cannot install that). Each tarball is checked: its
// dependencies are only @duet/* packages at real versions. The tarballs go to
// packs/ by default; install them together (see README "Use Duet in your project").
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrap } from './bootstrap.mjs';
import { pnpm, rootDir } from './pnpm.mjs';

/** The workspace packages: `{ dir, manifest }` for each folder of packages/. */
export function workspacePackages() {
  return readdirSync(path.join(rootDir, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = path.join(rootDir, 'packages', d.name);
      return { dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) };
    });
}

/**
 * The one kind of non-Duet dependency allowed: a peer that an optional integration package exists
 * for (its users already have it).
 */
export const ALLOWED_PEERS = { '@duet/otel': ['@opentelemetry/api'] };

/** What is wrong with a packed package.json (an empty list when nothing is). */
function packedProblems(name, packed) {
  const problems = [];
  for (const [dep, range] of Object.entries(packed.dependencies ?? {})) {
    if (!dep.startsWith('@duet/')) problems.push(`${name} has a runtime dependency on ${dep}`);
    if (!/^\d+\.\d+\.\d+/.test(range))
      problems.push(`${name}: packed dependency ${dep} is ${range}`);
  }
  if (packed.optionalDependencies) problems.push(`${name} declares optionalDependencies`);
  for (const peer of Object.keys(packed.peerDependencies ?? {})) {
    if (!(ALLOWED_PEERS[name] ?? []).includes(peer))
      problems.push(`${name} declares a peer dependency on ${peer}`);
  }
  return problems;
}

/** Packs every package into `outDir`; returns `{ [packageName]: tarballPath }`. Throws on a problem. */
export function packAll(outDir, include = () => true) {
  mkdirSync(outDir, { recursive: true });
  const tarballs = {};
  for (const { dir, manifest } of workspacePackages().filter(include)) {
    const status = pnpm(['pack', '--pack-destination', outDir], { cwd: dir, stdio: 'ignore' });
    if (status !== 0) throw new Error(`pnpm pack failed in ${dir}`);
    const file = path.join(
      outDir,
      `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`,
    );
    const packed = JSON.parse(
      execFileSync('tar', ['-xOzf', file, 'package/package.json'], { encoding: 'utf8' }),
    );
    const problems = packedProblems(manifest.name, packed);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    tarballs[manifest.name] = file;
  }
  return tarballs;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const outDir = path.resolve(outAt >= 0 ? args[outAt + 1] : path.join(rootDir, 'packs'));
  if (!args.includes('--no-build')) bootstrap();
  for (const file of Object.values(packAll(outDir))) {
    console.log(path.relative(process.cwd(), file) || file);
  }
}
