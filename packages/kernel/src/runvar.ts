/**
 * Run-local state: Trio's `RunVar`. A value per run, for state a library keeps for the run as a
 * whole (a default thread limiter, an event loop, resources to release at the end) rather than per
 * task; it goes away with the run. Every facade keeps its run-local state here.
 */
import { requireTask } from './context';
import { LookupError, ValueError } from './errors';
import type { Runner } from './runner';

/** Every run's values, by variable: one store for all run-local state. */
const valuesByRun = new WeakMap<Runner, Map<RunVar<unknown>, unknown>>();

function valuesOf(api: string): Map<RunVar<unknown>, unknown> {
  const runner = requireTask(api).runner;
  let values = valuesByRun.get(runner);
  if (values === undefined) {
    values = new Map();
    valuesByRun.set(runner, values);
  }
  return values;
}

/** What {@link RunVar.set} returns: {@link RunVar.reset} with it puts the previous value back, once. */
export class RunVarToken<T> {
  /** @internal True once `reset()` used the token: it works once. */
  redeemed = false;

  /** @internal Made by {@link RunVar.set}. */
  constructor(
    /** The variable that was set. */
    readonly runVar: RunVar<T>,
    /** @internal Whether the variable had a value in this run before the `set`. */
    readonly hadValue: boolean,
    /** @internal That value. */
    readonly previousValue: T | undefined,
  ) {}
}

/**
 * A variable with one value per run (Trio's `trio.lowlevel.RunVar`): `get` and `set` act on the
 * value of the run they are called in, and each new run starts from the default. Calling them
 * outside a run is a `RuntimeError`.
 *
 * @example
 * ```ts
 * const requests = new RunVar<number>('requests', 0);
 * await run(async () => {
 *   requests.set(requests.get() + 1);
 *   requests.get(); // 1
 * });
 * ```
 */
export class RunVar<T> {
  private readonly hasDefault: boolean;
  private readonly defaultValue: T | undefined;

  /**
   * @param name - for messages and `toString()`.
   * @param defaultValue - what `get()` returns in a run that has not set the variable; without
   * it, such a `get()` raises `LookupError`.
   */
  constructor(
    readonly name: string,
    ...defaultValue: [] | [T]
  ) {
    this.hasDefault = defaultValue.length !== 0;
    this.defaultValue = defaultValue[0];
  }

  /**
   * The value in the current run; else `fallback` if given, else the default; else raises
   * `LookupError`.
   */
  get(...fallback: [] | [T]): T {
    const values = valuesOf(`${this}.get()`);
    if (values.has(this)) return values.get(this) as T;
    if (fallback.length !== 0) return fallback[0] as T;
    if (this.hasDefault) return this.defaultValue as T;
    throw new LookupError(`${this} has no value in this run, and no default`);
  }

  /** Sets the value for the current run; returns a token that {@link reset} takes. */
  set(value: T): RunVarToken<T> {
    const values = valuesOf(`${this}.set()`);
    const token = new RunVarToken(this, values.has(this), values.get(this) as T | undefined);
    values.set(this, value);
    return token;
  }

  /**
   * Puts back the value the variable had before the `set` that returned `token` (or no value).
   * A token of another variable, or one already used, is a `ValueError`.
   */
  reset(token: RunVarToken<T>): void {
    const values = valuesOf(`${this}.reset()`);
    if (!(token instanceof RunVarToken) || token.runVar !== this)
      throw new ValueError(`${this}.reset(): the token is not one of this variable's`);
    if (token.redeemed) throw new ValueError(`${this}.reset(): the token has already been used`);
    token.redeemed = true;
    if (token.hadValue) values.set(this, token.previousValue);
    else values.delete(this);
  }

  /** `RunVar(name)`. */
  toString(): string {
    return `RunVar(${this.name})`;
  }
}
