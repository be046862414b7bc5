// Deno: type-check (Deno supplies Node's types for npm packages) and run a consumer of the packages.
import { run, openNursery, sleep, moveOnAfter } from '@duet/trio';
import { run as aioRun, sleep as aioSleep, type StreamReader } from '@duet/asyncio';
import { trioTest } from '@duet/trio/testing';
await run(async () => {
  await openNursery(async (n) => {
    n.startSoon(sleep, 0.01);
  });
  await moveOnAfter(0.01, () => sleep(1));
});
await aioRun(() => aioSleep(0.01));
const t: () => Promise<void> = trioTest(async () => {});
await t();
console.log('deno ok');

// Deno supplies Node's types, so the I/O signatures are Node's own: bytes are Buffers.
export async function readText(reader: StreamReader): Promise<string> {
  return (await reader.read()).toString('utf8');
}
