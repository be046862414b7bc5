/**
 * `runProcess` (Trio's `run_process`): run a command to completion, optionally feeding input and
 * capturing output. Cancelling it terminates the child (SIGTERM, then SIGKILL after a real-time
 * grace period) and waits for it to exit, so no child outlives the call.
 */
import { ValueError, checkBoolean, checkBytes, checkNumber, type NodeBuffer } from '@duet/kernel';
import { BrokenResourceError } from './errors';
import type { ReadableReceiveStream } from './node-streams';
import {
  GRACE_SECONDS,
  OPEN_PROCESS_OPTIONS,
  checkProcessArgs,
  openProcess,
  type OpenProcessOptions,
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
export interface RunProcessOptions extends OpenProcessOptions {
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
 * seconds) and waited for before `Cancelled` propagates.
 *
 * @example
 * ```ts
 * const result = await runProcess([process.execPath, '-e', 'console.log(6 * 7)'], { captureStdout: true });
 * result.stdout!.toString(); // '42\n'
 * ```
 */
export async function runProcess(
  command: readonly string[] | string,
  options: RunProcessOptions = {},
): Promise<CompletedProcess> {
  const {
    input,
    capture = false,
    captureStdout = capture,
    captureStderr = capture,
    check = true,
    terminateGrace = GRACE_SECONDS,
    ...rest
  } = options;
  const api = 'runProcess()';
  checkProcessArgs(api, command, options, RUN_PROCESS_OPTIONS);
  for (const [name, value] of Object.entries({ capture, captureStdout, captureStderr, check }))
    checkBoolean(api, name, value);
  checkNumber(api, 'terminateGrace', terminateGrace, { min: 0, unit: 'seconds' });
  if (input !== undefined) checkBytes(api, 'input', input);
  // As Trio: a stream is redirected in one way only.
  for (const [name, taken, option] of [
    ['stdin', input !== undefined, 'input'],
    ['stdout', captureStdout, 'captureStdout'],
    ['stderr', captureStderr, 'captureStderr'],
  ] as const) {
    if (taken && rest[name] !== undefined)
      throw new ValueError(`${api}: can't specify both ${name} and ${option}: leave ${name} out`);
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
      await proc.wait();
    });
  } finally {
    await proc.terminateAndWait(terminateGrace);
    proc.stdin?.closeNow();
    proc.stdout?.closeNow();
    proc.stderr?.closeNow();
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
