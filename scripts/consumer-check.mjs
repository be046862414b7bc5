#!/usr/bin/env node
// Check the packages the way a user gets them: build, `pnpm pack` each package,
// `npm install` the tarballs into a throwaway project outside the workspace,
// then from plain Node `require()` and `import()` every entry point, and
// type-check a TypeScript consumer against the shipped .d.ts files.
//
//   node scripts/consumer-check.mjs [--no-build] [--keep]
//
// --no-build  use the existing packages/*/dist
// --keep      leave the temporary folder in place and print its path

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootstrap } from './bootstrap.mjs';
import { pnpm, rootDir } from './pnpm.mjs';

// ---------------------------------------------------------------------------
// Public names each entry point must export. Every name is checked in the CJS
// build (require), the ESM build (import) and the shipped types (tsc), so list
// runtime values here (functions, classes, constants), not type-only exports.
// Extend these lists as the API grows. Every entry in a package's `exports`
// map must appear here (an empty list just checks that the module loads).
// ---------------------------------------------------------------------------
const EXPECTED_EXPORTS = {
  '@duet/kernel': [
    'Abort',
    'CancelScope',
    'Cancelled',
    'ExceptionGroup',
    'HangError',
    'KernelInternalError',
    'MockClock',
    'Nursery',
    'ParkingLot',
    'RunFinishedError',
    'Runner',
    'RuntimeError',
    'SystemClock',
    'TASK_STATUS_IGNORED',
    'Task',
    'TimerHandle',
    'TraceRecorder',
    'ValueError',
    'addInstrument',
    'awaitForeign',
    'cancelShieldedCheckpoint',
    'checkpoint',
    'checkpointIfCancelled',
    'currentClock',
    'currentEffectiveDeadline',
    'currentRootTask',
    'currentRunner',
    'currentSignal',
    'currentTask',
    'currentTaskOrUndefined',
    'currentTime',
    'DIAGNOSTICS_CHANNELS',
    'formatTaskTree',
    'isCancelled',
    'openNursery',
    'park',
    'removeInstrument',
    'reschedule',
    'run',
    'runInWorker',
    'sleep',
    'sleepForever',
    'sleepUntil',
    'spawnSystemTask',
    'taskTree',
    'waitAllTasksBlocked',
    'waitTaskRescheduled',
    'workerPoolStatistics',
  ],
  '@duet/trio': [
    'AsyncFile',
    'BrokenResourceError',
    'BufferedReceiveStream',
    'BusyResourceError',
    'CalledProcessError',
    'CancelScope',
    'Cancelled',
    'CapacityLimiter',
    'ClosedResourceError',
    'CompletedProcess',
    'Condition',
    'DEFAULT_RECEIVE_BUFFER',
    'DEFAULT_RECEIVE_SIZE',
    'EndOfChannel',
    'Event',
    'ExceptionGroup',
    'FailScope',
    'HangError',
    'Lock',
    'MemoryReceiveChannel',
    'MemorySendChannel',
    'Nursery',
    'Path',
    'Process',
    'ReadableReceiveStream',
    'RunFinishedError',
    'RuntimeError',
    'Semaphore',
    'SocketListener',
    'SocketStream',
    'StapledStream',
    'StrictFIFOLock',
    'TASK_STATUS_IGNORED',
    'Task',
    'TooSlowError',
    'TrioInternalError',
    'ValueError',
    'WouldBlock',
    'WritableSendStream',
    'checkpoint',
    'checkpointIfCancelled',
    'currentDefaultThreadLimiter',
    'currentEffectiveDeadline',
    'currentRootTask',
    'currentTask',
    'currentTime',
    'failAfter',
    'failAt',
    'isCancelled',
    'moveOnAfter',
    'moveOnAt',
    'openFile',
    'openMemoryChannel',
    'openNursery',
    'openProcess',
    'openTcpListeners',
    'openTcpStream',
    'run',
    'runProcess',
    'serveListeners',
    'serveTcp',
    'sleep',
    'sleepForever',
    'sleepUntil',
    'toThread',
  ],
  '@duet/trio/testing': [
    'MockClock',
    'Sequencer',
    'TRIO_TEST_HANG_DETECTION',
    'assertCheckpoints',
    'assertNoCheckpoints',
    'trioTest',
    'waitAllTasksBlocked',
  ],
  '@duet/trio/lowlevel': [
    'Abort',
    'ParkingLot',
    'Task',
    'TraceRecorder',
    'addInstrument',
    'cancelShieldedCheckpoint',
    'checkpointIfCancelled',
    'currentClock',
    'currentRootTask',
    'currentTask',
    'dumpTaskTree',
    'removeInstrument',
    'reschedule',
    'spawnSystemTask',
    'taskTree',
    'waitTaskRescheduled',
  ],
  '@duet/asyncio': [
    'ALL_COMPLETED',
    'AsCompletedIterator',
    'Barrier',
    'BoundedSemaphore',
    'BrokenBarrierError',
    'BrokenPipeError',
    'CancelledError',
    'Condition',
    'ConnectionError',
    'ConnectionRefusedError',
    'ConnectionResetError',
    'DEVNULL',
    'Event',
    'EventLoop',
    'ExceptionGroup',
    'FIRST_COMPLETED',
    'FIRST_EXCEPTION',
    'Future',
    'GatheringFuture',
    'Handle',
    'IncompleteReadError',
    'InvalidStateError',
    'LifoQueue',
    'LimitOverrunError',
    'Lock',
    'MockClock',
    'PIPE',
    'PriorityQueue',
    'Process',
    'Queue',
    'QueueEmpty',
    'QueueFull',
    'QueueShutDown',
    'Runner',
    'RuntimeError',
    'STDOUT',
    'Semaphore',
    'Server',
    'StreamReader',
    'StreamWriter',
    'Task',
    'TaskGroup',
    'Timeout',
    'TimeoutError',
    'TimerHandle',
    'ValueError',
    'allTasks',
    'asCompleted',
    'asyncioTaskOf',
    'createSubprocessExec',
    'createSubprocessShell',
    'createTask',
    'currentTask',
    'defaultCompare',
    'ensureFuture',
    'gather',
    'getRunningLoop',
    'isFuture',
    'openConnection',
    'run',
    'runWithTaskNursery',
    'shield',
    'sleep',
    'startServer',
    'timeout',
    'timeoutAt',
    'toThread',
    'wait',
    'waitFor',
  ],
  '@duet/bridge': [
    'ChannelQueue',
    'QueueReceiveChannel',
    'QueueSendChannel',
    'aioAsTrio',
    'awaitEvent',
    'awaitFuture',
    'awaitPromise',
    'channelAsQueue',
    'iterate',
    'openAsyncioLoop',
    'queueAsChannels',
    'runWithSignal',
    'toAsyncIterable',
    'trioAsAio',
    'EventOverflowError',
    'iterateEvents',
    'toReadableStream',
    'toWritableStream',
  ],
  '@duet/kernel/inspector': ['Inspector'],
  '@duet/otel': ['currentTaskSpan', 'instrumentDuet'],
};

// The one kind of non-Duet dependency allowed: a peer that an optional integration package exists
// for. The check installs it from the workspace's copy (packed offline) beside the tarballs.
const ALLOWED_PEERS = { '@duet/otel': ['@opentelemetry/api'] };

const args = new Set(process.argv.slice(2));
const failures = [];
const fail = (message) => {
  failures.push(message);
  console.error(`  FAIL ${message}`);
};

function run(command, commandArgs, cwd) {
  const result = spawnSync(command, commandArgs, {
    cwd,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (result.error) throw result.error;
  return result;
}

function mustRun(command, commandArgs, cwd) {
  const result = run(command, commandArgs, cwd);
  if (result.status !== 0) {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    throw new Error(`${command} ${commandArgs.join(' ')} exited ${result.status} (in ${cwd})`);
  }
  return result;
}

// --- the workspace packages and their entry points --------------------------
const packages = readdirSync(path.join(rootDir, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const dir = path.join(rootDir, 'packages', d.name);
    return { dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) };
  });

const entries = packages.flatMap(({ manifest }) =>
  Object.keys(manifest.exports ?? {})
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`)),
);
for (const entry of entries) {
  if (!(entry in EXPECTED_EXPORTS)) fail(`entry point ${entry} is missing from EXPECTED_EXPORTS`);
}
for (const entry of Object.keys(EXPECTED_EXPORTS)) {
  if (!entries.includes(entry)) fail(`EXPECTED_EXPORTS lists ${entry}, which no package exports`);
}

const started = Date.now();
if (!args.has('--no-build')) bootstrap();

const tmp = mkdtempSync(path.join(os.tmpdir(), 'duet-consumer-'));
try {
  // --- pack ------------------------------------------------------------------
  const tarballDir = path.join(tmp, 'tarballs');
  mkdirSync(tarballDir);
  const tarballs = {};
  for (const { dir, manifest } of packages) {
    const status = pnpm(['pack', '--pack-destination', tarballDir], { cwd: dir, stdio: 'ignore' });
    if (status !== 0) throw new Error(`pnpm pack failed in ${dir}`);
    const file = `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
    tarballs[manifest.name] = path.join(tarballDir, file);
    const packed = JSON.parse(
      mustRun('tar', ['-xOzf', file, 'package/package.json'], tarballDir).stdout,
    );
    const deps = Object.entries(packed.dependencies ?? {});
    for (const [name, range] of deps) {
      if (!name.startsWith('@duet/')) fail(`${manifest.name} has a runtime dependency on ${name}`);
      if (range.startsWith('workspace:'))
        fail(`${manifest.name}: packed dependency ${name} is still ${range}`);
    }
    if (packed.optionalDependencies) fail(`${manifest.name} declares optionalDependencies`);
    for (const peer of Object.keys(packed.peerDependencies ?? {})) {
      if (!(ALLOWED_PEERS[manifest.name] ?? []).includes(peer))
        fail(`${manifest.name} declares a peer dependency on ${peer}`);
      const status = pnpm(['pack', '--pack-destination', tarballDir], {
        cwd: path.join(dir, 'node_modules', peer),
        stdio: 'ignore',
      });
      if (status !== 0) throw new Error(`pnpm pack of the peer ${peer} failed`);
      const peerManifest = JSON.parse(
        readFileSync(path.join(dir, 'node_modules', peer, 'package.json'), 'utf8'),
      );
      tarballs[peer] = path.join(
        tarballDir,
        `${peer.replace(/^@/, '').replace('/', '-')}-${peerManifest.version}.tgz`,
      );
    }
    console.log(`packed ${path.basename(tarballs[manifest.name])}`);
  }

  // --- install into a plain npm project -----------------------------------------
  const app = path.join(tmp, 'app');
  mkdirSync(app);
  const fileSpecs = Object.fromEntries(
    Object.entries(tarballs).map(([name, file]) => [name, `file:${path.relative(app, file)}`]),
  );
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'duet-consumer-check',
        private: true,
        dependencies: fileSpecs,
        // Inter-package dependencies (@duet/kernel@0.1.0 ...) must come from the
        // tarballs, never from the registry.
        overrides: Object.fromEntries(Object.keys(fileSpecs).map((name) => [name, `$${name}`])),
      },
      null,
      2,
    ),
  );
  // --offline: every package comes from a local tarball; nothing may be fetched.
  mustRun('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  console.log(`installed ${Object.keys(tarballs).length} tarballs with npm into ${app}`);

  // --- load every entry point from plain Node -------------------------------------
  const probe = `
const entries = ${JSON.stringify(EXPECTED_EXPORTS)};
const { createRequire } = require('node:module');
const req = createRequire(__filename);
const problems = [];
(async () => {
  for (const [entry, names] of Object.entries(entries)) {
    let cjs, esm;
    try { cjs = req(entry); } catch (e) { problems.push(entry + ': require() failed: ' + e.message); }
    try { esm = await import(entry); } catch (e) { problems.push(entry + ': import() failed: ' + e.message); }
    if (!/\\.cjs$/.test(req.resolve(entry))) problems.push(entry + ': require resolves to ' + req.resolve(entry));
    for (const name of names) {
      if (cjs && cjs[name] === undefined) problems.push(entry + ': require() lacks ' + name);
      if (esm && esm[name] === undefined) problems.push(entry + ': import() lacks ' + name);
    }
    if (cjs && esm) {
      const a = Object.keys(cjs).sort().join(',');
      const b = Object.keys(esm).filter((k) => k !== 'default').sort().join(',');
      if (a !== b) problems.push(entry + ': CJS exports [' + a + '] differ from ESM exports [' + b + ']');
    }
    console.log('loaded ' + entry + ' (' + (cjs ? Object.keys(cjs).length : '?') + ' exports)');
  }
  if (problems.length) { console.error(problems.join('\\n')); process.exit(1); }
})();
`;
  writeFileSync(path.join(app, 'probe.cjs'), probe);
  const probeRun = run(process.execPath, ['probe.cjs'], app);
  process.stdout.write(probeRun.stdout);
  if (probeRun.status !== 0) {
    for (const line of probeRun.stderr.trim().split('\n')) fail(line);
  }

  // --- type-check a TypeScript consumer --------------------------------------------
  const ids = Object.keys(EXPECTED_EXPORTS);
  const uses = (ns) =>
    ids
      .flatMap((entry, i) => EXPECTED_EXPORTS[entry].map((name) => `void ${ns}${i}.${name};`))
      .join('\n');
  const esmImports = ids.map((entry, i) => `import * as m${i} from '${entry}';`).join('\n');
  const cjsImports = ids.map((entry, i) => `import m${i} = require('${entry}');`).join('\n');
  writeFileSync(path.join(app, 'esm.mts'), `${esmImports}\n${uses('m')}\nexport {};\n`);
  writeFileSync(path.join(app, 'cjs.cts'), `${cjsImports}\n${uses('m')}\nexport {};\n`);
  writeFileSync(path.join(app, 'bundler.ts'), `${esmImports}\n${uses('m')}\nexport {};\n`);
  const common = {
    strict: true,
    noEmit: true,
    skipLibCheck: false, // check the shipped .d.ts files themselves
    target: 'ES2022',
    lib: ['ES2022', 'ESNext.Disposable'],
    typeRoots: [path.join(rootDir, 'node_modules', '@types')],
    types: ['node'],
  };
  const configs = {
    'tsconfig.nodenext.json': {
      compilerOptions: { ...common, module: 'NodeNext', moduleResolution: 'NodeNext' },
      files: ['esm.mts', 'cjs.cts'],
    },
    'tsconfig.bundler.json': {
      compilerOptions: { ...common, module: 'Preserve', moduleResolution: 'Bundler' },
      files: ['bundler.ts'],
    },
  };
  const tsc = path.join(rootDir, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [file, config] of Object.entries(configs)) {
    writeFileSync(path.join(app, file), JSON.stringify(config, null, 2));
    const result = run(process.execPath, [tsc, '-p', file], app);
    if (result.status !== 0) {
      fail(`tsc -p ${file}:\n${result.stdout}${result.stderr}`);
    } else {
      console.log(`tsc -p ${file}: ok`);
    }
  }
} finally {
  if (args.has('--keep')) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`consumer-check: ${failures.length} problem(s) after ${seconds}s`);
  process.exit(1);
}
console.log(`consumer-check: all ${entries.length} entry points OK in ${seconds}s`);
