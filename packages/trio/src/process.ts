/**
 * Subprocesses in Trio style on Node's `child_process`: `openProcess` returns a {@link Process}
 * with stream pipes (`runProcess` is in `run-process.ts`). Cancelling `Process.aclose` terminates
 * the child: SIGTERM, then SIGKILL if it is still running after a grace period, and waits for it
 * to exit, so no child outlives the call. The grace period is measured in real time (a
 * `MockClock` cannot make a process exit sooner), 5 s by default.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { PassThrough, finished, type Readable } from 'node:stream';
import {
  CancelScope,
  ChildExit,
  ValueError,
  checkBoolean,
  checkObject,
  checkOptions,
  checkStdio,
  checkString,
  cancelShieldedCheckpoint,
  checkpointIfCancelled,
  hostEvent,
  type NodeChildProcess,
  type NodeProcessEnv,
  type NodeSignal,
} from '@duet/kernel';
import { ReadableReceiveStream, WritableSendStream } from './node-streams';
import { StapledStream } from './stapled';
import type { AsyncResource } from './stream-abc';

/**
 * Where a child's standard stream goes: `'pipe'` (a stream on the {@link Process}), `'inherit'`
 * (ours), `'ignore'` (`/dev/null`), or an open file descriptor.
 *
 * @example
 * ```ts
 * await openProcess(['ls'], { stdout: 'pipe', stderr: 'ignore' });
 * ```
 */
export type StdioSpec = 'pipe' | 'inherit' | 'ignore' | number;

/**
 * Options of {@link openProcess}.
 *
 * @example
 * ```ts
 * await openProcess(['git', 'status'], { cwd: repo, stdout: 'pipe' });
 * ```
 */
export interface OpenProcessOptions {
  /** The child's stdin; `'inherit'` by default. */
  stdin?: StdioSpec;
  /** The child's stdout; `'inherit'` by default. */
  stdout?: StdioSpec;
  /** The child's stderr; `'inherit'` by default, or `'stdout'` to send it where stdout goes. */
  stderr?: StdioSpec | 'stdout';
  /** The working directory of the child. */
  cwd?: string;
  /** The whole environment of the child (not merged with ours); ours by default. */
  env?: NodeProcessEnv;
  /** Run `command` (then a single string) through the shell. */
  shell?: boolean;
}

export const GRACE_SECONDS = 5;

/**
 * `trio.Process`: a running child process. `stdin` / `stdout` / `stderr` are streams when opened
 * with `'pipe'`, else `null`. `returncode` is `null` while it runs, then its exit code, or minus
 * the number of the signal that killed it (as Python).
 *
 * @example
 * ```ts
 * const proc = await openProcess([process.execPath, '-e', 'process.stdin.pipe(process.stdout)'], {
 *   stdin: 'pipe', stdout: 'pipe',
 * });
 * await proc.stdin!.sendAll('hi');
 * await proc.stdin!.aclose();
 * await proc.wait();
 * ```
 */
export class Process implements AsyncResource {
  /** The command it runs. */
  readonly args: readonly string[] | string;
  /** The process id. */
  readonly pid: number;
  /** Its stdin, when opened with `'pipe'`. */
  readonly stdin: WritableSendStream | null;
  /** Its stdout, when opened with `'pipe'`. */
  readonly stdout: ReadableReceiveStream | null;
  /** Its stderr, when opened with `'pipe'`. */
  readonly stderr: ReadableReceiveStream | null;
  /**
   * Its stdin and stdout stapled into one stream (Trio's `Process.stdio`), when both are pipes;
   * else `null`.
   */
  readonly stdio: StapledStream | null;
  private readonly exit: ChildExit;

  /** @internal Use {@link openProcess}. */
  constructor(
    /** The Node `ChildProcess`. */
    readonly child: NodeChildProcess,
    args: readonly string[] | string,
    stderrToStdout: boolean,
  ) {
    this.args = args;
    this.pid = child.pid!;
    this.stdin = child.stdin ? new WritableSendStream(child.stdin) : null;
    const merge = stderrToStdout && child.stdout !== null && child.stderr !== null;
    this.stdout = child.stdout
      ? new ReadableReceiveStream(merge ? mergePipes(child.stdout, child.stderr!) : child.stdout)
      : null;
    this.stderr = child.stderr && !merge ? new ReadableReceiveStream(child.stderr) : null;
    this.stdio =
      this.stdin !== null && this.stdout !== null
        ? new StapledStream(this.stdin, this.stdout)
        : null;
    // Left open at the end of the run, the child goes on running, as under Trio, but it no longer
    // holds Node (nor do our ends of its pipes, which the child then sees closed).
    this.exit = new ChildExit(child, 'detach');
  }

  /** The exit code, `null` while running (minus the signal number if a signal killed it). */
  get returncode(): number | null {
    return this.exit.returncode;
  }

  /** Returns the exit code now, or `null` if it is still running (no checkpoint). */
  poll(): number | null {
    return this.exit.returncode;
  }

  /**
   * Waits for the process to exit and returns its `returncode`. Cancelling the wait does not
   * stop the process (use `aclose` or `runProcess` for that).
   */
  async wait(): Promise<number> {
    await checkpointIfCancelled();
    if (this.exit.returncode === null) await this.exit.exited();
    else await cancelShieldedCheckpoint();
    return this.exit.returncode!;
  }

  /** Sends `signal` (a name like `'SIGINT'` or a number) unless the process has exited. */
  sendSignal(signal: NodeSignal | number): void {
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

  /** @internal Terminates (SIGTERM, SIGKILL after `grace` real seconds) and waits, shielded. */
  async terminateAndWait(grace = GRACE_SECONDS): Promise<void> {
    await new CancelScope({ shield: true }).run(async () => {
      if (this.exit.returncode !== null) return;
      this.terminate();
      const timer = setTimeout(() => this.kill(), grace * 1000);
      try {
        await this.wait();
      } finally {
        clearTimeout(timer);
      }
    });
  }

  private closePipes(): void {
    this.stdin?.closeNow();
    this.stdout?.closeNow();
    this.stderr?.closeNow();
  }

  /**
   * Closes the pipes and waits for the process to exit. If cancelled meanwhile, terminates it
   * (SIGTERM, then SIGKILL after 5 s) and waits for it before raising `Cancelled`.
   */
  async aclose(): Promise<void> {
    this.closePipes();
    try {
      await this.wait();
    } finally {
      await this.terminateAndWait();
    }
  }

  /** Closes it (as `aclose()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/**
 * A child's stdout and stderr as one stream (Node cannot point two fds at one pipe): the bytes of
 * both in the order the pipes deliver them, ending once both pipes have ended, so nothing written
 * to stderr after stdout closed is lost. Destroying it destroys both pipes.
 */
function mergePipes(stdout: Readable, stderr: Readable): Readable {
  const merged = new PassThrough();
  let open = 2;
  for (const pipe of [stdout, stderr]) {
    pipe.pipe(merged, { end: false });
    finished(pipe, (err) => {
      if (err !== undefined && err !== null) merged.destroy(err);
      else if (--open === 0) merged.end();
    });
  }
  merged.once('close', () => {
    stdout.destroy();
    stderr.destroy();
  });
  return merged;
}

/** @internal The option names of {@link openProcess}. */
export const OPEN_PROCESS_OPTIONS = ['stdin', 'stdout', 'stderr', 'cwd', 'env', 'shell'] as const;
const STDIO = { "'pipe'": 'pipe', "'inherit'": 'inherit', "'ignore'": 'ignore' } as const;
const STDERR = { ...STDIO, "'stdout'": 'stdout' } as const;

function toStdio(spec: StdioSpec | 'stdout' | undefined): 'pipe' | 'inherit' | 'ignore' | number {
  if (spec === undefined) return 'inherit';
  if (spec === 'stdout') return 'pipe';
  return spec;
}

/** @internal Checks the command and the options of {@link openProcess} (`api` names the call). */
export function checkProcessArgs(
  api: string,
  command: unknown,
  options: OpenProcessOptions,
  allowed: readonly string[],
): void {
  checkOptions(api, options, allowed);
  checkBoolean(api, 'shell', options.shell, true);
  if (options.shell === true) {
    if (typeof command !== 'string')
      throw new TypeError(`${api}: with shell: true, the command is a single string`);
  } else if (!Array.isArray(command) || !command.every((a) => typeof a === 'string')) {
    throw new TypeError(
      `${api}: the command is a non-empty array of strings, e.g. ["ls", "-l"] (or a string with shell: true)`,
    );
  } else if (command.length === 0) {
    throw new ValueError(`${api}: the command is empty: name the program, e.g. ["ls", "-l"]`);
  }
  for (const name of ['stdin', 'stdout'] as const) {
    if (options[name] !== undefined) checkStdio(api, name, options[name], STDIO);
  }
  if (options.stderr !== undefined) checkStdio(api, 'stderr', options.stderr, STDERR);
  checkString(api, 'cwd', options.cwd, { optional: true });
  checkObject(api, 'env', options.env, true);
}

/**
 * `trio.lowlevel.open_process`: starts a child process and returns a {@link Process} once it has
 * started (a missing program raises here, e.g. with `code: 'ENOENT'`). You own the process: close
 * it with `aclose` (or `await using`).
 *
 * @example
 * ```ts
 * await using proc = await openProcess(['sleep', '10']);
 * proc.terminate();
 * await proc.wait();
 * ```
 */
export async function openProcess(
  command: readonly string[] | string,
  options: OpenProcessOptions = {},
): Promise<Process> {
  checkProcessArgs('openProcess()', command, options, OPEN_PROCESS_OPTIONS);
  const shell = options.shell === true;
  await checkpointIfCancelled();
  const stdout = toStdio(options.stdout);
  let stderr = toStdio(options.stderr);
  if (options.stderr === 'stdout') stderr = stdout === 'inherit' ? 1 : stdout;
  const stdio: StdioOptions = [toStdio(options.stdin), stdout, stderr];
  const [file, ...args] = shell ? [command as string] : (command as string[]);
  const child = spawn(file!, args, {
    stdio,
    shell,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
  });
  // Take hold of the pipes and the exit status now: a quick child can finish before 'spawn' wakes us.
  const proc = new Process(child, command, options.stderr === 'stdout' && stdout === 'pipe');
  await hostEvent(child, 'spawn', 'the process to start', { uncancellable: true });
  child.on('error', () => {}); // later errors (a failed kill) show up through returncode
  return proc;
}
