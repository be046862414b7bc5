// The live task tree and a Chrome trace: `npm run demo -- task-tree`
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '@duet/trio';
import { TraceRecorder } from '@duet/trio/lowlevel';
import { showTaskTree } from './lib/task-tree';

const trace = new TraceRecorder({ time: 'real' });
await run({ instruments: [trace] }, () => showTaskTree());

const file = path.join(tmpdir(), `duet-task-tree-${process.pid}.json`);
writeFileSync(file, JSON.stringify(trace.toChromeTrace()));
const tasks = new Set(trace.events.map((e) => e.taskId)).size;
console.log(`\nChrome trace of ${trace.events.length} events from ${tasks} tasks: ${file}`);
console.log('open it in chrome://tracing or https://ui.perfetto.dev');
