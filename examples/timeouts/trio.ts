// Timeouts cookbook, Trio style: `npm run demo -- timeouts`
import { run } from '@duet/trio';
import { trioTimeouts } from './lib/trio-timeouts';

await run(() => trioTimeouts());
