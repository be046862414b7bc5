/**
 * `duet/await-duet`: a Duet wait or scope call whose Promise is dropped. The call starts a wait
 * that nobody waits for: the task goes on at once, and the next wait fails with "a wait started
 * while another is pending". The fix (inside an async function) is to add `await`.
 */
import type { Rule } from 'eslint';
import { calleeImport, duetImports, inAsyncFunction } from './imports';

/** Calls that always return a Promise of a wait (not `checkpointIfCancelled`, which is synchronous). */
const WAITS = new Set([
  'sleep',
  'sleepUntil',
  'sleepForever',
  'checkpoint',
  'openNursery',
  'waitFor',
  'gather',
  'awaitPromise',
  'awaitForeign',
  'awaitFuture',
  'awaitEvent',
  'wait',
  'runWithSignal',
  'openAsyncioLoop',
]);
/** Scope calls that return a Promise only when given a body (without one they return the scope). */
const SCOPES = new Set(['moveOnAfter', 'moveOnAt', 'failAfter', 'failAt', 'timeout', 'timeoutAt']);

export const awaitDuet: Rule.RuleModule = {
  meta: {
    type: 'problem',
    fixable: 'code',
    docs: { description: 'require awaiting the Promise of a Duet wait or scope call' },
    messages: {
      notAwaited:
        '{{name}}() returns a Promise that is not awaited: the task does not wait, and its next wait fails. Add `await`.',
    },
    schema: [],
  },
  create(context) {
    const imports = duetImports(context);
    return {
      'ExpressionStatement > CallExpression'(node: Rule.Node & { type: 'CallExpression' }) {
        const found = calleeImport(imports, node);
        if (!found) return;
        const isWait =
          WAITS.has(found.name) || (SCOPES.has(found.name) && node.arguments.length >= 2);
        if (!isWait) return;
        const async = inAsyncFunction(context.sourceCode.getAncestors(node));
        context.report({
          node,
          messageId: 'notAwaited',
          data: { name: found.name },
          fix: async ? (fixer) => fixer.insertTextBefore(node, 'await ') : null,
        });
      },
    };
  },
};
