// Timeouts cookbook, asyncio style: `npm run demo -- timeouts`
import { run } from '@duet/asyncio';
import { asyncioTimeouts } from './lib/asyncio-timeouts';

await run(() => asyncioTimeouts());
