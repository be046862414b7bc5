/**
 * Ctrl-C for runs: while runs that asked for it are active and nothing else listens for SIGINT,
 * one process listener routes SIGINT to them, as `trio.run` and `asyncio.run` install their
 * handler only over Python's default one (and a SIGINT that arrives while another listener has
 * been added since is left to that one, as an `open_signal_receiver` block takes it in Trio). A second SIGINT while a run still unwinds from the
 * first takes SIGINT's default action (the process ends), the usual "press again to force".
 */

/** The handlers of the runs that catch SIGINT now, oldest first. */
const handlers: Array<() => void> = [];
let listener: (() => void) | null = null;
/** SIGINTs since the first handler of the current stretch was registered. */
let interrupts = 0;

function onSigint(): void {
  // Someone else listens too (a program's handler, an openSignalReceiver block): it is theirs.
  if (process.listenerCount('SIGINT') > 1) return;
  interrupts++;
  if (interrupts === 1) {
    for (const handler of [...handlers]) handler();
    return;
  }
  stopListening();
  process.kill(process.pid, 'SIGINT');
}

function stopListening(): void {
  if (listener !== null) process.off('SIGINT', listener);
  listener = null;
}

/**
 * Routes SIGINT (Ctrl-C) to `handler` until the returned function is called, and returns that
 * function; returns null (and routes nothing) when the program has its own SIGINT listener or the
 * runtime has no process signals. A second SIGINT before every handler is released ends the
 * process with SIGINT's default action.
 *
 * @example
 * ```ts
 * const release = catchInterrupt(() => mainTask.cancel());
 * try { await work(); } finally { release?.(); }
 * ```
 */
export function catchInterrupt(handler: () => void): (() => void) | null {
  if (typeof process === 'undefined' || typeof process.on !== 'function') return null;
  if (listener === null) {
    if (handlers.length !== 0 || process.listenerCount('SIGINT') !== 0) return null;
    interrupts = 0;
    listener = onSigint;
    process.on('SIGINT', listener);
  }
  handlers.push(handler);
  return () => {
    const i = handlers.indexOf(handler);
    if (i < 0) return;
    handlers.splice(i, 1);
    if (handlers.length === 0) stopListening();
  };
}
