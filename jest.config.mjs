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

/**
 * Coverage floors per package (percent of its src/), as measured on 2026-12-01 less at most 0.3
 * for timing-dependent paths, and never below the figures before the floors existed (see
 * docs/reliability.md). Raise them when coverage rises.
 */
const COVERAGE_FLOORS = {
  './packages/kernel/src/': { statements: 94.58, branches: 90.53, functions: 91.2, lines: 96.09 },
  './packages/trio/src/': { statements: 88.51, branches: 81.34, functions: 85.71, lines: 90.68 },
  './packages/asyncio/src/': { statements: 91.58, branches: 81.47, functions: 87.75, lines: 94.01 },
  './packages/bridge/src/': { statements: 91.66, branches: 72.42, functions: 86.48, lines: 93.9 },
};

/** What both projects share: TypeScript through ts-jest, @duet/* from source, the guard. */
const shared = {
  rootDir,
  testEnvironment: 'node',
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

/** @type {import('jest').Config} */
export default {
  // Two projects: each package's own tests, and the conformance suites that hold both facades
  // (and the kernel and bridge) to one contract (conformance/README.md). `npx jest` runs both;
  // `npx jest --selectProjects conformance` one of them.
  projects: [
    {
      ...shared,
      displayName: 'packages',
      roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/scripts'],
      testMatch: [
        '<rootDir>/packages/*/test/**/*.test.ts',
        '<rootDir>/examples/**/*.test.ts',
        // The documentation's code blocks (scripts/docs/snippets.test.ts).
        '<rootDir>/scripts/docs/*.test.ts',
      ],
    },
    {
      ...shared,
      displayName: 'conformance',
      roots: ['<rootDir>/conformance'],
      testMatch: ['<rootDir>/conformance/test/**/*.test.ts'],
    },
  ],
  // `npm test` runs with --coverage: the floors below (per package, measured when they were set)
  // fail the run when coverage drops; the tests of both projects count. A targeted `npx jest file`
  // collects no coverage.
  collectCoverageFrom: ['packages/*/src/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  coverageThreshold: COVERAGE_FLOORS,
};
