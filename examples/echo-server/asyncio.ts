// Echo server, asyncio style: `npm run demo -- echo-server`
// 300 clients, then a graceful shutdown triggered by a real SIGTERM the program sends itself.
import { run } from '@duet/asyncio';
import { echoDemo } from './lib/asyncio-echo-server';
import { DEMO_OPTIONS } from './lib/echo-server';

await run(() => echoDemo(DEMO_OPTIONS));
