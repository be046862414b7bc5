// What the hello-nursery bundles are made of: each minified byte of the eagerly loaded code traced
// back, through terser's and the packages' source maps, to the source module and the declaration
// (class member or top-level function) it came from. `node scripts/bench/bundle.mjs --why`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes a source map's `mappings` into lines of [genCol, source, origLine, origCol] segments. */
function decodeMappings(mappings) {
  const lines = [];
  let source = 0;
  let origLine = 0;
  let origCol = 0;
  for (const text of mappings.split(';')) {
    const line = [];
    let genCol = 0;
    for (const seg of text.split(',')) {
      if (seg === '') continue;
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += fields[0];
      if (fields.length >= 4) {
        source += fields[1];
        origLine += fields[2];
        origCol += fields[3];
        line.push([genCol, source, origLine, origCol]);
      } else line.push([genCol, -1, 0, 0]);
    }
    lines.push(line);
  }
  return lines;
}

/** Rollup plugin: hand Rollup each dist file's own map, so the bundle's map reaches `src/*.ts`. */
export function distMaps() {
  return {
    name: 'duet-dist-maps',
    load(id) {
      if (!/[/\\]dist[/\\].*\.mjs$/.test(id)) return null;
      const code = readFileSync(id, 'utf8');
      let map = null;
      try {
        map = JSON.parse(readFileSync(`${id}.map`, 'utf8'));
      } catch {
        // No map: the bytes count for the dist file itself.
      }
      return { code, map };
    },
  };
}

/** For one source file: a function from (line, column) to the declaration holding it. */
function declarationsOf(fileName, text) {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const spans = [];
  const nameOf = (node) => (node.name && ts.isIdentifier(node.name) ? node.name.text : undefined);
  for (const stmt of sf.statements) {
    if (ts.isClassDeclaration(stmt)) {
      const cls = nameOf(stmt) ?? 'class';
      spans.push([stmt.getStart(), stmt.end, cls]);
      for (const m of stmt.members) {
        const member = m.name
          ? m.name.getText(sf)
          : ts.isConstructorDeclaration(m)
            ? 'constructor'
            : 'static {}';
        spans.push([m.getStart(), m.end, `${cls}.${member}`]);
      }
    } else if (ts.isFunctionDeclaration(stmt))
      spans.push([stmt.getStart(), stmt.end, nameOf(stmt) ?? 'function']);
    else if (ts.isVariableStatement(stmt))
      for (const d of stmt.declarationList.declarations)
        spans.push([stmt.getStart(), stmt.end, d.name.getText(sf)]);
    else spans.push([stmt.getStart(), stmt.end, '(top level)']);
  }
  return (line, col) => {
    const pos =
      sf.getPositionOfLineAndCharacter(Math.min(line, sf.getLineStarts().length - 1), 0) + col;
    let best = '(top level)';
    let bestLen = Infinity;
    for (const [start, end, name] of spans) {
      if (start <= pos && pos < end && end - start < bestLen) {
        best = name;
        bestLen = end - start;
      }
    }
    return best;
  };
}

/**
 * Attributes the minified bytes of `chunks` (Rollup output chunks with source maps) to source
 * modules and their declarations. Returns { modules: Map(module -> bytes), decls: Map(key -> bytes) }.
 */
export function attribute(chunks, root) {
  const modules = new Map();
  const decls = new Map();
  const add = (map, key, n) => map.set(key, (map.get(key) ?? 0) + n);
  for (const chunk of chunks) {
    const { map } = chunk;
    const lines = decodeMappings(map.mappings);
    const codeLines = chunk.code.split('\n');
    const finders = new Map();
    const finder = (i) => {
      if (!finders.has(i)) {
        const text = map.sourcesContent?.[i];
        finders.set(i, text ? declarationsOf(map.sources[i], text) : () => '?');
      }
      return finders.get(i);
    };
    const label = (i) => {
      if (i < 0) return '(unmapped)';
      const abs = path.resolve(path.dirname(chunk.fileName), map.sources[i]);
      const rel = path.relative(root, abs).replace(/\\/g, '/');
      // packages/kernel/dist/../src/x.ts and the like: shown as kernel/src/x.ts.
      return rel.replace(/^.*?packages\//, '').replace(/\/dist\/(\.\.\/)+/, '/');
    };
    lines.forEach((segs, li) => {
      const lineLen = (codeLines[li] ?? '').length;
      segs.forEach((seg, si) => {
        const len = (si + 1 < segs.length ? segs[si + 1][0] : lineLen) - seg[0];
        const mod = label(seg[1]);
        add(modules, mod, len);
        if (seg[1] >= 0) add(decls, `${mod} ${finder(seg[1])(seg[2], seg[3])}`, len);
      });
    });
  }
  return { modules, decls };
}
