/**
 * Scenarios of CPython 3.13's Lib/test/test_asyncio/test_subprocess.py, restated for Duet's API
 * with Node as the child program; each expected value is what CPython 3.13.0 gave for the same
 * steps (with Python as the child). Duet's own rule: `communicate(input)` without `stdin: PIPE`
 * is a `ValueError` (CPython drops the input silently).
 */
import { execFileSync } from 'node:child_process';
import { constants } from 'node:os';
import {
  CancelledError,
  TimeoutError,
  ValueError,
  createTask,
  gather,
  run,
  sleep,
  waitFor,
} from '@duet/asyncio';
import { ConnectionError, ProcessLookupError } from '../src/stream-errors';
import {
  DEVNULL,
  PIPE,
  STDOUT,
  createSubprocessExec,
  createSubprocessShell,
} from '../src/subprocess';

const NODE = process.execPath;
const SLEEPER = 'setTimeout(() => {}, 10000)';

async function caught(aw: PromiseLike<unknown>): Promise<unknown> {
  try {
    return await aw;
  } catch (err) {
    return err;
  }
}

const text = (b: Uint8Array | null): string | null =>
  b === null ? null : Buffer.from(b).toString();

describe('CPython test_subprocess', () => {
  test('test_shell / test_returncode: exit status, null while running', async () => {
    const got = await run(async () => {
      const sh = await createSubprocessShell('exit 7');
      const code = await sh.wait();
      const p = await createSubprocessExec(NODE, '-e', SLEEPER);
      const running = p.returncode;
      p.kill();
      return [code, sh.returncode, running, await p.wait()];
    });
    expect(got).toEqual([7, 7, null, -9]);
  });

  test('test_terminate / test_kill; a signal after the exit is a ProcessLookupError', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(NODE, '-e', SLEEPER);
      p.terminate();
      const code = await p.wait();
      return [
        code,
        await caught(Promise.resolve().then(() => p.kill())),
        await caught(Promise.resolve().then(() => p.sendSignal('SIGTERM'))),
      ];
    });
    expect(got[0]).toBe(-15);
    expect(got[1]).toBeInstanceOf(ProcessLookupError);
    expect(got[2]).toBeInstanceOf(ProcessLookupError);
  });

  test('test_devnull_input / test_devnull_output: no stream on the Process; the child reads EOF', async () => {
    const got = await run(async () => {
      const quiet = await createSubprocessExec(NODE, '-e', 'console.log("x")', {
        stdout: DEVNULL,
        stderr: DEVNULL,
      });
      const none = [quiet.stdout, quiet.stderr, await quiet.communicate()];
      const reader = await createSubprocessExec(
        NODE,
        '-e',
        'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(s)))',
        { stdin: DEVNULL, stdout: PIPE },
      );
      const [out, err] = await reader.communicate();
      return [none, [text(out), err]];
    });
    expect(got).toEqual([
      [null, null, [null, null]],
      ['""\n', null],
    ]);
  });

  test('test_stdin_stdout: write, drain, close stdin, read stdout to the end', async () => {
    const got = await run(async () => {
      const cat = await createSubprocessExec(NODE, '-e', 'process.stdin.pipe(process.stdout)', {
        stdin: PIPE,
        stdout: PIPE,
      });
      cat.stdin!.write('some data');
      await cat.stdin!.drain();
      cat.stdin!.close();
      return [text(await cat.stdout!.read()), await cat.wait()];
    });
    expect(got).toEqual(['some data', 0]);
  });

  test('test_empty_input / a second communicate(): empty input is EOF; the second one reads nothing more', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(
        NODE,
        '-e',
        'let n=0;process.stdin.on("data",d=>n+=d.length).on("end",()=>console.log(n))',
        { stdin: PIPE, stdout: PIPE },
      );
      const [first] = await p.communicate('');
      const [second, err] = await p.communicate();
      return [text(first), text(second), err];
    });
    expect(got).toEqual(['0\n', '', null]);
  });

  test('test_stdin_broken_pipe: writing to a child that has exited raises a ConnectionError on drain', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(NODE, '-e', '', { stdin: PIPE });
      await p.wait();
      p.stdin!.write(Buffer.alloc(1024 * 1024));
      return caught(p.stdin!.drain());
    });
    // CPython: ConnectionResetError (BrokenPipeError in test_subprocess's accepted pair).
    expect(got).toBeInstanceOf(ConnectionError);
  });

  test('test_communicate_ignore_broken_pipe: communicate(input) to a child that exits at once', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(NODE, '-e', '', { stdin: PIPE });
      const out = await p.communicate(Buffer.alloc(1024 * 1024));
      return [out, p.returncode];
    });
    expect(got).toEqual([[null, null], 0]);
  });

  test('test_read_stdout_after_process_exit: the output is still there after wait()', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(NODE, '-e', 'console.log("late")', { stdout: PIPE });
      await p.wait();
      return text(await p.stdout!.read());
    });
    expect(got).toBe('late\n');
  });

  test('test_cancel_process_wait / communicate with a timeout: the child keeps running', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(NODE, '-e', SLEEPER, { stdout: PIPE });
      const waited = await caught(waitFor(() => p.wait(), 0.1));
      const afterWait = p.returncode;
      const communicated = await caught(waitFor(() => p.communicate(), 0.1));
      const afterCommunicate = p.returncode;
      p.kill();
      return [
        waited instanceof TimeoutError,
        afterWait,
        communicated instanceof TimeoutError,
        afterCommunicate,
        await p.wait(),
      ];
    });
    expect(got).toEqual([true, null, true, null, -9]);
  });

  test('test_stderr_redirect_to_stdout: stderr: STDOUT merges into stdout; stderr is null', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(
        NODE,
        '-e',
        'process.stdout.write("o\\n", () => process.stderr.write("e\\n"))',
        { stdout: PIPE, stderr: STDOUT },
      );
      const [out, err] = await p.communicate();
      return [text(out), err, p.stderr];
    });
    expect(got).toEqual(['o\ne\n', null, null]);
  });

  test('test_cancel_post_init: a creation cancelled once the child runs kills it before raising', async () => {
    // A marker in the child's command line lets `ps` tell whether it still runs.
    const marker = `duet-h16-cancel-${process.pid}-${Date.now()}`;
    const got = await run(async () => {
      const t = createTask(() => createSubprocessExec(NODE, '-e', `${SLEEPER} // ${marker}`));
      await sleep(0);
      t.cancel();
      const err = await caught(t);
      const alive = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(marker);
      return [err instanceof CancelledError, alive];
    });
    expect(got).toEqual([true, false]);
  });

  test('test_subprocess_concurrent_wait / test_create_subprocess_env_exec / env_shell / devnull_error', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(NODE, '-e', 'setTimeout(() => process.exit(3), 50)');
      const waits = [createTask(() => p.wait()), createTask(() => p.wait())];
      const codes = [await waits[0]!, await waits[1]!];
      const exec = await createSubprocessExec(NODE, '-e', 'process.stdout.write(process.env.FOO)', {
        stdout: PIPE,
        env: { FOO: 'bar' },
      });
      const shell = await createSubprocessShell('echo "$FOO"', {
        stdout: PIPE,
        env: { FOO: 'baz', PATH: process.env.PATH },
      });
      const quiet = await createSubprocessExec(NODE, '-e', 'console.error("x")', { stderr: DEVNULL });
      return [
        codes,
        (await exec.communicate()).map(text),
        (await shell.communicate()).map(text),
        await quiet.wait(),
        quiet.stderr,
      ];
    });
    expect(got).toEqual([[3, 3], ['bar', null], ['baz\n', null], 0, null]);
  });

  test('test_send_signal: a signal the child handles (SIGHUP) lets it exit with its own code', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(
        NODE,
        '-e',
        'process.on("SIGHUP", () => process.exit(0)); console.log("ready"); setTimeout(() => {}, 10000)',
        { stdout: PIPE },
      );
      await p.stdout!.readline();
      p.sendSignal('SIGHUP');
      return p.wait();
    });
    expect(got).toBe(0);
  });

  test('test_kill_issue43884: kill() of a shell whose own child holds stdout; wait() does not wait for that child', async () => {
    const got = await run(async () => {
      const p = await createSubprocessShell('sleep 1; sleep 1', { stdout: PIPE });
      await sleep(0.1);
      p.kill();
      return waitFor(() => p.wait(), 1.5);
    });
    expect(got).toBe(-9);
  });

  test('test_subprocess_communicate_stdout / test_pause_reading: communicate() in parallel, and past the limit', async () => {
    const got = await run(async () => {
      const output = async (code: string, limit?: number): Promise<string | null> => {
        const p = await createSubprocessExec(NODE, '-e', code, {
          stdin: PIPE,
          stdout: PIPE,
          ...(limit !== undefined ? { limit } : {}),
        });
        return text((await p.communicate())[0]);
      };
      const names = [0, 1, 2, 3, 4].map((i) => `foo${i}`);
      const parallel = await gather(...names.map((n) => () => output(`console.log("${n}")`)));
      // 21 bytes through a reader of limit 10, which pauses the pipe past 20.
      const long = await output('process.stdout.write("x".repeat(21))', 10);
      return [parallel.map((o) => o!.trim()), long];
    });
    expect(got).toEqual([['foo0', 'foo1', 'foo2', 'foo3', 'foo4'], 'x'.repeat(21)]);
  });

  test('test_subprocess_send_signal_race: a signal about when the child exits never leaves a bogus code', async () => {
    const got = await run(async () => {
      const codes: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await createSubprocessExec('sleep', '0.05');
        await sleep(0.05);
        const sent = await caught(Promise.resolve().then(() => p.sendSignal('SIGUSR1')));
        codes.push(sent === undefined || sent instanceof ProcessLookupError ? await p.wait() : sent);
      }
      return codes.every((c) => c === 0 || c === -constants.signals.SIGUSR1);
    });
    expect(got).toBe(true);
  });

  test('test_start_new_session: startNewSession runs the child as the leader of a new session', async () => {
    const got = await run(async () => {
      const own = await createSubprocessShell('ps -o sid= -p $$; exit 8', {
        stdout: PIPE,
        startNewSession: true,
      });
      const shared = await createSubprocessShell('ps -o sid= -p $$', { stdout: PIPE });
      const [ownSid] = await own.communicate();
      const [sharedSid] = await shared.communicate();
      return [
        text(ownSid)!.trim() === String(own.pid),
        own.returncode,
        text(sharedSid)!.trim() === String(shared.pid),
      ];
    });
    expect(got).toEqual([true, 8, false]);
  });

  test('a missing program: an OSError-like error with ENOENT (FileNotFoundError in CPython)', async () => {
    const err = await run(() => caught(createSubprocessExec('/nonexistent/prog')));
    expect(err).toMatchObject({ code: 'ENOENT' });
  });

  test('wait() of a process that has exited returns without yielding, as awaiting a done future', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(NODE, '-e', '');
      await p.wait();
      const order: string[] = [];
      const other = createTask(async () => {
        order.push('other');
      });
      await p.wait();
      order.push('wait');
      await other;
      return [order, String(p) === `<Process ${p.pid}>`];
    });
    expect(got).toEqual([['wait', 'other'], true]);
  });

  test('communicate(input) without stdin: PIPE is a ValueError (a Duet rule)', async () => {
    const got = await run(async () => {
      const p = await createSubprocessExec(NODE, '-e', '', { stdout: PIPE });
      const err = await caught(p.communicate('data'));
      await p.wait();
      return err;
    });
    expect(got).toBeInstanceOf(ValueError);
  });
});
