/** The per-file summary `duet-migrate` prints. */
import type { ReportEntry } from './context';

const LABEL: Record<ReportEntry['kind'], string> = {
  rewrote: 'rewrote',
  behaviour: 'BEHAVIOUR',
  kept: 'kept',
};

/** Formats a file's report: a count line, then one line per entry. */
export function formatReport(file: string, report: readonly ReportEntry[]): string {
  const count = (k: ReportEntry['kind']) => report.filter((e) => e.kind === k).length;
  const head =
    `${file}: ${count('rewrote')} rewritten, ${count('behaviour')} behaviour changes, ` +
    `${count('kept')} left as is`;
  return [head, ...report.map((e) => `  ${file}:${e.line}  ${LABEL[e.kind]}  ${e.message}`)].join(
    '\n',
  );
}
