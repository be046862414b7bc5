/**
 * The kernel's argument checks, on their own: which class each kind of mistake gets and what the
 * message names (the facades' rows are in conformance/test/bad-input*.test.ts).
 */
import {
  ValueError,
  checkBytes,
  checkEncoding,
  checkFunctions,
  checkMethods,
  checkNumber,
  checkObject,
  checkStdio,
  checkString,
  runArguments,
  workerCall,
} from '@duet/kernel';

type Case = [string, () => void, (new (...args: never[]) => Error) | null, RegExp?];

const STDIO = { "'pipe'": 'pipe', "'inherit'": 'inherit' };
const CODES = { PIPE: -1, DEVNULL: -3 };

const cases: Case[] = [
  [
    'checkNumber max only, above',
    () => checkNumber('f()', 'n', 11, { max: 10 }),
    ValueError,
    /f\(\): n must be a number <= 10, got 11/,
  ],
  ['checkNumber max only, at it', () => checkNumber('f()', 'n', 10, { max: 10 }), null],
  [
    'checkNumber min and max',
    () => checkNumber('f()', 'port', -1, { integer: true, min: 0, max: 65535 }),
    ValueError,
    /an integer from 0 to 65535, got -1/,
  ],
  [
    'checkString optional, left out',
    () => checkString('f()', 's', undefined, { optional: true }),
    null,
  ],
  [
    'checkString optional, a number',
    () => checkString('f()', 's', 1, { optional: true }),
    TypeError,
    /s must be a string, got 1/,
  ],
  ['checkString empty allowed', () => checkString('f()', 's', ''), null],
  [
    'checkString nonEmpty',
    () => checkString('f()', 's', '', { nonEmpty: true }),
    ValueError,
    /non-empty/,
  ],
  ['checkBytes a Buffer', () => checkBytes('f()', 'data', Buffer.from('x')), null],
  ['checkBytes an array', () => checkBytes('f()', 'data', [1]), TypeError, /got an array/],
  [
    'checkObject a Promise',
    () => checkObject('f()', 'env', Promise.resolve()),
    TypeError,
    /env must be an object, got a Promise/,
  ],
  ['checkObject optional, left out', () => checkObject('f()', 'env', undefined, true), null],
  [
    'checkObject required, left out',
    () => checkObject('f()', 'env', undefined),
    TypeError,
    /got undefined/,
  ],
  [
    'checkMethods a function with the methods',
    () =>
      checkMethods(
        'f()',
        's',
        Object.assign(() => {}, { go() {} }),
        ['go'],
        'a thing',
      ),
    null,
  ],
  [
    'checkMethods one missing',
    () => checkMethods('f()', 's', { go() {} }, ['go', 'stop'], 'a thing'),
    TypeError,
    /s must be a thing \(with go, stop\), got an object/,
  ],
  [
    'checkFunctions not an object',
    () => checkFunctions('f()', 'callbacks', 5),
    TypeError,
    /callbacks must be an object, got 5/,
  ],
  ['checkFunctions left out', () => checkFunctions('f()', 'callbacks', undefined), null],
  [
    'checkEncoding not a string',
    () => checkEncoding('f()', 'encoding', 8),
    TypeError,
    /encoding must be a string/,
  ],
  ['checkEncoding known', () => checkEncoding('f()', 'encoding', 'latin1'), null],
  ['checkStdio an fd', () => checkStdio('f()', 'stdout', 3, STDIO), null],
  ['checkStdio a token', () => checkStdio('f()', 'stdout', 'inherit', STDIO), null],
  [
    'checkStdio a string token of a number-token facade',
    () => checkStdio('f()', 'stdout', 'pipe', CODES),
    TypeError,
    /stdout must be PIPE, DEVNULL or a file descriptor \(an integer >= 0\), got "pipe"/,
  ],
  [
    'checkStdio a fractional fd',
    () => checkStdio('f()', 'stdout', 1.5, STDIO),
    ValueError,
    /got 1.5/,
  ],
  [
    'checkStdio an object',
    () => checkStdio('f()', 'stdout', {}, STDIO),
    TypeError,
    /'pipe', 'inherit' or a file descriptor/,
  ],
];

describe('kernel argument checks', () => {
  test.each(cases.map((c) => [c[0], c] as const))('%s', (_name, [, call, error, hint]) => {
    if (error === null) {
      expect(call).not.toThrow();
      return;
    }
    let caught: unknown = null;
    try {
      call();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(error);
    expect((caught as Error).message).toMatch(hint!);
  });
});

describe('runArguments', () => {
  const main = () => undefined;
  test('a function first: no options, every other argument is an argument', () => {
    expect(runArguments(main, [1, 2])).toEqual({ options: {}, fn: main, args: [1, 2] });
  });
  test('an options object first: the function and its arguments follow', () => {
    const options = { clock: undefined };
    const got = runArguments(options, [main, 1]);
    expect(got.options).toBe(options);
    expect(got).toEqual({ options, fn: main, args: [1] });
  });
  test('a started Promise or a number first is the TypeError of a missing function', () => {
    expect(() => runArguments(Promise.resolve(), [])).toThrow(TypeError);
    expect(() => runArguments(Promise.resolve(), [])).toThrow(
      /run\(\) expects a function.*not the Promise that f\(\) returned/,
    );
    expect(() => runArguments(42, [])).toThrow(TypeError);
    expect(() => runArguments(null, [main])).toThrow(TypeError);
  });
});

describe('workerCall', () => {
  test('a function goes as its source, with its arguments', () => {
    const fn = (n: number): number => n * 2;
    expect(workerCall('t()', fn, [21])).toEqual({ source: fn.toString(), args: [21] });
  });

  test('a module reference with a URL goes as its href', () => {
    const url = new URL('file:///tmp/work.mjs');
    expect(workerCall('t()', { module: url, exportName: 'run' }, [])).toEqual({
      module: 'file:///tmp/work.mjs',
      exportName: 'run',
      args: [],
    });
  });

  test('a bound function cannot be sent', () => {
    const bound = function (this: unknown) {}.bind(null);
    expect(() => workerCall('t()', bound, [])).toThrow(/cannot send a built-in or bound function/);
  });

  test('an empty exportName is a ValueError', () => {
    expect(() => workerCall('t()', { module: '/x.mjs', exportName: '' }, [])).toThrow(ValueError);
  });
});
