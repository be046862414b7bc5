/**
 * The last two steps over a migrated file: functions that keep asyncio-style calls are wrapped
 * with the bridge, and the imports are fixed (names nobody uses dropped, names that are the same
 * in both styles moved, new Trio-style names added), with the nursery helpers appended if used.
 */
import ts from 'typescript';
import { MARKER, lineStarts, walk, type Pass, type TargetModule } from './context';
import { HELPERS } from './helpers';

/** asyncio names whose calls need an asyncio Task to run in (so the function is wrapped). */
const LOOP_BOUND = new Set([
  'createTask',
  'currentTask',
  'shield',
  'ensureFuture',
  'Future',
  'getRunningLoop',
  'waitFor',
  'timeout',
  'timeoutAt',
  'gather',
  'wait',
  'asCompleted',
  'TaskGroup',
  'allTasks',
]);

const WRAP_REASON =
  'asyncio-style calls stay below; aioAsTrio runs them as an asyncio Task for Trio callers';

/** Wraps the body of each async function that keeps loop-bound asyncio calls in `aioAsTrio`. */
export function wrapKeptFunctions(p: Pass): void {
  for (const stmt of p.sf.statements) {
    if (!ts.isFunctionDeclaration(stmt) || !stmt.body) continue;
    if (!stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) continue;
    const first = stmt.body.statements[0];
    if (
      first &&
      ts.isReturnStatement(first) &&
      first.expression &&
      p.src(first.expression).startsWith('aioAsTrio(')
    )
      continue; // wrapped by an earlier run
    let bound: string | undefined;
    walk(stmt.body, (n) => {
      if (bound || !ts.isIdentifier(n) || !LOOP_BOUND.has(p.aio.get(n.text) ?? '')) return;
      if (!(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) bound = n.text;
    });
    if (!bound) continue;
    p.state.need('aioAsTrio', '@duet/bridge');
    const open = stmt.body.getStart(p.sf) + 1;
    const close = stmt.body.end - 1;
    const lineStart = p.text.lastIndexOf('\n', stmt.getStart(p.sf) - 1) + 1;
    const indent = /^[ \t]*/.exec(p.text.slice(lineStart))![0];
    const inner = indentLines(p, open, close, '  ');
    const text =
      `\n${indent}  ${MARKER} ${WRAP_REASON} (${bound})\n${indent}  return aioAsTrio(async () => {` +
      `${inner.replace(/[ \t]*$/, '')}${indent}  })();\n${indent}`;
    p.rewrite(
      stmt,
      [{ start: open, end: close, text }],
      `kept asyncio-style calls (${bound}) wrapped with aioAsTrio`,
    );
  }
}

/** `text[start, end)` with `by` added before each non-empty line, except inside template literals. */
function indentLines(p: Pass, start: number, end: number, by: string): string {
  let out = '';
  let from = start;
  for (const at of lineStarts(p, start, end)) {
    out += p.text.slice(from, at) + by;
    from = at;
  }
  return out + p.text.slice(from, end);
}

/** Names that mean the same in both styles: moved to the Trio-style module as they are. */
const SAME: Record<string, TargetModule> = {
  sleep: '@duet/trio',
  ExceptionGroup: '@duet/trio',
  run: '@duet/trio',
  MockClock: '@duet/trio/testing',
};

const ORDER: TargetModule[] = ['@duet/trio', '@duet/trio/testing', '@duet/bridge', '@duet/kernel'];

/** Whether every use of the asyncio name `local` has the Trio form already. */
function sameUse(p: Pass, local: string, imported: string): boolean {
  let ok = true;
  walk(p.sf, (n) => {
    if (!ts.isIdentifier(n) || n.text !== local || ts.isImportSpecifier(n.parent)) return;
    const call = n.parent;
    if (!ts.isCallExpression(call) || call.expression !== n) return;
    if (imported === 'sleep' && call.arguments.length > 1) ok = false;
    if (
      imported === 'run' &&
      call.arguments.length > 1 &&
      !ts.isObjectLiteralExpression(call.arguments[0]!)
    )
      ok = false;
  });
  return ok;
}

function usedNames(p: Pass): Set<string> {
  const used = new Set<string>();
  walk(p.sf, (n) => {
    if (!ts.isIdentifier(n) || ts.isImportSpecifier(n.parent)) return;
    if (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) return;
    used.add(n.text);
  });
  return used;
}

/** Appends the helpers used, then fixes the imports. */
export function fixImports(p: Pass): void {
  const used = usedNames(p);
  const declaredHere = new Set(
    p.sf.statements.filter(ts.isFunctionDeclaration).map((f) => f.name?.text),
  );
  const wanted = new Map<string, Map<string, string>>(); // module → local → specifier text
  const add = (module: string, local: string, spec: string) => {
    if (!wanted.has(module)) wanted.set(module, new Map());
    wanted.get(module)!.set(local, spec);
  };
  let tail = '';
  for (const [name, helper] of Object.entries(HELPERS)) {
    if (!used.has(name) || declaredHere.has(name)) continue;
    tail += `\n${helper.text}`;
    for (const need of helper.needs) p.state.need(need);
  }
  if (tail)
    p.edits.add({
      start: p.text.length,
      end: p.text.length,
      text: (p.text.endsWith('\n') ? '' : '\n') + tail,
    });

  const imports = p.sf.statements.filter(
    (s): s is ts.ImportDeclaration =>
      ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier),
  );
  const imported = new Map<string, ts.ImportDeclaration>();
  const boundNames = new Set<string>();
  for (const decl of imports) {
    imported.set((decl.moduleSpecifier as ts.StringLiteral).text, decl);
    const b = decl.importClause?.namedBindings;
    if (b && ts.isNamedImports(b)) for (const el of b.elements) boundNames.add(el.name.text);
  }
  const usedAfter = (name: string) => used.has(name) || tail.includes(name);
  for (const [need, module] of p.state.needs) {
    const name = need.replace(/^type /, '');
    if (usedAfter(name) && !boundNames.has(name)) add(module, name, need);
  }

  const aio = imported.get('@duet/asyncio');
  const aioKept: string[] = [];
  const aioBindings = aio?.importClause?.namedBindings;
  if (
    aio &&
    aioBindings &&
    ts.isNamedImports(aioBindings) &&
    !aio.importClause?.name &&
    !aio.importClause?.isTypeOnly
  ) {
    for (const el of aioBindings.elements) {
      const local = el.name.text;
      const name = (el.propertyName ?? el.name).text;
      if (!used.has(local)) continue;
      const target = SAME[name];
      if (target && !el.isTypeOnly && sameUse(p, local, name)) add(target, local, p.src(el));
      else aioKept.push(p.src(el));
    }
    replaceSpecifiers(p, aio, aioKept);
  }
  let added = '';
  for (const module of ORDER) {
    const names = wanted.get(module);
    if (!names || names.size === 0) continue;
    const existing = imported.get(module);
    const bindings = existing?.importClause?.namedBindings;
    if (existing && bindings && ts.isNamedImports(bindings) && !existing.importClause?.isTypeOnly) {
      const have = bindings.elements.map((el) => p.src(el));
      const fresh = [...names.entries()].filter(
        ([local]) => !bindings.elements.some((el) => el.name.text === local),
      );
      if (fresh.length > 0) replaceSpecifiers(p, existing, [...have, ...fresh.map(([, s]) => s)]);
    } else {
      added += `${importText([...names.values()], module)}\n`;
    }
  }
  if (added) {
    const anchor = aio ?? imports.at(-1);
    const at = anchor ? p.text.indexOf('\n', anchor.end) + 1 || p.text.length : 0;
    p.edits.add({ start: at, end: at, text: added });
  }
}

function sortSpecifiers(specs: string[]): string[] {
  const key = (s: string) => s.replace(/^type\s+/, '');
  return [...new Set(specs)].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `import { ... } from 'module';`, broken over lines past 100 columns as Prettier would. */
function importText(specs: string[], module: string): string {
  const sorted = sortSpecifiers(specs);
  const one = `import { ${sorted.join(', ')} } from '${module}';`;
  return one.length <= 100
    ? one
    : `import {\n${sorted.map((s) => `  ${s},\n`).join('')}} from '${module}';`;
}

function replaceSpecifiers(p: Pass, decl: ts.ImportDeclaration, specs: string[]): void {
  const module = (decl.moduleSpecifier as ts.StringLiteral).text;
  if (specs.length === 0) {
    const end = p.text[decl.end] === '\n' ? decl.end + 1 : decl.end;
    p.edits.add({ start: decl.getStart(p.sf), end, text: '' });
    return;
  }
  const bindings = decl.importClause?.namedBindings;
  const before =
    bindings && ts.isNamedImports(bindings) ? bindings.elements.map((el) => p.src(el)) : [];
  if (sortSpecifiers(before).join() === sortSpecifiers(specs).join()) return;
  p.edits.add({ start: decl.getStart(p.sf), end: decl.end, text: importText(specs, module) });
}
