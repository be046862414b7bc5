// One Jest configuration for the whole workspace.
//
// Tests import @duet/* by package name; moduleNameMapper points those names at
// the packages' TypeScript sources (the same mapping as `paths` in
// tsconfig.base.json, which is read here so the two cannot drift apart).
// ts-jest only transpiles (isolatedModules): type errors are caught by
// `npm run typecheck`, not by the test run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = path.dirname(fileURLToPath(import.meta.url));
const base = JSON.parse(readFileSync(path.join(rootDir, 'tsconfig.base.json'), 'utf8'));

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const workspaceModules = Object.fromEntries(
  Object.entries(base.compilerOptions.paths).map(([name, [target]]) => [
    `^${escape(name)}$`,
    path.join(rootDir, target),
  ]),
);

/** @type {import('jest').Config} */
export default {
  rootDir,
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/scripts'],
  testEnvironment: 'node',
  testMatch: [
    '<rootDir>/packages/*/test/**/*.test.ts',
    '<rootDir>/examples/**/*.test.ts',
    // The documentation's code blocks (scripts/docs/snippets.test.ts).
    '<rootDir>/scripts/docs/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Fails any test that leaves an unhandled rejection, an uncaught exception or a timer behind.
  setupFilesAfterEnv: ['<rootDir>/scripts/jest/guard.ts'],
  moduleFileExtensions: ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: {
    ...workspaceModules,
    // Sources may write ESM-style relative imports ('./scope.js'); resolve them to './scope.ts'.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.[cm]?ts$': [
      'ts-jest',
      {
        // tsconfig.base.json sets `isolatedModules: true`, which makes ts-jest
        // transpile file by file without type-checking (the ts-jest option of
        // the same name is deprecated in favour of the tsconfig one).
        tsconfig: path.join(rootDir, 'tsconfig.json'),
      },
    ],
  },
};
