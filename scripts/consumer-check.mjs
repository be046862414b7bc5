#!/usr/bin/env node
// Check the packages the way a user gets them: build, pack (scripts/pack.mjs),
// lint the tarballs (arethetypeswrong, publint), `npm install` them into a
// throwaway project outside the workspace, then from plain Node `require()` and
// `import()` every entry point, mix both formats in one process, run the test
// adapters under node:test and Vitest (scripts/consumer/), and type-check a
// TypeScript consumer against the shipped .d.ts files (NodeNext, Bundler,
// Node10, and every entry point without @types/node, all with skipLibCheck false).
//
//   node scripts/consumer-check.mjs [--no-build] [--keep]
//
// --no-build  use the existing packages/*/dist
// --keep      leave the temporary folder in place and print its path

import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootstrap } from './bootstrap.mjs';
import { ALLOWED_PEERS, packAll, workspacePackages } from './pack.mjs';
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
    'testClock',
    'testRunnerSignal',
    'waitAllTasksBlocked',
    'waitTaskRescheduled',
    'whenAborted',
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
    'SystemClock',
    'TRIO_TEST_HANG_DETECTION',
    'assertCheckpoints',
    'assertNoCheckpoints',
    'trioTest',
    'waitAllTasksBlocked',
  ],
  '@duet/trio/lowlevel': [
    'Abort',
    'ParkingLot',
    'RunVar',
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
  '@duet/kernel/lowlevel': [
    'breakWait',
    'currentWait',
    'edgeCancelMessage',
    'parkTask',
    'wake',
    'wakeWithError',
  ],
  '@duet/otel': ['currentTaskSpan', 'instrumentDuet'],
};

// Vitest 4 still supports Node 20 (5.x needs Node 22); vite pinned to the release it was tested with.
const VITEST = ['vite@8.3.8', 'vitest@4.1.12'];

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
// The tools are not the library: they need `typescript` / `eslint` as peers, which this offline
// install cannot fetch, and their own tests run them (packages/migrate, packages/eslint-plugin).
const TOOLS = new Set(['@duet/migrate', '@duet/eslint-plugin']);
const packages = workspacePackages().filter(({ manifest }) => !TOOLS.has(manifest.name));

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
  // --- pack, then lint the tarballs -------------------------------------------
  const tarballs = packAll(path.join(tmp, 'tarballs'), ({ manifest }) => !TOOLS.has(manifest.name));
  const bin = (pkg, file) => path.join(rootDir, 'node_modules', pkg, file);
  for (const [name, file] of Object.entries(tarballs)) {
    console.log(`packed ${path.basename(file)}`);
    // Every entry point under node10, node16 (from CJS and from ESM) and bundler resolution.
    const attw = run(
      process.execPath,
      [bin('@arethetypeswrong/cli', 'dist/index.js'), file, '--format', 'ascii'],
      tmp,
    );
    if (attw.status !== 0) fail(`arethetypeswrong ${name}:\n${attw.stdout}${attw.stderr}`);
    const publint = run(
      process.execPath,
      [bin('publint', 'src/cli.js'), 'run', file, '--strict'],
      tmp,
    );
    if (publint.status !== 0 || /Warnings|Errors|Suggestions/.test(publint.stdout))
      fail(`publint ${name}:\n${publint.stdout}${publint.stderr}`);
  }
  console.log('arethetypeswrong and publint: no problems');
  // An allowed peer is installed beside the tarballs, packed from the workspace's copy (offline).
  for (const { dir, manifest } of packages) {
    for (const peer of ALLOWED_PEERS[manifest.name] ?? []) {
      const peerDir = path.join(dir, 'node_modules', peer);
      const status = pnpm(['pack', '--pack-destination', path.join(tmp, 'tarballs')], {
        cwd: peerDir,
        stdio: 'ignore',
      });
      if (status !== 0) throw new Error(`pnpm pack of the peer ${peer} failed`);
      const { version } = JSON.parse(readFileSync(path.join(peerDir, 'package.json'), 'utf8'));
      tarballs[peer] = path.join(
        tmp,
        'tarballs',
        `${peer.replace(/^@/, '').replace('/', '-')}-${version}.tgz`,
      );
    }
  }

  // --- install into a plain npm project, as the README says -------------------------
  const app = path.join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'duet-consumer-check', private: true }, null, 2),
  );
  // --offline: every package comes from a local tarball, the dependencies between
  // them (@duet/kernel@0.1.0 ...) included; nothing may be fetched.
  mustRun(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...Object.values(tarballs),
    ],
    app,
  );
  console.log(`installed ${Object.keys(tarballs).length} tarballs with npm into ${app}`);

  // --- source maps resolve: src/ is not shipped, so each map carries its sources ------
  let maps = 0;
  for (const file of readdirSync(path.join(app, 'node_modules', '@duet'), { recursive: true })) {
    if (!file.endsWith('.map')) continue;
    const map = JSON.parse(readFileSync(path.join(app, 'node_modules', '@duet', file), 'utf8'));
    maps++;
    const content = map.sourcesContent ?? [];
    if (map.sources.some((_, i) => typeof content[i] !== 'string'))
      fail(`@duet/${file}: a source has no sourcesContent (${map.sources.join(', ')})`);
  }
  console.log(`source maps: all ${maps} carry their sources`);

  // --- the lazily loaded chunks load from the installed packages ----------------------
  const lazy = `
const { run, sleep } = FORMAT;
const warnings = [];
run({ debug: { onWarning: (m) => warnings.push(m) } }, async () => { sleep(1); await sleep(0); })
  .catch(() => {})
  .then(() => { if (!warnings.some((w) => w.includes('never awaited'))) process.exit(1); });
`;
  writeFileSync(path.join(app, 'lazy.cjs'), lazy.replace('FORMAT', "require('@duet/kernel')"));
  writeFileSync(
    path.join(app, 'lazy.mjs'),
    `import * as kernel from '@duet/kernel';\n${lazy.replace('FORMAT', 'kernel')}`,
  );
  for (const file of ['lazy.cjs', 'lazy.mjs']) {
    if (run(process.execPath, [file], app).status !== 0)
      fail(`${file}: debug mode (a lazily loaded chunk) did not warn of a wait never awaited`);
  }
  console.log('debug mode: its chunk loads lazily under require and import');

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

  // --- one instance per process, whatever mix of import and require ------------------
  // Real programs mix formats through their dependencies: a CJS run() must host ESM
  // primitives and the reverse, with one Cancelled class for both.
  const dual = `
const assert = require('node:assert');
const kernelCjs = require('@duet/kernel');
const trioCjs = require('@duet/trio');
const asyncioCjs = require('@duet/asyncio');
(async () => {
  const kernelEsm = await import('@duet/kernel');
  const trioEsm = await import('@duet/trio');
  const asyncioEsm = await import('@duet/asyncio');
  const testingEsm = await import('@duet/trio/testing');
  assert.strictEqual(kernelEsm.Cancelled, kernelCjs.Cancelled, 'kernel Cancelled: ESM !== CJS');
  assert.strictEqual(trioEsm.Cancelled, asyncioCjs.CancelledError, 'trio ESM Cancelled !== asyncio CJS CancelledError');
  assert.strictEqual(testingEsm.MockClock, kernelCjs.MockClock, 'MockClock: ESM !== CJS');
  // A CJS run() hosting ESM primitives, one of them cancelled by a CJS scope.
  const caught = await trioCjs.run(async () => {
    await trioEsm.sleep(0);
    let scope;
    await trioCjs.moveOnAfter(0.01, (s) => ((scope = s), trioEsm.sleepForever()));
    try { await trioEsm.failAfter(0.01, () => trioCjs.sleepForever()); } catch (err) {
      assert.ok(err instanceof trioCjs.TooSlowError, 'failAfter: ' + err);
    }
    return scope.cancelledCaught;
  });
  assert.strictEqual(caught, true, 'moveOnAfter did not cancel the ESM sleepForever');
  // An ESM run() hosting CJS primitives, cancelled with the CJS class.
  await asyncioEsm.run(async () => {
    const task = asyncioCjs.createTask(() => asyncioEsm.sleep(10));
    await asyncioCjs.sleep(0);
    task.cancel();
    await assert.rejects(async () => { await task; }, asyncioCjs.CancelledError);
    await assert.rejects(async () => { await asyncioCjs.waitFor(() => asyncioEsm.sleep(10), 0.01); }, asyncioEsm.TimeoutError);
  });
  console.log('one kernel: ESM and CJS share classes and runs');
})().catch((err) => { console.error(err.message); process.exit(1); });
`;
  writeFileSync(path.join(app, 'dual.cjs'), dual);
  const dualRun = run(process.execPath, ['dual.cjs'], app);
  process.stdout.write(dualRun.stdout);
  if (dualRun.status !== 0) fail(`mixed import/require: ${dualRun.stderr.trim()}`);

  // --- the test runners docs/testing.md shows ----------------------------------------
  const fixtures = path.join(rootDir, 'scripts', 'consumer');
  cpSync(fixtures, path.join(app, 'runners'), { recursive: true });
  const nodeTest = run(
    process.execPath,
    ['--test', 'runners/node-test/virtual-time.test.mjs'],
    app,
  );
  if (nodeTest.status !== 0) fail(`node --test:\n${nodeTest.stdout}${nodeTest.stderr}`);
  else console.log('node --test: the adapters run under node:test');
  const timedOut = Date.now();
  const abort = run(process.execPath, ['--test', 'runners/node-test/timeout.fixture.mjs'], app);
  const abortSeconds = (Date.now() - timedOut) / 1000;
  if (abort.status === 0) fail('node --test: the timed-out fixture passed');
  else if (!abort.stdout.includes('the body was cancelled') || abortSeconds > 20)
    fail(
      `node --test: a runner timeout did not cancel the run (${abortSeconds}s):\n${abort.stdout}`,
    );
  else console.log(`node --test: a runner timeout cancels the run (${abortSeconds.toFixed(1)}s)`);
  // Vitest comes from the registry (the only step here that needs the network).
  mustRun(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '-D', '-E', ...VITEST],
    app,
  );
  const vitest = run(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--root', 'runners/vitest'],
    app,
  );
  if (vitest.status !== 0) fail(`vitest:\n${vitest.stdout}${vitest.stderr}`);
  else console.log(`vitest: the adapters run under ${VITEST.join(' + ')}`);

  // Deno (when CI passes its binary in DUET_DENO): type-check and run a consumer.
  if (process.env.DUET_DENO) {
    for (const denoArgs of [['check'], ['run', '--allow-all']]) {
      const deno = run(process.env.DUET_DENO, [...denoArgs, 'runners/deno/main.ts'], app);
      if (deno.status !== 0) fail(`deno ${denoArgs[0]}:\n${deno.stdout}${deno.stderr}`);
    }
    console.log('deno: the packages type-check and run');
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
  // A program using the facades' I/O without @types/node sees the structural fallbacks.
  writeFileSync(
    path.join(app, 'no-node-types-app.mts'),
    [
      "import { Path, SocketStream, openNursery, run, sleep, moveOnAfter, type Process } from '@duet/trio';",
      "import { TaskGroup, run as aioRun, sleep as aioSleep, type StreamReader } from '@duet/asyncio';",
      "import { aioAsTrio, awaitEvent } from '@duet/bridge';",
      "import type { NodeTypesLoaded, SocketLike } from '@duet/kernel';",
      'await run(async () => {',
      '  await openNursery(async (n) => n.startSoon(sleep, 0.01));',
      '  const got: number | undefined = await moveOnAfter(1, async () => 1);',
      '  const viaAsyncio: string = await aioAsTrio(async () => String(got))();',
      '  void viaAsyncio;',
      '});',
      'await aioRun(() => new TaskGroup().run(async (tg) => { tg.createTask(() => aioSleep(0)); }));',
      'export async function io(reader: StreamReader, proc: Process, socket: SocketLike): Promise<void> {',
      '  const loaded: NodeTypesLoaded = false;',
      '  const bytes: Uint8Array = await reader.read();',
      "  // @ts-expect-error without Node's types the bytes are a Uint8Array, whose toString takes no encoding",
      "  (await reader.read()).toString('utf8');",
      "  const size: number = (await new Path('x').stat()).size;",
      '  const peer: string | undefined = new SocketStream(socket).socket.remoteAddress;',
      "  proc.sendSignal('SIGTERM');",
      '  // @ts-expect-error a signal name starts with SIG',
      "  proc.sendSignal('TERM');",
      "  await awaitEvent(new EventTarget(), 'x');",
      '  void [loaded, bytes, size, peer];',
      '}',
      '',
    ].join('\n'),
  );
  // With @types/node the same signatures are Node's own types, not the fallbacks.
  writeFileSync(
    path.join(app, 'node-types.mts'),
    [
      "import { EventEmitter } from 'node:events';",
      "import net from 'node:net';",
      "import { Path, SocketStream, type CompletedProcess, type Process } from '@duet/trio';",
      "import type { Process as AioProcess, StreamReader } from '@duet/asyncio';",
      "import { awaitEvent } from '@duet/bridge';",
      "import type { NodeTypesLoaded } from '@duet/kernel';",
      'export async function io(',
      '  reader: StreamReader,',
      '  proc: Process,',
      '  aio: AioProcess,',
      '  done: CompletedProcess,',
      '): Promise<void> {',
      '  const loaded: NodeTypesLoaded = true;',
      "  const text: string = (await reader.read()).toString('utf8');",
      "  const bytes: Buffer = await new Path('x').readBytes();",
      "  const mtime: Date = (await new Path('x').stat()).mtime;",
      '  new SocketStream(new net.Socket()).socket.setKeepAlive(true);',
      "  proc.child.stdout?.setEncoding('utf8');",
      "  proc.sendSignal('SIGTERM');",
      '  // @ts-expect-error not one of NodeJS.Signals',
      "  proc.sendSignal('SIGNOPE');",
      '  aio.child.unref();',
      "  const hex: string | undefined = done.stdout?.toString('hex');",
      "  await awaitEvent(new EventEmitter(), 'x');",
      '  void [loaded, text, bytes, mtime, hex];',
      '}',
      '',
    ].join('\n'),
  );
  const common = {
    strict: true,
    noEmit: true,
    skipLibCheck: false, // check the shipped .d.ts files themselves
    target: 'ES2022',
    lib: ['ES2022', 'ESNext.Disposable'],
    typeRoots: [path.join(rootDir, 'node_modules', '@types')],
    types: ['node'],
  };
  // No @types/node (Deno's check, a browser project): AbortSignal and the like come from lib DOM,
  // the Node classes in the facades' signatures are @duet/kernel's structural fallbacks.
  const noNodeTypes = {
    ...common,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022', 'ESNext.Disposable', 'DOM'],
    types: [],
  };
  const configs = {
    'tsconfig.nodenext.json': {
      compilerOptions: { ...common, module: 'NodeNext', moduleResolution: 'NodeNext' },
      files: ['esm.mts', 'cjs.cts', 'node-types.mts'],
    },
    'tsconfig.bundler.json': {
      compilerOptions: { ...common, module: 'Preserve', moduleResolution: 'Bundler' },
      files: ['bundler.ts'],
    },
    // What `module: commonjs` and the usual ts-jest setup use: no `exports` map.
    'tsconfig.node10.json': {
      compilerOptions: {
        ...common,
        module: 'CommonJS',
        moduleResolution: 'Node10',
        esModuleInterop: true,
        ignoreDeprecations: '6.0',
      },
      files: ['bundler.ts'],
    },
    'tsconfig.no-node-types.json': {
      compilerOptions: noNodeTypes,
      files: ['esm.mts', 'cjs.cts'],
    },
    'tsconfig.no-node-types-app.json': {
      compilerOptions: noNodeTypes,
      files: ['no-node-types-app.mts'],
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
