/**
 * `runProcess` (Trio's `run_process`): run a command to completion, optionally feeding input and
 * capturing output. Cancelling it terminates the child (SIGTERM, then SIGKILL after a real-time
 * grace period) and waits for it to exit, so no child outlives the call.
 */
import {
  CancelScope,
  TASK_STATUS_IGNORED,
  ValueError,
  checkBoolean,
  checkBytes,
  checkFunction,
  checkNumber,
  type NodeBuffer,
  type TaskStatus,
} from '@duet/kernel';
import { BrokenResourceError } from './errors';
import type { ReadableReceiveStream } from './node-streams';
import {
  GRACE_SECONDS,
  OPEN_PROCESS_OPTIONS,
  checkProcessArgs,
  openProcess,
  type OpenProcessOptions,
  type Process,
  type StdioSpec,
} from './process';
import { openNursery } from './run';
import { toBuffer, type Bytes } from './stream-abc';

const RUN_PROCESS_OPTIONS = [
  ...OPEN_PROCESS_OPTIONS,
  'input',
  'capture',
  'captureStdout',
  'captureStderr',
  'check',
  'terminateGrace',
  'deliverCancel',
] as const;

/**
 * What {@link runProcess} returns.
 *
 * @example
 * ```ts
 * const { returncode, stdout } = await runProcess(['echo', 'hi'], { captureStdout: true });
 * ```
 */
export class CompletedProcess {
  constructor(
    /** The command that ran. */
    readonly args: readonly string[] | string,
    /** Its exit code (minus the signal number if a signal killed it). */
    readonly returncode: number,
    /** Its captured stdout, or `null` if not captured. */
    readonly stdout: NodeBuffer | null,
    /** Its captured stderr, or `null` if not captured. */
    readonly stderr: NodeBuffer | null,
  ) {}

  /** Raises {@link CalledProcessError} if `returncode` is not 0. */
  checkReturncode(): void {
    if (this.returncode !== 0)
      throw new CalledProcessError(this.returncode, this.args, this.stdout, this.stderr);
  }
}

/**
 * Raised by {@link runProcess} (with `check`, the default) when the command exits with a non-zero
 * code.
 *
 * @example
 * ```ts
 * try { await runProcess(['false']); } catch (err) {
 *   if (err instanceof CalledProcessError) console.log(err.returncode); // 1
 * }
 * ```
 */
export class CalledProcessError extends Error {
  /** The class name, `'CalledProcessError'`. */
  override name = 'CalledProcessError';

  constructor(
    /** The exit code. */
    readonly returncode: number,
    /** The command. */
    readonly cmd: readonly string[] | string,
    /** Captured stdout, or `null`. */
    readonly stdout: NodeBuffer | null = null,
    /** Captured stderr, or `null`. */
    readonly stderr: NodeBuffer | null = null,
  ) {
    super(
      `command ${JSON.stringify(cmd)} ${returncode < 0 ? `died of signal ${-returncode}` : `returned non-zero exit status ${returncode}`}`,
    );
  }
}

/**
 * Options of {@link runProcess}.
 *
 * @example
 * ```ts
 * await runProcess(['sort'], { input: 'b\na\n', captureStdout: true, check: false });
 * ```
 */
export interface RunProcessOptions extends Omit<OpenProcessOptions, 'stdin'> {
  /**
   * The child's stdin: bytes to feed it (as Trio's `stdin=b"..."`, the same as `input`), or where
   * it comes from. Empty (`'ignore'`) by default. `'pipe'` only with `nursery.start`, which gives
   * you the `Process` to write to.
   */
  stdin?: StdioSpec | Uint8Array;
  /** Bytes (or a UTF-8 string) to feed to stdin, which is then closed. Without it stdin is empty (`/dev/null`) unless `stdin` says otherwise. */
  input?: Bytes;
  /** Capture both stdout and stderr. */
  capture?: boolean;
  /** Capture stdout into `CompletedProcess.stdout`. */
  captureStdout?: boolean;
  /** Capture stderr into `CompletedProcess.stderr`. */
  captureStderr?: boolean;
  /** Raise {@link CalledProcessError} on a non-zero exit code; `true` by default, as Trio. */
  check?: boolean;
  /** Real seconds between SIGTERM and SIGKILL when the call is cancelled; 5 by default. */
  terminateGrace?: number;
  /**
   * What to do to the child when the call is cancelled (Trio's `deliver_cancel`), instead of
   * SIGTERM then SIGKILL: called with the `Process`, in a task that is cancelled once the child
   * has exited; `runProcess` waits for the exit (shielded). If it throws, the error is raised
   * (in a group) and the child, if still running, is terminated as by default.
   */
  deliverCancel?: (process: Process) => unknown;
}

function isTaskStatus(value: unknown): value is TaskStatus<Process> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TaskStatus<Process>).started === 'function'
  );
}

async function readAll(stream: ReadableReceiveStream, into: Buffer[]): Promise<void> {
  for (;;) {
    const chunk = await stream.receiveSome();
    if (chunk.length === 0) return;
    into.push(chunk as Buffer);
  }
}

/**
 * `trio.run_process`: runs a command to completion and returns a {@link CompletedProcess}. If the
 * call is cancelled, the child is terminated (SIGTERM, then SIGKILL after `terminateGrace` real
 * seconds, or `deliverCancel`) and waited for before `Cancelled` propagates.
 *
 * With `nursery.start` (a `TaskStatus` last), it runs in the background: `start` returns the
 * {@link Process} once it has started, pipes (`'pipe'`) are allowed and are yours to use, and a
 * failure (`CalledProcessError` with `check`) is raised into the nursery.
 *
 * @example
 * ```ts
 * const result = await runProcess([process.execPath, '-e', 'console.log(6 * 7)'], { captureStdout: true });
 * result.stdout!.toString(); // '42\n'
 * const proc = await nursery.start(runProcess, ['cat'], { stdin: 'pipe', check: false });
 * ```
 */
export async function runProcess(
  command: readonly string[] | string,
  optionsOrStatus: RunProcessOptions | TaskStatus<Process> = {},
  taskStatus: TaskStatus<Process> = TASK_STATUS_IGNORED,
): Promise<CompletedProcess> {
  // nursery.start(runProcess, command) passes the status where the options go.
  let options: RunProcessOptions;
  if (isTaskStatus(optionsOrStatus)) {
    taskStatus = optionsOrStatus;
    options = {};
  } else {
    options = optionsOrStatus;
  }
  const background = taskStatus !== TASK_STATUS_IGNORED;
  const api = 'runProcess()';
  // As Trio, stdin may be the bytes to feed.
  const stdinBytes = options.stdin instanceof Uint8Array ? options.stdin : undefined;
  if (stdinBytes !== undefined && options.input !== undefined)
    throw new ValueError(`${api}: can't specify both stdin (as bytes) and input: pass one`);
  const {
    input = stdinBytes,
    capture = false,
    captureStdout = capture,
    captureStderr = capture,
    check = true,
    terminateGrace = GRACE_SECONDS,
    deliverCancel,
    ...given
  } = options;
  const { stdin: givenStdin, ...others } = given;
  const rest: OpenProcessOptions =
    stdinBytes !== undefined || givenStdin === undefined
      ? others
      : { ...others, stdin: givenStdin as StdioSpec };
  checkProcessArgs(api, command, rest, RUN_PROCESS_OPTIONS);
  for (const [name, value] of Object.entries({ capture, captureStdout, captureStderr, check }))
    checkBoolean(api, name, value);
  checkNumber(api, 'terminateGrace', terminateGrace, { min: 0, unit: 'seconds' });
  if (deliverCancel !== undefined) checkFunction(`${api} deliverCancel`, deliverCancel);
  if (input !== undefined) checkBytes(api, 'input', input);
  // As Trio: a stream is redirected in one way only.
  for (const [name, taken, option] of [
    ['stdin', input !== undefined, 'input'],
    ['stdout', captureStdout, 'captureStdout'],
    ['stderr', captureStderr, 'captureStderr'],
  ] as const) {
    if (taken && rest[name] !== undefined)
      throw new ValueError(`${api}: can't specify both ${name} and ${option}: leave ${name} out`);
    // Only nursery.start hands out the Process: a pipe nobody can reach would block the child.
    if (!background && rest[name] === 'pipe') {
      throw new ValueError(
        `${api}: ${name}: 'pipe' is only valid with nursery.start, since that's the only way to ` +
          `reach the pipe; use nursery.start or ${name === 'stdin' ? 'pass the data to write as input' : `use ${option}`}`,
      );
    }
  }
  const inputBytes = input === undefined ? undefined : toBuffer(input, api, 'input');
  const openOptions: OpenProcessOptions = {
    ...rest,
    stdin: inputBytes !== undefined ? 'pipe' : (rest.stdin ?? 'ignore'),
  };
  if (captureStdout) openOptions.stdout = 'pipe';
  if (captureStderr) openOptions.stderr = 'pipe';
  const proc = await openProcess(command, openOptions);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  try {
    await openNursery(async (nursery) => {
      if (inputBytes !== undefined) {
        nursery.startSoon(async () => {
          try {
            await proc.stdin!.sendAll(inputBytes);
          } catch (e) {
            if (!(e instanceof BrokenResourceError)) throw e; // the child did not read it all
          } finally {
            proc.stdin!.closeNow();
          }
        });
      }
      if (captureStdout) nursery.startSoon(readAll, proc.stdout!, out);
      if (captureStderr && proc.stderr) nursery.startSoon(readAll, proc.stderr, err);
      taskStatus.started(proc);
      await proc.wait();
    });
  } finally {
    try {
      if (proc.returncode === null) await stopChild(proc, terminateGrace, deliverCancel);
    } finally {
      proc.stdin?.closeNow();
      proc.stdout?.closeNow();
      proc.stderr?.closeNow();
    }
  }
  const result = new CompletedProcess(
    command,
    proc.returncode!,
    captureStdout ? Buffer.concat(out) : null,
    captureStderr ? Buffer.concat(err) : null,
  );
  if (check) result.checkReturncode();
  return result;
}

/** The call is ending while the child runs (cancelled, or it failed): stop the child, wait for it. */
async function stopChild(
  proc: Process,
  grace: number,
  deliverCancel: ((process: Process) => unknown) | undefined,
): Promise<void> {
  if (deliverCancel === undefined) return proc.terminateAndWait(grace);
  try {
    await new CancelScope({ shield: true }).run(() =>
      openNursery(async (nursery) => {
        nursery.startSoon(async () => {
          await deliverCancel(proc);
        });
        await proc.wait();
        nursery.cancelScope.cancel(); // the child has exited: deliverCancel is done
      }),
    );
  } finally {
    // deliverCancel failed: no child outlives the call all the same.
    await proc.terminateAndWait(grace);
  }
}
