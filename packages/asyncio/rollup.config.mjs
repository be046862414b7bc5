import { packageConfig } from '../../scripts/rollup-package.mjs';

// threads.ts (toThread, and loop.runInExecutor's work, which loop.ts imports lazily) gets a chunk
// of its own: in the entry's chunk, a bundle of any program would carry it and the kernel's worker
// code with it (about 4 KB min+gzip). events.ts, which it imports, too, or Rollup folds it in.
export default packageConfig(import.meta.url, { ownChunks: ['threads', 'events'] });
