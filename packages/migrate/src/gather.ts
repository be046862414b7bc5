/**
 * asyncio's `gather` of functions → a nursery that collects the results in order
 * (`gatherInNursery`, or `settleInNursery` for `returnExceptions: true`). A `gather` of Futures or
 * Tasks already running is left as is.
 */
import ts from 'typescript';
import { isFunctionLiteral, type Pass } from './context';
import { KEPT } from './kept';

/** Whether `arg` of `gather(...)` is plainly a function (or a spread of `xs.map(x => () => ...)`). */
function isFunctionArg(arg: ts.Expression): boolean {
  if (isFunctionLiteral(arg)) return true;
  if (!ts.isSpreadElement(arg) || !ts.isCallExpression(arg.expression)) return false;
  const map = arg.expression;
  const cb = map.arguments[0];
  return (
    ts.isPropertyAccessExpression(map.expression) &&
    map.expression.name.text === 'map' &&
    !!cb &&
    ts.isArrowFunction(cb) &&
    isFunctionLiteral(cb.body)
  );
}

/**
 * `gather(...fns)` → `gatherInNursery(...fns)`, `gather.withOptions({ returnExceptions: true },
 * ...fns)` → `settleInNursery(...fns)`: a nursery collecting results in order.
 */
export function gather(p: Pass, node: ts.Node): void {
  if (!ts.isCallExpression(node)) return;
  const callee = node.expression;
  const args = [...node.arguments];
  let settle = false;
  if (
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'withOptions' &&
    p.isAio(callee.expression, 'gather')
  ) {
    const options = args.shift();
    const text = options ? p.src(options).replace(/\s+/g, ' ') : '';
    if (/^\{ ?returnExceptions: true,? ?\}$/.test(text)) settle = true;
    else if (!/^\{ ?(returnExceptions: false,? ?)?\}$/.test(text))
      return p.keep(node, KEPT.gatherOptions);
  } else if (!p.isAio(callee, 'gather')) return;
  if (args.length === 0 || !args.every(isFunctionArg)) {
    p.keep(node, KEPT.gatherRunning);
    return;
  }
  const helper = settle ? 'settleInNursery' : 'gatherInNursery';
  const options = node.arguments[0]!;
  const edits = [{ start: node.expression.getStart(p.sf), end: node.expression.end, text: helper }];
  if (args.length < node.arguments.length)
    edits.push({ start: options.getStart(p.sf), end: args[0]!.getStart(p.sf), text: '' });
  p.rewrite(
    node,
    edits,
    `gather(...) → ${helper}(...): a nursery collecting results in order`,
    settle
      ? undefined
      : 'gather → nursery: the first failure now cancels the other children, and failures arrive in an ExceptionGroup (gather raised the first and left the others running)',
  );
}
