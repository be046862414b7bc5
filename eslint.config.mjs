// ESLint flat config: recommended rules of ESLint and typescript-eslint.
// Deliberately not type-aware (no parserOptions.project) so linting stays fast;
// `npm run typecheck` does the type checking. Formatting is Prettier's job.
import duet from '@duet/eslint-plugin';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', 'coverage/', 'bench-results/', 'docs/api/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  // Duet's own rules (packages/eslint-plugin, built by bootstrap) on the repo's code and examples.
  duet.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.node },
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    rules: {
      // `_`-prefixed names mark deliberately unused values, e.g. `using _scope = ...`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
);
