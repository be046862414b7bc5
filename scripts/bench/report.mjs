// Renders a bench result: the terminal table, docs/BENCHMARKS.md, and the SVG chart of the ratios.
import { SYSTEMS, TARGETS, WORKLOADS, boundFor, systemById, workloadById } from './lib.mjs';

/** min+gzip bytes issue 17 allows each facade's hello-nursery program (the kernel has none). */
const BUNDLE_TARGETS = { '@duet/trio': 6 * 1024, '@duet/asyncio': 8 * 1024 };

const fmtMs = (ms) =>
  Number.isFinite(ms)
    ? ms >= 100
      ? ms.toFixed(0)
      : ms >= 10
        ? ms.toFixed(1)
        : ms.toFixed(2)
    : '–';
const fmtRate = (x) => {
  if (!Number.isFinite(x)) return '–';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k/s`;
  return `${x.toFixed(0)} /s`;
};
const fmtRatio = (r) =>
  r === null || r === undefined || !Number.isFinite(r)
    ? '–'
    : r >= 10
      ? `${r.toFixed(1)}×`
      : `${r.toFixed(2)}×`;
const vsName = (id) =>
  id === 'raw' ? 'raw Promises' : id === 'raw-als' ? 'raw + ALS' : systemById(id).name;

function targetText(t) {
  const trio = boundFor(t, 'duet-trio');
  const asyncio = boundFor(t, 'duet-asyncio');
  const unit = t.heapMax !== undefined ? '' : '×';
  const bound =
    trio === asyncio ? `${trio}${unit}` : `${trio}${unit} (trio) / ${asyncio}${unit} (asyncio)`;
  if (t.heapMax !== undefined) return `≤ ${bound} heap bytes per parked task`;
  return `≥ ${bound} ${t.what ?? vsName(t.vs)}`;
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

function systemsIn(result) {
  const ids = new Set(Object.values(result.summary).map((s) => s.system));
  return SYSTEMS.filter((s) => ids.has(s.id));
}
function workloadsIn(result) {
  const ids = new Set(Object.values(result.summary).map((s) => s.workload));
  return WORKLOADS.filter((w) => ids.has(w.id));
}

/** Rows of one runtime: per workload and system, the median time, min–max, throughput, ratios. */
function resultRows(result, runtime, md) {
  const rows = [];
  for (const w of workloadsIn(result)) {
    for (const s of systemsIn(result)) {
      const sum = result.summary[`${runtime}/${w.id}/${s.id}`];
      if (!sum) continue;
      const rt = (duet) => {
        if (s.id === duet) return md ? '1' : '1';
        const r = result.ratios[`${runtime}/${w.id}/${duet}/${s.id}`];
        return r ? fmtRatio(r.median) : '–';
      };
      const sizeNote = sum.ops !== null ? `${sum.ops.toLocaleString('en-US')}` : '–';
      rows.push([
        w.name,
        s.name,
        sizeNote,
        sum.error ? `error: ${sum.error.slice(0, 60)}` : fmtMs(sum.medianMs),
        sum.error ? '' : `${fmtMs(sum.minMs)}–${fmtMs(sum.maxMs)}`,
        sum.error ? '' : fmtRate(sum.opsPerSec),
        sum.heapPerTask !== null ? sum.heapPerTask.toFixed(0) : '',
        rt('duet-trio'),
        rt('duet-asyncio'),
      ]);
    }
  }
  return rows;
}
const HEAD = [
  'workload',
  'system',
  'ops',
  'median ms',
  'min–max ms',
  'throughput',
  'heap B/task',
  'Duet trio ÷ this',
  'Duet asyncio ÷ this',
];

function targetRows(result, runtime) {
  const rows = [];
  for (const t of TARGETS) {
    const hits = result.targets.filter(
      (x) =>
        x.runtime === runtime &&
        x.workload === t.workload &&
        x.vs === t.vs &&
        x.heapMax === t.heapMax,
    );
    if (hits.length === 0) continue;
    const cell = (duet) => {
      const h = hits.find((x) => x.duet === duet);
      if (!h || h.value === null) return '–';
      const v = t.heapMax !== undefined ? `${h.value.toFixed(0)} B` : fmtRatio(h.value);
      return `${v} ${h.met ? 'met' : 'MISSED'}`;
    };
    rows.push([
      workloadById(t.workload).name,
      targetText(t),
      cell('duet-trio'),
      cell('duet-asyncio'),
    ]);
  }
  return rows;
}

/** Which Python ran the asyncio rows and which ran the Trio rows (they may differ). */
export function pythonLine(python) {
  if (!python.version) return 'Python: absent';
  const trio = python.trio
    ? python.trioPython === python.version
      ? `, Trio ${python.trio}`
      : `; Trio ${python.trio} on ${python.trioPython}`
    : ', no Trio';
  return `Python: asyncio on ${python.version}${trio}`;
}

/** `≤ 6 KB met` for a facade with an issue-17 target, '' for one without (the kernel alone). */
function bundleVerdict(b, sep) {
  const target = BUNDLE_TARGETS[b.facade];
  if (target === undefined || !b.gzipBytes) return '';
  return `≤ ${target / 1024} KB${sep}${b.gzipBytes <= target ? 'met' : 'MISSED'}`;
}

export function renderTerminal(result) {
  const out = [];
  for (const rt of result.runtimes) {
    out.push(
      `== ${rt.id} (${rt.version}) — medians of ${result.reps} fresh-process repetition(s); ratios are paired (Duet throughput ÷ other, per repetition, median)`,
    );
    out.push(table([HEAD, ...resultRows(result, rt.id, false)]));
    const tr = targetRows(result, rt.id);
    if (tr.length) {
      out.push(
        `\n-- targets on ${rt.id}${rt.id === 'node20' || rt.id === 'node24' ? '' : ' (the issue states them for Node 20 and 24; shown for comparison)'}`,
      );
      out.push(table([['workload', 'target', 'Duet trio', 'Duet asyncio'], ...tr]));
    }
    out.push('');
  }
  if (result.bundle) {
    out.push('== bundle: hello-nursery, Rollup + node-resolve + terser, gzip -9');
    out.push(
      table([
        ['facade', 'entry', 'min bytes', 'min+gzip bytes', 'target'],
        ...result.bundle.map((b) => [
          b.facade,
          b.entry,
          b.error ? `error: ${b.error}` : b.minBytes,
          b.gzipBytes ?? '',
          bundleVerdict(b, ' '),
        ]),
      ]),
    );
  }
  for (const n of result.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

function mdTable(rows) {
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `| ${rows[0].map(esc).join(' | ')} |`,
    `| ${rows[0].map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(result, svgName) {
  const m = result.machine;
  const lines = [];
  const labels = [
    ...new Set(
      Object.values(result.summary)
        .filter((s) => s.label && s.system.startsWith('duet'))
        .map((s) => `${s.system}: ${s.label}`),
    ),
  ];
  lines.push('# Benchmarks', '');
  lines.push(
    '<!-- Generated by `pnpm bench --write` (scripts/bench/run.mjs); edit the script, not this file. -->',
    '',
    "How much structured concurrency costs in Duet, against the raw Promises it replaces, Effection 4 (the leading JS structured-concurrency library) and Python's own asyncio and Trio on the same workloads. The targets are those of issue 18.",
    '',
  );
  lines.push('## Run', '');
  lines.push(
    `- Command: \`${result.command}\` (mode **${result.mode}**, ${result.reps} repetitions, ${result.durationSec} s end to end), ${result.date}.`,
  );
  lines.push(
    `- Machine: ${m.cpu}, ${m.cores} cores (shared with other work), ${m.memoryGiB} GiB, ${m.os}; load average at the end ${m.load}.`,
  );
  lines.push(
    `- Runtimes: ${result.runtimes.map((r) => `${r.id} = Node ${r.version}`).join(', ')}; ${pythonLine(result.python)}.`,
  );
  lines.push(
    `- Sizes: W1 ${result.sizes.w1.toLocaleString('en-US')} tasks; W2 ${result.sizes.w2Tasks} tasks × ${result.sizes.w2Steps} checkpoints; W3 ${result.sizes.w3.toLocaleString('en-US')} messages; W4 ${result.sizes.w4.toLocaleString('en-US')} scopes; W5 ${result.sizes.w5.toLocaleString('en-US')} tasks; fan-out ${(result.sizes.fanout ?? 0).toLocaleString('en-US')} tasks, 100 permits; pipeline ${(result.sizes.pipeline ?? 0).toLocaleString('en-US')} items, 8 workers, buffers of 16${result.sizes.tcpecho ? `; TCP echo 100 connections × ${result.sizes.tcpecho.toLocaleString('en-US')} messages of 64 bytes` : ''}.${result.effectionScale !== 1 ? ` Effection runs at ${result.effectionScale} × these sizes: it takes 110–500 µs per task or scope, so full sizes would blow the time budget; its cost per operation is flat in size (W1: 121 and 113 µs per task at 10,000 and 30,000), so the throughput ratios stand — if anything in Effection's favour, as a smaller heap is easier on the GC.` : ''}`,
  );
  lines.push(
    `- Duet rows: ${labels.join('; ') || '–'}. A label naming "kernel for: …" means that facade export was missing from the built dist, and the kernel function it wraps stood in.`,
  );
  if (result.source)
    lines.push(
      `- Source: commit ${result.source.commit}${result.source.uncommittedFilesInPackages ? ` plus ${result.source.uncommittedFilesInPackages} uncommitted path(s) under packages/ (facades being written), as built at the start of the run; the workers ran on a snapshot of those dist folders` : ''}.`,
    );
  if (Object.keys(result.build ?? {}).length)
    lines.push(
      `- Build: ${Object.entries(result.build)
        .map(([k, v]) => `@duet/${k} ${v}`)
        .join(', ')}.`,
    );
  lines.push('');
  lines.push('## Method', '');
  lines.push(
    '- `pnpm bench` builds the packages (Rollup, as published) and runs every (workload, system, runtime, repetition) in a **fresh process**: `node --expose-gc scripts/bench/worker.mjs` for the JS systems (plain ESM against the built `dist/`, no TypeScript loader in the measured process) and `python3 scripts/bench/systems/python_worker.py` for Python.',
    '- Each process runs the workload once at a tenth of its size to warm up, collects garbage, then runs it once measured (`performance.now()` / `time.perf_counter()` around `run()` … end).',
    '- Within a repetition every system runs each workload in turn; the order of the systems rotates from one repetition to the next and the Node runtimes alternate, so drift on the shared machine does not always land on one system. Python runs once per repetition; both Node runtimes are paired with it.',
    "- Reported: the median time over the repetitions, min–max, the median throughput, and **paired ratios**: for each repetition, Duet's throughput divided by the other system's, then the median of those. Absolute numbers on a shared 2-core machine drift; the paired ratios of one run are what count. A ratio above 1 means Duet is faster.",
    '- "raw + ALS" runs every spawned async function inside `als.run(...)` of an `AsyncLocalStorage`: the floor of any kernel built on it. On Node 20 that turns on promise hooks for every promise; Node 24\'s AsyncContextFrame makes it nearly free.',
    '- The Duet workloads are written once (`scripts/bench/systems/duet-common.mjs`) against the facade names: Trio style `run`, `openNursery`, `startSoon`, `checkpoint`, `moveOnAfter`, `openMemoryChannel(0 / 16)`, `sleepForever`, `CapacityLimiter`, `awaitForeign`; asyncio style `run`, `TaskGroup` + `createTask`, `sleep(0)`, `timeout`, `Queue(1 / 16)`, `Event.wait()` + `Task.cancel()`, `Semaphore`, `awaitForeign`.',
    '',
  );
  lines.push('| workload | what runs |', '| --- | --- |');
  for (const w of workloadsIn(result)) lines.push(`| ${w.name} | ${w.what} |`);
  lines.push('');
  lines.push('## Targets', '');
  for (const rt of result.runtimes) {
    const tr = targetRows(result, rt.id);
    if (!tr.length) continue;
    lines.push(
      `### ${rt.id} (Node ${rt.version})${rt.id === 'node20' || rt.id === 'node24' ? '' : ' — the issue states the targets for Node 20 and 24; shown for comparison'}`,
      '',
    );
    lines.push(
      mdTable([['workload', 'target', 'Duet, Trio style', 'Duet, asyncio style'], ...tr]),
      '',
    );
  }
  if (result.bundle) {
    lines.push('### Bundle size', '');
    lines.push(
      'A hello-nursery program (`scripts/bench/bundle/hello-*.mjs`) bundled with Rollup, `@rollup/plugin-node-resolve` and `@rollup/plugin-terser`, Node built-ins external; gzip level 9.',
      '',
    );
    lines.push(
      mdTable([
        ['facade', 'entry', 'minified bytes', 'min+gzip bytes', 'target (issue 17)'],
        ...result.bundle.map((b) => [
          b.facade,
          `\`${b.entry}\``,
          b.error ? `error: ${b.error}` : b.minBytes,
          b.gzipBytes ?? '–',
          bundleVerdict(b, ': ') || '–',
        ]),
      ]),
      '',
    );
  }
  lines.push(
    '## Ratios',
    '',
    `![Duet's paired throughput ratios against each reference, log scale, with the target of each](${svgName})`,
    '',
  );
  lines.push('## All results', '');
  for (const rt of result.runtimes) {
    lines.push(`### ${rt.id} (Node ${rt.version})`, '');
    lines.push(mdTable([HEAD, ...resultRows(result, rt.id, true)]), '');
  }
  if (result.notes.length) {
    lines.push('## Notes', '');
    for (const n of result.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  if (result.analysis)
    lines.push(
      '## Findings',
      '',
      '_Written by hand (scripts/bench/FINDINGS.md) about the run it names; the numbers above are regenerated by every `--write`._',
      '',
      result.analysis.trim(),
      '',
    );
  lines.push(
    '## Reproduce',
    '',
    '```sh',
    'pnpm bench            # full run (< 10 min), prints the tables, JSON under bench-results/',
    'pnpm bench --quick    # small sizes, 3 repetitions (< 60 s)',
    'pnpm bench --write    # also regenerate this file',
    'node scripts/bench/run.mjs --smoke   # one tiny run of each workload per system',
    '```',
    '',
  );
  return lines.join('\n');
}

/** A horizontal bar chart of the target ratios, log scale, one group per target, made by hand. */
export function renderSvg(result) {
  const rows = [];
  for (const t of TARGETS) {
    if (t.heapMax !== undefined) continue;
    for (const duet of ['duet-trio', 'duet-asyncio']) {
      const bars = result.runtimes.map((rt) => {
        const r = result.ratios[`${rt.id}/${t.workload}/${duet}/${t.vs}`];
        return { runtime: rt.id, value: r?.median ?? null };
      });
      if (bars.every((b) => b.value === null)) continue;
      rows.push({
        label: `${workloadById(t.workload).name.split(' ')[0]} ${duet === 'duet-trio' ? 'trio' : 'asyncio'} vs ${vsName(t.vs)}`,
        min: boundFor(t, duet),
        bars,
      });
    }
  }
  const lo = 0.05;
  const hi = 200;
  const left = 230;
  const width = 820;
  const plot = width - left - 60;
  const barH = 9;
  const rowH = result.runtimes.length * barH + 8;
  const top = 40;
  const height = top + rows.length * rowH + 40;
  const x = (v) =>
    +(left + (Math.log10(Math.min(Math.max(v, lo), hi) / lo) / Math.log10(hi / lo)) * plot).toFixed(
      1,
    );
  const colors = {
    node20: '#3b6ea8',
    node22: '#5aa05a',
    'node22-acf': '#9c5fb5',
    node24: '#e08a2c',
  };
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(
    `<text x="${left}" y="16" font-size="13" font-weight="bold">Duet throughput ÷ reference (paired medians, log scale); black tick = target</text>`,
  );
  let lx = left;
  for (const rt of result.runtimes) {
    parts.push(
      `<rect x="${lx}" y="24" width="10" height="8" fill="${colors[rt.id] ?? '#888'}"/><text x="${lx + 14}" y="32">${esc(rt.id)} (${esc(rt.version)})</text>`,
    );
    lx += 150;
  }
  for (const tick of [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 100]) {
    const tx = x(tick);
    parts.push(
      `<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${height - 30}" stroke="${tick === 1 ? '#999' : '#e4e4e4'}"/>`,
    );
    parts.push(`<text x="${tx}" y="${height - 16}" text-anchor="middle">${tick}×</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    parts.push(
      `<text x="${left - 6}" y="${y + rowH / 2 + 3}" text-anchor="end">${esc(row.label)}</text>`,
    );
    row.bars.forEach((b, j) => {
      if (b.value === null) return;
      const by = y + 2 + j * barH;
      parts.push(
        `<rect x="${left}" y="${by}" width="${Math.max(1, x(b.value) - left).toFixed(1)}" height="${barH - 1}" fill="${colors[b.runtime] ?? '#888'}"/>`,
      );
      parts.push(
        `<text x="${(x(b.value) + 3).toFixed(1)}" y="${by + barH - 1}" font-size="9">${fmtRatio(b.value)}</text>`,
      );
    });
    const tx = x(row.min);
    parts.push(
      `<line x1="${tx}" y1="${y}" x2="${tx}" y2="${y + rowH - 4}" stroke="black" stroke-width="2"/>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Writes docs/BENCHMARKS.md (formatted by the repo's Prettier, so `format:check` stays green) and its chart. */
export async function writeDocs(result, rootDir) {
  const { writeFileSync } = await import('node:fs');
  const path = await import('node:path');
  const svgName = 'BENCHMARKS-ratios.svg';
  let markdown = renderMarkdown(result, svgName);
  const file = path.join(rootDir, 'docs/BENCHMARKS.md');
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    markdown = await prettier.format(markdown, { ...options, filepath: file });
  } catch {
    // Prettier missing: the unformatted table is still valid Markdown.
  }
  writeFileSync(path.join(rootDir, 'docs', svgName), renderSvg(result));
  writeFileSync(file, markdown);
  return [`docs/BENCHMARKS.md`, `docs/${svgName}`];
}
