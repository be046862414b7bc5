#!/usr/bin/env node
// Checks the API site (`npm run docs` → docs/api) in a headless browser: the landing page and the
// reference page of @duet/trio must render with their titles. Uses Debian's `chromium`; when it is
// missing it is installed with apt-get, and only where apt-get is unavailable is the check skipped
// (with a message saying so).
//
//   node scripts/docs-site-check.mjs        (after `npm run docs`)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const site = path.join(root, 'docs', 'api');

/** The pages to check, with the title and first heading each must show. */
const PAGES = [
  { file: 'index.html', title: 'Duet', heading: 'Duet' },
  { file: 'modules/_duet_trio.html', title: '@duet/trio | Duet', heading: 'Module @duet/trio' },
];

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function findChromium() {
  for (const name of ['chromium', 'chromium-browser']) if (has(name)) return name;
  return null;
}

let chromium = findChromium();
if (chromium === null) {
  if (!has('apt-get')) {
    console.log('docs-site-check: SKIPPED: no chromium, and no apt-get to install it');
    process.exit(0);
  }
  console.log('docs-site-check: installing chromium with apt-get');
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`docs-site-check: apt-get ${args.join(' ')} failed`);
      process.exit(1);
    }
  }
  chromium = findChromium();
  if (chromium === null) {
    console.error('docs-site-check: chromium is still missing after apt-get install');
    process.exit(1);
  }
}

if (!existsSync(path.join(site, 'index.html'))) {
  console.error('docs-site-check: docs/api/index.html is missing: run `npm run docs` first');
  process.exit(1);
}

const work = mkdtempSync(path.join(tmpdir(), 'duet-docs-site-'));
const browser = (extra, url) =>
  spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--window-size=1280,900',
      `--user-data-dir=${path.join(work, 'profile')}`,
      ...extra,
      url,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );

const failures = [];
try {
  for (const page of PAGES) {
    const url = pathToFileURL(path.join(site, page.file)).href;
    // The DOM after the page's scripts have run: what a reader sees.
    const dom = browser(['--dump-dom'], url);
    const title = /<title>([^<]*)<\/title>/.exec(dom.stdout ?? '')?.[1];
    const heading = /<h1[^>]*>([^<]*)/.exec(dom.stdout ?? '')?.[1]?.trim();
    const shot = path.join(work, `${page.file.replace(/\W+/g, '-')}.png`);
    browser([`--screenshot=${shot}`], url);
    const png =
      existsSync(shot) &&
      statSync(shot).size > 1000 &&
      readFileSync(shot).subarray(1, 4).toString() === 'PNG';
    const ok = title === page.title && heading === page.heading && png;
    console.log(
      `docs-site-check: ${page.file}: title ${JSON.stringify(title)}, heading ` +
        `${JSON.stringify(heading)}, screenshot ${png ? 'ok' : 'missing'}: ${ok ? 'ok' : 'FAILED'}`,
    );
    if (!ok) failures.push(page.file);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`docs-site-check: failed: ${failures.join(', ')}`);
  process.exit(1);
}
