/**
 * Process signals by name: what the facades' signal APIs (Trio's `openSignalReceiver`, asyncio's
 * `loop.addSignalHandler`) accept, checked the same way.
 */
import { constants } from 'node:os';
import { ValueError } from './errors';

/** Node cannot listen for these: the OS never lets a process catch them. */
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/**
 * The name (`'SIGTERM'`) of `signal`, a name or a number of this OS's signals; a `TypeError` for
 * anything else, a {@link ValueError} for a signal this OS does not have or one no process can
 * catch (`SIGKILL`, `SIGSTOP`). `api` names the caller in the messages.
 *
 * @example
 * ```ts
 * catchableSignalName('addSignalHandler()', 15); // 'SIGTERM' on Linux
 * ```
 */
export function catchableSignalName(api: string, signal: unknown): string {
  const table = constants.signals as Record<string, number>;
  let name: string | undefined;
  if (typeof signal === 'string' && Object.hasOwn(table, signal)) name = signal;
  else if (typeof signal === 'number') name = Object.keys(table).find((n) => table[n] === signal);
  else if (typeof signal !== 'string') {
    throw new TypeError(
      `${api}: a signal is a name such as 'SIGINT' or a number, got ${typeof signal}`,
    );
  }
  if (name === undefined) {
    throw new ValueError(`${api}: ${JSON.stringify(signal)} is not a signal of this OS`);
  }
  if (UNCATCHABLE.has(name)) throw new ValueError(`${api}: ${name} cannot be caught`);
  return name;
}
