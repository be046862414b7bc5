// fetch-all, Trio style: `npm run demo -- fetch-all`
import { run } from '@duet/trio';
import { failingPaths, mixedPaths } from './lib/paths';
import { startTestServer } from './lib/server';
import { fetchAll } from './lib/trio-fetch-all';

const server = await startTestServer();
try {
  console.log(`HTTP server on ${server.origin}\n`);
  console.log('Round 1: 8 requests, at most 3 at once, 1 s timeout each');
  await run(() => fetchAll(server.origin, mixedPaths(), { limit: 3, timeout: 1 }));
  await server.settle();
  console.log(`server: ${server.answered} answered, ${server.abandoned} abandoned by the client\n`);

  console.log('Round 2: one request answers 500, which cancels the rest');
  const before = server.abandoned;
  await run(() => fetchAll(server.origin, failingPaths(), { limit: 3, timeout: 1 }));
  await server.settle();
  console.log(`server: ${server.abandoned - before} in-flight requests really stopped (aborted)`);
} finally {
  await server.close();
}
