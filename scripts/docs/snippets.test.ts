// Every TypeScript code block of the documentation is type-checked against the workspace sources,
// and every block not marked `fragment` is run, in virtual time (rules: snippets.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import {
  documentationFiles,
  extractSnippets,
  generateModule,
  type GeneratedModule,
  type Snippet,
} from './snippets';

const root = path.resolve(__dirname, '../..');
const snippets: Snippet[] = documentationFiles(root).flatMap((file) =>
  extractSnippets(file, readFileSync(path.join(root, file), 'utf8')),
);
const label = (s: Snippet) => `${s.file}:${s.line}${s.fragment ? ' (fragment)' : ''}`;

/** Each real-time bound of a block that runs (it runs in virtual time; this catches hangs). */
const RUN_LIMIT_MS = 10_000;

/** `run` of each style, given a MockClock that autojumps unless the block passes its own clock. */
const SHIMS: Record<string, string> = {
  '@duet/trio': `
export * from '@duet/trio';
import { run as realRun } from '@duet/trio';
import { MockClock } from '@duet/kernel';
export const run = ((first: any, ...rest: any[]) =>
  typeof first === 'function'
    ? realRun({ clock: new MockClock({ autojumpThreshold: 0 }) }, first, ...rest)
    : realRun({ clock: new MockClock({ autojumpThreshold: 0 }), ...first }, ...(rest as [any]))) as typeof realRun;
`,
  '@duet/kernel': `
export * from '@duet/kernel';
import { run as realRun, MockClock } from '@duet/kernel';
export const run = ((first: any, ...rest: any[]) =>
  typeof first === 'function'
    ? realRun({ clock: new MockClock({ autojumpThreshold: 0 }) }, first, ...rest)
    : realRun({ clock: new MockClock({ autojumpThreshold: 0 }), ...first }, ...(rest as [any]))) as typeof realRun;
`,
  '@duet/asyncio': `
export * from '@duet/asyncio';
import { run as realRun, MockClock } from '@duet/asyncio';
export const run = ((main: any, options: any = {}) =>
  realRun(main, { clock: new MockClock({ autojumpThreshold: 0 }), ...options })) as typeof realRun;
`,
};

const shimName = (pkg: string) => `shim-${pkg.replace(/\W+/g, '-')}.ts`;

let dir: string;
let typeErrors: Map<GeneratedModule, string[]>;
let runnable: Map<Snippet, GeneratedModule>;

function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, {}, configPath);
  return {
    ...parsed.options,
    noEmit: true,
    typeRoots: [path.join(root, 'node_modules/@types')],
  };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'duet-docs-snippets-'));
  const options = compilerOptions();
  const paths = options.paths ?? {};
  // The packages' exported names, for the imports of blocks that have none.
  const base = ts.createProgram(
    Object.values(paths).map(([target]) => path.resolve(root, target!)),
    options,
  );
  const checker = base.getTypeChecker();
  const exports = new Map<string, Set<string>>();
  for (const [pkg, [target]] of Object.entries(paths)) {
    const file = base.getSourceFile(path.resolve(root, target!));
    const symbol = file && checker.getSymbolAtLocation(file);
    exports.set(pkg, new Set(symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : []));
  }
  const exportsOf = (pkg: string) => exports.get(pkg) ?? new Set<string>();

  const checked = snippets.map((s, i) => generateModule(s, i, exportsOf));
  mkdirSync(path.join(dir, 'check'));
  for (const m of checked) writeFileSync(path.join(dir, 'check', m.name), m.source);
  const program = ts.createProgram(
    checked.map((m) => path.join(dir, 'check', m.name)),
    options,
    undefined,
    base,
  );
  typeErrors = new Map();
  for (const m of checked) {
    const file = program.getSourceFile(path.join(dir, 'check', m.name))!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ];
    typeErrors.set(
      m,
      diagnostics.map((d) => {
        const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0);
        const at =
          line >= m.offset ? `${m.snippet.file}:${m.snippet.line + 1 + line - m.offset}` : 'setup';
        return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }

  mkdirSync(path.join(dir, 'run'));
  for (const [pkg, source] of Object.entries(SHIMS)) {
    writeFileSync(path.join(dir, 'run', shimName(pkg)), source);
  }
  const shimOf = (pkg: string) => `./${shimName(pkg).replace(/\.ts$/, '')}`;
  runnable = new Map();
  snippets.forEach((s, i) => {
    if (s.fragment) return;
    const m = generateModule(s, i, exportsOf, (pkg) => (pkg in SHIMS ? shimOf(pkg) : pkg));
    writeFileSync(path.join(dir, 'run', m.name), m.source);
    runnable.set(s, m);
  });
}, 120_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('the documentation has code blocks, and most of them run', () => {
  expect(snippets.length).toBeGreaterThan(20);
  expect(snippets.filter((s) => !s.fragment).length).toBeGreaterThan(snippets.length / 2);
});

describe.each(snippets.map((s) => [label(s), s] as const))('%s', (_, snippet) => {
  test('type-checks', () => {
    const [module] = [...typeErrors.keys()].filter((m) => m.snippet === snippet);
    expect(typeErrors.get(module!)).toEqual([]);
  });

  if (!snippet.fragment) {
    test(
      'runs, and its `// value` comments hold',
      async () => {
        const module = runnable.get(snippet)!;
        const claims: string[] = [];
        const claim = (actual: unknown, expected: unknown, where: string) => {
          if (!Object.is(actual, expected))
            claims.push(`${where}: the comment says ${String(expected)}, it is ${String(actual)}`);
          return actual;
        };
        const tests: (() => unknown)[] = [];
        const log = jest.spyOn(console, 'log').mockImplementation(() => {});
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { __snippet: main } = require(path.join(dir, 'run', module.name)) as {
          __snippet: (
            c: typeof claim,
            t: (name: string, fn: () => unknown) => void,
          ) => Promise<void>;
        };
        const body = async () => {
          const start = () => main(claim, (_name, fn) => tests.push(fn));
          if (module.selfRun) await start();
          else {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { run } = require(path.join(dir, 'run', shimName(`@duet/${module.style}`))) as {
              run: (fn: () => Promise<void>) => Promise<void>;
            };
            await run(start);
          }
          for (const t of tests) await t();
        };
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            body(),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`still running after ${RUN_LIMIT_MS} ms (real time)`)),
                RUN_LIMIT_MS,
              );
            }),
          ]);
        } finally {
          clearTimeout(timer);
          log.mockRestore();
        }
        expect(claims).toEqual([]);
      },
      RUN_LIMIT_MS + 5_000,
    );
  }
});
