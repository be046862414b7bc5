/**
 * asyncio's `Queue` used producer/consumer-style → a memory channel: `put` → `send`, `get` →
 * `receive`, `shutdown()` → closing the send end, and a sentinel the one producer puts last for
 * the one consumer → `close()`, with the consumer's loop turned into a `for await` over the
 * receive end. A queue used any other way is left as is: it works from Trio code as it is.
 */
import ts from 'typescript';
import { referencesOf, walk, type Pass } from './context';
import type { Edit } from './edits';
import { KEPT } from './kept';

/** What a call on the queue becomes: the end it goes to and the channel method. */
const METHODS: Record<string, { end: 'send' | 'receive'; method: string }> = {
  put: { end: 'send', method: 'send' },
  get: { end: 'receive', method: 'receive' },
  putNowait: { end: 'send', method: 'sendNowait' },
};

/** Calls that stand as statements of their own: `taskDone()` (dropped), `shutdown()` (closes). */
const STATEMENTS = new Set(['taskDone', 'shutdown']);

/** Why a queue method keeps the queue as it is. */
const NO_CHANNEL_EQUIVALENT: Record<string, string> = {
  join: KEPT.queueJoin,
  getNowait: KEPT.queueGetNowait,
  putNowait: KEPT.queuePutNowait,
};

/** Rewrites (or keeps, saying why) every `new Queue(...)` of the file. */
export function rewriteQueues(p: Pass): void {
  walk(p.sf, (node) => {
    if (!ts.isNewExpression(node)) return;
    const ordered = ['LifoQueue', 'PriorityQueue'].find((n) => p.isAio(node.expression, n));
    if (ordered) p.keep(node, `a ${ordered} takes items out of FIFO order; a channel cannot`);
    else if (p.isAio(node.expression, 'Queue')) {
      const problem = queue(p, node);
      if (problem) p.keep(node, problem);
    }
  });
}

/** A consumer loop: `while (true) { const item = await q.get(); if (item === S) break; ... }`. */
interface ConsumerLoop {
  loop: ts.IterationStatement;
  /** The `if (item === S) break;` statement: the loop's head ends with it. */
  check: ts.IfStatement;
  /** `const item` or `let item`. */
  binding: string;
  sentinel: string;
}

/** Rewrites the queue created by `created`; returns why it cannot, or undefined once done. */
function queue(p: Pass, created: ts.NewExpression): string | undefined {
  const decl = created.parent;
  if (
    !ts.isVariableDeclaration(decl) ||
    decl.initializer !== created ||
    !ts.isIdentifier(decl.name) ||
    !ts.isVariableDeclarationList(decl.parent) ||
    !(decl.parent.flags & ts.NodeFlags.Const) ||
    decl.parent.declarations.length !== 1
  )
    return KEPT.queueNotConst;
  const stmt = decl.parent.parent;
  if (
    ts.isVariableStatement(stmt) &&
    stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  )
    return KEPT.queueExported;
  const size = channelSize(created);
  if (size === undefined) return KEPT.queueSize;
  const name = decl.name.text;
  const ends = { send: `${name}Send`, receive: `${name}Receive` };
  // Names seen in the queue's scope would be shadowed (or clash); those outside it are no matter.
  if (usesName(stmt.parent, ends.send) || usesName(stmt.parent, ends.receive))
    return `${ends.send} or ${ends.receive} is taken`;

  const uses = usesOf(stmt.parent, name);
  if (typeof uses === 'string') return uses;
  const { calls, iterated } = uses;
  const has = (m: string) => calls.has(m);
  for (const method of calls.keys()) {
    const ok =
      method === 'putNowait' ? size === 'Infinity' : method in METHODS || STATEMENTS.has(method);
    if (!ok)
      return NO_CHANNEL_EQUIVALENT[method] ?? `Queue.${method}() has no memory channel equivalent`;
  }
  if ((calls.get('shutdown') ?? []).some((c) => c.arguments.length > 0)) return KEPT.queueImmediate;
  const standsAlone = (c: ts.CallExpression) =>
    ts.isExpressionStatement(c.parent) &&
    (ts.isBlock(c.parent.parent) || ts.isSourceFile(c.parent.parent));
  if (![...STATEMENTS].every((m) => calls.get(m)?.every(standsAlone) ?? true))
    return KEPT.queueCallValue;
  if (has('shutdown') && referencesQueueError(p, 'QueueShutDown')) return KEPT.queueShutDownCaught;

  const typeArg = created.typeArguments?.[0] ?? queueTypeOf(p, decl);
  const ending = sentinelEnding(p, name, ends, uses, typeArg);
  if (typeof ending === 'string') return ending;
  const edits: Edit[] = [...(ending?.edits ?? [])];
  const typeText = ending ? ending.typeText : typeArg ? `<${p.src(typeArg)}>` : '';

  for (const [method, list] of calls) {
    for (const call of list) {
      const access = call.expression as ts.PropertyAccessExpression;
      if (edits.some((e) => e.start <= access.getStart(p.sf) && access.end <= e.end)) continue;
      const to = METHODS[method];
      if (to) {
        edits.push({
          start: access.getStart(p.sf),
          end: access.end,
          text: `${ends[to.end]}.${to.method}`,
        });
      } else if (method === 'shutdown') {
        edits.push({ start: call.getStart(p.sf), end: call.end, text: `${ends.send}.close()` });
      } else {
        // taskDone() only feeds join(), which nobody calls (the queue would be kept).
        edits.push(removal(p, call.parent));
      }
    }
  }
  for (const ref of iterated)
    edits.push({ start: ref.getStart(p.sf), end: ref.end, text: ends.receive });
  edits.push({
    start: decl.getStart(p.sf),
    end: decl.end,
    text: `[${ends.send}, ${ends.receive}] = openMemoryChannel${typeText}(${size})`,
  });
  const args = created.arguments?.map((a) => p.src(a)).join(', ') ?? '';
  const dropped = has('taskDone') ? '; taskDone() dropped (nothing joins)' : '';
  if (
    !p.rewrite(
      created,
      edits,
      `Queue(${args}) used producer/consumer-style → openMemoryChannel(${size})${dropped}`,
    )
  )
    return undefined;
  p.state.need('openMemoryChannel');
  for (const n of ending?.notes ?? [])
    p.state.record({ line: p.lineOf(n.node), kind: 'rewrote', message: n.message });
  return undefined;
}

/** The queue's method calls by method name, and the `for await` loops over it. */
interface Uses {
  calls: Map<string, ts.CallExpression[]>;
  iterated: ts.Identifier[];
}

/** How the queue `name` is used in `scope`, or why that is not as a queue alone. */
function usesOf(scope: ts.Node, name: string): Uses | string {
  const calls = new Map<string, ts.CallExpression[]>();
  const iterated: ts.Identifier[] = [];
  for (const ref of referencesOf(scope, name)) {
    const access = ref.parent;
    if (ts.isForOfStatement(access) && access.awaitModifier && access.expression === ref) {
      iterated.push(ref);
      continue;
    }
    const call = access.parent;
    if (
      !ts.isPropertyAccessExpression(access) ||
      !ts.isCallExpression(call) ||
      call.expression !== access
    )
      return KEPT.queueValue;
    const method = access.name.text;
    if (!calls.has(method)) calls.set(method, []);
    calls.get(method)!.push(call);
  }
  return { calls, iterated };
}

/** What ending a queue with `close()` instead of a sentinel takes. */
interface Ending {
  edits: Edit[];
  notes: { node: ts.Node; message: string }[];
  /** The channel's type argument, without the sentinel's type. */
  typeText: string;
}

/**
 * The edits that end the queue `name` with `close()` where its one consumer loop stops at a
 * sentinel; undefined when no loop stops at one, or why the sentinel cannot become a close.
 */
function sentinelEnding(
  p: Pass,
  name: string,
  ends: { send: string; receive: string },
  uses: Uses,
  typeArg: ts.TypeNode | undefined,
): Ending | string | undefined {
  const { calls, iterated } = uses;
  const gets = calls.get('get') ?? [];
  const loops = gets.map((g) => consumerLoop(p, g)).filter((l) => l !== undefined);
  if (loops.length === 0) return undefined;
  const { loop, check, binding, sentinel } = loops[0]!;
  const ending = (calls.get('put') ?? []).filter((c) => p.src(c.arguments[0]!) === sentinel);
  const put = ending[0];
  // A sentinel constant of the file's own, used for nothing else: it goes with the queue.
  const constant = ['null', 'undefined'].includes(sentinel)
    ? null
    : sentinelDeclaration(p, sentinel);
  if (
    loops.length !== 1 ||
    gets.length !== 1 ||
    ending.length !== 1 ||
    iterated.length > 0 ||
    calls.has('shutdown') ||
    !isLastStatementPut(p, put!, name) ||
    constant === undefined ||
    (constant && !sentinelOnlyEnds(p, sentinel, typeArg))
  )
    return KEPT.queueSentinels;
  const statement = put!.parent.parent; // `await q.put(S);`
  const edits: Edit[] = [
    { start: statement.getStart(p.sf), end: statement.end, text: `${ends.send}.close();` },
    {
      start: loop.getStart(p.sf),
      end: check.end,
      text: `for await (${binding} of ${ends.receive}) {`,
    },
  ];
  if (constant) edits.push(removal(p, constant));
  const notes = [
    { node: statement, message: `put(${sentinel}) sentinel → ${ends.send}.close()` },
    { node: loop, message: `the consumer's get() loop → for await over ${ends.receive}` },
  ];
  const typeText = typeArg ? `<${withoutSentinel(p, typeArg, sentinel)}>` : '';
  return { edits, notes, typeText };
}

/** The channel's buffer size for `new Queue(maxsize)`, or undefined when it is not a literal. */
function channelSize(created: ts.NewExpression): string | undefined {
  const [max, ...rest] = created.arguments ?? [];
  if (rest.length > 0) return undefined;
  if (!max) return 'Infinity';
  if (
    ts.isPrefixUnaryExpression(max) &&
    max.operator === ts.SyntaxKind.MinusToken &&
    ts.isNumericLiteral(max.operand)
  )
    return 'Infinity';
  if (!ts.isNumericLiteral(max) || !Number.isInteger(Number(max.text))) return undefined;
  return Number(max.text) === 0 ? 'Infinity' : max.text;
}

/** `T` of `const q: Queue<T> = new Queue(...)`. */
function queueTypeOf(p: Pass, decl: ts.VariableDeclaration): ts.TypeNode | undefined {
  const type = decl.type;
  if (!type || !ts.isTypeReferenceNode(type) || !p.isAio(type.typeName, 'Queue')) return undefined;
  return type.typeArguments?.[0];
}

function usesName(scope: ts.Node, name: string): boolean {
  let found = false;
  walk(scope, (n) => {
    if (ts.isIdentifier(n) && n.text === name) found = true;
  });
  return found;
}

function referencesQueueError(p: Pass, name: string): boolean {
  let found = false;
  walk(p.sf, (n) => {
    if (p.isAio(n, name) && !ts.isImportSpecifier(n.parent)) found = true;
  });
  return found;
}

/** The consumer loop whose head is the `get` call `get`, if it is one. */
function consumerLoop(p: Pass, get: ts.CallExpression): ConsumerLoop | undefined {
  const aw = get.parent;
  const decl = aw.parent;
  if (!ts.isAwaitExpression(aw) || !ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name))
    return undefined;
  const list = decl.parent;
  const stmt = list.parent;
  const body = stmt.parent;
  if (
    !ts.isVariableDeclarationList(list) ||
    list.declarations.length !== 1 ||
    !ts.isVariableStatement(stmt) ||
    !ts.isBlock(body)
  )
    return undefined;
  const loop = body.parent;
  const forever =
    (ts.isWhileStatement(loop) && loop.expression.kind === ts.SyntaxKind.TrueKeyword) ||
    (ts.isForStatement(loop) && !loop.initializer && !loop.condition && !loop.incrementor);
  const check = body.statements[1];
  if (
    !forever ||
    body.statements[0] !== stmt ||
    !check ||
    !ts.isIfStatement(check) ||
    check.elseStatement
  )
    return undefined;
  const then = check.thenStatement;
  const exit = ts.isBlock(then) && then.statements.length === 1 ? then.statements[0]! : then;
  const cond = check.expression;
  if (!ts.isBreakStatement(exit) || exit.label || !ts.isBinaryExpression(cond)) return undefined;
  const op = cond.operatorToken.kind;
  if (op !== ts.SyntaxKind.EqualsEqualsEqualsToken && op !== ts.SyntaxKind.EqualsEqualsToken)
    return undefined;
  const item = decl.name.text;
  const sides = [cond.left, cond.right];
  const isItem = (s: ts.Expression) => ts.isIdentifier(s) && s.text === item;
  const other = sides.find((s) => !isItem(s));
  if (!other || !sides.some(isItem)) return undefined;
  const sentinel = p.src(other);
  if (other.kind !== ts.SyntaxKind.NullKeyword && !ts.isIdentifier(other)) return undefined;
  const keyword = list.flags & ts.NodeFlags.Const ? 'const' : 'let';
  return { loop, check, binding: `${keyword} ${item}`, sentinel };
}

/**
 * Whether `put` is `await q.put(S);`, outside any loop of its function, and the last use of the
 * queue there (the producer is done with it).
 */
function isLastStatementPut(p: Pass, put: ts.CallExpression, name: string): boolean {
  const aw = put.parent;
  if (!ts.isAwaitExpression(aw) || !ts.isExpressionStatement(aw.parent)) return false;
  let fn: ts.Node = aw.parent;
  for (fn = fn.parent; !ts.isFunctionLike(fn) && !ts.isSourceFile(fn); fn = fn.parent)
    if (ts.isIterationStatement(fn, false)) return false;
  return referencesOf(fn, name).every((r) => r.getStart(p.sf) <= put.getStart(p.sf));
}

/** Whether the identifier sentinel `name` is used only to end the queue (and in its type). */
function sentinelOnlyEnds(p: Pass, name: string, typeArg: ts.TypeNode | undefined): boolean {
  const uses = referencesOf(p.sf, name).filter(
    (r) => !(typeArg && r.pos >= typeArg.pos && r.end <= typeArg.end),
  );
  return uses.length === 2; // the put and the loop's check
}

/** `const S = ...;`, the sentinel's own statement, which nothing uses once the queue is a channel. */
function sentinelDeclaration(p: Pass, name: string): ts.VariableStatement | undefined {
  let found: ts.VariableStatement | undefined;
  walk(p.sf, (n) => {
    if (
      ts.isVariableStatement(n) &&
      n.declarationList.declarations.length === 1 &&
      !n.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
      p.src(n.declarationList.declarations[0]!.name) === name
    )
      found = n;
  });
  return found;
}

/** The queue's union type without the sentinel's member: `T | null` → `T`. */
function withoutSentinel(p: Pass, type: ts.TypeNode, sentinel: string): string {
  if (!ts.isUnionTypeNode(type)) return p.src(type);
  const isSentinel = (t: ts.TypeNode) =>
    sentinel === 'null'
      ? ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword
      : sentinel === 'undefined'
        ? t.kind === ts.SyntaxKind.UndefinedKeyword
        : ts.isTypeQueryNode(t) && p.src(t.exprName) === sentinel;
  const kept = type.types.filter((t) => !isSentinel(t));
  return (kept.length > 0 ? kept : type.types).map((t) => p.src(t)).join(' | ');
}

/**
 * The edit that removes the statement `stmt`: its whole line when it stands alone there (and a
 * blank line, if it stood between two), else just the statement.
 */
function removal(p: Pass, stmt: ts.Node): Edit {
  const text = p.text;
  const start = text.lastIndexOf('\n', stmt.getStart(p.sf) - 1) + 1;
  let end = text.indexOf('\n', stmt.end) + 1 || text.length;
  if (text.slice(start, end).trim() !== p.src(stmt)) {
    const from = stmt.getStart(p.sf);
    const spaces = /[ \t]*$/.exec(text.slice(start, from))![0].length;
    return { start: from - spaces, end: stmt.end, text: '' };
  }
  if (text.slice(start - 2, start) === '\n\n' && text[end] === '\n') end += 1;
  return { start, end, text: '' };
}
