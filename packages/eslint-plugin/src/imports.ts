/** Which identifiers of a file are bound to Duet imports: local name → `{ module, name }`. */
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';

/** A binding imported from a `@duet/*` package. */
export interface DuetImport {
  module: string;
  name: string;
}

/** Collects the file's `@duet/*` named imports as the linter walks the program. */
export function duetImports(context: Rule.RuleContext): Map<string, DuetImport> {
  const map = new Map<string, DuetImport>();
  for (const stmt of context.sourceCode.ast.body) {
    if (stmt.type !== 'ImportDeclaration' || typeof stmt.source.value !== 'string') continue;
    const module = stmt.source.value;
    if (!module.startsWith('@duet/')) continue;
    for (const spec of stmt.specifiers) {
      if (spec.type !== 'ImportSpecifier') continue;
      const imported =
        spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value);
      map.set(spec.local.name, { module, name: imported });
    }
  }
  return map;
}

/** The Duet import a call's callee names, if it is a plain identifier bound to one. */
export function calleeImport(
  imports: Map<string, DuetImport>,
  node: { type: string; callee?: unknown },
): DuetImport | undefined {
  const callee = node.callee as { type: string; name?: string } | undefined;
  return callee?.type === 'Identifier' ? imports.get(callee.name!) : undefined;
}

/** Whether `node` is inside an async function. */
export function inAsyncFunction(ancestors: readonly { type: string }[]): boolean {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i]!;
    if (a.type.includes('Function')) return !!(a as { async?: boolean }).async;
  }
  return false;
}

/**
 * The fixes that make `name` usable in the file, and the local name to write: the file's own
 * binding when it already imports `name` from one of `modules`, else `name` added to its named
 * import from `modules[0]` (the callers report calls imported from there, so it has one).
 */
export function ensureImported(
  context: Rule.RuleContext,
  fixer: Rule.RuleFixer,
  modules: readonly string[],
  name: string,
): { local: string; fixes: Rule.Fix[] } {
  for (const [local, found] of duetImports(context))
    if (found.name === name && modules.includes(found.module)) return { local, fixes: [] };
  const target = context.sourceCode.ast.body.find(
    (s): s is ESTree.ImportDeclaration =>
      s.type === 'ImportDeclaration' &&
      s.source.value === modules[0] &&
      (s as { importKind?: string }).importKind !== 'type' &&
      s.specifiers.some((spec) => spec.type === 'ImportSpecifier'),
  )!;
  return { local: name, fixes: [fixer.insertTextAfter(target.specifiers.at(-1)!, `, ${name}`)] };
}
