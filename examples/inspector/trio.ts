// A service whose live task tree you can watch in the browser: `npm run demo -- inspector`.
// It runs for INSPECTOR_SECONDS (3 by default in the demo; set 600 to look around at leisure).
import { Inspector } from '@duet/kernel/inspector';
import { run } from '@duet/trio';
import { runService } from './lib/service';

const seconds = Number(process.env['INSPECTOR_SECONDS'] ?? 3);
const inspector = new Inspector({
  onListening: (url) => console.log(`open ${url} to watch the task tree (${seconds} s)`),
});
const done = await run({ instruments: [inspector] }, () => runService(seconds));
console.log(`handled ${done.length} orders; the inspector has closed`);
