// Echo server, Trio style: `npm run demo -- echo-server`
// 300 clients, then a graceful shutdown triggered by a real SIGTERM the program sends itself.
import { run } from '@duet/trio';
import { DEMO_OPTIONS, echoDemo } from './lib/echo-server';

await run(() => echoDemo(DEMO_OPTIONS));
