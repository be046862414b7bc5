/**
 * The asyncio-style → Trio-style rewrites, following the table in docs/migration.md. Each one
 * keeps the meaning, or is recorded as a behaviour change; what cannot be converted safely is left
 * as is with a comment saying why. The rewrites of task groups, `gather`, timeouts, semaphores and
 * queues have their own modules; this one runs them all and holds the one-call rewrites (the
 * running loop, `sleep`'s result, `run`'s options, edge cancellation, Futures, `CancelledError`).
 */
import ts from 'typescript';
import { contains, referencesOf, walk, type Pass } from './context';
import { gather } from './gather';
import { KEPT } from './kept';
import { rewriteQueues } from './queues';
import { rewriteSemaphores } from './semaphores';
import { createTaskOutsideGroup, taskGroup } from './taskgroups';
import { timeoutBlock, timeoutError, waitFor } from './timeouts';

/** Runs every asyncio rewrite over the pass's file. */
export function rewriteAsyncio(p: Pass): void {
  if (p.aio.size === 0) return;
  rewriteSemaphores(p);
  rewriteQueues(p);
  walk(p.sf, (node) => {
    taskGroup(p, node);
    createTaskOutsideGroup(p, node);
    waitFor(p, node);
    gather(p, node);
    timeoutBlock(p, node);
    timeoutError(p, node);
    runningLoop(p, node);
    sleepWithResult(p, node);
    runCall(p, node);
    edgeCancellation(p, node);
    futures(p, node);
    renameCancelledError(p, node);
  });
}

/** `const loop = getRunningLoop()` used only for `loop.time()` → `currentTime()`. */
function runningLoop(p: Pass, node: ts.Node): void {
  if (
    ts.isPropertyAccessExpression(node) &&
    node.name.text === 'time' &&
    p.isAioCall(node.expression, 'getRunningLoop')
  ) {
    const call = node.parent;
    if (ts.isCallExpression(call) && call.arguments.length === 0) {
      p.state.need('currentTime');
      p.rewrite(
        call,
        [{ start: call.getStart(p.sf), end: call.end, text: 'currentTime()' }],
        'getRunningLoop().time() → currentTime()',
      );
    }
    return;
  }
  if (!ts.isVariableStatement(node) || node.declarationList.declarations.length !== 1) return;
  const decl = node.declarationList.declarations[0]!;
  if (
    !ts.isIdentifier(decl.name) ||
    !decl.initializer ||
    !p.isAioCall(decl.initializer, 'getRunningLoop')
  )
    return;
  const scope = node.parent;
  const refs = referencesOf(scope, decl.name.text);
  const timeCalls = refs.map((r) => {
    const access = r.parent;
    const call = access.parent;
    return ts.isPropertyAccessExpression(access) &&
      access.name.text === 'time' &&
      ts.isCallExpression(call) &&
      call.arguments.length === 0
      ? call
      : undefined;
  });
  if (timeCalls.some((c) => c === undefined)) {
    p.keep(node, KEPT.loopUsed);
    return;
  }
  const text = p.text;
  const lineStart = text.lastIndexOf('\n', node.getStart(p.sf) - 1) + 1;
  const lineEnd = text.indexOf('\n', node.end);
  p.state.need('currentTime');
  p.rewrite(
    node,
    [
      { start: lineStart, end: lineEnd === -1 ? node.end : lineEnd + 1, text: '' },
      ...timeCalls.map((c) => ({ start: c!.getStart(p.sf), end: c!.end, text: 'currentTime()' })),
    ],
    'loop.time() → currentTime()',
  );
}

/** asyncio's `sleep(s, value)` → `sleep(s).then(() => value)` (Trio's sleep has no result). */
function sleepWithResult(p: Pass, node: ts.Node): void {
  if (!p.isAioCall(node, 'sleep') || node.arguments.length !== 2) return;
  const [s, value] = node.arguments as unknown as [ts.Expression, ts.Expression];
  const shown = ts.isObjectLiteralExpression(value) ? `(${p.src(value)})` : p.src(value);
  p.rewrite(
    node,
    [{ start: s.end, end: value.end, text: `).then(() => ${shown}` }],
    'sleep(s, value) → sleep(s).then(() => value)',
  );
}

/** asyncio's `run(fn, { clock })` → Trio's `run({ clock }, fn)`. */
function runCall(p: Pass, node: ts.Node): void {
  if (!p.isAioCall(node, 'run') || node.arguments.length !== 2) return;
  const [fn, options] = node.arguments as unknown as [ts.Expression, ts.Expression];
  if (ts.isObjectLiteralExpression(fn)) return; // Trio's form already: run(options, fn)
  const onlyClock =
    ts.isObjectLiteralExpression(options) &&
    options.properties.every((prop) => prop.name && p.src(prop.name) === 'clock');
  if (!onlyClock) {
    p.keep(node, KEPT.runOptions);
    return;
  }
  p.rewrite(
    node,
    [{ start: fn.getStart(p.sf), end: options.end, text: `${p.src(options)}, ${p.src(fn)}` }],
    'run(fn, { clock }) → run({ clock }, fn)',
  );
}

/** `task.cancel()` of a Task, `uncancel()`, `cancelling()`: edge-triggered, no Trio equivalent. */
function edgeCancellation(p: Pass, node: ts.Node): void {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return;
  const method = node.expression.name.text;
  if (method === 'uncancel' || method === 'cancelling') {
    p.keep(
      node,
      `Task.${method}() counts edge-triggered cancellations; Trio scopes have no such count`,
    );
  } else if (method === 'cancel' && ts.isIdentifier(node.expression.expression)) {
    const name = node.expression.expression.text;
    const declared = contains(
      p.sf,
      (n) =>
        ts.isVariableDeclaration(n) &&
        ts.isIdentifier(n.name) &&
        n.name.text === name &&
        !!n.initializer &&
        isTaskCreation(p, n.initializer),
    );
    if (declared) p.keep(node, KEPT.taskCancel);
  }
}

function isTaskCreation(p: Pass, init: ts.Expression): boolean {
  return (
    ts.isCallExpression(init) &&
    (p.isAio(init.expression, 'createTask') ||
      p.isAio(init.expression, 'ensureFuture') ||
      (ts.isPropertyAccessExpression(init.expression) &&
        init.expression.name.text === 'createTask'))
  );
}

function futures(p: Pass, node: ts.Node): void {
  if (ts.isNewExpression(node) && p.isAio(node.expression, 'Future')) {
    p.keep(node, KEPT.future);
  } else if (p.isAioCall(node, 'shield')) {
    p.keep(node, KEPT.shield);
  }
}

/** `CancelledError` is the kernel's `Cancelled` under its asyncio name. */
function renameCancelledError(p: Pass, node: ts.Node): void {
  if (!p.isAio(node, 'CancelledError') || ts.isImportSpecifier(node.parent)) return;
  p.state.need('Cancelled');
  p.rewrite(
    node,
    [{ start: node.getStart(p.sf), end: node.end, text: 'Cancelled' }],
    'CancelledError → Cancelled (the same class)',
  );
}
