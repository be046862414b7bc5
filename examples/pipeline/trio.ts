// Pipeline, Trio style: `npm run demo -- pipeline`
import { run } from '@duet/trio';
import { pipeline } from './lib/pipeline';

await run(() => pipeline());
