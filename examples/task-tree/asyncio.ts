// The live call graph, asyncio style, and a Chrome trace: `npm run demo -- task-tree`
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '@duet/asyncio';
import { TraceRecorder, addInstrument, removeInstrument } from '@duet/kernel';
import { showCallGraph } from './lib/asyncio-task-tree';

const trace = new TraceRecorder({ time: 'real' });
await run(async () => {
  addInstrument(trace); // asyncio's run() has no `instruments` option: add it to the running loop
  try {
    await showCallGraph();
  } finally {
    removeInstrument(trace);
  }
});

const file = path.join(tmpdir(), `duet-asyncio-task-tree-${process.pid}.json`);
writeFileSync(file, JSON.stringify(trace.toChromeTrace()));
const tasks = new Set(trace.events.map((e) => e.taskId)).size;
console.log(`\nChrome trace of ${trace.events.length} events from ${tasks} tasks: ${file}`);
console.log('open it in chrome://tracing or https://ui.perfetto.dev');
