/**
 * Model-based property test: random programs mixing Trio nurseries, asyncio TaskGroups, cancel
 * scopes (shields, deadlines, cancellation from outside), sleeps and failures run on both facades
 * in one kernel run under an autojumping MockClock, and every observable result is compared with a
 * reference model that computes, from the program alone, when each sleep ends or is cancelled,
 * which scope catches each `Cancelled`, what each nursery and task group raises, and when the run
 * ends.
 *
 * Times are made unambiguous by construction: every timed step (sleep, deadline, outside cancel)
 * gets a unique binary fraction 2^-(id+1) on top of a small integer, so two events can only happen
 * at the same virtual instant when one causes the other. When the model meets a true tie (two
 * unrelated events at one instant, whose order is up to the scheduler), it marks the program
 * ambiguous and only the model-free invariants are checked for it.
 *
 * Runs: DUET_PROPERTY_RUNS (default 2000, what CI runs), DUET_PROPERTY_SEED (a number, or `random`); a failure prints fast-check's seed and path:
 * replay it with `fc.assert(..., { seed, path })` and add the program to REGRESSIONS below.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  CancelScope,
  Cancelled,
  ExceptionGroup,
  currentTime,
  openNursery,
  run,
  sleep,
} from '@duet/trio';
import { MockClock } from '@duet/trio/testing';
import { callAt, currentRunner } from '@duet/kernel';
import { TaskGroup, sleep as aioSleep } from '@duet/asyncio';

// ---------------------------------------------------------------------------------------------
// Programs

type Step =
  | { k: 'sleep'; base: number; aio: boolean; id: number }
  | { k: 'fail'; id: number }
  | {
      k: 'scope';
      id: number;
      deadline: number | null;
      cancelAt: number | null;
      shield: boolean;
      body: Step[];
    }
  | { k: 'nursery'; id: number; children: Step[][]; body: Step[] }
  | { k: 'group'; id: number; children: Step[][]; body: Step[] };

type RawStep =
  | { k: 'sleep'; base: number; aio: boolean }
  | { k: 'fail' }
  | {
      k: 'scope';
      deadline: number | null;
      cancelAt: number | null;
      shield: boolean;
      body: RawStep[];
    }
  | { k: 'nursery'; children: RawStep[][]; body: RawStep[] }
  | { k: 'group'; children: RawStep[][]; body: RawStep[] };

const rawArb = fc.letrec<{ step: RawStep; steps: RawStep[] }>((tie) => ({
  step: fc.oneof(
    { depthSize: 'small', maxDepth: 5, withCrossShrink: true },
    {
      weight: 4,
      arbitrary: fc.record({
        k: fc.constant('sleep' as const),
        base: fc.integer({ min: 0, max: 3 }),
        aio: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('fail' as const) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('scope' as const),
        deadline: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
        cancelAt: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
        shield: fc.boolean(),
        body: tie('steps') as fc.Arbitrary<RawStep[]>,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('nursery' as const),
        children: fc.array(tie('steps') as fc.Arbitrary<RawStep[]>, { maxLength: 3 }),
        body: tie('steps') as fc.Arbitrary<RawStep[]>,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('group' as const),
        children: fc.array(tie('steps') as fc.Arbitrary<RawStep[]>, { maxLength: 3 }),
        body: tie('steps') as fc.Arbitrary<RawStep[]>,
      }),
    },
  ),
  steps: fc.array(tie('step') as fc.Arbitrary<RawStep>, { maxLength: 3 }),
}));

/** Numbers every node; timed nodes (sleeps, deadlines, outside cancels) share one fraction pool. */
function number(raw: RawStep[]): { program: Step[]; timed: number } {
  let next = 0;
  let frac = 0;
  const steps = (list: RawStep[]): Step[] =>
    list.map((s): Step => {
      const id = next++;
      switch (s.k) {
        case 'sleep':
          return { ...s, id: frac++ };
        case 'fail':
          return { k: 'fail', id };
        case 'scope': {
          const step: Step = {
            k: 'scope',
            id,
            shield: s.shield,
            deadline: s.deadline === null ? null : s.deadline + fraction(frac++),
            cancelAt: s.cancelAt === null ? null : s.cancelAt + fraction(frac++),
            body: [],
          };
          step.body = steps(s.body);
          return step;
        }
        case 'nursery':
        case 'group': {
          const body = steps(s.body);
          return { k: s.k, id, body, children: s.children.map(steps) };
        }
      }
    });
  const program = steps(raw);
  return { program, timed: frac };
}

/** 2^-(i+1): sums of distinct fractions never collide (exact in a double up to ~45 of them). */
function fraction(i: number): number {
  return 2 ** -(i + 1);
}

const MAX_TIMED = 44;

function duration(step: { base: number; id: number }): number {
  return step.base + fraction(step.id);
}

// ---------------------------------------------------------------------------------------------
// Canonical form of what was raised: f<id> (a failure), C (Cancelled), N[...] (a nursery's group),
// G[...] (a TaskGroup's group). Group members are sorted.

type Canon = { t: 'f'; id: number } | { t: 'C' } | { t: 'N' | 'G'; items: Canon[] };

function show(c: Canon | null): string {
  if (c === null) return 'ok';
  if (c.t === 'f') return `f${c.id}`;
  if (c.t === 'C') return 'C';
  return `${c.t}[${c.items.map(show).sort().join(',')}]`;
}

class Failure extends Error {
  constructor(readonly id: number) {
    super(`failure ${id}`);
  }
}

function canonOf(err: unknown): Canon {
  if (err instanceof Cancelled) return { t: 'C' };
  if (err instanceof Failure) return { t: 'f', id: err.id };
  if (err instanceof ExceptionGroup) {
    const kind = err.message.includes('TaskGroup') ? 'G' : 'N';
    return { t: kind, items: err.exceptions.map(canonOf) };
  }
  throw new Error(`unexpected error in a random program: ${String(err)}`, { cause: err });
}

function hasC(c: Canon): boolean {
  return c.t === 'C' || (c.t !== 'f' && c.items.some(hasC));
}

/** ExceptionGroup.split(Cancelled)'s rest: Cancelled removed at every level, empty groups dropped. */
function withoutC(c: Canon): Canon | null {
  if (c.t === 'C') return null;
  if (c.t === 'f') return c;
  const items = c.items.map(withoutC).filter((x): x is Canon => x !== null);
  return items.length === 0 ? null : { t: c.t, items };
}

// ---------------------------------------------------------------------------------------------
// The reference model

interface MScope {
  cancel: number; // the virtual time this scope is cancelled at (Infinity: never)
  shield: boolean;
  /** For a nursery cancelled by a failure: the path of the task (or body) that raised it. */
  cause?: string;
}

interface Out {
  end: number;
  err: Canon | null;
}

interface Record {
  caught: Map<number, boolean>; // scope id -> cancelledCaught
  raised: Map<number, string>; // nursery / group id -> what it raised
  ambiguous: string | null;
}

/**
 * Whether cancellation has reached the innermost scope of `chain` by time `t`, seen from the task
 * (or nursery body) at `path`: a nursery cancelled at `t` by this very path raising is cancelled
 * only after what this path does at `t`.
 */
function cancelledBy(chain: MScope[], t: number, path: string): boolean {
  for (let i = chain.length - 1; i >= 0; i--) {
    const s = chain[i]!;
    if (s.cancel < t || (s.cancel === t && !(s.cause !== undefined && path.startsWith(s.cause))))
      return true;
    if (s.shield) break;
  }
  return false;
}

/** When cancellation reaches the innermost scope of `chain` (Trio: up to the nearest shield). */
function levelTime(chain: MScope[]): number {
  let c = Infinity;
  for (let i = chain.length - 1; i >= 0; i--) {
    c = Math.min(c, chain[i]!.cancel);
    if (chain[i]!.shield) break;
  }
  return c;
}

class Model {
  constructor(private rec: Record) {}

  private tie(why: string): void {
    this.rec.ambiguous ??= why;
  }

  /** Runs `steps` from time `t` in a task inside `chain`, with asyncio edge cancel at `edge`. */
  steps(steps: Step[], t: number, chain: MScope[], edge: number, path: string): Out {
    for (const step of steps) {
      const out = this.step(step, t, chain, edge, path);
      if (out.err !== null) return out;
      t = out.end;
    }
    return { end: t, err: null };
  }

  private step(step: Step, t: number, chain: MScope[], edge: number, path: string): Out {
    switch (step.k) {
      case 'fail':
        return { end: t, err: { t: 'f', id: step.id } };
      case 'sleep': {
        const d = duration(step);
        const c = Math.min(levelTime(chain), edge); // an edge cancel goes through shields
        if (c === t || c === t + d) this.tie(`a cancel and a sleep meet at ${c}`);
        if (c <= t) return { end: t, err: { t: 'C' } };
        if (c < t + d) return { end: c, err: { t: 'C' } };
        return { end: t + d, err: null };
      }
      case 'scope': {
        const scope: MScope = {
          shield: step.shield,
          cancel: Math.min(
            step.deadline === null ? Infinity : t + step.deadline,
            step.cancelAt === null ? Infinity : t + step.cancelAt,
          ),
        };
        const out = this.steps(step.body, t, [...chain, scope], edge, path);
        const err = this.exitScope(scope, chain, out, path);
        this.rec.caught.set(step.id, err.caught);
        return { end: out.end, err: err.err };
      }
      case 'nursery':
        return this.nursery(step, t, chain, edge, path);
      case 'group':
        return this.group(step, t, chain, edge, path);
    }
  }

  /** A scope's exit: the outermost cancelled scope (up to a shield) catches Cancelled. */
  private exitScope(
    scope: MScope,
    outer: MScope[],
    out: Out,
    path: string,
  ): { err: Canon | null; caught: boolean } {
    if (out.err === null || !hasC(out.err)) return { err: out.err, caught: false };
    const parentVisible = !scope.shield && cancelledBy(outer, out.end, path);
    const effective = cancelledBy([scope], out.end, path) || parentVisible;
    if (!effective || parentVisible) return { err: out.err, caught: false };
    return { err: withoutC(out.err), caught: true };
  }

  private nursery(
    step: Extract<Step, { k: 'nursery' }>,
    t: number,
    chain: MScope[],
    edge: number,
    path: string,
  ): Out {
    const paths = [
      `${path}/n${step.id}b`,
      ...step.children.map((_, i) => `${path}/n${step.id}c${i}`),
    ];
    const attempt = (scope: MScope, rec: Record): Out[] => {
      const model = new Model(rec);
      const inner = [...chain, scope];
      // The body runs first (children start at its first schedule point); children get no edge.
      const outs = [model.steps(step.body, t, inner, edge, paths[0]!)];
      step.children.forEach((child, i) =>
        outs.push(model.steps(child, t, inner, Infinity, paths[i + 1]!)),
      );
      return outs;
    };
    const scratch: Record = { caught: new Map(), raised: new Map(), ambiguous: null };
    const first = attempt({ cancel: Infinity, shield: false }, scratch);
    if (scratch.ambiguous !== null) this.tie(scratch.ambiguous);
    const failAt = Math.min(...first.filter((o) => o.err !== null).map((o) => o.end));
    const firstAt = first.filter((o) => o.err !== null && o.end === failAt);
    if (firstAt.length > 1 && firstAt.some((o) => o.err!.t !== 'C'))
      this.tie('two tasks of a nursery raise at once');
    const cause = paths[first.findIndex((o) => o.err !== null && o.end === failAt)];
    const scope: MScope =
      cause === undefined
        ? { cancel: Infinity, shield: false }
        : { cancel: failAt, shield: false, cause };
    const outs = attempt(scope, this.rec);
    const end = Math.max(...outs.map((o) => o.end));
    const errors = outs.map((o) => o.err).filter((e): e is Canon => e !== null);
    let err: Canon | null = errors.length === 0 ? null : { t: 'N', items: errors };
    if (err !== null) {
      const parentVisible = cancelledBy(chain, end, path);
      if (scope.cancel <= end && !parentVisible && hasC(err)) err = withoutC(err);
    }
    this.rec.raised.set(step.id, show(err));
    return { end, err };
  }

  private group(
    step: Extract<Step, { k: 'group' }>,
    t: number,
    chain: MScope[],
    edge: number,
    path: string,
  ): Out {
    // The group's kernel nursery scope is never cancelled (asyncio tasks do not fail at the
    // kernel level): everything runs in `chain` plus an inert scope.
    const inner = [...chain, { cancel: Infinity, shield: false }];
    const attempt = (abortAt: number, bodyEdge: number, rec: Record) => {
      const model = new Model(rec);
      const body = model.steps(step.body, t, inner, Math.min(edge, bodyEdge), path);
      const children = step.children.map((child, i) => {
        if (abortAt === t) model.tie('a task group aborts as its children start');
        if (abortAt < t) return { end: t, err: { t: 'C' } as Canon };
        return model.steps(child, t, inner, abortAt, `${path}/g${step.id}c${i}`);
      });
      return { body, children };
    };
    const scratch: Record = { caught: new Map(), raised: new Map(), ambiguous: null };
    const first = attempt(Infinity, Infinity, scratch);
    if (scratch.ambiguous !== null) this.tie(scratch.ambiguous);
    const childFail = Math.min(
      ...first.children.filter((o) => o.err !== null && o.err.t !== 'C').map((o) => o.end),
    );
    const childrenEnd = Math.max(t, ...first.children.map((o) => o.end));
    // The body's error aborts the group, as does a cancel reaching it while it waits at the exit.
    let abortAt = childFail;
    let cancelledAtExit = false;
    if (first.body.err !== null) abortAt = Math.min(abortAt, first.body.end);
    else if (childrenEnd > first.body.end) {
      const c = Math.min(levelTime(chain), edge);
      const at = Math.max(c, first.body.end);
      if (at === childrenEnd || c === first.body.end || at === childFail)
        this.tie('a cancel meets a task group exit');
      if (at < childrenEnd && at < childFail) {
        abortAt = at;
        cancelledAtExit = true;
      }
    } else if (step.children.length > 0 && Math.min(levelTime(chain), edge) === childrenEnd) {
      // Children that take no time still finish after the body reaches the exit: a cancel at that
      // instant may or may not find the group waiting (found by seed 1, program ~1560).
      this.tie('a cancel meets a task group exit as its children finish');
    }
    const { body, children } = attempt(abortAt, childFail, this.rec);
    const end = Math.max(body.end, ...children.map((o) => o.end));
    const errors = children.map((o) => o.err).filter((e): e is Canon => e !== null && e.t !== 'C');
    if (body.err !== null && body.err.t !== 'C') errors.push(body.err);
    let err: Canon | null = null;
    if (errors.length !== 0) err = { t: 'G', items: errors };
    else if (body.err !== null)
      err = body.err; // the body's Cancelled
    // Cancelled while waiting for the children at the exit (not taken back: it came from outside).
    else if (cancelledAtExit) err = { t: 'C' };
    this.rec.raised.set(step.id, show(err));
    return { end, err };
  }
}

// ---------------------------------------------------------------------------------------------
// The real program

interface Log extends Record {
  failures: Set<number>;
  violations: string[];
  stamp: number;
}

async function exec(steps: Step[], log: Log): Promise<void> {
  for (const step of steps) {
    switch (step.k) {
      case 'sleep':
        if (step.aio) await aioSleep(duration(step));
        else await sleep(duration(step));
        break;
      case 'fail':
        log.failures.add(step.id);
        throw new Failure(step.id);
      case 'scope': {
        const scope = new CancelScope(
          step.deadline === null
            ? { shield: step.shield }
            : { shield: step.shield, relativeDeadline: step.deadline },
        );
        const timer =
          step.cancelAt === null
            ? null
            : callAt(currentRunner(), currentTime() + step.cancelAt, () => scope.cancel());
        try {
          await scope.run(() => exec(step.body, log));
        } finally {
          timer?.cancel();
          log.caught.set(step.id, scope.cancelledCaught);
        }
        break;
      }
      case 'nursery':
      case 'group': {
        const ended: number[] = [];
        const child = (body: Step[]) => async () => {
          try {
            await exec(body, log);
          } finally {
            ended.push(log.stamp++);
          }
        };
        let raised: unknown = null;
        const tasks: { done(): boolean }[] = [];
        try {
          if (step.k === 'nursery') {
            await openNursery(async (n) => {
              for (const c of step.children) n.startSoon(child(c));
              await exec(step.body, log);
            });
          } else {
            await new TaskGroup().run(async (tg) => {
              for (const c of step.children) tasks.push(tg.createTask(child(c)));
              await exec(step.body, log);
            });
          }
        } catch (e) {
          raised = e;
          throw e;
        } finally {
          const exit = log.stamp++;
          // (A task group's child cancelled before its first step never runs: ask the Task.)
          const unfinished =
            step.k === 'nursery'
              ? ended.length !== step.children.length
              : tasks.some((x) => !x.done());
          if (unfinished || ended.some((s) => s > exit))
            log.violations.push(`a task outlived its ${step.k} #${step.id}`);
          log.raised.set(step.id, raised === null ? 'ok' : show(canonOf(raised)));
        }
        break;
      }
    }
  }
}

function leaves(c: Canon, out: number[] = []): number[] {
  if (c.t === 'f') out.push(c.id);
  else if (c.t !== 'C') for (const i of c.items) leaves(i, out);
  return out;
}

interface Stats {
  runs: number;
  checkedByModel: number;
}

async function check(raw: RawStep[], stats: Stats): Promise<void> {
  if (process.env['DUET_PROPERTY_TRACE'])
    appendFileSync(process.env['DUET_PROPERTY_TRACE'], `${JSON.stringify(raw)}\n`);
  const { program, timed } = number(raw);
  const log: Log = {
    caught: new Map(),
    raised: new Map(),
    ambiguous: null,
    failures: new Set(),
    violations: [],
    stamp: 0,
  };
  let outcome: unknown = null;
  let end = 0;
  await run(
    {
      clock: new MockClock({ autojumpThreshold: 0 }),
      hangDetection: { deadlock: true, realTimeout: REAL_TIMEOUT },
    },
    async () => {
      try {
        await exec(program, log);
      } catch (e) {
        outcome = e;
      }
      end = currentTime();
    },
  );
  stats.runs++;
  expect(log.violations).toEqual([]);
  const top = outcome === null ? null : canonOf(outcome);
  // Nothing cancelled the root: no Cancelled may reach it, and every failure surfaces exactly once.
  if (top !== null) expect(hasC(top)).toBe(false);
  const reported = top === null ? [] : leaves(top);
  expect(reported.length).toBe(new Set(reported).size);
  expect(new Set(reported)).toEqual(log.failures);

  if (process.env['DUET_PROPERTY_TRACE'])
    appendFileSync(process.env['DUET_PROPERTY_TRACE'], `ran\n`);
  const rec: Record = { caught: new Map(), raised: new Map(), ambiguous: null };
  const predicted = new Model(rec).steps(program, 0, [], Infinity, '');
  if (rec.ambiguous !== null || timed > MAX_TIMED) return;
  stats.checkedByModel++;
  expect({ raised: show(top), end }).toEqual({ raised: show(predicted.err), end: predicted.end });
  expect(Object.fromEntries(log.caught)).toEqual(Object.fromEntries(rec.caught));
  expect(Object.fromEntries(log.raised)).toEqual(Object.fromEntries(rec.raised));
}

const REAL_TIMEOUT = Number(process.env['DUET_PROPERTY_REAL_TIMEOUT'] ?? 5);
const RUNS = Number(process.env['DUET_PROPERTY_RUNS'] ?? 2000);
/** CI replays a fixed seed, so a failure is reproducible; nightly (`DUET_PROPERTY_SEED=random`) explores. */
const SEED = process.env['DUET_PROPERTY_SEED'];
const seedOption = SEED === 'random' ? {} : { seed: Number(SEED ?? 1) };

/** Programs that once disagreed with the model (from failing seeds), kept as regressions. */
const REGRESSIONS: RawStep[][] = [
  // seed -34992430: an asyncio cancel delivered in a Trio nursery's body was swallowed by the
  // nursery's own scope (it arrived in an ExceptionGroup), so the cancelled task ran on.
  [
    {
      k: 'group',
      children: [
        [
          {
            k: 'scope',
            deadline: null,
            cancelAt: 0,
            shield: false,
            body: [{ k: 'sleep', base: 1, aio: false }],
          },
          { k: 'fail' },
        ],
        [
          {
            k: 'nursery',
            children: [
              [
                {
                  k: 'scope',
                  deadline: null,
                  cancelAt: null,
                  shield: true,
                  body: [{ k: 'sleep', base: 1, aio: false }],
                },
              ],
            ],
            body: [{ k: 'sleep', base: 1, aio: false }],
          },
          { k: 'sleep', base: 0, aio: false },
        ],
      ],
      body: [],
    },
  ],
];

describe('random programs of nurseries, task groups and scopes agree with the reference model', () => {
  const one = process.env['DUET_PROPERTY_PROGRAM'];
  if (one !== undefined) {
    // Replays (and shrinks) one program saved as JSON, e.g. from DUET_PROPERTY_TRACE.
    test('the program in DUET_PROPERTY_PROGRAM', async () => {
      const program = JSON.parse(readFileSync(one, 'utf8')) as RawStep[];
      await fc.assert(
        fc.asyncProperty(rawArb.steps, (p) => check(p, { runs: 0, checkedByModel: 0 })),
        { examples: [[program]], numRuns: 0, verbose: true },
      );
    }, 3_600_000);
  }

  test('regressions', async () => {
    for (const program of REGRESSIONS) await check(program, { runs: 0, checkedByModel: 0 });
  });

  test(`${RUNS} random programs`, async () => {
    const stats: Stats = { runs: 0, checkedByModel: 0 };
    await fc.assert(
      fc.asyncProperty(rawArb.steps, (program) => check(program, stats)),
      { numRuns: RUNS, ...seedOption },
    );
    if (process.env['DUET_PROPERTY_VERBOSE']) console.log(stats);
    // The model must decide most programs, or the test would check little.
    expect(stats.checkedByModel / stats.runs).toBeGreaterThan(0.5);
  }, 120_000);
});
