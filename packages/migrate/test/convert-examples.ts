/**
 * Copies examples/<name> (its tests too) to a fresh temporary directory and runs `duet-migrate` on
 * the copy, the way a user would: the CLI, in place. Returns the directory and the CLI's output.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { main } from '@duet/migrate';

export const repoRoot = path.resolve(__dirname, '../../..');

/** A migrated copy of an example. */
export interface Converted {
  dir: string;
  output: string;
  /** The text of `rel` inside the copy. */
  read(rel: string): string;
  remove(): void;
}

export function convertExample(name: string, args: string[] = []): Converted {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'duet-migrate-')), name);
  cpSync(path.join(repoRoot, 'examples', name), dir, { recursive: true });
  let output = '';
  const code = main([...args, dir], { out: (t) => (output += t), err: (t) => (output += t) });
  if (code !== 0) throw new Error(`duet-migrate exited with ${code}:\n${output}`);
  return {
    dir,
    output,
    read: (rel) => readFileSync(path.join(dir, rel), 'utf8'),
    remove: () => rmSync(path.dirname(dir), { recursive: true, force: true }),
  };
}

/** Every source file under `dir`, relative, with its text. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) visit(full);
      else out[path.relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  visit(dir);
  return out;
}

/** The type errors of `files`, compiled with the repo's compiler options. */
export function typeErrors(files: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(repoRoot, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
}
