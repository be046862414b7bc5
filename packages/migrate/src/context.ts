/** What every rewrite sees during one pass over a file, and what it records for the report. */
import ts from 'typescript';
import { EditSet, type Edit } from './edits';

/** One line of a file's migration report. */
export interface ReportEntry {
  /** 1-based line in the file as it was before the migration. */
  line: number;
  /** `rewrote` changed code with the meaning kept; `behaviour` changed code whose behaviour differs; `kept` left code as is. */
  kind: 'rewrote' | 'behaviour' | 'kept';
  /** What happened and why. */
  message: string;
}

/** The module each Trio-style name is imported from. */
export type TargetModule = '@duet/trio' | '@duet/trio/testing' | '@duet/bridge' | '@duet/kernel';

/** State that lives across the passes over one file. */
export class FileState {
  readonly needs = new Map<string, TargetModule>();
  private readonly entries = new Map<string, ReportEntry>();
  private readonly lineStarts: number[] = [0];

  constructor(source: string) {
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1))
      this.lineStarts.push(i + 1);
  }

  /** The 1-based line of `offset` in the source. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  need(name: string, module: TargetModule = '@duet/trio'): void {
    this.needs.set(name, module);
  }

  record(entry: ReportEntry): void {
    this.entries.set(`${entry.kind}\u0000${entry.message}\u0000${entry.line}`, entry);
  }

  get report(): ReportEntry[] {
    return [...this.entries.values()].sort((a, b) => a.line - b.line);
  }
}

/** The marker every comment the codemod writes starts with. */
export const MARKER = '// duet-migrate:';

/** One parse of the file and the edits collected from it. */
export class Pass {
  readonly edits = new EditSet();
  /** What this pass left as is (only the last pass's list is reported: the others saw code that changed since). */
  readonly kept: ReportEntry[] = [];
  /** Local name → name imported from `@duet/asyncio`. */
  readonly aio = new Map<string, string>();
  /** Whether the file imports any `@duet/*` package. */
  readonly duet: boolean;

  constructor(
    readonly sf: ts.SourceFile,
    readonly state: FileState,
    /** Maps an offset of this pass's text to the source's (earlier passes rewrote it). */
    private readonly toSource: (offset: number) => number = (offset) => offset,
  ) {
    let duet = false;
    for (const stmt of sf.statements) {
      if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
      const from = stmt.moduleSpecifier.text;
      if (from.startsWith('@duet/')) duet = true;
      const bindings = stmt.importClause?.namedBindings;
      if (from !== '@duet/asyncio' || !bindings || !ts.isNamedImports(bindings)) continue;
      for (const el of bindings.elements) {
        this.aio.set(el.name.text, (el.propertyName ?? el.name).getText(sf));
      }
    }
    this.duet = duet;
  }

  get text(): string {
    return this.sf.text;
  }

  /** Whether `node` is an identifier bound to asyncio's `name` (by import). */
  isAio(node: ts.Node | undefined, name: string): node is ts.Identifier {
    return !!node && ts.isIdentifier(node) && this.aio.get(node.text) === name;
  }

  /** Whether `node` is a call of asyncio's `name`. */
  isAioCall(node: ts.Node, name: string): node is ts.CallExpression {
    return ts.isCallExpression(node) && this.isAio(node.expression, name);
  }

  /** The line of `node` in the source, before any pass. */
  lineOf(node: ts.Node): number {
    return this.state.lineAt(this.toSource(node.getStart(this.sf)));
  }

  src(node: ts.Node): string {
    return node.getText(this.sf);
  }

  /**
   * `failAfter` and `openNursery` resolve with `undefined` when their scope is cancelled by hand;
   * a body converted from asyncio never does that, so a used result of `call` gets `!` to keep the
   * type the asyncio call had.
   */
  resultNotUndefined(call: ts.CallExpression): Edit[] {
    const aw = call.parent;
    if (!ts.isAwaitExpression(aw) || ts.isExpressionStatement(aw.parent)) return [];
    return [
      { start: aw.getStart(this.sf), end: aw.getStart(this.sf), text: '(' },
      { start: aw.end, end: aw.end, text: ')!' },
    ];
  }

  /** Takes the edits of one rewrite (all or none) and records it in the report. */
  rewrite(node: ts.Node, edits: Edit[], message: string, behaviour?: string): boolean {
    if (!this.edits.addAll(edits)) return false;
    this.state.record({ line: this.lineOf(node), kind: 'rewrote', message });
    if (behaviour)
      this.state.record({ line: this.lineOf(node), kind: 'behaviour', message: behaviour });
    return true;
  }

  /** Leaves `node` as is: a comment above its statement says why (once), and the report says so. */
  keep(node: ts.Node, reason: string): void {
    this.kept.push({ line: this.lineOf(node), kind: 'kept', message: reason });
    let stmt: ts.Node = node;
    while (!(
      ts.isBlock(stmt.parent) ||
      ts.isSourceFile(stmt.parent) ||
      ts.isCaseClause(stmt.parent)
    ))
      stmt = stmt.parent;
    const text = this.text;
    const lineStart = text.lastIndexOf('\n', stmt.getStart(this.sf) - 1) + 1;
    const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
    const comment = `${MARKER} kept as is: ${reason}`;
    // Already said by an earlier run: look at the comment lines just above the statement.
    let above = lineStart;
    while (above > 0) {
      const prevStart = text.lastIndexOf('\n', above - 2) + 1;
      const line = text.slice(prevStart, above - 1).trim();
      if (!line.startsWith('//')) break;
      if (line === comment) return;
      above = prevStart;
    }
    // Over the indentation, so that an edit re-indenting this line (a function moved out of an
    // argument list) defers the comment to the next pass, which sees the new indentation.
    const end = lineStart + indent.length;
    this.edits.add({ start: lineStart, end, text: `${indent}${comment}\n${indent}` });
  }
}

/** Whether `node` is a function expression or arrow function. */
export function isFunctionLiteral(
  node: ts.Node | undefined,
): node is ts.ArrowFunction | ts.FunctionExpression {
  return !!node && (ts.isArrowFunction(node) || ts.isFunctionExpression(node));
}

/** Calls `visit` on every descendant of `node`, depth first, parents before children. */
export function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  node.forEachChild((child) => {
    visit(child);
    walk(child, visit);
  });
}

/** Whether some descendant of `node` satisfies `test`. */
export function contains(node: ts.Node, test: (n: ts.Node) => boolean): boolean {
  let found = false;
  walk(node, (n) => {
    if (!found && test(n)) found = true;
  });
  return found;
}

/** The identifiers in `scope` that reference the variable `name` (by text, outside property names). */
export function referencesOf(scope: ts.Node, name: string): ts.Identifier[] {
  const refs: ts.Identifier[] = [];
  walk(scope, (n) => {
    if (!ts.isIdentifier(n) || n.text !== name) return;
    const p = n.parent;
    if (ts.isPropertyAccessExpression(p) && p.name === n) return;
    if ((ts.isPropertyAssignment(p) || ts.isImportSpecifier(p)) && p.name === n) return;
    if (ts.isVariableDeclaration(p) && p.name === n) return;
    if (ts.isParameter(p) && p.name === n) return;
    refs.push(n);
  });
  return refs;
}

/**
 * The offsets in `[start, end)` where a non-empty line begins, outside template literals (whose
 * text is the program's data, not its layout).
 */
export function lineStarts(p: Pass, start: number, end: number): number[] {
  const inTemplate: [number, number][] = [];
  walk(p.sf, (n) => {
    if (ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n))
      inTemplate.push([n.getStart(p.sf), n.end]);
  });
  const starts: number[] = [];
  for (
    let i = p.text.indexOf('\n', start);
    i !== -1 && i + 1 < end;
    i = p.text.indexOf('\n', i + 1)
  ) {
    if (p.text[i + 1] !== '\n' && !inTemplate.some(([s, e]) => i > s && i < e)) starts.push(i + 1);
  }
  return starts;
}
