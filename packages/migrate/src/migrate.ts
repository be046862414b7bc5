/** Migrates one file's text: the rewrite passes to a fixpoint, then the bridge wraps and imports. */
import ts from 'typescript';
import { rewriteAsyncio } from './asyncio';
import { FileState, Pass, type ReportEntry } from './context';
import { fixImports, wrapKeptFunctions } from './finish';
import { rewritePromises } from './promises';

/** What {@link migrateSource} did to one file. */
export interface MigrateResult {
  /** The migrated text (the input itself when nothing changed). */
  output: string;
  /** Whether `output` differs from the input. */
  changed: boolean;
  /** What was rewritten, what changed behaviour, what was left as is and why. */
  report: ReportEntry[];
}

/** Options of {@link migrateSource}. */
export interface MigrateOptions {
  /** Used to pick the parser (`.tsx`, `.js`, ...) and in error messages. Default `input.ts`. */
  fileName?: string;
}

const MAX_PASSES = 25;

function parse(text: string, fileName: string): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
}

/**
 * Rewrites asyncio-style Duet code to Trio style, and plain Promise code inside Duet programs to
 * nurseries and cancel scopes, where the meaning is kept; everything else is left as is with a
 * `// duet-migrate:` comment saying why. Running it on its own output changes nothing.
 */
export function migrateSource(source: string, options: MigrateOptions = {}): MigrateResult {
  const fileName = options.fileName ?? 'input.ts';
  const state = new FileState(source);
  let text = source;
  let toSource = (offset: number) => offset;
  let last: Pass | undefined;
  const apply = (pass: Pass) => {
    text = pass.edits.apply(text);
    const before = toSource;
    toSource = (offset) => before(pass.edits.sourceOffset(offset));
  };
  for (let i = 0; ; i++) {
    if (i === MAX_PASSES) throw new Error(`duet-migrate: ${fileName}: the rewrites did not settle`);
    const pass = new Pass(parse(text, fileName), state, toSource);
    rewriteAsyncio(pass);
    rewritePromises(pass);
    if (pass.edits.empty) {
      last = pass;
      break;
    }
    apply(pass);
  }
  for (const finish of [wrapKeptFunctions, fixImports]) {
    const pass = new Pass(parse(text, fileName), state, toSource);
    finish(pass);
    apply(pass);
  }
  const report = [...state.report, ...last!.kept].sort((a, b) => a.line - b.line);
  return { output: text, changed: text !== source, report };
}
