/** A unified diff of two texts, line by line (what `duet-migrate --dry-run` prints). */

const CONTEXT = 3;

interface Op {
  op: ' ' | '-' | '+';
  line: string;
  /** Lines of `before` / `after` consumed before this one. */
  a: number;
  b: number;
}

/** The unified diff from `before` to `after`, with `name` in the headers; '' when equal. */
export function unifiedDiff(name: string, before: string, after: string): string {
  if (before === after) return '';
  const a = lines(before);
  const b = lines(after);
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] =
        a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const at = { a: i, b: j };
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i++]!, ...at });
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ op: '-', line: a[i++]!, ...at });
    } else {
      ops.push({ op: '+', line: b[j++]!, ...at });
    }
  }
  // Hunks: each change with CONTEXT lines around it, overlapping ones merged.
  const ranges: [number, number][] = [];
  ops.forEach((o, k) => {
    if (o.op === ' ') return;
    const from = Math.max(0, k - CONTEXT);
    const to = Math.min(ops.length, k + CONTEXT + 1);
    const last = ranges.at(-1);
    if (last && from <= last[1]) last[1] = to;
    else ranges.push([from, to]);
  });
  const out = [`--- ${name}`, `+++ ${name} (migrated)`];
  for (const [from, to] of ranges) {
    const hunk = ops.slice(from, to);
    const aLen = hunk.filter((h) => h.op !== '+').length;
    const bLen = hunk.filter((h) => h.op !== '-').length;
    out.push(
      `@@ -${hunk[0]!.a + (aLen ? 1 : 0)},${aLen} +${hunk[0]!.b + (bLen ? 1 : 0)},${bLen} @@`,
    );
    for (const h of hunk) out.push(h.op + h.line);
  }
  return out.join('\n') + '\n';
}

function lines(text: string): string[] {
  const all = text.split('\n');
  if (text.endsWith('\n')) all.pop();
  return all;
}
