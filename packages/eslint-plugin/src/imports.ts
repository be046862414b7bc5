/** Which identifiers of a file are bound to Duet imports: local name → `{ module, name }`. */
import type { Rule } from 'eslint';

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
