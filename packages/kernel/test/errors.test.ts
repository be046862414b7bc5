// ExceptionGroup (errors.ts).
import { Cancelled, ExceptionGroup, ValueError, isCancelled } from '@duet/kernel';

describe('ExceptionGroup', () => {
  const a = new TypeError('a');
  const b = new RangeError('b');
  const c = new TypeError('c');
  const eg = new ExceptionGroup('outer', [a, new ExceptionGroup('inner', [b, c])]);

  test('is an AggregateError with exceptions and errors', () => {
    expect(eg).toBeInstanceOf(AggregateError);
    expect(eg.exceptions).toHaveLength(2);
    expect(eg.errors).toHaveLength(2);
    expect(eg.message).toBe('outer');
    expect(() => new ExceptionGroup('x', [])).toThrow(ValueError);
  });

  test('split keeps the nesting', () => {
    const [match, rest] = eg.split(TypeError);
    expect(match!.exceptions[0]).toBe(a);
    expect((match!.exceptions[1] as ExceptionGroup).exceptions).toEqual([c]);
    expect((rest!.exceptions[0] as ExceptionGroup).exceptions).toEqual([b]);
    expect(eg.split(Error)).toEqual([eg, null]);
    expect(eg.subgroup((e) => e === b)!.toString()).toContain('RangeError: b');
    expect(eg.split([RangeError])[0]!.exceptions).toHaveLength(1);
  });

  test('isCancelled is true for Cancelled and for groups of nothing but Cancelled', () => {
    expect(isCancelled(new Cancelled())).toBe(true);
    expect(
      isCancelled(
        new ExceptionGroup('g', [new Cancelled(), new ExceptionGroup('h', [new Cancelled()])]),
      ),
    ).toBe(true);
    expect(isCancelled(new ExceptionGroup('g', [new Cancelled(), new Error('real')]))).toBe(false);
    expect(isCancelled(new Error('x'))).toBe(false);
  });

  test('toString shows the tree', () => {
    expect(eg.toString()).toBe(
      [
        'ExceptionGroup: outer (2 sub-exceptions)',
        '├─ TypeError: a',
        '└─ ExceptionGroup: inner (2 sub-exceptions)',
        '   ├─ RangeError: b',
        '   └─ TypeError: c',
      ].join('\n'),
    );
  });
});
