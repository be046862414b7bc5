/** asyncio's debug mode (`run(main, { debug: true })`): its default threshold and its warnings. */

/** Steps and callbacks slower than this (seconds) are reported in debug mode, by default. */
export const SLOW_SECONDS = 0.1;

/** @internal A debug-mode warning, on stderr through `process.emitWarning`. */
export function debugWarn(message: string): void {
  process.emitWarning(message, 'DuetAsyncioDebugWarning');
}
