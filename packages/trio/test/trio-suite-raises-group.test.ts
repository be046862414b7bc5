// `trio.testing.RaisesGroup` / `trio.testing.Matcher` as Trio (0.24+) defines them, written afresh
// for Duet: exact membership in any order, nesting, flattenSubgroups, allowUnwrapped, match and
// check, the argument errors, and raises() over a real nursery's group.
import { AssertionError } from 'node:assert';
import { ExceptionGroup, ValueError, openNursery, run } from '@duet/trio';
import { Matcher, RaisesGroup } from '@duet/trio/testing';

const group = (...members: unknown[]) => new ExceptionGroup('group', members);

describe('RaisesGroup membership', () => {
  test('one expected class matches a group of exactly that error, not the bare error', () => {
    const expected = new RaisesGroup(ValueError);
    expect(expected.matches(group(new ValueError('x')))).toBe(true);
    expect(expected.matches(new ValueError('x'))).toBe(false);
    expect(expected.matches(group(new TypeError('x')))).toBe(false);
    expect(expected.matches(undefined)).toBe(false);
  });

  test('the group must hold exactly as many errors as expected', () => {
    expect(new RaisesGroup(ValueError).matches(group(new ValueError(), new ValueError()))).toBe(
      false,
    );
    expect(
      new RaisesGroup(ValueError, ValueError).matches(group(new ValueError(), new ValueError())),
    ).toBe(true);
    expect(new RaisesGroup(ValueError, ValueError).matches(group(new ValueError()))).toBe(false);
  });

  test('order does not matter, and an instance of a subclass matches its base class', () => {
    class PortError extends ValueError {}
    const expected = new RaisesGroup(ValueError, TypeError);
    expect(expected.matches(group(new TypeError(), new PortError()))).toBe(true);
    expect(expected.matches(group(new TypeError(), new TypeError()))).toBe(false);
  });

  test('each expectation takes a different member, even when a broad one comes first', () => {
    // A greedy pass would give Error the ValueError, and then find nothing for ValueError.
    const expected = new RaisesGroup(Error, ValueError);
    expect(expected.matches(group(new ValueError(), new TypeError()))).toBe(true);
    expect(expected.matches(group(new TypeError(), new RangeError()))).toBe(false);
  });
});

describe('RaisesGroup nesting', () => {
  const nested = () => group(group(new ValueError()), new TypeError());

  test('a nested group needs a nested RaisesGroup', () => {
    expect(new RaisesGroup(new RaisesGroup(ValueError), TypeError).matches(nested())).toBe(true);
    expect(new RaisesGroup(ValueError, TypeError).matches(nested())).toBe(false);
    expect(new RaisesGroup(new RaisesGroup(ValueError)).matches(group(new ValueError()))).toBe(
      false,
    );
  });

  test('flattenSubgroups matches the leaves, counted after flattening', () => {
    const flat = new RaisesGroup(ValueError, TypeError, { flattenSubgroups: true });
    expect(flat.matches(nested())).toBe(true);
    expect(flat.matches(group(new ValueError(), new TypeError()))).toBe(true);
    expect(
      new RaisesGroup(ValueError, { flattenSubgroups: true }).matches(
        group(group(new ValueError()), group(new ValueError())),
      ),
    ).toBe(false);
  });

  test('allowUnwrapped also takes the bare error, and with flattenSubgroups acts as catching it', () => {
    const unwrapped = new RaisesGroup(ValueError, { allowUnwrapped: true });
    expect(unwrapped.matches(new ValueError())).toBe(true);
    expect(unwrapped.matches(group(new ValueError()))).toBe(true);
    expect(unwrapped.matches(new TypeError())).toBe(false);
    expect(unwrapped.matches(group(group(new ValueError())))).toBe(false);
    const both = new RaisesGroup(ValueError, { allowUnwrapped: true, flattenSubgroups: true });
    expect(both.matches(group(group(new ValueError())))).toBe(true);
    expect(both.matches(new ValueError())).toBe(true);
  });
});

describe('RaisesGroup match and check', () => {
  test("match searches the group's own message, without the sub-exception count", () => {
    const eg = new ExceptionGroup('nursery failed', [new ValueError()]);
    expect(new RaisesGroup(ValueError, { match: /^nursery failed$/ }).matches(eg)).toBe(true);
    expect(new RaisesGroup(ValueError, { match: 'failed' }).matches(eg)).toBe(true);
    expect(new RaisesGroup(ValueError, { match: /^failed/ }).matches(eg)).toBe(false);
  });

  test('check is asked with the group and must return true', () => {
    const eg = group(new ValueError());
    const seen: unknown[] = [];
    const yes = new RaisesGroup(ValueError, { check: (g) => (seen.push(g), true) });
    expect(yes.matches(eg)).toBe(true);
    expect(seen).toEqual([eg]);
    expect(new RaisesGroup(ValueError, { check: () => false }).matches(eg)).toBe(false);
  });

  test('a bare error under allowUnwrapped is matched by the expectation, not the group options', () => {
    const expected = new RaisesGroup(ValueError, { allowUnwrapped: true, match: /^never$/ });
    expect(expected.matches(new ValueError('whatever'))).toBe(true);
  });
});

describe('Matcher', () => {
  test('class, message and check together', () => {
    const m = new Matcher(ValueError, { match: /port/, check: (e) => e.message.length < 20 });
    expect(m.matches(new ValueError('bad port'))).toBe(true);
    expect(m.matches(new ValueError('bad host'))).toBe(false);
    expect(m.matches(new TypeError('bad port'))).toBe(false);
    expect(m.matches(new ValueError('bad port, and far too long'))).toBe(false);
  });

  test('without a class it matches any error by its message or check', () => {
    expect(new Matcher({ match: 'boom' }).matches(new RangeError('boom'))).toBe(true);
    const either = new Matcher({ check: (e) => e instanceof TypeError || e instanceof RangeError });
    expect(new RaisesGroup(either, either).matches(group(new RangeError(), new TypeError()))).toBe(
      true,
    );
    expect(either.matches('boom')).toBe(false);
  });

  test('inside a RaisesGroup and as the unwrapped expectation', () => {
    const m = new Matcher(ValueError, { match: /^bad/ });
    expect(new RaisesGroup(m).matches(group(new ValueError('bad port')))).toBe(true);
    expect(new RaisesGroup(m).matches(group(new ValueError('good port')))).toBe(false);
    expect(new RaisesGroup(m, { allowUnwrapped: true }).matches(new ValueError('bad'))).toBe(true);
  });
});

describe('argument errors', () => {
  test('RaisesGroup rejects what it cannot match and combinations that never match', () => {
    expect(() => new RaisesGroup(ValueError, TypeError, { allowUnwrapped: true })).toThrow(
      ValueError,
    );
    expect(() => new RaisesGroup(new RaisesGroup(ValueError), { allowUnwrapped: true })).toThrow(
      /allowUnwrapped has no effect/,
    );
    expect(() => new RaisesGroup(new RaisesGroup(ValueError), { flattenSubgroups: true })).toThrow(
      /could never match/,
    );
    const notAnError = (() => 1) as unknown as typeof Error;
    expect(() => new RaisesGroup(notAnError)).toThrow(TypeError);
    expect(() => new RaisesGroup(ValueError, 'ValueError' as never)).toThrow(
      /"ValueError" is not an error class/,
    );
    expect(() => new RaisesGroup(ValueError, { match: 3 as never })).toThrow(TypeError);
  });

  test('Matcher needs something to match on, and an error class', () => {
    expect(() => new Matcher()).toThrow(ValueError);
    expect(() => new Matcher({})).toThrow(/at least one of/);
    expect(() => new Matcher(class NotAnError {} as never)).toThrow(TypeError);
    expect(() => new Matcher(ValueError, { check: 'yes' as never })).toThrow(TypeError);
  });
});

describe('raises()', () => {
  test("returns the nursery's group when it matches", async () => {
    const expected = new RaisesGroup(ValueError, TypeError);
    const error = await expected.raises(() =>
      run(() =>
        openNursery(async (n) => {
          // Both fail in their first step, before any checkpoint could deliver the cancel.
          n.startSoon(async () => {
            throw new ValueError('first');
          });
          n.startSoon(async () => {
            throw new TypeError('second');
          });
        }),
      ),
    );
    expect(error).toBeInstanceOf(ExceptionGroup);
    expect((error as ExceptionGroup).exceptions).toHaveLength(2);
  });

  test('throws the error itself when it does not match, and fails when nothing is thrown', async () => {
    const other = group(new RangeError('no'));
    await expect(
      new RaisesGroup(ValueError).raises(() => {
        throw other;
      }),
    ).rejects.toBe(other);
    await expect(new RaisesGroup(ValueError).raises(async () => 'fine')).rejects.toThrow(
      AssertionError,
    );
    await expect(new RaisesGroup(ValueError).raises(async () => 'fine')).rejects.toThrow(
      'DID NOT RAISE any error, expected RaisesGroup(ValueError)',
    );
  });
});

test('toString shows the expectation as Trio shows it', () => {
  expect(String(new RaisesGroup(ValueError, new RaisesGroup(TypeError), { match: /^x/ }))).toBe(
    'RaisesGroup(ValueError, RaisesGroup(TypeError), match=/^x/)',
  );
  expect(String(new Matcher(ValueError, { match: /port/ }))).toBe(
    'Matcher(ValueError, match=/port/)',
  );
  expect(String(new Matcher({ match: /port/ }))).toBe('Matcher(match=/port/)');
});
