// Happy Eyeballs, asyncio style: `npm run demo -- happy-eyeballs`
import { run } from '@duet/asyncio';
import { happyEyeballs } from './lib/asyncio-happy-eyeballs';

console.log('1) four hosts: the last one started is the first to answer');
await run(() => happyEyeballs());
console.log('\n2) without the good host: the slow one wins');
await run(() => happyEyeballs({ withoutGood: true }));
