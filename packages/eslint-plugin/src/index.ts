/**
 * `@duet/eslint-plugin`: lint rules for the mistakes Duet otherwise finds only at run time.
 *
 * ```js
 * // eslint.config.mjs
 * import duet from '@duet/eslint-plugin';
 * export default [duet.configs.recommended];
 * ```
 *
 * @packageDocumentation
 * @module @duet/eslint-plugin
 */
import type { ESLint, Linter, Rule } from 'eslint';
import { awaitDuet } from './await-duet';
import { foreignAwaitSignal } from './foreign-await';
import { noMixedTimeouts } from './mixed-cancellation';
import { passFunction } from './pass-function';

/** The rules, by name (without the `duet/` prefix). */
export const rules: Record<string, Rule.RuleModule> = {
  'await-duet': awaitDuet,
  'pass-function': passFunction,
  'foreign-await-signal': foreignAwaitSignal,
  'no-mixed-timeouts': noMixedTimeouts,
};

/** The plugin object with its presets. */
export interface DuetPlugin extends ESLint.Plugin {
  /** The flat-config presets. */
  configs: {
    /** Every rule as an error, under the `duet/` prefix. */
    recommended: Linter.Config;
  };
}

/** The plugin object ESLint loads. */
const plugin: DuetPlugin = {
  meta: { name: '@duet/eslint-plugin', version: '0.1.0' },
  rules,
  configs: {} as { recommended: Linter.Config },
};

/** The flat-config preset: every rule as an error, under the `duet/` prefix. */
plugin.configs.recommended = {
  name: '@duet/eslint-plugin/recommended',
  plugins: { duet: plugin },
  rules: Object.fromEntries(Object.keys(rules).map((name) => [`duet/${name}`, 'error'])),
};

export default plugin;
