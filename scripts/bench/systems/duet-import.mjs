// Imports a Duet package: from the snapshot of the built dists that run.mjs takes at the start of
// a run (DUET_BENCH_PKGS), so that a colleague rebuilding packages/*/dist mid-run cannot change or
// break the code under measurement; without it, from the workspace as usual.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export function importDuet(name) {
  const dir = process.env.DUET_BENCH_PKGS;
  if (!dir) return import(name);
  return import(pathToFileURL(path.join(dir, name, 'dist/index.mjs')).href);
}
