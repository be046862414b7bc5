// The example service under the inspector, read over plain HTTP while it runs.
import http from 'node:http';
import { Inspector, type InspectedTask, type InspectorState } from '@duet/kernel/inspector';
import { openNursery, run, sleep } from '@duet/trio';
import { awaitPromise } from '@duet/bridge';
import { runService } from './lib/service';

const getJson = (url: string) =>
  new Promise<InspectorState>((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(JSON.parse(body) as InspectorState));
      })
      .on('error', reject);
  });

const all = (t: InspectedTask): InspectedTask[] => [
  t,
  ...t.nurseries.flatMap((n) => n.children.flatMap(all)),
];

test('the inspector shows the service: workers, intake, health check, the shielded audit', async () => {
  let url = '';
  let state!: InspectorState;
  const inspector = new Inspector({ onListening: (u) => (url = u) });
  const done = await run({ instruments: [inspector] }, async () => {
    let handled: number[] = [];
    await openNursery(async (n) => {
      n.startSoon(async () => {
        handled = await runService(1);
      });
      while (url === '') await sleep(0.01);
      await sleep(0.5);
      state = await awaitPromise(getJson(url.replace('/?', '/state?')));
    });
    return handled;
  });
  expect(done.length).toBeGreaterThan(0);
  const tasks = all(state.root);
  const names = tasks.map((t) => t.name);
  expect(names.filter((n) => n === 'worker')).toHaveLength(3);
  expect(names).toEqual(expect.arrayContaining(['intake', 'healthCheck', 'audit']));
  const audit = tasks.find((t) => t.name === 'audit')!;
  expect(audit.waitingOn).toMatch(/Event/);
  expect(audit.scopes.join()).toMatch(/shield/);
  expect(tasks.find((t) => t.name === 'healthCheck')!.scopes.join()).toMatch(/deadline in/);
});
