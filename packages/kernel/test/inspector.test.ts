import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CancelScope, openNursery, run, sleep, ParkingLot } from '@duet/kernel';
import { Inspector, type InspectorState, type InspectedTask } from '@duet/kernel/inspector';

function get(
  url: string,
  agent?: http.Agent,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      })
      .on('error', reject);
  });
}

function flatten(node: InspectedTask, out: InspectedTask[] = []): InspectedTask[] {
  out.push(node);
  for (const n of node.nurseries) for (const c of n.children) flatten(c, out);
  return out;
}

/** Runs a small program with an inspector; `probe` gets the page URL while the program waits. */
async function withInspector(probe: (url: string) => Promise<void>): Promise<string> {
  let url = '';
  const inspector = new Inspector({ onListening: (u) => (url = u) });
  await run({ instruments: [inspector] }, async function main() {
    const gate = new ParkingLot('the gate');
    await openNursery(async (n) => {
      n.startSoon(async function worker() {
        await new CancelScope({ relativeDeadline: 60, shield: true }).run(() => gate.park());
      });
      n.startSoon(async function sleeper() {
        await sleep(30);
      });
      while (url === '') await sleep(0.005);
      await sleep(0.02);
      try {
        await probe(url);
      } finally {
        n.cancelScope.cancel();
        gate.unparkAll();
      }
    });
  });
  return url;
}

describe('the inspector', () => {
  test('serves the live tree with names, waits, scopes and how long, to the token only', async () => {
    let state!: InspectorState;
    const responses: Record<string, number> = {};
    const url = await withInspector(async (url) => {
      const u = new URL(url);
      expect(u.hostname).toBe('127.0.0.1');
      expect(u.searchParams.get('token')!.length).toBeGreaterThanOrEqual(32);
      const page = await get(url);
      expect(page.status).toBe(200);
      expect(page.type).toMatch(/text\/html/);
      // Self-contained: no script, style or image is fetched from anywhere.
      expect(page.body).not.toMatch(/\s(src|href)=/);
      const s = await get(`${u.origin}/state?token=${u.searchParams.get('token')}`);
      expect(s.type).toMatch(/json/);
      state = JSON.parse(s.body) as InspectorState;
      responses['none'] = (await get(`${u.origin}/`)).status;
      responses['state without'] = (await get(`${u.origin}/state`)).status;
      responses['wrong'] = (await get(`${u.origin}/state?token=${'x'.repeat(32)}`)).status;
      responses['missing path'] = (await get(`${u.origin}/nope${u.search}`)).status;
    });
    expect(responses).toEqual({ none: 403, 'state without': 403, wrong: 403, 'missing path': 404 });
    const tasks = flatten(state.root);
    const worker = tasks.find((t) => t.name === 'worker')!;
    const sleeper = tasks.find((t) => t.name === 'sleeper')!;
    expect(worker.state).toBe('parked');
    expect(worker.waitingOn).toBe('the gate');
    expect(worker.waitingFor).toBeGreaterThan(0);
    expect(worker.scopes.join()).toMatch(/deadline in .* s, shield/);
    expect(sleeper.waitingOn).toMatch(/sleep/);
    expect(state.root.nurseries).toHaveLength(1);
    expect(state.trace.some((e) => e.kind === 'park' && e.taskName === 'worker')).toBe(true);
    // Closed with the run: nothing answers any more, and once the host has released the port
    // nothing listens on it (a connection in between is reset, never served).
    const deadline = Date.now() + 2000;
    let refused = false;
    while (!refused && Date.now() < deadline) {
      const error = await get(url).then(
        (res) => new Error(`served after the run: ${res.status}`),
        (err: Error) => err,
      );
      expect(error.message).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
      refused = /ECONNREFUSED/.test(error.message);
      if (!refused) await new Promise((r) => setTimeout(r, 20));
    }
    expect(refused).toBe(true);
  });

  test('never keeps the process alive, and closes its open connections with the run', async () => {
    let client!: net.Socket;
    let closed!: Promise<void>;
    await withInspector(async (url) => {
      client = net.connect(Number(new URL(url).port), '127.0.0.1');
      closed = new Promise((resolve) => client.on('close', () => resolve()));
      client.on('error', () => undefined);
      await new Promise((resolve) => client.on('connect', resolve));
      client.unref();
      // The listening server and its connections are unref'd: none is among what keeps Node alive.
      await new Promise((r) => setTimeout(r, 10));
      expect(process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'))).toEqual([]);
    });
    await closed; // the server side ended the idle connection when the run finished
    expect(client.destroyed).toBe(true);
  });

  test('DUET_INSPECT=1 prints the URL, serves, and never keeps the process alive', async () => {
    const script = `
      const { run, sleep } = require('@duet/kernel');
      run(async function envMain() { await sleep(1.5); }).then(() => console.log('run done'));
    `;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, DUET_INSPECT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /Duet inspector: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`exited before printing a URL: ${stderr}`)));
    });
    const agent = new http.Agent({ keepAlive: true });
    const state = await get(url.replace('/?', '/state?'), agent);
    expect(JSON.parse(state.body).root.name).toBe('envMain');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    agent.destroy();
    expect(code).toBe(0);
    expect(stdout).toContain('run done');
  }, 20_000);

  test('a bad port is a RangeError', () => {
    expect(() => new Inspector({ port: -1 })).toThrow(RangeError);
    expect(() => new Inspector({ port: 1.5 })).toThrow(RangeError);
  });
});
