/**
 * asyncio's `Semaphore` used as a limiter → `CapacityLimiter`, every use in the file at once, or
 * none of them.
 */
import ts from 'typescript';
import { contains, referencesOf, walk, type Pass } from './context';

/**
 * `Semaphore(n)` used as a limiter (only `hold()`, or `acquire()` and `release()` in one function)
 * → `CapacityLimiter(n)`, every use in the file at once. A `CapacityLimiter` must be released by
 * the task that acquired it, which is what a limiter does anyway.
 */
export function rewriteSemaphores(p: Pass): void {
  const names = ['Semaphore', 'BoundedSemaphore'].filter((n) => [...p.aio.values()].includes(n));
  if (names.length === 0) return;
  const refs: ts.Identifier[] = [];
  const holders: ts.Identifier[] = [];
  walk(p.sf, (n) => {
    if (
      !ts.isIdentifier(n) ||
      !names.some((name) => p.isAio(n, name)) ||
      ts.isImportSpecifier(n.parent)
    )
      return;
    refs.push(n);
    const decl = ts.isNewExpression(n.parent)
      ? n.parent.parent
      : ts.isTypeReferenceNode(n.parent)
        ? n.parent.parent
        : undefined;
    if (
      decl &&
      (ts.isVariableDeclaration(decl) || ts.isParameter(decl)) &&
      ts.isIdentifier(decl.name)
    )
      holders.push(decl.name);
  });
  const offending = refs.find(
    (ref) => !ts.isTypeReferenceNode(ref.parent) && !ts.isNewExpression(ref.parent),
  );
  const misuse = holders.find((h) => !usedAsLimiter(p, h));
  if (offending || misuse || refs.length === 0) {
    const at = offending ?? refs[0];
    if (at)
      p.keep(
        at,
        `Semaphore is used for more than limiting concurrency${misuse ? ` (${misuse.text})` : ''}`,
      );
    return;
  }
  for (const ref of refs) {
    p.state.need('CapacityLimiter');
    p.rewrite(
      ref,
      [{ start: ref.getStart(p.sf), end: ref.end, text: 'CapacityLimiter' }],
      'Semaphore used as a limiter → CapacityLimiter',
    );
  }
}

function usedAsLimiter(p: Pass, holder: ts.Identifier): boolean {
  let scope: ts.Node = holder.parent;
  while (!ts.isBlock(scope) && !ts.isSourceFile(scope) && !ts.isFunctionLike(scope))
    scope = scope.parent;
  return referencesOf(scope, holder.text).every((ref) => {
    const access = ref.parent;
    if (ts.isCallExpression(access) && access.arguments.includes(ref)) return true; // handed to a helper
    if (!ts.isPropertyAccessExpression(access) || !ts.isCallExpression(access.parent)) return false;
    const method = access.name.text;
    if (method === 'hold') return true;
    if (method !== 'acquire' && method !== 'release') return false;
    const fn = enclosingFunction(ref);
    const other = method === 'acquire' ? 'release' : 'acquire';
    return (
      !!fn &&
      contains(
        fn,
        (n) =>
          ts.isPropertyAccessExpression(n) &&
          n.name.text === other &&
          p.src(n.expression) === holder.text,
      )
    );
  });
}

function enclosingFunction(node: ts.Node): ts.Node | undefined {
  let n: ts.Node | undefined = node.parent;
  while (n && !ts.isFunctionLike(n)) n = n.parent;
  return n;
}
