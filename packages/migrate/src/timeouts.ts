/**
 * asyncio's timeouts → cancel scopes: `waitFor(fn, t)` → `failAfter(t, fn)`, a `timeout` /
 * `timeoutAt` block → `failAfter` / `failAt` (its `reschedule` / `when` → the scope's deadline),
 * and a caught `TimeoutError` → `TooSlowError` once the `try` block's timeouts are all Trio's.
 */
import ts from 'typescript';
import { contains, isFunctionLiteral, referencesOf, type Pass } from './context';
import { KEPT } from './kept';

const TIMEOUT_SOURCES = ['waitFor', 'timeout', 'timeoutAt'];

/** `waitFor(fn, t)` → `failAfter(t, fn)`; a `waitFor` of a running awaitable stays. */
export function waitFor(p: Pass, node: ts.Node): void {
  if (!p.isAioCall(node, 'waitFor')) return;
  const [aw, seconds, ...rest] = node.arguments;
  if (!aw || !seconds || rest.length > 0) return;
  if (!isFunctionLiteral(aw)) {
    p.keep(node, KEPT.waitForRunning);
    return;
  }
  p.state.need('failAfter');
  p.rewrite(
    node,
    [
      { start: node.expression.getStart(p.sf), end: node.expression.end, text: 'failAfter' },
      { start: aw.getStart(p.sf), end: seconds.end, text: `${p.src(seconds)}, ${p.src(aw)}` },
      ...p.resultNotUndefined(node),
    ],
    'waitFor(fn, t) → failAfter(t, fn)',
  );
}

/** `timeout(t, body)` → `failAfter(t, body)`, `timeoutAt(when, body)` → `failAt(when, body)`. */
export function timeoutBlock(p: Pass, node: ts.Node): void {
  const isTimeout = p.isAioCall(node, 'timeout');
  if (!isTimeout && !p.isAioCall(node, 'timeoutAt')) return;
  const call = node as ts.CallExpression;
  const body = call.arguments[1];
  if (!isFunctionLiteral(body) || call.arguments.length !== 2) {
    p.keep(call, KEPT.timeoutObject);
    return;
  }
  const edits = [
    {
      start: call.expression.getStart(p.sf),
      end: call.expression.end,
      text: isTimeout ? 'failAfter' : 'failAt',
    },
  ];
  const cm = body.parameters[0]?.name;
  if (!cm) edits.push(...p.resultNotUndefined(call));
  if (cm && ts.isIdentifier(cm)) {
    const covered: ts.Node[] = [];
    for (const ref of referencesOf(body.body, cm.text)) {
      if (covered.some((c) => ref.pos >= c.pos && ref.end <= c.end)) continue;
      const access = ref.parent;
      const use = access.parent;
      if (!ts.isPropertyAccessExpression(access) || !ts.isCallExpression(use)) {
        return p.keep(call, `the Timeout object ${cm.text} escapes the block`);
      }
      const method = access.name.text;
      const arg = use.arguments[0];
      if (method === 'reschedule' && arg && ts.isExpressionStatement(use.parent)) {
        covered.push(arg);
        // when() is `number | null`, a deadline a number: `when()!` needs no `!` any more.
        const name = cm.text.replace(/\$/g, '\\$');
        const when = new RegExp(`(?<![\\w$])${name}\\.when\\(\\)!?`, 'g');
        const value =
          arg.kind === ts.SyntaxKind.NullKeyword
            ? 'Infinity'
            : p.src(arg).replace(when, () => `${cm.text}.deadline`);
        edits.push({
          start: use.getStart(p.sf),
          end: use.end,
          text: `${cm.text}.deadline = ${value}`,
        });
      } else if (method === 'when' && !arg) {
        const whole = ts.isNonNullExpression(use.parent) ? use.parent : use;
        edits.push({ start: whole.getStart(p.sf), end: whole.end, text: `${cm.text}.deadline` });
      } else {
        return p.keep(call, `Timeout.${method}() has no CancelScope equivalent here`);
      }
    }
  }
  p.state.need(isTimeout ? 'failAfter' : 'failAt');
  p.rewrite(
    call,
    edits,
    `${isTimeout ? 'timeout' : 'timeoutAt'}(...) → ${isTimeout ? 'failAfter' : 'failAt'}(...)`,
  );
}

/**
 * `TimeoutError` in a `catch` → `TooSlowError`, when the `try` block's timeouts are all Trio's
 * now. Left as is when one of them is still asyncio's, or the error comes from a called function.
 */
export function timeoutError(p: Pass, node: ts.Node): void {
  if (!p.isAio(node, 'TimeoutError') || ts.isImportSpecifier(node.parent)) return;
  let clause: ts.Node | undefined = node.parent;
  while (clause && !ts.isCatchClause(clause)) clause = clause.parent;
  if (!clause) return;
  const tryBlock = (clause.parent as ts.TryStatement).tryBlock;
  const trioSources = contains(
    tryBlock,
    (n) =>
      ts.isCallExpression(n) &&
      ts.isIdentifier(n.expression) &&
      ['failAfter', 'failAt'].includes(n.expression.text),
  );
  const aioSources = contains(tryBlock, (n) =>
    TIMEOUT_SOURCES.some((name) => p.isAioCall(n, name)),
  );
  if (trioSources && !aioSources) {
    p.state.need('TooSlowError');
    p.rewrite(
      node,
      [{ start: node.getStart(p.sf), end: node.end, text: 'TooSlowError' }],
      'catch TimeoutError → TooSlowError',
    );
  } else if (!trioSources && !aioSources) {
    p.keep(node, KEPT.calledTimeoutError);
  }
}
