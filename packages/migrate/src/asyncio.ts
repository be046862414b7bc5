/**
 * The asyncio-style → Trio-style rewrites, following the table in docs/migration.md. Each one
 * keeps the meaning, or is recorded as a behaviour change; what cannot be converted safely is left
 * as is with a comment saying why.
 */
import ts from 'typescript';
import { contains, isFunctionLiteral, lineStarts, referencesOf, walk, type Pass } from './context';
import { rewriteQueues } from './queues';
import { KEPT } from './kept';

const TIMEOUT_SOURCES = ['waitFor', 'timeout', 'timeoutAt'];

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

/** `new TaskGroup().run(cb)` → `openNursery(cb)`; `tg.createTask(fn)` inside → `startSoon`/`start`. */
function taskGroup(p: Pass, node: ts.Node): void {
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

function createTaskOutsideGroup(p: Pass, node: ts.Node): void {
  if (p.isAioCall(node, 'createTask')) p.keep(node, KEPT.createTaskOutsideGroup);
}

/** `waitFor(fn, t)` → `failAfter(t, fn)`; a `waitFor` of a running awaitable stays. */
function waitFor(p: Pass, node: ts.Node): void {
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
function gather(p: Pass, node: ts.Node): void {
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

/** `timeout(t, body)` → `failAfter(t, body)`, `timeoutAt(when, body)` → `failAt(when, body)`. */
function timeoutBlock(p: Pass, node: ts.Node): void {
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
function timeoutError(p: Pass, node: ts.Node): void {
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

/**
 * `Semaphore(n)` used as a limiter (only `hold()`, or `acquire()` and `release()` in one function)
 * → `CapacityLimiter(n)`, every use in the file at once. A `CapacityLimiter` must be released by
 * the task that acquired it, which is what a limiter does anyway.
 */
function rewriteSemaphores(p: Pass): void {
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
