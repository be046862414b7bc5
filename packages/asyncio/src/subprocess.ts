/**
 * asyncio's subprocesses on Node's `child_process`: `createSubprocessExec`,
 * `createSubprocessShell`, `Process`, and the stdio constants `PIPE`, `STDOUT`, `DEVNULL`.
 *
 * As asyncio, cancelling `wait()` or `communicate()` stops waiting but does not stop the child:
 * call `kill()` / `terminate()` (and `await wait()`) yourself. `STDOUT` for stderr merges it into
 * the stdout pipe (Node cannot point both at one pipe: stderr's bytes are forwarded as they come,
 * so the order between the two is the order of arrival).
 */
import { spawn } from 'node:child_process';
import {
  ChildExit,
  checkBoolean,
  checkBytes,
  checkObject,
  checkOptions,
  checkStdio,
  checkString,
  checkpoint,
  hostEvent,
  type NodeBuffer,
  type NodeChildProcess,
  type NodeProcessEnv,
  type NodeSignal,
} from '@duet/kernel';
import { ValueError } from './errors';
import { ConnectionError, ProcessLookupError, toPythonError } from './stream-errors';
import { StreamReader, checkLimit } from './stream-reader';
import { StreamWriter } from './stream-writer';

/**
 * `asyncio.subprocess.PIPE`: connect the stream to a pipe on the `Process`.
 *
 * @example
 * ```ts
 * await createSubprocessExec('ls', { stdout: PIPE });
 * ```
 */
export const PIPE = -1;
/**
 * `asyncio.subprocess.STDOUT`: for `stderr`, send it where stdout goes.
 *
 * @example
 * ```ts
 * await createSubprocessExec('make', { stdout: PIPE, stderr: STDOUT });
 * ```
 */
export const STDOUT = -2;
/**
 * `asyncio.subprocess.DEVNULL`: connect the stream to `/dev/null`.
 *
 * @example
 * ```ts
 * await createSubprocessExec('daemon', { stdin: DEVNULL });
 * ```
 */
export const DEVNULL = -3;

/**
 * Options of {@link createSubprocessExec} and {@link createSubprocessShell}: for each stream `PIPE`,
 * `DEVNULL`, `STDOUT` (stderr only), an open file descriptor, or `null`/omitted to inherit ours.
 *
 * @example
 * ```ts
 * await createSubprocessExec('cat', { stdin: PIPE, stdout: PIPE, cwd: '/tmp' });
 * ```
 */
export interface SubprocessOptions {
  /** `PIPE`, `DEVNULL` or a file descriptor; inherited when absent or `null`. */
  stdin?: number | null;
  /** `PIPE`, `DEVNULL` or a file descriptor; inherited when absent or `null`. */
  stdout?: number | null;
  /** `PIPE`, `STDOUT`, `DEVNULL` or a file descriptor; inherited when absent or `null`. */
  stderr?: number | null;
  /** The working directory. */
  cwd?: string;
  /** The whole environment of the child; ours by default. */
  env?: NodeProcessEnv;
  /** The buffer limit of the `StreamReader`s (64 KiB by default). */
  limit?: number;
  /**
   * Run the child in a new session (`setsid`), as Popen's `start_new_session` (on Windows, Node's
   * `detached`: a console of its own).
   */
  startNewSession?: boolean;
}

/**
 * asyncio's `Process`, from {@link createSubprocessExec} / {@link createSubprocessShell}.
 *
 * @example
 * ```ts
 * const proc = await createSubprocessExec('node', '-e', 'console.log(1)', { stdout: PIPE });
 * const [out] = await proc.communicate();
 * console.log(proc.returncode, out!.toString());
 * ```
 */
export class Process {
  /** The process id. */
  readonly pid: number;
  /** A writer to its stdin, with `stdin: PIPE`. */
  readonly stdin: StreamWriter | null;
  /** A reader of its stdout, with `stdout: PIPE`. */
  readonly stdout: StreamReader | null;
  /** A reader of its stderr, with `stderr: PIPE`. */
  readonly stderr: StreamReader | null;
  private readonly exit: ChildExit;

  /** @internal */
  constructor(
    /** The Node `ChildProcess`. */
    readonly child: NodeChildProcess,
    limit: number,
    stderrToStdout: boolean,
  ) {
    this.pid = child.pid!;
    this.stdin = child.stdin ? new StreamWriter(child.stdin, null) : null;
    const merge = stderrToStdout && child.stdout !== null && child.stderr !== null;
    let stdout: StreamReader | null = null;
    if (child.stdout) {
      stdout = new StreamReader(limit);
      // With stderr: STDOUT both pipes feed one reader, which ends when both have ended.
      if (merge) stdout._attach(child.stdout, child.stderr!);
      else stdout._attach(child.stdout);
    }
    this.stdout = stdout;
    let stderr: StreamReader | null = null;
    if (child.stderr && !merge) {
      stderr = new StreamReader(limit);
      stderr._attach(child.stderr);
    }
    this.stderr = stderr;
    // Left running at the end of the run, the child is killed, as closing its transport does in
    // CPython, and neither it nor its pipes hold Node any longer.
    this.exit = new ChildExit(child, 'kill');
  }

  /** The exit code once it has exited (minus the signal number if a signal killed it), else `null`. */
  get returncode(): number | null {
    return this.exit.returncode;
  }

  /**
   * Waits for the process to exit and returns its exit code (once it has exited, without
   * yielding, as CPython's). Cancelling does not stop the process.
   */
  async wait(): Promise<number> {
    if (this.exit.returncode === null) await this.exit.exited();
    return this.exit.returncode!;
  }

  /**
   * Sends `input` (if given) to stdin and closes it, reads stdout and stderr to the end, waits for
   * the exit; returns `[stdout, stderr]` (`null` for a stream not piped).
   */
  async communicate(input?: Uint8Array | string): Promise<[NodeBuffer | null, NodeBuffer | null]> {
    if (input !== undefined) checkBytes('communicate()', 'input', input);
    this.stdout?._setUnbounded();
    this.stderr?._setUnbounded();
    if (this.stdin !== null) {
      try {
        if (input !== undefined) {
          this.stdin.write(input);
          await this.stdin.drain();
        }
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
      } finally {
        this.stdin.close();
      }
    } else if (input !== undefined) {
      throw new ValueError('communicate(input) needs stdin: PIPE');
    }
    const out = this.stdout === null ? null : await this.stdout.read();
    const err = this.stderr === null ? null : await this.stderr.read();
    await this.wait();
    return [out, err];
  }

  /** Sends `signal`; a {@link ProcessLookupError} once the process has exited, as CPython's. */
  sendSignal(signal: NodeSignal | number): void {
    if (this.exit.returncode !== null)
      throw new ProcessLookupError(`process ${this.pid} has already exited`);
    this.exit.sendSignal(signal);
  }

  /** Sends SIGTERM. */
  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  /** Sends SIGKILL. */
  kill(): void {
    this.sendSignal('SIGKILL');
  }

  /** `<Process 1234>`, as CPython's repr. */
  toString(): string {
    return `<Process ${this.pid}>`;
  }
}

const SUBPROCESS_OPTIONS = [
  'stdin',
  'stdout',
  'stderr',
  'cwd',
  'env',
  'limit',
  'startNewSession',
] as const;
const STDIO = { PIPE, DEVNULL } as const;
const STDERR = { PIPE, STDOUT, DEVNULL } as const;

function stdioOf(spec: number | null | undefined): 'pipe' | 'inherit' | 'ignore' | number {
  if (spec === undefined || spec === null) return 'inherit';
  if (spec === PIPE) return 'pipe';
  if (spec === DEVNULL) return 'ignore';
  return spec;
}

/** Checks the options of a subprocess before anything starts (`api` names the call). */
function checkSubprocessOptions(api: string, options: SubprocessOptions): void {
  checkOptions(api, options, SUBPROCESS_OPTIONS);
  for (const name of ['stdin', 'stdout'] as const) {
    const spec = options[name];
    if (spec !== undefined && spec !== null) checkStdio(api, name, spec, STDIO);
  }
  if (options.stderr !== undefined && options.stderr !== null)
    checkStdio(api, 'stderr', options.stderr, STDERR);
  checkString(api, 'cwd', options.cwd, { optional: true });
  checkObject(api, 'env', options.env, true);
  if (options.limit !== undefined) checkLimit(api, options.limit);
  checkBoolean(api, 'startNewSession', options.startNewSession, true);
}

async function spawnProcess(
  file: string,
  args: string[],
  shell: boolean,
  options: SubprocessOptions,
): Promise<Process> {
  const stdout = stdioOf(options.stdout);
  const stderr =
    options.stderr === STDOUT ? (stdout === 'inherit' ? 1 : stdout) : stdioOf(options.stderr);
  const child = spawn(file, args, {
    stdio: [stdioOf(options.stdin), stdout, stderr],
    shell,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    // Node's `detached` is setsid() in the child on Unix: a new session and process group.
    ...(options.startNewSession === true ? { detached: true } : {}),
  });
  // The readers listen from the start: a child that exits before the 'spawn' event is handled
  // would otherwise have its output thrown away by Node (it drains pipes nobody reads at exit).
  const proc = new Process(
    child,
    options.limit ?? 2 ** 16,
    options.stderr === STDOUT && stdout === 'pipe',
  );
  try {
    // Uncancellable: a spawn settles at once, and no half-started child is left.
    await hostEvent(child, 'spawn', 'process spawn', { uncancellable: true });
  } catch (error) {
    throw toPythonError(error);
  }
  child.on('error', () => {});
  try {
    await checkpoint();
  } catch (error) {
    // Cancelled with the child running: nobody could reach it any more, so, as CPython closes
    // the half-made transport, it is killed and reaped before the error goes on.
    if (proc.returncode === null) {
      const exited = hostEvent(child, 'exit', 'process exit', { uncancellable: true });
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }
  return proc;
}

function splitArgs(
  api: string,
  rest: (string | SubprocessOptions)[],
): [string[], SubprocessOptions] {
  const last = rest[rest.length - 1];
  const options =
    typeof last === 'object' && last !== null ? (rest.pop() as SubprocessOptions) : {};
  if (!rest.every((a) => typeof a === 'string'))
    throw new TypeError(`${api}: program arguments must be strings (options go last)`);
  return [rest as string[], options];
}

/**
 * `asyncio.create_subprocess_exec`: starts `program` with `args` (no shell); options last.
 *
 * @example
 * ```ts
 * const proc = await createSubprocessExec(process.execPath, '-e', 'process.exit(2)');
 * await proc.wait(); // 2
 * ```
 */
export async function createSubprocessExec(
  program: string,
  ...args: (string | SubprocessOptions)[]
): Promise<Process> {
  const api = 'createSubprocessExec()';
  checkString(api, 'program', program, { nonEmpty: true });
  const [argv, options] = splitArgs(api, [...args]);
  checkSubprocessOptions(api, options);
  return spawnProcess(program, argv, false, options);
}

/**
 * `asyncio.create_subprocess_shell`: runs `cmd` through the shell.
 *
 * @example
 * ```ts
 * const proc = await createSubprocessShell('echo $HOME', { stdout: PIPE });
 * const [out] = await proc.communicate();
 * ```
 */
export async function createSubprocessShell(
  cmd: string,
  options: SubprocessOptions = {},
): Promise<Process> {
  const api = 'createSubprocessShell()';
  checkString(api, 'cmd', cmd);
  checkSubprocessOptions(api, options);
  return spawnProcess(cmd, [], true, options);
}
