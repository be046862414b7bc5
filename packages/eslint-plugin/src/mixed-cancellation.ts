/**
 * `duet/no-mixed-timeouts`: a `catch` that tests for one style's timeout error around the other
 * style's timeout. Trio's `failAfter` raises `TooSlowError`, asyncio's `waitFor`/`timeout` raise
 * `TimeoutError`: the `instanceof` test is never true, so the timeout escapes as a failure.
 */
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { duetImports } from './imports';

const RAISES: Record<string, { error: string; style: string }> = {
  failAfter: { error: 'TooSlowError', style: '@duet/trio' },
  failAt: { error: 'TooSlowError', style: '@duet/trio' },
  waitFor: { error: 'TimeoutError', style: '@duet/asyncio' },
  timeout: { error: 'TimeoutError', style: '@duet/asyncio' },
  timeoutAt: { error: 'TimeoutError', style: '@duet/asyncio' },
};

export const noMixedTimeouts: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description: "disallow catching one style's timeout error around the other style's timeout",
    },
    messages: {
      mixed:
        "{{caught}} never comes from {{source}}(), which raises {{raised}}. Catch {{raised}}, or call it through the bridge (aioAsTrio) to keep asyncio's errors.",
    },
    schema: [],
  },
  create(context) {
    const imports = duetImports(context);
    return {
      TryStatement(node: ESTree.TryStatement) {
        const handler = node.handler;
        if (!handler) return;
        const sources: { name: string; error: string }[] = [];
        const visit = (n: ESTree.Node | null | undefined) => {
          if (!n || typeof n !== 'object') return;
          if (n.type === 'CallExpression' && n.callee.type === 'Identifier') {
            const found = imports.get(n.callee.name);
            const raises = found && RAISES[found.name];
            if (raises && raises.style === found.module)
              sources.push({ name: found.name, error: raises.error });
          }
          for (const [key, value] of Object.entries(n)) {
            if (key === 'parent') continue;
            if (Array.isArray(value))
              value.forEach((v) => v && typeof v.type === 'string' && visit(v));
            else if (value && typeof (value as ESTree.Node).type === 'string')
              visit(value as ESTree.Node);
          }
        };
        visit(node.block);
        if (sources.length === 0) return;
        const raised = new Set(sources.map((s) => s.error));
        const seen = new Set<string>();
        const check = (n: ESTree.Node | null | undefined) => {
          if (!n || typeof n !== 'object') return;
          if (
            n.type === 'BinaryExpression' &&
            n.operator === 'instanceof' &&
            n.right.type === 'Identifier'
          ) {
            const found = imports.get(n.right.name);
            const caught =
              found && ['TooSlowError', 'TimeoutError'].includes(found.name)
                ? found.name
                : undefined;
            if (caught && !raised.has(caught) && !seen.has(caught)) {
              seen.add(caught);
              const source = sources[0]!;
              context.report({
                node: n,
                messageId: 'mixed',
                data: { caught, source: source.name, raised: source.error },
              });
            }
          }
          for (const [key, value] of Object.entries(n)) {
            if (key === 'parent') continue;
            if (Array.isArray(value))
              value.forEach((v) => v && typeof v.type === 'string' && check(v));
            else if (value && typeof (value as ESTree.Node).type === 'string')
              check(value as ESTree.Node);
          }
        };
        check(handler.body);
      },
    };
  },
};
