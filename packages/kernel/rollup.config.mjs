import { packageConfig } from '../../scripts/rollup-package.mjs';

// The task tree (introspect) is used by the lazily loaded watchdog and by public exports
// (`taskTree`, `formatTaskTree`): its own chunk keeps it out of bundles that use neither. Its
// imports (context, and errors below that) get chunks too, or Rollup would fold them into it.
export default packageConfig(import.meta.url, { ownChunks: ['introspect', 'context', 'errors'] });
