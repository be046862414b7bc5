/**
 * `@duet/migrate`: a codemod from asyncio-style Duet code to Trio style, and from plain Promise
 * code to nurseries and cancel scopes, built on the TypeScript compiler API. The CLI is
 * `duet-migrate`; the same work is available as a function:
 *
 * ```ts
 * import { migrateSource, formatReport } from '@duet/migrate';
 *
 * const { output, report } = migrateSource(text, { fileName: 'worker.ts' });
 * console.log(formatReport('worker.ts', report));
 * ```
 *
 * @packageDocumentation
 * @module @duet/migrate
 */
export { migrateSource, type MigrateOptions, type MigrateResult } from './migrate';
export { type ReportEntry } from './context';
export { formatReport } from './report';
export { unifiedDiff } from './diff';
export { main, type CliIO } from './cli';
