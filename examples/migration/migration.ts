// asyncio-style and Trio-style modules calling each other, driven from plain Promise code:
// `npm run demo -- migration`
import { main } from './lib/main';

await main(console.log);
