// foreign-work, Trio style: `npm run demo -- foreign-work`
import { run } from '@duet/trio';
import { startSlowServer } from './lib/server';
import { downloadWithCleanup, slowFetchBesideTicks } from './lib/trio-work';

const server = await startSlowServer();
try {
  const slow = `${server.origin}/?ms=5000`;
  const { ticks, body } = await run(() => slowFetchBesideTicks(slow));
  console.log(`a 5 s fetch under moveOnAfter(0.3): ${body}; the sibling ticked ${ticks} times`);

  const log: string[] = [];
  await run(() => downloadWithCleanup(slow, log));
  console.log(`orderly teardown: ${log.join(', then ')}`);

  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stopped from outside')), 50);
  const outcome = await run({ signal: controller.signal }, () => slowFetchBesideTicks(slow)).catch(
    (err: Error) => `run() rejected: ${err.name}: ${err.message}`,
  );
  console.log(`run({ signal }) aborted after 50 ms: ${String(outcome)}`);
  console.log(`server: ${server.abandoned} requests abandoned by the client`);
} finally {
  await server.close();
}
