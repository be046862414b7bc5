// Shared pieces of the harness: systems, workloads, targets, statistics.

export const SYSTEMS = [
  { id: 'duet-trio', kind: 'node', name: 'Duet, Trio style', duet: true },
  { id: 'duet-asyncio', kind: 'node', name: 'Duet, asyncio style', duet: true },
  { id: 'raw', kind: 'node', name: 'raw Promises' },
  { id: 'raw-als', kind: 'node', name: 'raw Promises + ALS' },
  { id: 'effection', kind: 'node', name: 'Effection 4' },
  { id: 'py-asyncio', kind: 'python', name: 'Python asyncio', py: 'asyncio' },
  { id: 'py-trio', kind: 'python', name: 'Python Trio', py: 'trio' },
];

export const WORKLOADS = [
  {
    id: 'w1',
    name: 'W1 spawn+join',
    what: 'N children in one nursery / TaskGroup, each doing one checkpoint (`checkpoint()` / `sleep(0)`)',
    unit: 'tasks',
  },
  {
    id: 'w2',
    name: 'W2 checkpoint storm',
    what: 'T tasks × K `checkpoint()` / `sleep(0)` (raw: `await undefined`)',
    unit: 'checkpoints',
  },
  {
    id: 'w3',
    name: 'W3 channel',
    what: 'M messages from one task to another over a rendezvous memory channel (Trio) / `Queue(1)` (asyncio); raw: a rendezvous channel of plain promises; Effection: its channel (no backpressure)',
    unit: 'messages',
  },
  {
    id: 'w4a',
    name: 'W4a timeout scopes',
    what: 'N `moveOnAfter(10)` / `timeout(10)` scopes, one after another, around one checkpoint, never firing (raw: `setTimeout` + `await` + `clearTimeout`; Effection: `race([op, sleep(10000)])`)',
    unit: 'scopes',
  },
  {
    id: 'w4b',
    name: 'W4b deadline heap',
    what: 'N concurrent tasks, each in its own timeout scope with a distinct deadline (10 s + a shuffled 0..N ms), around one checkpoint',
    unit: 'scopes',
  },
  {
    id: 'w5',
    name: 'W5 cancel fan-out',
    what: 'N tasks parked forever in one nursery, then cancelled: time from cancel to the nursery exit (raw: reject N pending promises, await all) and V8 heap bytes per parked task (`--expose-gc`, `heapUsed` delta)',
    unit: 'tasks unwound',
  },
  {
    id: 'fanout',
    name: 'fan-out',
    what: 'N tasks, each in its own `moveOnAfter(10)` / `timeout(10)` scope, take one of L permits (`CapacityLimiter` / `Semaphore`) and await a foreign Promise (`awaitForeign` of a `setImmediate`); raw: a timer, a promise semaphore, the plain await',
    unit: 'foreign awaits',
  },
  {
    id: 'pipeline',
    name: 'pipeline',
    what: 'a producer → W workers → a consumer over two channels of buffer B (`openMemoryChannel(B)` / `Queue(B)`; raw: bounded promise channels); each send and receive stays a schedule point',
    unit: 'items',
  },
  {
    id: 'tcpecho',
    name: 'TCP echo',
    what: 'an echo server on 127.0.0.1 and C client connections, each sending K messages of B bytes one at a time and reading each echo back (`serveTcp` + `openTcpStream` / `startServer` + `openConnection`); raw: `node:net` with callbacks',
    unit: 'round trips',
  },
];

export const FULL_SIZES = {
  w1: 100_000,
  w2Tasks: 1000,
  w2Steps: 1000,
  w3: 200_000,
  w4: 100_000,
  w5: 100_000,
  fanout: 10_000,
  pipeline: 100_000,
  tcpecho: 300,
};
export const QUICK_SIZES = {
  w1: 5000,
  w2Tasks: 100,
  w2Steps: 100,
  w3: 10_000,
  w4: 5000,
  w5: 5000,
  fanout: 2000,
  pipeline: 10_000,
  tcpecho: 50,
};
export const SMOKE_SIZES = {
  w1: 200,
  w2Tasks: 10,
  w2Steps: 20,
  w3: 200,
  w4: 200,
  w5: 200,
  fanout: 200,
  pipeline: 200,
  tcpecho: 5,
};

/** The parameters a worker gets for `workload`, at `scale` (Effection runs at a fraction). */
export function paramsFor(workload, sizes, scale = 1) {
  const s = (v) => Math.max(10, Math.round(v * scale));
  switch (workload) {
    case 'w1':
      return { n: s(sizes.w1) };
    case 'w2':
      // Scale the steps, keep the tasks: the same concurrency, fewer rounds.
      return { tasks: sizes.w2Tasks, steps: s(sizes.w2Steps) };
    case 'w3':
      return { messages: s(sizes.w3) };
    case 'w4a':
      return { n: s(sizes.w4) };
    case 'w4b':
      return { n: s(sizes.w4), perm: 1 };
    case 'w5':
      return { n: s(sizes.w5) };
    case 'fanout':
      return { n: s(sizes.fanout), limit: 100 };
    case 'pipeline':
      return { items: s(sizes.pipeline), workers: 8, size: 16 };
    case 'tcpecho':
      return { connections: 100, messages: s(sizes.tcpecho), bytes: 64 };
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

/**
 * The targets of issue 18 (Node 20 and 24, paired ratios of Duet throughput to the other
 * system's). `byStyle` gives a style its own bound where the issue does.
 */
export const TARGETS = [
  { workload: 'w1', vs: 'raw-als', min: 0.6 },
  { workload: 'w1', vs: 'py-asyncio', min: 2 },
  { workload: 'w1', vs: 'effection', min: 10 },
  { workload: 'w2', vs: 'raw-als', min: 0.6, what: 'raw `await` + ALS' },
  { workload: 'w2', vs: 'py-asyncio', min: 2 },
  { workload: 'w2', vs: 'effection', min: 10 },
  { workload: 'w3', vs: 'raw-als', min: 0.6, what: 'a raw promise channel + ALS' },
  { workload: 'w3', vs: 'py-asyncio', min: 2, what: 'asyncio `Queue`' },
  { workload: 'w3', vs: 'effection', min: 10 },
  { workload: 'w4a', vs: 'raw-als', min: 0.6, what: 'raw `setTimeout` + `clearTimeout` + ALS' },
  { workload: 'w4a', vs: 'py-asyncio', min: 2, what: '`asyncio.timeout`' },
  { workload: 'w4b', vs: 'raw-als', min: 0.6, what: 'raw `setTimeout` + `clearTimeout` + ALS' },
  { workload: 'w4b', vs: 'py-asyncio', min: 2, what: '`asyncio.timeout`' },
  { workload: 'w5', vs: 'raw-als', min: 0.6, what: 'raw reject-all + ALS' },
  { workload: 'w5', vs: 'py-asyncio', min: 2 },
  { workload: 'w5', vs: 'effection', min: 10 },
  { workload: 'w5', heapMax: 800, byStyle: { 'duet-asyncio': 1000 } },
  { workload: 'fanout', vs: 'raw-als', min: 0.75 },
  { workload: 'pipeline', vs: 'raw-als', min: 0.6, byStyle: { 'duet-asyncio': 1 } },
  { workload: 'tcpecho', vs: 'raw', min: 0.7, what: 'raw `node:net` callbacks' },
];

/** The bound of `target` for one Duet style (`duet-trio` / `duet-asyncio`). */
export function boundFor(target, duet) {
  return target.byStyle?.[duet] ?? target.min ?? target.heapMax;
}

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const systemById = (id) => SYSTEMS.find((s) => s.id === id);
export const workloadById = (id) => WORKLOADS.find((w) => w.id === id);
