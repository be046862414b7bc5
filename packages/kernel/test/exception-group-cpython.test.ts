// ExceptionGroup against the rules of CPython 3.13's test_exception_group.py, restated for Duet
// (checked on CPython 3.13.0): construction errors, read-only fields, subgroup/split by class,
// classes and predicate (passthrough keeps identity, no match gives null), deep nesting, what a
// derived group copies, and derive's own contract.
import { ExceptionGroup, ValueError } from '@duet/kernel';

const leaves = () => [new ValueError('v1'), new TypeError('t1'), new ValueError('v2')];

describe('construction', () => {
  test('the message must be a string: a TypeError otherwise', () => {
    expect(() => new ExceptionGroup(null as never, [new Error()])).toThrow(TypeError);
    expect(() => new ExceptionGroup(42 as never, [new Error()])).toThrow(
      /message must be a string, got number/,
    );
  });

  test('the errors must be a non-empty array (TypeError if not an array, ValueError if empty)', () => {
    expect(() => new ExceptionGroup('m', new Error() as never)).toThrow(TypeError);
    expect(() => new ExceptionGroup('m', [])).toThrow(ValueError);
  });

  test('fields: message, exceptions (a copy, frozen)', () => {
    const list = leaves();
    const eg = new ExceptionGroup('simple eg', list);
    expect(eg.message).toBe('simple eg');
    expect(eg.exceptions).toEqual(list);
    expect(eg.exceptions).not.toBe(list);
    list.pop();
    expect(eg.exceptions).toHaveLength(3);
    expect(() => (eg.exceptions as unknown[]).push(1)).toThrow(TypeError);
  });
});

describe('subgroup and split', () => {
  test('a bad matcher is a TypeError', () => {
    const eg = new ExceptionGroup('m', leaves());
    for (const bad of [42, 'ValueError', [ValueError, 42]]) {
      expect(() => eg.split(bad as never)).toThrow(TypeError);
      expect(() => eg.subgroup(bad as never)).toThrow(TypeError);
    }
  });

  test('passthrough: a matcher that takes everything returns the group itself', () => {
    const eg = new ExceptionGroup('m', leaves());
    for (const m of [Error, ExceptionGroup, [TypeError, ValueError], () => true]) {
      expect(eg.subgroup(m)).toBe(eg);
      const [match, rest] = eg.split(m);
      expect(match).toBe(eg);
      expect(rest).toBeNull();
    }
  });

  test('no match: null, and split puts every error in rest', () => {
    // (Duet's ValueError is a RangeError, so RangeError would match here.)
    const eg = new ExceptionGroup('m', leaves());
    for (const m of [SyntaxError, [SyntaxError, URIError], () => false]) {
      expect(eg.subgroup(m)).toBeNull();
      const [match, rest] = eg.split(m);
      expect(match).toBeNull();
      expect(rest!.message).toBe('m');
      expect(rest!.exceptions).toEqual(eg.exceptions);
    }
  });

  test('a partial match by class or predicate keeps the order and the message', () => {
    const eg = new ExceptionGroup('m', leaves());
    const [match, rest] = eg.split(ValueError);
    expect(match!.message).toBe('m');
    expect(match!.exceptions.map((e) => (e as Error).message)).toEqual(['v1', 'v2']);
    expect(rest!.exceptions.map((e) => (e as Error).message)).toEqual(['t1']);
    const byMessage = eg.subgroup((e) => (e as Error).message === 't1');
    expect(byMessage!.exceptions.map((e) => (e as Error).message)).toEqual(['t1']);
  });

  test('deep nesting: the structure is kept, emptied branches drop out', () => {
    let eg: ExceptionGroup = new ExceptionGroup('eg0', [new TypeError('leaf')]);
    for (let i = 1; i <= 20; i++) eg = new ExceptionGroup(`eg${i}`, [eg, new ValueError(`v${i}`)]);
    const [match, rest] = eg.split(TypeError);
    let depth = 0;
    for (let g: unknown = match; g instanceof ExceptionGroup; g = g.exceptions[0]) {
      expect(g.exceptions).toHaveLength(1);
      depth++;
    }
    expect(depth).toBe(21);
    expect(rest!.exceptions).toHaveLength(2);
    expect(eg.subgroup(SyntaxError)).toBeNull();
  });

  test('the predicate is asked about nested groups too: a matching group goes whole', () => {
    const inner = new ExceptionGroup('inner', [new TypeError('t')]);
    const eg = new ExceptionGroup('outer', [inner, new ValueError('v')]);
    const [match, rest] = eg.split((e) => e instanceof ExceptionGroup && e.message === 'inner');
    expect(match!.exceptions[0]).toBe(inner);
    expect(rest!.exceptions.map((e) => (e as Error).message)).toEqual(['v']);
  });

  test("derived parts keep the group's cause", () => {
    const cause = new Error('why');
    const eg = new ExceptionGroup('m', leaves());
    eg.cause = cause;
    const [match, rest] = eg.split(ValueError);
    expect(match!.cause).toBe(cause);
    expect(rest!.cause).toBe(cause);
  });

  test('a subclass without its own derive splits into plain ExceptionGroups', () => {
    class MyGroup extends ExceptionGroup {}
    const [match, rest] = new MyGroup('m', leaves()).split(TypeError);
    expect(match!.constructor).toBe(ExceptionGroup);
    expect(rest!.constructor).toBe(ExceptionGroup);
  });

  test("a subclass's derive builds the parts; one that returns no group is a TypeError", () => {
    class Tagged extends ExceptionGroup {
      override derive<F>(excs: readonly F[]): ExceptionGroup<F> {
        return new Tagged(`${this.message}*`, excs as never) as ExceptionGroup<F>;
      }
    }
    const [match] = new Tagged('m', leaves()).split(TypeError);
    expect(match).toBeInstanceOf(Tagged);
    expect(match!.message).toBe('m*');
    class Broken extends ExceptionGroup {
      override derive<F>(): ExceptionGroup<F> {
        return 42 as never;
      }
    }
    expect(() => new Broken('m', leaves()).split(TypeError)).toThrow(
      /derive must return an ExceptionGroup/,
    );
  });
});
