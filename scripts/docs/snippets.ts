/**
 * The TypeScript code blocks of the documentation (README.md, packages/*\/README.md, docs/*.md),
 * turned into modules that can be type-checked and run (by snippets.test.ts).
 *
 * The rules for docs writers:
 * - A block fenced as ```ts (or ```typescript) is type-checked against the workspace sources and
 *   run, in virtual time (a `MockClock` that autojumps) unless it passes its own clock.
 * - ```ts fragment is type-checked only: for code that needs a network, a user's function, or
 *   that would run forever.
 * - A block without `import`s gets the names it uses imported from the page's packages (see
 *   PAGE_PACKAGES); a block with imports must import everything itself.
 * - Names a block uses but does not define (its "context") go in an HTML comment just before the
 *   fence, invisible on the rendered page: `<!-- setup: declare const urls: string[]; -->`. The
 *   setup is module-level code (imports, declarations; for a block that runs, real definitions).
 * - A block that does not call `run(` itself runs inside the page's style of `run()`.
 * - A line `expr; // <literal>` or `console.log(expr); // <literal>` (literal: true, false, a
 *   number, a quoted string, null or undefined) asserts that `expr` has that value.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One fenced code block. */
export interface Snippet {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** The line of the opening fence (1-based). */
  line: number;
  /** `fragment`: type-check only. */
  fragment: boolean;
  /** The code of the `<!-- setup: ... -->` comment before the fence. */
  setup: string;
  /** The block's code. */
  code: string;
}

/** Which packages a page's blocks import from when they have no imports of their own, in order. */
const TRIO_PAGE = ['@duet/trio', '@duet/trio/testing', '@duet/trio/lowlevel', '@duet/bridge'];
const PAGE_PACKAGES: Record<string, string[]> = {
  'docs/asyncio.md': ['@duet/asyncio', '@duet/bridge'],
  'packages/asyncio/README.md': ['@duet/asyncio', '@duet/bridge'],
  'packages/kernel/README.md': ['@duet/kernel'],
  'packages/bridge/README.md': ['@duet/bridge', '@duet/trio', '@duet/asyncio'],
};

/** The packages a page's blocks import from by default (Trio style unless listed). */
export function pagePackages(file: string): string[] {
  return PAGE_PACKAGES[file] ?? [...TRIO_PAGE, '@duet/kernel'];
}

/** The documentation files whose code blocks are tested, relative to `root`. */
export function documentationFiles(root: string): string[] {
  const md = (dir: string) =>
    readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => path.posix.join(dir, f));
  const packages = readdirSync(path.join(root, 'packages'))
    .sort()
    .map((p) => `packages/${p}/README.md`)
    .filter((f) => {
      try {
        readFileSync(path.join(root, f));
        return true;
      } catch {
        return false;
      }
    });
  return ['README.md', ...packages, ...md('docs'), 'examples/README.md'];
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)([^`]*)$/;
const SETUP = /^<!--\s*setup:([\s\S]*?)-->\s*$/;

/** The TypeScript blocks of one Markdown text. */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, lang, rest] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) end++;
    const body = lines
      .slice(i + 1, end)
      .map((l) => l.slice(Math.min(indent!.length, l.length - l.trimStart().length)));
    if (lang === 'ts' || lang === 'typescript') {
      const before = lines.slice(0, i).join('\n');
      snippets.push({
        file,
        line: i + 1,
        fragment: rest!.split(/\s+/).includes('fragment'),
        setup: SETUP.exec(before.slice(before.lastIndexOf('<!--')))?.[1]?.trim() ?? '',
        code: body.join('\n'),
      });
    }
    i = end;
  }
  return snippets;
}

const LITERAL = String.raw`true|false|null|undefined|-?\d+(?:\.\d+)?|'[^']*'|"[^"]*"`;
const CLAIM = new RegExp(
  String.raw`^(\s*)(?:console\.log\((.+)\)|([\w$.!?\[\]]+));\s*//\s*(${LITERAL})\s*$`,
);

/** Rewrites `expr; // literal` lines into checks of `expr` (see the module notes). */
function withClaims(code: string, file: string, firstLine: number): string {
  return code
    .split('\n')
    .map((line, i) => {
      const m = CLAIM.exec(line);
      if (m === null) return line;
      const [, indent, logged, bare, literal] = m;
      const expr = logged ?? bare!;
      const at = JSON.stringify(`${file}:${firstLine + i}`);
      const check = `__claim(${expr}, ${literal}, ${at})`;
      return logged !== undefined ? `${indent}console.log(${check});` : `${indent}${check};`;
    })
    .join('\n');
}

/** Splits a block into its import declarations and the rest. */
function splitImports(code: string): { imports: string[]; body: string } {
  const source = ts.createSourceFile('s.ts', code, ts.ScriptTarget.ES2022, true);
  const imports: string[] = [];
  let body = code;
  for (const statement of [...source.statements].reverse()) {
    if (ts.isImportDeclaration(statement)) {
      imports.unshift(statement.getText(source));
      // Blank lines in its place keep the block's line numbers for diagnostics.
      const text = body.slice(statement.getFullStart(), statement.getEnd());
      body =
        body.slice(0, statement.getFullStart()) +
        text.replace(/[^\n]/g, '') +
        body.slice(statement.getEnd());
    }
  }
  return { imports, body };
}

/** Identifiers a block declares anywhere, and the ones it may use from outside. */
function namesOf(code: string): { declared: Set<string>; used: Set<string> } {
  const source = ts.createSourceFile('s.ts', code, ts.ScriptTarget.ES2022, true);
  const declared = new Set<string>();
  const used = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const isName = (parent as { name?: ts.Node }).name === node;
      if (
        isName &&
        (ts.isVariableDeclaration(parent) ||
          ts.isFunctionDeclaration(parent) ||
          ts.isClassDeclaration(parent) ||
          ts.isParameter(parent) ||
          ts.isBindingElement(parent) ||
          ts.isInterfaceDeclaration(parent) ||
          ts.isTypeAliasDeclaration(parent) ||
          ts.isFunctionExpression(parent))
      ) {
        declared.add(node.text);
      } else if (!(
        isName &&
        (ts.isPropertyAccessExpression(parent) || ts.isPropertyAssignment(parent))
      )) {
        used.add(node.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { declared, used };
}

/** A snippet as a module: `export async function __snippet(__claim, test)` runs it. */
export interface GeneratedModule {
  snippet: Snippet;
  /** The module's file name (no directory). */
  name: string;
  /** Its source. */
  source: string;
  /** The number of lines before the block's first line, to map diagnostics back. */
  offset: number;
  /** Whether the block calls `run(` itself (else it runs inside the page's `run`). */
  selfRun: boolean;
  /** The page's style: which `run` wraps a block that does not call it. */
  style: 'trio' | 'asyncio' | 'kernel';
}

/**
 * Builds the module of a snippet. `exportsOf(pkg)` lists a package's exported names;
 * `specifier(pkg)` is how the module imports it (the package, or a virtual-time shim of it).
 */
export function generateModule(
  snippet: Snippet,
  index: number,
  exportsOf: (pkg: string) => ReadonlySet<string>,
  specifier: (pkg: string) => string = (pkg) => pkg,
): GeneratedModule {
  const where = `${snippet.file}:${snippet.line}`;
  const setup = splitImports(snippet.setup);
  const own = splitImports(withClaims(snippet.code, snippet.file, snippet.line + 1));
  const imports = [...setup.imports, ...own.imports];
  const packages = pagePackages(snippet.file);
  if (own.imports.length === 0) {
    const { declared, used } = namesOf(`${setup.body}\n${own.body}`);
    const imported = new Set(namesOf(setup.imports.join('\n')).used);
    const wanted = new Map<string, string[]>();
    for (const name of used) {
      if (declared.has(name) || imported.has(name)) continue;
      const pkg = packages.find((p) => exportsOf(p).has(name));
      if (pkg !== undefined) wanted.set(pkg, [...(wanted.get(pkg) ?? []), name]);
    }
    for (const [pkg, names] of wanted)
      imports.push(`import { ${names.sort().join(', ')} } from '${pkg}';`);
  }
  const rewritten = imports.map((i) =>
    i.replace(
      /from\s+(['"])(@duet\/[\w/-]+)\1/,
      (_, q: string, pkg: string) => `from ${q}${specifier(pkg)}${q}`,
    ),
  );
  const head = [
    ...rewritten,
    `// setup of ${where}`,
    setup.body,
    'export async function __snippet(',
    '  __claim: (actual: unknown, expected: unknown, where: string) => unknown,',
    '  test: (name: string, fn: () => unknown) => void,',
    '): Promise<void> {',
    '  void __claim;',
    '  void test;',
  ].join('\n');
  const style =
    packages[0] === '@duet/asyncio'
      ? 'asyncio'
      : packages[0] === '@duet/kernel'
        ? 'kernel'
        : 'trio';
  return {
    snippet,
    name: `snippet-${String(index).padStart(2, '0')}.ts`,
    source: `${head}\n${own.body}\n}\n`,
    offset: head.split('\n').length,
    selfRun: /(^|[^.\w])run\(/m.test(own.body),
    style,
  };
}
