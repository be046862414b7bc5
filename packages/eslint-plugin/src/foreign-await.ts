/**
 * `duet/foreign-await-signal`: inside a Trio cancel scope's body (`moveOnAfter`, `failAfter`,
 * `openNursery`, ...), a plain `await fetch(...)` without a `signal`. The kernel cannot see that
 * wait, so the scope's timeout or cancel does not stop it. Suggests passing `currentSignal()` or
 * wrapping the Promise with `awaitForeign` (a cancellable checkpoint).
 */
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { calleeImport, duetImports, ensureImported } from './imports';

const SCOPES = new Set(['moveOnAfter', 'moveOnAt', 'failAfter', 'failAt', 'openNursery']);
/** Where the suggestions' `currentSignal` and `awaitForeign` come from (added to the first). */
const KERNEL_NAMES = ['@duet/trio', '@duet/kernel'];
/** Foreign calls that take an AbortSignal in an options object. */
const FOREIGN = new Set(['fetch']);

function hasSignal(call: ESTree.CallExpression): boolean {
  return call.arguments.some(
    (a) =>
      a.type === 'ObjectExpression' &&
      a.properties.some(
        (p) =>
          p.type === 'SpreadElement' ||
          (p.type === 'Property' && p.key.type === 'Identifier' && p.key.name === 'signal'),
      ),
  );
}

export const foreignAwaitSignal: Rule.RuleModule = {
  meta: {
    type: 'problem',
    hasSuggestions: true,
    docs: { description: 'require the scope signal on foreign awaits inside a cancel scope' },
    messages: {
      noSignal:
        'await {{name}}(...) inside {{scope}}() ignores the scope: its timeout or cancel will not stop it. Pass `signal: currentSignal()` or wrap it with awaitForeign().',
      addSignal: 'Pass { signal: currentSignal() }',
      wrap: 'Wrap the Promise with awaitForeign()',
    },
    schema: [],
  },
  create(context) {
    const imports = duetImports(context);
    const src = context.sourceCode;
    return {
      'AwaitExpression > CallExpression'(node: ESTree.CallExpression & Rule.NodeParentExtension) {
        if (node.callee.type !== 'Identifier' || !FOREIGN.has(node.callee.name) || hasSignal(node))
          return;
        const ancestors = src.getAncestors(node);
        let scope: string | undefined;
        for (let i = ancestors.length - 1; i > 0; i--) {
          const fn = ancestors[i]!;
          if (!fn.type.includes('Function')) continue;
          const call = ancestors[i - 1]!;
          const found = call.type === 'CallExpression' ? calleeImport(imports, call) : undefined;
          if (found && found.module === '@duet/trio' && SCOPES.has(found.name)) scope = found.name;
          break; // only the innermost function: an inner callback may run elsewhere
        }
        if (!scope) return;
        const suggest: Rule.SuggestionReportDescriptor[] = [
          {
            messageId: 'wrap',
            fix: (fixer) => {
              const { local, fixes } = ensureImported(context, fixer, KERNEL_NAMES, 'awaitForeign');
              return [...fixes, fixer.replaceText(node, `${local}(${src.getText(node)})`)];
            },
          },
        ];
        if (node.arguments.length === 1)
          suggest.unshift({
            messageId: 'addSignal',
            fix: (fixer) => {
              const { local, fixes } = ensureImported(
                context,
                fixer,
                KERNEL_NAMES,
                'currentSignal',
              );
              const signal = `, { signal: ${local}() }`;
              return [...fixes, fixer.insertTextAfter(node.arguments[0]!, signal)];
            },
          });
        context.report({
          node,
          messageId: 'noSignal',
          data: { name: node.callee.name, scope },
          suggest,
        });
      },
    };
  },
};
