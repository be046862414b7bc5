// foreign-work, asyncio style: `npm run demo -- foreign-work`
import { run } from '@duet/asyncio';
import { cancelAFetch, fetchWithTimeout } from './lib/asyncio-work';
import { startSlowServer } from './lib/server';

const server = await startSlowServer();
try {
  const slow = `${server.origin}/?ms=5000`;
  console.log(`a 5 s fetch under timeout(0.2): ${await run(() => fetchWithTimeout(slow, 0.2))}`);
  console.log(`task.cancel() in the middle of a fetch: ${await run(() => cancelAFetch(slow))}`);
  console.log(`a quick fetch: ${await run(() => fetchWithTimeout(`${server.origin}/?ms=10`, 2))}`);
  console.log(`server: ${server.abandoned} requests abandoned by the client`);
} finally {
  await server.close();
}
