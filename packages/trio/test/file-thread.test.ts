import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  openSync,
  closeSync,
  constants,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import {
  BusyResourceError,
  CapacityLimiter,
  Path,
  moveOnAfter,
  openFile,
  openNursery,
  run,
  sleep,
  toThread,
} from '@duet/trio';
import { leakedIoHandles, recordIoHandles } from './helpers-io';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(nodePath.join(os.tmpdir(), 'duet-trio-io-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(recordIoHandles);
afterEach(async () => {
  expect(await leakedIoHandles()).toEqual([]);
});

describe('openFile', () => {
  test('writes, reads lines, iterates and reads the rest', async () => {
    const file = nodePath.join(dir, 'lines.txt');
    const got = await run(async () => {
      const w = await openFile(file, 'w');
      await w.write('one\ntwo\nthree\nfour');
      await w.aclose();
      const r = await openFile(file);
      const first = await r.readLine();
      const lines: string[] = [];
      for await (const line of r) {
        lines.push(line);
        if (lines.length === 2) break;
      }
      const rest = await r.read();
      const end = await r.readLine();
      await r.aclose();
      return { first, lines, rest, end };
    });
    expect(got).toEqual({ first: 'one\n', lines: ['two\n', 'three\n'], rest: 'four', end: '' });
  });

  test('binary mode, append, seek and tell', async () => {
    const file = nodePath.join(dir, 'data.bin');
    await run(async () => {
      await using w = await openFile(file, 'wb');
      await w.write(Buffer.from([1, 2, 3]));
      await using a = await openFile(file, 'ab');
      await a.write(Buffer.from([4]));
    });
    const bytes = await run(async () => {
      await using f = await openFile(file, 'rb');
      expect([...(await f.read(2))]).toEqual([1, 2]);
      expect(f.tell()).toBe(2);
      await f.seek(1);
      return [...(await f.read())];
    });
    expect(bytes).toEqual([2, 3, 4]);
  });

  test('a concurrent read raises BusyResourceError', async () => {
    const fifo = nodePath.join(dir, 'busy.fifo');
    execFileSync('mkfifo', [fifo]);
    await run(async () => {
      const f = await openFile(fifo, 'r+'); // O_RDWR: opening a FIFO does not block
      await openNursery(async (nursery) => {
        nursery.startSoon(() => moveOnAfter(0.05, () => f.readLine()));
        await sleep(0.01);
        await expect(f.read(1)).rejects.toBeInstanceOf(BusyResourceError);
      });
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(fd, 'x\n');
      closeSync(fd);
      expect(await f.readLine()).toBe('x\n');
      await f.aclose();
    });
  });

  test('a cancelled read returns at once and loses no data', async () => {
    const fifo = nodePath.join(dir, 'cancel.fifo');
    execFileSync('mkfifo', [fifo]);
    await run(async () => {
      const f = await openFile(fifo, 'r+');
      const started = Date.now();
      const scope = await moveOnAfter(0.05, () => f.readLine());
      expect(scope).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(500);
      // The read abandoned above is still pending in the thread pool: its bytes are not lost.
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(fd, 'first line\nsecond line\n');
      closeSync(fd);
      expect(await f.readLine()).toBe('first line\n');
      expect(await f.readLine()).toBe('second line\n');
      await f.aclose();
    });
  });
});

describe('Path', () => {
  test('the common operations', async () => {
    await run(async () => {
      const base = new Path(dir, 'tree');
      await base.mkdir();
      await base.joinpath('a', 'b').mkdir({ parents: true });
      await base.mkdir({ existOk: true });
      const file = base.joinpath('a', 'note.txt');
      expect(file.name).toBe('note.txt');
      expect(file.stem).toBe('note');
      expect(file.suffix).toBe('.txt');
      expect(file.parent.name).toBe('a');
      expect(file.withSuffix('.md').name).toBe('note.md');
      expect(await file.exists()).toBe(false);
      await file.writeText('héllo');
      expect(await file.readText()).toBe('héllo');
      expect([...(await file.readBytes())].length).toBe(6);
      expect(await file.isFile()).toBe(true);
      expect(await base.isDir()).toBe(true);
      expect((await base.joinpath('a').iterdir()).map((p) => p.name).sort()).toEqual([
        'b',
        'note.txt',
      ]);
      const moved = await file.rename(base.joinpath('moved.txt'));
      expect((await moved.stat()).size).toBe(6);
      await base.joinpath('touched').touch();
      expect(await base.joinpath('touched').exists()).toBe(true);
      await using f = await moved.open();
      expect(await f.read()).toBe('héllo');
      await moved.unlink();
      await moved.unlink({ missingOk: true });
      await expect(moved.unlink()).rejects.toMatchObject({ code: 'ENOENT' });
      await base.joinpath('a', 'b').rmdir();
    });
    writeFileSync(nodePath.join(dir, 'x'), '');
  });
});

describe('toThread.runSync', () => {
  test('runs a self-contained function in a worker thread', async () => {
    const fib = function fib(n: number): number {
      return n < 2 ? n : fib(n - 1) + fib(n - 2);
    };
    expect(await run(() => toThread.runSync(fib, 20))).toBe(6765);
  });

  test('runs an exported function of a module', async () => {
    const mod = nodePath.join(dir, 'work.mjs');
    writeFileSync(mod, 'export function shout(s) { return s.toUpperCase() + "!"; }\n');
    expect(await run(() => toThread.runSync({ module: mod, exportName: 'shout' }, 'hi'))).toBe(
      'HI!',
    );
  });

  test('a function that captures a variable fails clearly', async () => {
    const captured = 2;
    await expect(run(() => toThread.runSync((x: number) => x * captured, 1))).rejects.toThrow(
      /captured is not defined/,
    );
  });

  test('the limiter bounds how many run at once', async () => {
    const limiter = new CapacityLimiter(2);
    let peak = 0;
    await run(async () => {
      await openNursery(async (nursery) => {
        for (let i = 0; i < 4; i++) {
          nursery.startSoon(() =>
            toThread.runSync(
              { limiter },
              (ms: number) => {
                Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
              },
              // Long enough that none is done by the look below, even on a loaded machine with
              // coverage instrumentation.
              300,
            ),
          );
        }
        await sleep(0.01);
        peak = limiter.borrowedTokens;
        expect(limiter.statistics().tasksWaiting).toBe(2);
      });
    });
    expect(peak).toBe(2);
  });

  test('abandonOnCancel: the caller moves on; the token returns when the worker ends', async () => {
    const limiter = new CapacityLimiter(1);
    await run(async () => {
      const started = Date.now();
      await moveOnAfter(0.02, () =>
        toThread.runSync(
          { abandonOnCancel: true, limiter },
          (ms: number) => {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
          },
          150,
        ),
      );
      expect(Date.now() - started).toBeLessThan(120);
      expect(limiter.borrowedTokens).toBe(1);
      // The next call waits for the abandoned one's token.
      expect(await toThread.runSync({ limiter }, () => 'next')).toBe('next');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });
  });
});
