/**
 * The running program as a tree of tasks, in the spirit of Python 3.14's
 * `asyncio.format_call_graph` / `print_call_graph` (and `python -m asyncio pstree`): every task
 * with its state, what it awaits, its task group and its timeouts.
 */
import { formatTaskTree, taskTree } from '@duet/kernel';

/**
 * The task tree of the running loop as text: each task with its name, state, what it is waiting
 * on (`sleep until t=…`, a lock, a queue, another task), the task groups and timeouts it is in.
 *
 * @example
 * ```ts
 * console.log(formatCallGraph());
 * ```
 */
export function formatCallGraph(): string {
  return formatTaskTree(taskTree());
}

/**
 * Prints {@link formatCallGraph} to `write` (standard output by default).
 *
 * @example
 * ```ts
 * printCallGraph(); // e.g. from a debugging hook while the program runs
 * ```
 */
export function printCallGraph(
  write: (text: string) => void = (text) => process.stdout.write(text),
): void {
  write(formatCallGraph() + '\n');
}
