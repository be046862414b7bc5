/**
 * The `duet-migrate` command: `duet-migrate [--dry-run] [--quiet] <files or directories>...`.
 * Rewrites the files in place (or prints a diff with `--dry-run`) and prints each file's report.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unifiedDiff } from './diff';
import { migrateSource } from './migrate';
import { formatReport } from './report';

/** Where {@link main} writes: stdout for diffs and reports, stderr for usage errors. */
export interface CliIO {
  /** Writes diffs, reports and `--help`. */
  out(text: string): void;
  /** Writes usage errors. */
  err(text: string): void;
}

const USAGE = `usage: duet-migrate [--dry-run] [--quiet] <file or directory>...
  --dry-run  print a unified diff instead of writing the files
  --quiet    print no per-file report`;

const SOURCE = /\.(c|m)?tsx?$/;

function collect(target: string, into: string[]): void {
  if (statSync(target).isDirectory()) {
    for (const entry of readdirSync(target).sort()) {
      if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
      collect(path.join(target, entry), into);
    }
  } else if (SOURCE.test(target) && !target.endsWith('.d.ts')) into.push(target);
}

/** Runs the CLI on `args`; resolves with the exit code. */
export function main(
  args: readonly string[],
  io: CliIO = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
): number {
  const flags = new Set(args.filter((a) => a.startsWith('-')));
  const unknown = [...flags].filter((f) => f !== '--dry-run' && f !== '--quiet');
  const targets = args.filter((a) => !a.startsWith('-'));
  if (flags.has('--help') || flags.has('-h')) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (unknown.length > 0 || targets.length === 0) {
    io.err(`${unknown.length ? `duet-migrate: unknown option ${unknown[0]}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const files: string[] = [];
  try {
    for (const t of targets) collect(t, files);
  } catch (err) {
    io.err(`duet-migrate: ${(err as Error).message}\n`);
    return 2;
  }
  for (const file of files) {
    const before = readFileSync(file, 'utf8');
    const { output, changed, report } = migrateSource(before, { fileName: file });
    if (flags.has('--dry-run')) io.out(unifiedDiff(file, before, output));
    else if (changed) writeFileSync(file, output);
    if (!flags.has('--quiet') && report.length > 0) io.out(`${formatReport(file, report)}\n`);
  }
  return 0;
}
