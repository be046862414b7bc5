// The task tree of a live run, and a trace recorded while it ran.
import { run as aioRun } from '@duet/asyncio';
import { addInstrument, removeInstrument } from '@duet/kernel';
import { run } from '@duet/trio';
import { TraceRecorder } from '@duet/trio/lowlevel';
import { showCallGraph } from './lib/asyncio-task-tree';
import { showTaskTree } from './lib/task-tree';

test('shows every task, what it waits on, and its scopes; the trace records them', async () => {
  const trace = new TraceRecorder();
  const lines: string[] = [];
  await run({ instruments: [trace] }, () => showTaskTree((l) => lines.push(l)));
  const tree = lines.map((l) => l.replace(/\d+\.\d+/g, 'N'));
  expect(tree[0]).toBe('task tree at t=N');
  expect(tree.slice(1)).toEqual([
    '  task #1 main: running',
    '    nursery scope',
    '      task #2 fetcher: parked on sleep until t=N [scope (deadline in N s)]',
    '      task #3 waiter: parked on Lock.acquire',
    '      task #4 consumer: parked on MemoryReceiveChannel.receive',
    '      task #5 cleanup: parked on sleepForever [scope (deadline in N s, shield)]',
    '      task #6 server: parked on joining 1 child task(s)',
    '        nursery scope',
    '          task #7 acceptLoop: parked on accept',
  ]);
  const chrome = trace.toChromeTrace();
  expect(chrome.traceEvents.length).toBeGreaterThan(0);
  expect(new Set(trace.events.map((e) => e.taskName))).toEqual(
    new Set(['main', 'fetcher', 'waiter', 'consumer', 'cleanup', 'server', 'acceptLoop']),
  );
});

test('asyncio style: the call graph shows every task and what it awaits', async () => {
  const trace = new TraceRecorder();
  const lines: string[] = [];
  await aioRun(async () => {
    addInstrument(trace);
    try {
      await showCallGraph((l) => lines.push(l));
    } finally {
      removeInstrument(trace);
    }
  });
  const graph = lines.map((l) => l.replace(/\d+\.\d+/g, 'N').replace(/#\d+/g, '#'));
  expect(graph[0]).toBe('task tree at t=N');
  expect(graph).toEqual(
    expect.arrayContaining([
      '        task # fetcher: parked on sleep until t=N',
      '        task # waiter: parked on Lock.acquire',
      '        task # consumer: parked on Queue.get',
      '        task # cleanup: parked on awaiting <Future pending cb=[anonymous()]>',
      '        task # server: parked on Server.serveForever',
    ]),
  );
  expect([...new Set(trace.events.map((e) => e.taskName))]).toEqual(
    expect.arrayContaining(['fetcher', 'waiter', 'consumer', 'cleanup', 'server']),
  );
});
