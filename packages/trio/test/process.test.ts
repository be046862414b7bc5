import {
  BufferedReceiveStream,
  CalledProcessError,
  StapledStream,
  moveOnAfter,
  openNursery,
  openProcess,
  run,
  runProcess,
  sleep,
  type Process,
} from '@duet/trio';
import { leakedIoHandles, recordIoHandles } from './helpers-io';

const NODE = process.execPath;

beforeEach(recordIoHandles);
afterEach(async () => {
  expect(await leakedIoHandles()).toEqual([]);
});

describe('runProcess', () => {
  test('captures stdout and stderr and feeds input', async () => {
    const result = await run(() =>
      runProcess(
        [
          NODE,
          '-e',
          'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(s.toUpperCase());console.error("err")})',
        ],
        { input: 'hello', capture: true },
      ),
    );
    expect(result.returncode).toBe(0);
    expect(result.stdout!.toString()).toBe('HELLO\n');
    expect(result.stderr!.toString()).toBe('err\n');
  });

  test('check raises CalledProcessError with the exit code and output', async () => {
    const err = await run(() =>
      runProcess([NODE, '-e', 'console.log("out"); process.exit(3)'], { captureStdout: true }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalledProcessError);
    expect((err as CalledProcessError).returncode).toBe(3);
    expect((err as CalledProcessError).stdout!.toString()).toBe('out\n');
    const ok = await run(() => runProcess([NODE, '-e', 'process.exit(3)'], { check: false }));
    expect(ok.returncode).toBe(3);
  });

  test('a missing program raises ENOENT', async () => {
    await expect(run(() => runProcess(['/no/such/program']))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  test('cancellation terminates the child and waits for it', async () => {
    const started = Date.now();
    await run(async () => {
      await moveOnAfter(0.1, () => runProcess([NODE, '-e', 'setInterval(() => {}, 1000)']));
    });
    expect(Date.now() - started).toBeLessThan(900);
  });

  test('a child that ignores SIGTERM is killed after the grace period', async () => {
    let pid = 0;
    await run(async () => {
      const proc = await openProcess(
        [
          NODE,
          '-e',
          'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)',
        ],
        { stdout: 'pipe' },
      );
      pid = proc.pid;
      // Only once the child ignores SIGTERM (a loaded machine may take longer than the timeout to
      // start Node, and an early SIGTERM would kill it).
      await new BufferedReceiveStream(proc.stdout!).receiveLine();
      await moveOnAfter(0.1, async () => {
        try {
          await proc.wait();
        } finally {
          await proc.stdout!.aclose().catch(() => {});
          await proc.terminateAndWait(0.05);
          expect(proc.returncode).toBe(-9);
        }
      });
    });
    expect(pid).toBeGreaterThan(0);
  });
});

describe('openProcess', () => {
  test('talks to a child through its pipes, stapled into one stream', async () => {
    const lines = await run(async () => {
      const proc = await openProcess(
        [
          NODE,
          '-e',
          'process.stdin.on("data", (d) => process.stdout.write(String(d).toUpperCase()))',
        ],
        { stdin: 'pipe', stdout: 'pipe' },
      );
      const stream = new StapledStream(proc.stdin!, proc.stdout!);
      const reader = new BufferedReceiveStream(stream);
      const got: (string | null)[] = [];
      await stream.sendAll('one\n');
      got.push(await reader.receiveLine());
      await stream.sendAll('two\n');
      got.push(await reader.receiveLine());
      await stream.sendEof();
      got.push(await reader.receiveLine());
      expect(await proc.wait()).toBe(0);
      await proc.aclose();
      return got;
    });
    expect(lines).toEqual(['ONE', 'TWO', null]);
  });

  test('a cancelled wait leaves the process running; aclose under cancellation kills it', async () => {
    await run(async () => {
      let proc: Process | undefined;
      await openNursery(async (nursery) => {
        proc = await openProcess([NODE, '-e', 'setInterval(() => {}, 1000)']);
        await moveOnAfter(0.05, () => proc!.wait());
        expect(proc.returncode).toBeNull();
        nursery.cancelScope.cancel();
        await proc.aclose().catch(() => {});
      });
      expect(proc!.returncode).toBe(-15);
    });
  });

  test('stderr: "stdout" merges both into one pipe', async () => {
    const out = await run(async () => {
      const r = await runProcess([NODE, '-e', 'console.error("e")'], {
        stderr: 'stdout',
        captureStdout: true,
      });
      await sleep(0);
      return r.stdout!.toString();
    });
    expect(out).toBe('e\n');
  });

  test('stderr: "stdout" keeps every byte of both pipes, also what stderr gets after stdout ended', async () => {
    // A shell's echo ends stdout's writes before stderr's: the merged stream used to end with
    // stdout, dropping stderr's line in about one run in five.
    const runs = 25;
    const outputs = await run(async () => {
      const seen: string[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await runProcess(['sh', '-c', 'echo out; echo err >&2'], {
          stderr: 'stdout',
          captureStdout: true,
        });
        seen.push(r.stdout!.toString());
        await using proc = await openProcess(['sh', '-c', 'echo out; echo err >&2'], {
          stdout: 'pipe',
          stderr: 'stdout',
        });
        const chunks: Uint8Array[] = [];
        for (;;) {
          const chunk = await proc.stdout!.receiveSome();
          if (chunk.length === 0) break;
          chunks.push(chunk);
        }
        seen.push(Buffer.concat(chunks).toString());
      }
      return seen;
    });
    const wrong = outputs.filter((s) => [...s.split('\n')].sort().join(',') !== ',err,out');
    expect(wrong).toEqual([]);
  }, 90_000);
});
