// Each rule with ESLint's RuleTester and the typescript-eslint parser: the mistake is caught,
// correct code passes, and the autofix or suggestion produces the intended code.
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import plugin, { rules } from '@duet/eslint-plugin';

const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
});

const trio = "import { failAfter, moveOnAfter, openNursery, run, sleep } from '@duet/trio';\n";
const aio = "import { TimeoutError, createTask, run, waitFor } from '@duet/asyncio';\n";

tester.run('await-duet', rules['await-duet']!, {
  valid: [
    `${trio}async function f() { await sleep(1); }`,
    `${trio}async function f() { const scope = moveOnAfter(1); await scope.run(() => sleep(2)); }`,
    `${trio}function f() { return sleep(1); }`,
    `import { sleep } from './local';\nasync function f() { sleep(1); }`,
    // Synchronous: nothing to await (a false positive the repo's own code caught).
    "import { checkpointIfCancelled } from '@duet/kernel';\nasync function f() { checkpointIfCancelled(); }",
  ],
  invalid: [
    {
      code: `${trio}async function f() { sleep(1); }`,
      output: `${trio}async function f() { await sleep(1); }`,
      errors: [{ messageId: 'notAwaited' }],
    },
    {
      code: `${trio}const f = async () => { moveOnAfter(1, () => sleep(2)); };`,
      output: `${trio}const f = async () => { await moveOnAfter(1, () => sleep(2)); };`,
      errors: [{ messageId: 'notAwaited' }],
    },
    {
      code: `${aio}function f() { waitFor(() => g(), 1); }`,
      output: null, // not in an async function: no safe fix
      errors: [{ messageId: 'notAwaited' }],
    },
  ],
});

tester.run('pass-function', rules['pass-function']!, {
  valid: [
    `${trio}async function work(n: number) {}\nawait openNursery(async (n) => { n.startSoon(work, 1); });`,
    `${trio}function makeWorker() { return async () => {}; }\nawait openNursery(async (n) => { n.startSoon(makeWorker()); });`,
    `${aio}async function main() {}\nawait run(main);`,
    `${trio}async function main() {}\nawait run({}, main);`,
  ],
  invalid: [
    {
      code: `${trio}async function work(n: number) {}\nawait openNursery(async (n) => { n.startSoon(work(1)); });`,
      output: `${trio}async function work(n: number) {}\nawait openNursery(async (n) => { n.startSoon(work, 1); });`,
      errors: [{ messageId: 'started' }],
    },
    {
      code: `${aio}const work = async (n: number) => n;\ncreateTask(work(2));`,
      output: `${aio}const work = async (n: number) => n;\ncreateTask(() => work(2));`,
      errors: [{ messageId: 'started' }],
    },
    {
      code: `${aio}async function main() {}\nawait run(main());`,
      output: `${aio}async function main() {}\nawait run(main);`,
      errors: [{ messageId: 'started' }],
    },
    {
      code: `${trio}async function main() {}\nawait run({ clock }, main());`,
      output: `${trio}async function main() {}\nawait run({ clock }, main);`,
      errors: [{ messageId: 'started' }],
    },
    {
      code: `${aio}createTask((async () => 1)());`,
      output: `${aio}createTask(() => (async () => 1)());`,
      errors: [{ messageId: 'started' }],
    },
  ],
});

const trioWith = (extra: string) =>
  `import { failAfter, moveOnAfter, openNursery, run, sleep, ${extra} } from '@duet/trio';\n`;
tester.run('foreign-await-signal', rules['foreign-await-signal']!, {
  valid: [
    `${trio}await moveOnAfter(1, async () => { await fetch(url, { signal: currentSignal() }); });`,
    `${trio}await moveOnAfter(1, async () => { await awaitForeign(fetch(url)); });`,
    `${trio}async function f() { await fetch(url); }`,
    `${trio}await moveOnAfter(1, async () => { setTimeout(async () => { await fetch(url); }); });`,
  ],
  invalid: [
    {
      // The suggestions import what they use.
      code: `${trio}await moveOnAfter(1, async () => { await fetch(url); });`,
      errors: [
        {
          messageId: 'noSignal',
          suggestions: [
            {
              messageId: 'addSignal',
              output: `${trioWith('currentSignal')}await moveOnAfter(1, async () => { await fetch(url, { signal: currentSignal() }); });`,
            },
            {
              messageId: 'wrap',
              output: `${trioWith('awaitForeign')}await moveOnAfter(1, async () => { await awaitForeign(fetch(url)); });`,
            },
          ],
        },
      ],
    },
    {
      // Already imported (from the kernel, under another name): used as it is.
      code: `${trio}import { currentSignal as signalOf } from '@duet/kernel';\nawait failAfter(1, async () => { await fetch(url); });`,
      errors: [
        {
          messageId: 'noSignal',
          suggestions: [
            {
              messageId: 'addSignal',
              output: `${trio}import { currentSignal as signalOf } from '@duet/kernel';\nawait failAfter(1, async () => { await fetch(url, { signal: signalOf() }); });`,
            },
            {
              messageId: 'wrap',
              output: `${trioWith('awaitForeign')}import { currentSignal as signalOf } from '@duet/kernel';\nawait failAfter(1, async () => { await awaitForeign(fetch(url)); });`,
            },
          ],
        },
      ],
    },
    {
      code: `${trio}await openNursery(async (n) => { await fetch(url, { method: 'POST' }); });`,
      errors: [
        {
          messageId: 'noSignal',
          suggestions: [
            {
              messageId: 'wrap',
              output: `${trioWith('awaitForeign')}await openNursery(async (n) => { await awaitForeign(fetch(url, { method: 'POST' })); });`,
            },
          ],
        },
      ],
    },
  ],
});

const both =
  "import { TooSlowError, failAfter } from '@duet/trio';\nimport { TimeoutError, waitFor } from '@duet/asyncio';\n";
tester.run('no-mixed-timeouts', rules['no-mixed-timeouts']!, {
  valid: [
    `${both}try { await failAfter(1, g); } catch (e) { if (e instanceof TooSlowError) {} }`,
    `${both}try { await waitFor(g, 1); } catch (e) { if (e instanceof TimeoutError) {} }`,
    `${both}try { await waitFor(g, 1); await failAfter(1, g); } catch (e) { if (e instanceof TimeoutError || e instanceof TooSlowError) {} }`,
  ],
  invalid: [
    {
      code: `${both}try { await failAfter(1, g); } catch (e) { if (e instanceof TimeoutError) {} }`,
      errors: [
        {
          messageId: 'mixed',
          data: { caught: 'TimeoutError', source: 'failAfter', raised: 'TooSlowError' },
          suggestions: [
            {
              messageId: 'catchRaised',
              output: `${both}try { await failAfter(1, g); } catch (e) { if (e instanceof TooSlowError) {} }`,
            },
          ],
        },
      ],
    },
    {
      code: `${both}try { await waitFor(g, 1); } catch (e) { if (!(e instanceof TooSlowError)) throw e; }`,
      errors: [
        {
          messageId: 'mixed',
          suggestions: [
            {
              messageId: 'catchRaised',
              output: `${both}try { await waitFor(g, 1); } catch (e) { if (!(e instanceof TimeoutError)) throw e; }`,
            },
          ],
        },
      ],
    },
    {
      // TooSlowError not imported yet: the suggestion adds it to the @duet/trio import.
      code: "import { failAfter } from '@duet/trio';\nimport { TimeoutError } from '@duet/asyncio';\ntry { await failAfter(1, g); } catch (e) { if (e instanceof TimeoutError) {} }",
      errors: [
        {
          messageId: 'mixed',
          suggestions: [
            {
              messageId: 'catchRaised',
              output:
                "import { failAfter, TooSlowError } from '@duet/trio';\nimport { TimeoutError } from '@duet/asyncio';\ntry { await failAfter(1, g); } catch (e) { if (e instanceof TooSlowError) {} }",
            },
          ],
        },
      ],
    },
  ],
});

test('the recommended preset enables every rule under the duet/ prefix', () => {
  expect(plugin.configs.recommended.plugins).toEqual({ duet: plugin });
  expect(Object.keys(plugin.configs.recommended.rules ?? {}).sort()).toEqual(
    Object.keys(rules)
      .map((r) => `duet/${r}`)
      .sort(),
  );
});
