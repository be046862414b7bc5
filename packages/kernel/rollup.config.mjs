import { packageConfig } from '../../scripts/rollup-package.mjs';

// The task tree (introspect) is used by the lazily loaded watchdog and by public exports
// (`taskTree`, `formatTaskTree`): its own chunk keeps it out of bundles that use neither. Its
// imports (context, and errors below that) get chunks too, or Rollup would fold them into it.
// The all-blocked action (autojump, waitAllTasksBlocked wake-ups, deadlock) is used by the
// watchdog too, so it and idle.ts below it need chunks of their own for the same reason.
// The worker threads (workers.ts) are used by asyncio's lazily loaded loop.runInExecutor and by
// the toThread exports; the modules it imports (validate, task, park, waits, cancel-delivery,
// cancel) get chunks so that Rollup does not fold them, and most of the kernel, into its chunk.
export default packageConfig(import.meta.url, {
  ownChunks: [
    'introspect',
    'context',
    'errors',
    'idle',
    'all-blocked',
    'workers',
    'validate',
    'task',
    'park',
    'waits',
    'cancel-delivery',
    'cancel',
  ],
});
