/**
 * asyncio's `TaskGroup` → a nursery: `new TaskGroup().run(cb)` → `openNursery(cb)`, and the
 * group's `createTask(fn)` → `startSoon(fn)` (or `start(startedWith(fn))` when its result is
 * awaited), keeping a literal task name as the function's name. A `createTask` outside a group is
 * left as is: its Task outlives any nursery.
 */
import ts from 'typescript';
import { contains, isFunctionLiteral, lineStarts, referencesOf, type Pass } from './context';
import { KEPT } from './kept';

/** `new TaskGroup().run(cb)` → `openNursery(cb)`; `tg.createTask(fn)` inside → `startSoon`/`start`. */
export function taskGroup(p: Pass, node: ts.Node): void {
  if (!ts.isCallExpression(node)) return;
  const callee = node.expression;
  const isGroupRun =
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'run' &&
    ts.isNewExpression(callee.expression) &&
    p.isAio(callee.expression.expression, 'TaskGroup') &&
    (callee.expression.arguments?.length ?? 0) === 0;
  const isNursery = ts.isIdentifier(callee) && callee.text === 'openNursery';
  const body = node.arguments[0];
  if (!(isGroupRun || isNursery) || !isFunctionLiteral(body)) return;
  const param = body.parameters[0]?.name;
  if (isGroupRun) {
    const problem =
      param && ts.isIdentifier(param) ? groupProblem(p, body.body, param.text) : undefined;
    if (problem) return p.keep(node, `this TaskGroup ${problem}, which a nursery cannot do`);
    p.state.need('openNursery');
    p.rewrite(
      node,
      [
        { start: callee.getStart(p.sf), end: callee.end, text: 'openNursery' },
        ...p.resultNotUndefined(node),
      ],
      'TaskGroup().run(...) → openNursery(...)',
    );
  }
  if (!param || !ts.isIdentifier(param)) return;
  for (const ref of referencesOf(body.body, param.text)) {
    const access = ref.parent;
    if (!ts.isPropertyAccessExpression(access) || access.name.text !== 'createTask') continue;
    const call = access.parent;
    if (ts.isCallExpression(call) && call.expression === access) createTaskInGroup(p, call, access);
  }
}

/** Why the TaskGroup `tg` in `body` cannot become a nursery, or undefined when it can. */
function groupProblem(p: Pass, body: ts.Node, tg: string): string | undefined {
  for (const ref of referencesOf(body, tg)) {
    const access = ref.parent;
    const call = access.parent;
    if (
      !ts.isPropertyAccessExpression(access) ||
      access.name.text !== 'createTask' ||
      !ts.isCallExpression(call)
    )
      return `escapes as a value (${p.src(access)})`;
    const [fn, options, ...rest] = call.arguments;
    if (!fn || rest.length > 0 || (options && taskName(p, options) === undefined))
      return 'gets createTask options other than a literal name';
    const parent = call.parent;
    if (
      ts.isAwaitExpression(parent)
        ? !!options
        : !ts.isExpressionStatement(parent) && !ts.isVoidExpression(parent)
    )
      return 'keeps a Task it awaits or cancels later';
  }
  return undefined;
}

function createTaskInGroup(p: Pass, call: ts.CallExpression, access: ts.PropertyAccessExpression) {
  const [fn, options] = call.arguments;
  if (!fn) return;
  const name = options && taskName(p, options);
  const parent = call.parent;
  if (ts.isExpressionStatement(parent) || ts.isVoidExpression(parent)) {
    // Small edits around the function, none over its body: rewrites inside it can happen in the
    // same pass, and their report lines map back to the source exactly.
    const fnStart = fn.getStart(p.sf);
    const edits = [
      { start: access.name.getStart(p.sf), end: access.name.end, text: 'startSoon' },
      { start: access.end, end: fnStart, text: '(' },
      { start: fn.end, end: call.end, text: ')' },
    ];
    const rename = name === undefined ? undefined : nameFunction(p, fn, name);
    if (rename)
      edits.push({
        start: fnStart,
        end: (fn as ts.ArrowFunction).body.getStart(p.sf),
        text: rename,
      });
    // Arguments laid out one per line shrink to one: Prettier's layout for a lone function.
    if (options && /\n/.test(p.text.slice(call.arguments.pos, fnStart)))
      for (const at of lineStarts(p, fnStart, fn.end))
        if (p.text.startsWith('  ', at)) edits.push({ start: at, end: at + 2, text: '' });
    p.rewrite(call, edits, 'tg.createTask(fn) → nursery.startSoon(fn)');
  } else if (ts.isAwaitExpression(parent) && !options) {
    p.rewrite(
      call,
      [
        { start: access.name.getStart(p.sf), end: access.name.end, text: 'start' },
        { start: fn.getStart(p.sf), end: fn.getStart(p.sf), text: 'startedWith(' },
        { start: fn.end, end: fn.end, text: ')' },
      ],
      'await tg.createTask(fn) → await nursery.start(startedWith(fn)) (the result is used)',
    );
  }
}

/** `{ name: 'x' }` → `'x'`; `null` when there is no literal name; undefined for other options. */
function taskName(p: Pass, options: ts.Expression): string | undefined {
  if (!ts.isObjectLiteralExpression(options) || options.properties.length !== 1) return undefined;
  const prop = options.properties[0]!;
  if (!ts.isPropertyAssignment(prop) || p.src(prop.name) !== 'name') return undefined;
  return ts.isStringLiteral(prop.initializer) ? prop.initializer.text : undefined;
}

/**
 * The head (`async function name() `) that gives an arrow task the name its option gave the task,
 * since Trio names a task after its function; undefined when that would change the arrow's meaning.
 */
function nameFunction(p: Pass, fn: ts.Expression, name: string): string | undefined {
  if (!/^[A-Za-z_$][\w$]*$/.test(name) || !ts.isArrowFunction(fn) || !ts.isBlock(fn.body))
    return undefined;
  const usesThis = (n: ts.Node) =>
    n.kind === ts.SyntaxKind.ThisKeyword || (ts.isIdentifier(n) && n.text === 'arguments');
  if (contains(fn.body, usesThis)) return undefined;
  const isAsync = fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
  return `${isAsync ? 'async ' : ''}function ${name}(${fn.parameters.map((x) => p.src(x)).join(', ')}) `;
}

/** `createTask()` outside a TaskGroup stays: its Task outlives any nursery. */
export function createTaskOutsideGroup(p: Pass, node: ts.Node): void {
  if (p.isAioCall(node, 'createTask')) p.keep(node, KEPT.createTaskOutsideGroup);
}
