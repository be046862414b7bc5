/**
 * Property tests: random trees of nurseries, cancel scopes, shields, deadlines, sleeps, failures
 * and cancellations, run under an autojumping MockClock, checked against the kernel's invariants.
 */
import fc from 'fast-check';
import {
  Cancelled,
  CancelScope,
  ExceptionGroup,
  MockClock,
  currentTime,
  openNursery,
  run,
  sleep,
} from '@duet/kernel';

type Step =
  | { kind: 'sleep'; seconds: number }
  | { kind: 'fail' }
  | { kind: 'cancelLater'; depth: number; after: number }
  | { kind: 'scope'; deadline: number | null; shield: boolean; body: Step[] }
  | { kind: 'nursery'; children: Step[][]; body: Step[] };

const stepArb = fc.letrec<{ step: Step; steps: Step[] }>((tie) => ({
  step: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('sleep' as const), seconds: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('fail' as const) }),
    fc.record({
      kind: fc.constant('cancelLater' as const),
      depth: fc.integer({ min: 0, max: 3 }),
      after: fc.integer({ min: 0, max: 4 }),
    }),
    fc.record({
      kind: fc.constant('scope' as const),
      deadline: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
      shield: fc.boolean(),
      body: tie('steps') as fc.Arbitrary<Step[]>,
    }),
    fc.record({
      kind: fc.constant('nursery' as const),
      children: fc.array(tie('steps') as fc.Arbitrary<Step[]>, { maxLength: 3 }),
      body: tie('steps') as fc.Arbitrary<Step[]>,
    }),
  ),
  steps: fc.array(tie('step') as fc.Arbitrary<Step>, { maxLength: 4 }),
}));

interface Log {
  thrown: Set<Error>;
  violations: string[];
  stamp: number;
}

function leaves(err: unknown, out: unknown[] = []): unknown[] {
  if (err instanceof ExceptionGroup) for (const e of err.exceptions) leaves(e, out);
  else out.push(err);
  return out;
}

/** True if cancellation is in force at the innermost scope of `chain` (outermost first). */
function effective(chain: CancelScope[]): boolean {
  for (let i = chain.length - 1; i >= 0; i--) {
    const scope = chain[i]!;
    if (scope.cancelCalled) return true;
    if (scope.shield) return false;
  }
  return false;
}

async function exec(steps: Step[], chain: CancelScope[], log: Log): Promise<void> {
  for (const step of steps) {
    switch (step.kind) {
      case 'sleep':
        try {
          await sleep(step.seconds);
        } catch (e) {
          if (e instanceof Cancelled && !effective(chain)) {
            log.violations.push(
              'Cancelled raised where no enclosing scope (up to a shield) was cancelled',
            );
          }
          throw e;
        }
        break;
      case 'fail': {
        const err = new Error(`failure ${log.thrown.size}`);
        log.thrown.add(err);
        throw err;
      }
      case 'cancelLater': {
        const target = chain[Math.max(0, chain.length - 1 - step.depth)];
        const when = currentTime() + step.after;
        // Cancel from "outside": a helper nursery would change the tree, so use the deadline.
        if (target !== undefined && target.deadline > when && chain.indexOf(target) > 0)
          target.deadline = when;
        break;
      }
      case 'scope': {
        const scope = new CancelScope(
          step.deadline === null
            ? { shield: step.shield }
            : { shield: step.shield, relativeDeadline: step.deadline },
        );
        let bodyRaisedCancel = false;
        let threw = false;
        try {
          await scope.run(async () => {
            try {
              await exec(step.body, [...chain, scope], log);
            } catch (e) {
              bodyRaisedCancel =
                e instanceof Cancelled ||
                (e instanceof ExceptionGroup && e.subgroup(Cancelled) !== null);
              throw e;
            }
          });
        } catch (e) {
          threw = true;
          const cancelledEscaped =
            e instanceof Cancelled ||
            (e instanceof ExceptionGroup && e.subgroup(Cancelled) !== null);
          if (cancelledEscaped && (scope.shield || !effective(chain))) {
            log.violations.push(
              'Cancelled escaped a scope although nothing outside it was cancelled',
            );
          }
          throw e;
        } finally {
          if (scope.cancelledCaught && !scope.cancelCalled)
            log.violations.push('cancelledCaught without cancelCalled');
          if (scope.cancelledCaught && !bodyRaisedCancel)
            log.violations.push('cancelledCaught but the body raised no Cancelled');
          if (!threw && bodyRaisedCancel && !scope.cancelledCaught) {
            log.violations.push(
              'the body raised Cancelled, the scope swallowed it, but cancelledCaught is false',
            );
          }
        }
        break;
      }
      case 'nursery': {
        const ended: number[] = [];
        await openNursery(async (n) => {
          const inner = [...chain, n.cancelScope];
          for (const child of step.children) {
            n.startSoon(async () => {
              try {
                await exec(child, inner, log);
              } finally {
                ended.push(log.stamp++);
              }
            });
          }
          await exec(step.body, inner, log);
        }).finally(() => {
          const exitStamp = log.stamp++;
          if (ended.length !== step.children.length || ended.some((s) => s > exitStamp)) {
            log.violations.push('a child outlived its nursery');
          }
        });
        break;
      }
    }
  }
}

describe('kernel invariants under random programs', () => {
  test('no task outlives its nursery, failures surface once, Cancelled never escapes', async () => {
    await fc.assert(
      fc.asyncProperty(stepArb.steps, async (program) => {
        const log: Log = { thrown: new Set(), violations: [], stamp: 0 };
        let outcome: unknown = null;
        await run({ clock: new MockClock({ autojumpThreshold: 0 }) }, async () => {
          const root = new CancelScope();
          try {
            await root.run(() => exec(program, [root], log));
          } catch (e) {
            outcome = e;
          }
        });
        const reported = outcome === null ? [] : leaves(outcome);
        expect(log.violations).toEqual([]);
        expect(reported.filter((e) => e instanceof Cancelled)).toEqual([]);
        // Every failure that was raised is reported exactly once.
        expect(reported.length).toBe(new Set(reported).size);
        expect(new Set(reported)).toEqual(log.thrown);
      }),
      { numRuns: 400 },
    );
  });
});
