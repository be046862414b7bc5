/**
 * Rewrites of plain Promise code inside Duet programs: `Promise.all` over async calls becomes a
 * nursery, and `AbortSignal.timeout(ms)` / `setTimeout` + `AbortController` timeouts become
 * `failAfter` with the scope's `currentSignal()`. Each is a behaviour change, and reported so.
 */
import ts from 'typescript';
import { contains, referencesOf, walk, type Pass } from './context';
import { KEPT } from './kept';

const NURSERY_BEHAVIOUR =
  'a failure now cancels the other calls and every failure arrives in an ExceptionGroup ' +
  '(Promise.all rejected with the first and left the others running)';
const TIMEOUT_BEHAVIOUR =
  'the timeout raises TooSlowError (was an AbortError/TimeoutError DOMException) and also ' +
  'cancels Duet waits inside; the signal is the scope\u2019s currentSignal()';

/** Runs every plain-Promise rewrite over the pass's file (a file that already uses Duet). */
export function rewritePromises(p: Pass): void {
  if (!p.duet) return;
  walk(p.sf, (node) => {
    promiseAll(p, node);
    abortSignalTimeout(p, node);
    controllerTimeout(p, node);
  });
}

function isMember(node: ts.Node, object: string, name: string): boolean {
  return (
    ts.isPropertyAccessExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === object &&
    node.name.text === name
  );
}

/** Whether `node` is inside an async function (a nursery needs a running Duet task). */
function inAsyncFunction(node: ts.Node): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n)) {
      const modifiers = ts.canHaveModifiers(n) ? ts.getModifiers(n) : undefined;
      return !!modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
    }
  }
  return false;
}

/** `Promise.all([f(a), g(b)])` → `gatherInNursery(() => f(a), () => g(b))`; `Promise.all(xs.map(cb))` too. */
function promiseAll(p: Pass, node: ts.Node): void {
  if (!ts.isCallExpression(node) || !isMember(node.expression, 'Promise', 'all')) return;
  if (!ts.isAwaitExpression(node.parent) || !inAsyncFunction(node) || node.arguments.length !== 1)
    return;
  const arg = node.arguments[0]!;
  const head = { start: node.getStart(p.sf), end: arg.getStart(p.sf), text: 'gatherInNursery(' };
  const edits = [];
  if (
    ts.isArrayLiteralExpression(arg) &&
    arg.elements.length > 0 &&
    arg.elements.every(ts.isCallExpression)
  ) {
    // Promise.all([f(a), g(b)]) → gatherInNursery(() => f(a), () => g(b)), layout kept.
    head.end += 1;
    edits.push(head, { start: arg.end - 1, end: arg.end, text: '' });
    for (const e of arg.elements)
      edits.push({ start: e.getStart(p.sf), end: e.getStart(p.sf), text: '() => ' });
  } else if (
    ts.isCallExpression(arg) &&
    ts.isPropertyAccessExpression(arg.expression) &&
    arg.expression.name.text === 'map'
  ) {
    // Promise.all(xs.map((x) => f(x))) → gatherInNursery(...xs.map((x) => () => f(x))).
    const cb = arg.arguments[0];
    if (arg.arguments.length !== 1 || !cb || !ts.isArrowFunction(cb)) return;
    const isAsync = cb.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
    if (!isAsync && !ts.isCallExpression(cb.body)) return; // not plainly one call per item
    const params = cb.parameters.map((x) => p.src(x)).join(', ');
    head.text += '...';
    edits.push(head, {
      start: cb.getStart(p.sf),
      end: cb.body.getStart(p.sf),
      text: `(${params}) => ${isAsync ? 'async ' : ''}() => `,
    });
  } else return;
  p.rewrite(
    node,
    edits,
    'Promise.all over async calls → a nursery (gatherInNursery), results in order',
    `Promise.all → nursery: ${NURSERY_BEHAVIOUR}`,
  );
}

/** Seconds from a millisecond expression. */
function seconds(p: Pass, ms: ts.Expression): string {
  return ts.isNumericLiteral(ms) ? String(Number(ms.text) / 1000) : `(${p.src(ms)}) / 1000`;
}

/** `await fetch(u, { signal: AbortSignal.timeout(ms) })` → `await failAfter(s, () => fetch(u, { signal: currentSignal() }))`. */
function abortSignalTimeout(p: Pass, node: ts.Node): void {
  if (!ts.isCallExpression(node) || !isMember(node.expression, 'AbortSignal', 'timeout')) return;
  const ms = node.arguments[0];
  if (!ms || node.arguments.length !== 1) return;
  let aw: ts.Node = node.parent;
  while (
    !ts.isAwaitExpression(aw) &&
    !ts.isFunctionLike(aw) &&
    !ts.isBlock(aw) &&
    !ts.isSourceFile(aw)
  )
    aw = aw.parent;
  if (!ts.isAwaitExpression(aw) || !ts.isCallExpression(aw.expression)) {
    p.keep(node, KEPT.storedSignal);
    return;
  }
  const operand = aw.expression;
  const before = p.text.slice(operand.getStart(p.sf), node.getStart(p.sf));
  const after = p.text.slice(node.end, operand.end);
  p.state.need('failAfter');
  p.state.need('currentSignal', '@duet/kernel');
  p.rewrite(
    operand,
    [
      {
        start: operand.getStart(p.sf),
        end: operand.end,
        text: `failAfter(${seconds(p, ms)}, () => ${before}currentSignal()${after})`,
      },
      ...p.resultNotUndefined(operand),
    ],
    'AbortSignal.timeout(ms) → failAfter(seconds) with currentSignal()',
    `AbortSignal.timeout → failAfter: ${TIMEOUT_BEHAVIOUR}`,
  );
}

/**
 * The hand-made timeout:
 * ```ts
 * const controller = new AbortController();
 * const timer = setTimeout(() => controller.abort(), ms);
 * try { ...controller.signal... } finally { clearTimeout(timer); }
 * ```
 * → `await failAfter(s, async () => { ...currentSignal()... });`
 */
function controllerTimeout(p: Pass, node: ts.Node): void {
  if (!ts.isBlock(node) || !inAsyncFunction(node)) return;
  const stmts = node.statements;
  for (let i = 0; i + 2 < stmts.length; i++) {
    const controller = declared(stmts[i]!);
    const timer = declared(stmts[i + 1]!);
    const tryStmt = stmts[i + 2]!;
    if (
      !controller ||
      !timer ||
      !ts.isTryStatement(tryStmt) ||
      tryStmt.catchClause ||
      !tryStmt.finallyBlock
    )
      continue;
    if (
      !ts.isNewExpression(controller.init) ||
      p.src(controller.init.expression) !== 'AbortController'
    )
      continue;
    const set = timer.init;
    if (
      !ts.isCallExpression(set) ||
      p.src(set.expression) !== 'setTimeout' ||
      set.arguments.length !== 2
    )
      continue;
    const [onTimeout, ms] = set.arguments as unknown as [ts.Expression, ts.Expression];
    if (!ts.isArrowFunction(onTimeout) || p.src(onTimeout.body) !== `${controller.name}.abort()`)
      continue;
    const fin = tryStmt.finallyBlock.statements;
    if (fin.length !== 1 || p.src(fin[0]!).replace(/;$/, '') !== `clearTimeout(${timer.name})`)
      continue;
    // The controller may be used only for its signal, inside the try block.
    const uses = referencesOf(node, controller.name).filter(
      (r) => !contains(onTimeout, (n) => n === r),
    );
    const signals = uses.filter(
      (r) => ts.isPropertyAccessExpression(r.parent) && r.parent.name.text === 'signal',
    );
    if (
      signals.length !== uses.length ||
      !signals.every((r) => r.pos >= tryStmt.tryBlock.pos && r.end <= tryStmt.tryBlock.end)
    )
      continue;
    if (referencesOf(node, timer.name).length !== 1) continue;
    if (
      contains(
        tryStmt.tryBlock,
        (n) => ts.isReturnStatement(n) && !insideFunction(n, tryStmt.tryBlock),
      )
    )
      continue; // a return would leave the callback only
    const lineStart = p.text.lastIndexOf('\n', stmts[i]!.getStart(p.sf) - 1) + 1;
    const indent = /^[ \t]*/.exec(p.text.slice(lineStart))![0];
    const body = p.text.slice(tryStmt.tryBlock.getStart(p.sf), tryStmt.tryBlock.end);
    let out = body;
    for (const s of [...signals].sort((a, b) => b.pos - a.pos)) {
      const from = s.parent.getStart(p.sf) - tryStmt.tryBlock.getStart(p.sf);
      out =
        out.slice(0, from) +
        'currentSignal()' +
        out.slice(s.parent.end - tryStmt.tryBlock.getStart(p.sf));
    }
    p.state.need('failAfter');
    p.state.need('currentSignal', '@duet/kernel');
    p.rewrite(
      tryStmt,
      [
        {
          start: lineStart,
          end: tryStmt.end,
          text: `${indent}await failAfter(${seconds(p, ms)}, async () => ${out});`,
        },
      ],
      'setTimeout + AbortController timeout → failAfter(seconds) with currentSignal()',
      `setTimeout/AbortController → failAfter: ${TIMEOUT_BEHAVIOUR}`,
    );
    return;
  }
}

function insideFunction(n: ts.Node, stop: ts.Node): boolean {
  for (let x = n.parent; x && x !== stop; x = x.parent) if (ts.isFunctionLike(x)) return true;
  return false;
}

/** `const name = init;` with one declaration. */
function declared(stmt: ts.Statement): { name: string; init: ts.Expression } | undefined {
  if (!ts.isVariableStatement(stmt) || stmt.declarationList.declarations.length !== 1)
    return undefined;
  const d = stmt.declarationList.declarations[0]!;
  return ts.isIdentifier(d.name) && d.initializer
    ? { name: d.name.text, init: d.initializer }
    : undefined;
}
