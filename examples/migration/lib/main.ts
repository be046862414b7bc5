/**
 * The plain-JavaScript entry of the migration example: ordinary Promise code (think of an Express
 * handler) calling into Duet with an AbortSignal as the outside cancellation.
 */
import { runWithSignal } from '@duet/bridge';
import type { RunOptions } from '@duet/trio';
import { pipeline } from './trio-pipeline';

/** Runs the pipeline twice from plain code: once to the end, once aborted from outside. */
export async function main(print: (line: string) => void, trio: RunOptions = {}): Promise<void> {
  print('1) a run that finishes (jobs 1-6; job 6 takes 0.3 s, more than its 0.27 s waitFor)');
  await runWithSignal(new AbortController().signal, () => pipeline(print, 6, 10), { trio });

  print('2) a run aborted by its caller after 0.12 s');
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('the client went away')), 120);
  try {
    await runWithSignal(controller.signal, () => pipeline(print, 100, 10), { trio });
  } catch (err) {
    print(`   aborted: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
