/**
 * Text edits over one source text. A pass collects edits that do not overlap and applies them
 * together; a rewrite whose range overlaps an accepted edit waits for the next pass, which parses
 * the edited text again. Every rewrite removes the pattern it matched, so passes reach a fixpoint.
 */

/** Replace `text[start, end)` with `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The edits of one pass. */
export class EditSet {
  private readonly edits: Edit[] = [];

  /** Adds `edit` unless it overlaps one already taken; returns whether it was taken. */
  add(edit: Edit): boolean {
    const clash = this.edits.some((e) =>
      e.start === e.end && edit.start === edit.end
        ? e.start === edit.start
        : edit.start < e.end && e.start < edit.end,
    );
    if (clash) return false;
    this.edits.push(edit);
    return true;
  }

  /** Adds all of `edits` or none of them. */
  addAll(edits: readonly Edit[]): boolean {
    const taken: Edit[] = [];
    for (const edit of edits) {
      if (this.add(edit)) taken.push(edit);
      else {
        for (const t of taken) this.edits.splice(this.edits.indexOf(t), 1);
        return false;
      }
    }
    return true;
  }

  /** Whether no edit was taken. */
  get empty(): boolean {
    return this.edits.length === 0;
  }

  /**
   * The offset in the source of `offset` in the edited text: text an edit wrote maps to where
   * that edit began.
   */
  sourceOffset(offset: number): number {
    let delta = 0;
    for (const e of [...this.edits].sort((a, b) => a.start - b.start || a.end - b.end)) {
      const start = e.start + delta;
      if (offset < start) break;
      if (offset < start + e.text.length) return e.start;
      delta += e.text.length - (e.end - e.start);
    }
    return offset - delta;
  }

  /** `source` with every edit applied. */
  apply(source: string): string {
    let out = source;
    for (const e of [...this.edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
      out = out.slice(0, e.start) + e.text + out.slice(e.end);
    }
    return out;
  }
}
