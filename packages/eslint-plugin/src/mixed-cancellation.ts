/**
 * `duet/no-mixed-timeouts`: a `catch` that tests for one style's timeout error around the other
 * style's timeout. Trio's `failAfter` raises `TooSlowError`, asyncio's `waitFor`/`timeout` raise
 * `TimeoutError`: the `instanceof` test is never true, so the timeout escapes as a failure.
 */
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { duetImports, ensureImported } from './imports';

const RAISES: Record<string, { error: string; style: string }> = {
  failAfter: { error: 'TooSlowError', style: '@duet/trio' },
  failAt: { error: 'TooSlowError', style: '@duet/trio' },
  waitFor: { error: 'TimeoutError', style: '@duet/asyncio' },
  timeout: { error: 'TimeoutError', style: '@duet/asyncio' },
  timeoutAt: { error: 'TimeoutError', style: '@duet/asyncio' },
};

/** Calls `visit` on `node` and every node below it. */
function descendants(node: ESTree.Node, visit: (n: ESTree.Node) => void): void {
  visit(node);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'parent') continue;
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof (child as ESTree.Node).type === 'string')
        descendants(child as ESTree.Node, visit);
    }
  }
}

export const noMixedTimeouts: Rule.RuleModule = {
  meta: {
    type: 'problem',
    hasSuggestions: true,
    docs: {
      description: "disallow catching one style's timeout error around the other style's timeout",
    },
    messages: {
      mixed:
        "{{caught}} never comes from {{source}}(), which raises {{raised}}. Catch {{raised}}, or call it through the bridge (aioAsTrio) to keep asyncio's errors.",
      catchRaised: 'Catch {{raised}} instead',
    },
    schema: [],
  },
  create(context) {
    const imports = duetImports(context);
    return {
      TryStatement(node: ESTree.TryStatement) {
        const handler = node.handler;
        if (!handler) return;
        const sources: { name: string; error: string; style: string }[] = [];
        descendants(node.block, (n) => {
          if (n.type !== 'CallExpression' || n.callee.type !== 'Identifier') return;
          const found = imports.get(n.callee.name);
          const raises = found && RAISES[found.name];
          if (raises && raises.style === found.module)
            sources.push({ name: found.name, ...raises });
        });
        if (sources.length === 0) return;
        const raised = new Set(sources.map((s) => s.error));
        const seen = new Set<string>();
        descendants(handler.body, (n) => {
          if (
            n.type !== 'BinaryExpression' ||
            n.operator !== 'instanceof' ||
            n.right.type !== 'Identifier'
          )
            return;
          const found = imports.get(n.right.name);
          const caught =
            found && ['TooSlowError', 'TimeoutError'].includes(found.name) ? found.name : undefined;
          if (!caught || raised.has(caught) || seen.has(caught)) return;
          seen.add(caught);
          const source = sources[0]!;
          const right = n.right;
          // A suggestion, not a fix: the handler then catches timeouts it let through before.
          context.report({
            node: n,
            messageId: 'mixed',
            data: { caught, source: source.name, raised: source.error },
            suggest: [
              {
                messageId: 'catchRaised',
                data: { raised: source.error },
                fix: (fixer) => {
                  const { local, fixes } = ensureImported(
                    context,
                    fixer,
                    [source.style],
                    source.error,
                  );
                  return [...fixes, fixer.replaceText(right, local)];
                },
              },
            ],
          });
        });
      },
    };
  },
};
