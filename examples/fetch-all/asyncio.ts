// fetch-all, asyncio style: `npm run demo -- fetch-all`
import { run } from '@duet/asyncio';
import { gatherAll, taskGroupAll } from './lib/asyncio-fetch-all';
import { failingPaths, mixedPaths } from './lib/paths';
import { startTestServer } from './lib/server';

const server = await startTestServer();
try {
  console.log(`HTTP server on ${server.origin}\n`);
  console.log('gather(returnExceptions): 8 requests, Semaphore(3), waitFor(..., 1) each');
  await run(() => gatherAll(server.origin, mixedPaths(), { limit: 3, timeout: 1 }));
  await server.settle();
  console.log(`server: ${server.answered} answered, ${server.abandoned} abandoned by the client\n`);

  console.log('TaskGroup: one request answers 500, which cancels the rest');
  const before = server.abandoned;
  await run(() => taskGroupAll(server.origin, failingPaths(), { limit: 3, timeout: 1 }));
  await server.settle();
  console.log(`server: ${server.abandoned - before} in-flight requests really stopped (aborted)`);
} finally {
  await server.close();
}
