// Files and paths as Trio's own suite checks them (trio/_tests/test_file_io.py and test_path.py:
// opening, closing under cancellation, iterating by line, wrapping an open file, Path's
// properties, methods returning Paths, bad arguments), written afresh for Duet.
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import {
  AsyncFile,
  CancelScope,
  Cancelled,
  ClosedResourceError,
  Path,
  ValueError,
  openFile,
  run,
  wrapFile,
} from '@duet/trio';
import { leakedIoHandles, recordIoHandles } from './helpers-io';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(nodePath.join(os.tmpdir(), 'duet-trio-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(recordIoHandles);
afterEach(async () => {
  expect(await leakedIoHandles()).toEqual([]);
});

let n = 0;
const fresh = (): string => nodePath.join(dir, `f${n++}.txt`);

describe('openFile', () => {
  test('returns an AsyncFile; closed says whether it was closed; await using closes it', async () => {
    const file = fresh();
    await run(async () => {
      const f = await openFile(file, 'w');
      expect(f).toBeInstanceOf(AsyncFile);
      expect(f.closed).toBe(false);
      await f.aclose();
      expect(f.closed).toBe(true);
      let g: AsyncFile | undefined;
      {
        await using h = await openFile(file, 'w');
        g = h;
        expect(g.closed).toBe(false);
      }
      expect(g.closed).toBe(true);
    });
  });

  test('in a cancelled scope, write raises Cancelled and aclose closes the file, then raises Cancelled', async () => {
    const file = fresh();
    await run(async () => {
      let f: AsyncFile | undefined;
      const scope = new CancelScope();
      await scope.run(async () => {
        f = await openFile(file, 'w');
        scope.cancel();
        await expect(f.write('a')).rejects.toThrow(Cancelled);
        await expect(f.aclose()).rejects.toThrow(Cancelled);
      });
      expect(f!.closed).toBe(true);
      await expect(f!.write('a')).rejects.toThrow(ClosedResourceError);
    });
    expect(await fsp.readFile(file, 'utf8')).toBe('');
  });

  test('async iteration yields the lines, the last without its newline', async () => {
    const file = fresh();
    await fsp.writeFile(file, 'test\nfoo\nbar');
    const lines = await run(async () => {
      const out: string[] = [];
      await using f = await openFile(file);
      for await (const line of f) out.push(line);
      return out;
    });
    expect(lines).toEqual(['test\n', 'foo\n', 'bar']);
  });

  test("Python's mode strings: t, any order, one of r/w/a/x; the bad ones are ValueErrors", async () => {
    const file = fresh();
    await fsp.writeFile(file, 'hi\n');
    await run(async () => {
      for (const mode of ['rt', '+r', 'tr', 'r+t', 'br'] as const) {
        const f = await openFile(file, mode as never);
        const data: unknown = await f.read();
        expect(mode === 'br' ? Buffer.isBuffer(data) : data).toBe(mode === 'br' ? true : 'hi\n');
        await f.aclose();
      }
      for (const mode of ['rbt', 'rr', 'rw', '', 'U', 'rU', 'r++']) {
        await expect(openFile(file, mode as never)).rejects.toThrow(ValueError);
      }
      await expect(openFile(file, 1 as never)).rejects.toThrow(TypeError);
      await expect(openFile(42 as never)).rejects.toThrow(TypeError);
    });
  });

  test('the file name is the path it was opened with, a Path too', async () => {
    const file = fresh();
    await run(async () => {
      await using f = await openFile(new Path(file), 'w');
      expect(f.name).toBe(file);
      expect(f.mode).toBe('w');
    });
  });
});

describe('wrapFile', () => {
  test('wraps an open FileHandle: reads, writes and closing it', async () => {
    const file = fresh();
    await fsp.writeFile(file, 'one\ntwo\n');
    await run(async () => {
      const handle = await fsp.open(file, 'r+');
      const f = wrapFile(handle);
      expect(f).toBeInstanceOf(AsyncFile);
      expect(f.handle).toBe(handle);
      expect(await f.readLine()).toBe('one\n');
      await f.aclose();
      expect(f.closed).toBe(true);
      const b = wrapFile(await fsp.open(file, 'r'), 'rb');
      expect(Buffer.isBuffer(await b.read())).toBe(true);
      await b.aclose();
    });
  });

  test('anything but a FileHandle is a TypeError', () => {
    expect(() => wrapFile('' as never)).toThrow(TypeError);
    expect(() => wrapFile({ close() {} } as never)).toThrow(TypeError);
  });
});

describe('Path', () => {
  test('a non-path is a TypeError; a Path is a path', () => {
    expect(() => new Path(1 as never)).toThrow(TypeError);
    const p = new Path('/a', new Path('b'));
    expect(String(p)).toBe('/a/b');
    expect(new Path(p).path).toBe('/a/b');
    expect(p.joinpath(new Path('c')).path).toBe('/a/b/c');
  });

  test('pure properties and the methods that return Paths', async () => {
    const p = new Path('/x/y/file.tar.gz');
    expect(p.name).toBe('file.tar.gz');
    expect(p.suffix).toBe('.gz');
    expect(p.stem).toBe('file.tar');
    expect(p.parent).toBeInstanceOf(Path);
    expect(p.parent.path).toBe('/x/y');
    expect(p.withName('a.txt')).toBeInstanceOf(Path);
    expect(p.withSuffix('.zip').path).toBe('/x/y/file.tar.zip');
    expect(p.asUri()).toBe('file:///x/y/file.tar.gz');
    await run(async () => {
      const abs = await new Path('rel').absolute();
      expect(abs).toBeInstanceOf(Path);
      expect(abs.path).toBe(nodePath.join(process.cwd(), 'rel'));
      expect(abs.isAbsolute()).toBe(true);
      expect((await new Path('.').resolve()).path).toBe(await fsp.realpath('.'));
    });
  });

  test('home() and cwd() are Paths', () => {
    expect(Path.home()).toBeInstanceOf(Path);
    expect(Path.home().path).toBe(os.homedir());
    expect(Path.cwd().path).toBe(process.cwd());
  });

  test('isDir / isFile agree with the filesystem; iterdir lists Paths', async () => {
    await run(async () => {
      const root = new Path(dir, `tree${n++}`);
      await root.mkdir();
      await root.joinpath('foo').mkdir();
      await root.joinpath('bar.txt').writeBytes(new Uint8Array());
      expect(await root.isDir()).toBe(true);
      expect(await root.isFile()).toBe(false);
      expect(await root.joinpath('bar.txt').isFile()).toBe(true);
      const entries = await root.iterdir();
      for (const e of entries) expect(e).toBeInstanceOf(Path);
      expect(new Set(entries.map((e) => e.name))).toEqual(new Set(['bar.txt', 'foo']));
    });
  });

  test('open() opens the file as openFile', async () => {
    await run(async () => {
      const p = new Path(fresh());
      {
        await using f = await p.open('w');
        await f.write('x');
      }
      expect(await p.readText()).toBe('x');
    });
  });
});

describe('Path: the pure parts, as pathlib (checked on CPython 3.13)', () => {
  const cases: [string, string[], string[], string[], string][] = [
    ['/a/b/c.tar.gz', ['/', 'a', 'b', 'c.tar.gz'], ['/a/b', '/a', '/'], ['.tar', '.gz'], '.gz'],
    ['a/b', ['a', 'b'], ['a', '.'], [], ''],
    ['.', [], [], [], ''],
    ['/', ['/'], [], [], ''],
    ['.bashrc', ['.bashrc'], ['.'], [], ''],
    ['.tar.gz', ['.tar.gz'], ['.'], ['.gz'], '.gz'],
    ['a.', ['a.'], ['.'], [], ''],
    ['a..b', ['a..b'], ['.'], ['.', '.b'], '.b'],
    ['v1.2.3', ['v1.2.3'], ['.'], ['.2', '.3'], '.3'],
  ];
  test.each(cases)(
    '%s: parts, parents, suffixes, suffix',
    (p, parts, parents, suffixes, suffix) => {
      const path = new Path(p);
      expect(path.parts).toEqual(parts);
      expect(path.parents.map(String)).toEqual(parents);
      expect(path.suffixes).toEqual(suffixes);
      expect(path.suffix).toBe(suffix);
    },
  );

  test('relativeTo and isRelativeTo compare whole components', () => {
    expect(String(new Path('/a/b/c').relativeTo('/a'))).toBe('b/c');
    expect(String(new Path('a/b').relativeTo(new Path('a')))).toBe('b');
    expect(String(new Path('/a').relativeTo('/a'))).toBe('.');
    expect(() => new Path('/a/b').relativeTo('/c')).toThrow(
      new ValueError('relativeTo(): "/a/b" is not in the subpath of "/c"'),
    );
    expect(new Path('/a/b').isRelativeTo('/a')).toBe(true);
    expect(new Path('/a/b').isRelativeTo('/ab')).toBe(false);
    expect(new Path('a').isRelativeTo('/a')).toBe(false);
    expect(() => new Path('/a').relativeTo(3 as never)).toThrow(TypeError);
  });
});
