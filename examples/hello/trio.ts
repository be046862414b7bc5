// Trio style: `npm run demo -- hello`
import { run } from '@duet/trio';
import { hello } from './lib/trio-hello';

await run(hello);
