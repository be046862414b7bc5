/**
 * `duet/pass-function`: a called function passed where Duet wants the function itself —
 * `nursery.startSoon(work())`, `createTask(work())`, `run(main())`. Calling it starts the work at
 * once, outside any task. Flagged when the called function is known to be async (declared so in
 * the file) or is an async IIFE; the fix passes the function instead.
 */
import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import { calleeImport, duetImports } from './imports';

const METHODS = new Set(['startSoon', 'start', 'createTask']);
const FUNCTIONS = new Set([
  'run',
  'createTask',
  'aioAsTrio',
  'trioAsAio',
  'openAsyncioLoop',
  'runWithSignal',
]);

function isAsyncFunction(node: ESTree.Node | null | undefined): boolean {
  return (
    !!node &&
    (node.type === 'FunctionDeclaration' ||
      node.type === 'FunctionExpression' ||
      node.type === 'ArrowFunctionExpression') &&
    !!node.async
  );
}

/** Whether `call` starts async work: an async IIFE, or a call of an async function of this file. */
function startsAsyncWork(call: ESTree.CallExpression, scope: Scope.Scope): boolean {
  if (isAsyncFunction(call.callee as ESTree.Node)) return true;
  if (call.callee.type !== 'Identifier') return false;
  const name = call.callee.name;
  for (let s: Scope.Scope | null = scope; s; s = s.upper) {
    const variable = s.set.get(name);
    if (!variable) continue;
    return variable.defs.some(
      (d) =>
        isAsyncFunction(d.node as ESTree.Node) ||
        (d.type === 'Variable' && isAsyncFunction(d.node.init as ESTree.Node)),
    );
  }
  return false;
}

export const passFunction: Rule.RuleModule = {
  meta: {
    type: 'problem',
    fixable: 'code',
    docs: { description: 'require passing a function, not a started Promise, to Duet' },
    messages: {
      started:
        '{{api}}() wants the function itself: {{call}} starts the work now, outside any task. Pass the function.',
    },
    schema: [],
  },
  create(context) {
    const imports = duetImports(context);
    const src = context.sourceCode;
    return {
      CallExpression(node: ESTree.CallExpression & Rule.NodeParentExtension) {
        const callee = node.callee;
        let api: string | undefined;
        if (
          callee.type === 'MemberExpression' &&
          callee.property.type === 'Identifier' &&
          METHODS.has(callee.property.name)
        )
          api = callee.property.name;
        const found = calleeImport(imports, node);
        if (found && FUNCTIONS.has(found.name)) api = found.name;
        if (!api) return;
        // Trio's run takes options first: run({ clock }, main()).
        const index = api === 'run' && node.arguments[0]?.type === 'ObjectExpression' ? 1 : 0;
        const arg = node.arguments[index];
        if (!arg || arg.type !== 'CallExpression' || !startsAsyncWork(arg, src.getScope(node)))
          return;
        const inner = arg.callee;
        const args = arg.arguments.map((a) => src.getText(a));
        const startSoon = api === 'startSoon' || api === 'start';
        context.report({
          node: arg,
          messageId: 'started',
          data: { api, call: `${src.getText(inner)}(...)` },
          fix: (fixer) =>
            startSoon && inner.type === 'Identifier'
              ? fixer.replaceText(arg, [inner.name, ...args].join(', '))
              : args.length === 0 && inner.type === 'Identifier'
                ? fixer.replaceText(arg, inner.name)
                : fixer.replaceText(arg, `() => ${src.getText(arg)}`),
        });
      },
    };
  },
};
