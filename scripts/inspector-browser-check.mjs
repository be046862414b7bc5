#!/usr/bin/env node
// The live inspector in a real headless browser (issue 20): starts examples/inspector against the
// built packages, opens the URL it prints in Debian's Chromium, and checks that the rendered page
// shows the running service's task names, what they wait on, and their scopes; then checks that
// a URL without the token is refused, and saves a screenshot.
//
//   node scripts/inspector-browser-check.mjs [--screenshot out.png]
//
// Installs chromium with apt-get when it is missing (CI runs as root on Debian). Needs a build.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const shotArg = argv.indexOf('--screenshot');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'duet-inspector-browser-'));
const screenshot = shotArg >= 0 ? path.resolve(argv[shotArg + 1]) : path.join(tmp, 'inspector.png');

function chromiumBinary() {
  for (const bin of ['chromium', 'chromium-browser']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0) return bin;
  }
  console.log('chromium is missing: apt-get install -y chromium');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
  return 'chromium';
}

function browse(bin, url, extra) {
  const userDir = mkdtempSync(path.join(tmp, 'profile-'));
  const r = spawnSync(
    bin,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${userDir}`,
      // Run the page's script (fetch, render) for a few seconds of its time before dumping.
      '--virtual-time-budget=4000',
      '--window-size=1200,800',
      ...extra,
      url,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.error) throw r.error;
  return r;
}

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

const bin = chromiumBinary();
const service = spawn(
  process.execPath,
  ['--import', 'tsx', path.join('examples', 'inspector', 'trio.ts')],
  {
    cwd: rootDir,
    env: { ...process.env, INSPECTOR_SECONDS: '40' },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
try {
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
    service.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    service.on('exit', (code) =>
      reject(new Error(`the service exited (${code}) before printing a URL`)),
    );
  });
  console.log(`inspecting ${url.replace(/token=.*/, 'token=...')} with ${bin}`);
  // Let the service settle into its steady state.
  await new Promise((r) => setTimeout(r, 1000));

  const dom = browse(bin, url, ['--dump-dom']).stdout;
  const text = dom.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  check(/\blive\b/.test(text), 'the page reached the run (status "live")');
  for (const name of ['main', 'intake', 'worker', 'healthCheck', 'audit']) {
    check(new RegExp(`task #\\d+ ${name} `).test(text), `the tree shows the task "${name}"`);
  }
  check(
    /audit parked on Event\.wait for \d+\.\d s/.test(text),
    'audit waits on Event.wait, with how long',
  );
  check(
    /worker parked on (MemoryReceiveChannel\.receive|sleep)/.test(text),
    'a worker shows its wait',
  );
  check(
    /\[scope \(deadline in [\d.]+ s, shield\)\]/.test(text),
    'the shielded scope shows its deadline',
  );
  check(/<svg id="timeline"[^>]*>\s*<text/.test(dom), 'the timeline has rows');

  const refused = browse(bin, url.replace(/token=[\w-]+/, 'token=wrong'), ['--dump-dom']).stdout;
  check(/forbidden/.test(refused) && !/intake/.test(refused), 'a wrong token is refused');

  browse(bin, url, [`--screenshot=${screenshot}`]);
  const size = statSync(screenshot, { throwIfNoEntry: false })?.size ?? 0;
  check(size > 10_000, `a screenshot was taken (${size} bytes, ${screenshot})`);
} finally {
  service.kill('SIGTERM');
  if (shotArg < 0) rmSync(tmp, { recursive: true, force: true });
}
if (failures.length) {
  console.error(`inspector browser check: ${failures.length} failed`);
  process.exit(1);
}
console.log('inspector browser check: all passed');
