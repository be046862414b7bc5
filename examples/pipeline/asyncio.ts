// Pipeline, asyncio style: `npm run demo -- pipeline`
import { run } from '@duet/asyncio';
import { pipeline } from './lib/asyncio-pipeline';

await run(() => pipeline());
