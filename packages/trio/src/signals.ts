/**
 * `openSignalReceiver`: Trio's `trio.open_signal_receiver`, catching process signals as an async
 * iterator for the length of a block. One process listener per signal, shared by every open
 * receiver for it; only the innermost receiver sees a signal, as only the newest handler does in
 * Python.
 */
import {
  HostWait,
  RuntimeError,
  catchableSignalName,
  checkFunction,
  checkpoint,
  currentTask,
} from '@duet/kernel';
import { ConflictDetector } from './conflict';

/** A signal by name (`'SIGINT'`) or by number (`2`), as Node's `os.constants.signals` lists them. */
export type SignalId = string | number;

/** The open receivers per signal name, innermost last, and the process listener serving them. */
const receiversBySignal = new Map<string, { stack: SignalReceiver[]; listener: () => void }>();

/**
 * What {@link openSignalReceiver} gives its block: an async iterator of the names of the signals
 * that arrived (`'SIGINT'`, ...), in the order they arrived. A signal that arrives again before it
 * was taken is delivered once. One task at a time may iterate.
 *
 * @example
 * ```ts
 * for await (const signal of receiver) console.log('got', signal);
 * ```
 */
export class SignalReceiver implements AsyncIterable<string> {
  /** Arrived and not yet taken, in arrival order; a Set coalesces repeats, as Trio does. */
  private readonly pending = new Set<string>();
  private readonly arrival = new HostWait('a signal');
  private readonly iterating = new ConflictDetector(
    'only one task can iterate on a signal receiver at a time',
  );
  private exited = false;

  /** @internal Made by {@link openSignalReceiver}. */
  constructor() {}

  /** @internal A signal arrived for this receiver. */
  deliver(signal: string): void {
    this.pending.add(signal);
    this.arrival.wake();
  }

  /** @internal The block ended: what was pending and not taken, to be delivered elsewhere. */
  exit(): string[] {
    this.exited = true;
    const left = [...this.pending];
    this.pending.clear();
    this.arrival.fail(new RuntimeError('the openSignalReceiver() block exited'));
    return left;
  }

  /**
   * Waits for the next signal and returns its name. `RuntimeError` once the block has exited;
   * `BusyResourceError` while another task waits here.
   */
  receive(): Promise<string> {
    return this.iterating.run(async () => {
      if (this.exited) throw new RuntimeError('the openSignalReceiver() block already exited');
      if (this.pending.size !== 0) await checkpoint();
      while (this.pending.size === 0) await this.arrival.wait();
      const signal = this.pending.values().next().value as string;
      this.pending.delete(signal);
      return signal;
    });
  }

  /** Iterates with `for await`: each step is {@link SignalReceiver.receive}; it never ends by itself. */
  [Symbol.asyncIterator](): AsyncIterator<string> {
    return { next: async () => ({ value: await this.receive(), done: false }) };
  }
}

function listen(name: string, receiver: SignalReceiver): void {
  let entry = receiversBySignal.get(name);
  if (entry === undefined) {
    const stack: SignalReceiver[] = [];
    const listener = (): void => stack.at(-1)!.deliver(name);
    entry = { stack, listener };
    receiversBySignal.set(name, entry);
    process.on(name as NodeJS.Signals, listener);
  }
  entry.stack.push(receiver);
}

/** Stops `receiver` listening; a signal it left pending goes to the next receiver out, or to the process. */
function unlisten(names: readonly string[], receiver: SignalReceiver): void {
  const left = receiver.exit();
  for (const name of names) {
    const entry = receiversBySignal.get(name)!;
    entry.stack.splice(entry.stack.lastIndexOf(receiver), 1);
    if (entry.stack.length === 0) {
      receiversBySignal.delete(name);
      process.off(name as NodeJS.Signals, entry.listener);
    }
  }
  for (const name of left) {
    const outer = receiversBySignal.get(name);
    if (outer !== undefined) outer.stack.at(-1)!.deliver(name);
    else process.kill(process.pid, name);
  }
}

/**
 * `trio.open_signal_receiver`: listens for `signals` while `body` runs and gives it a
 * {@link SignalReceiver} to iterate. While it listens, those signals do not take their default
 * action (a `SIGINT` no longer ends the process). Signals that arrived and were not taken when
 * `body` ends are delivered again: to an enclosing receiver for them, or else to the process as
 * if Duet had never listened (for `SIGINT` and `SIGTERM`, by default the process ends). Other
 * `process.on` listeners for the same signals still run, as Node calls them all.
 *
 * `TypeError` for no signals or one that is not a name or number; `ValueError` for a signal this
 * OS does not have or one no process can catch (`SIGKILL`, `SIGSTOP`).
 *
 * @example
 * ```ts
 * await openSignalReceiver(['SIGINT', 'SIGTERM'], async (signals) => {
 *   for await (const signal of signals) {
 *     console.log(`${signal}: shutting down`);
 *     nursery.cancelScope.cancel();
 *     break;
 *   }
 * });
 * ```
 */
export async function openSignalReceiver<T>(
  signals: readonly SignalId[],
  body: (receiver: SignalReceiver) => Promise<T> | T,
): Promise<T> {
  if (!Array.isArray(signals)) {
    throw new TypeError("openSignalReceiver(): signals must be an array such as ['SIGINT']");
  }
  if (signals.length === 0) throw new TypeError('openSignalReceiver(): no signals were given');
  checkFunction('openSignalReceiver()', body);
  currentTask(); // a RuntimeError outside run(): only a task can wait for the signals
  const names = [...new Set(signals.map((s) => catchableSignalName('openSignalReceiver()', s)))];
  const receiver = new SignalReceiver();
  for (const name of names) listen(name, receiver);
  try {
    return await body(receiver);
  } finally {
    unlisten(names, receiver);
  }
}
