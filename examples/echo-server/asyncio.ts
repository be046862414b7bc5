// Echo server, asyncio style: `npm run demo -- echo-server`
// 300 clients, then a graceful shutdown triggered by a real SIGTERM the program sends itself.
import { run } from '@duet/asyncio';
import { echoDemo } from './lib/asyncio-echo-server';

await run(() =>
  echoDemo({
    clients: 300,
    concurrency: 100,
    messages: 5,
    lingering: 5,
    grace: 0.5,
    trigger: 'signal',
  }),
);
