// asyncio style: `npm run demo -- hello`
import { run } from '@duet/asyncio';
import { hello } from './lib/asyncio-hello';

await run(() => hello());
