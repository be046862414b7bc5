import { run, startServer, openConnection, waitFor, sleep } from '@duet/asyncio';
test('unread', async () => {
  const got = await run(async () => {
    const srv = await startServer(async (r, w) => {
      await r.readline();
      w.write('HTTP/1.0 200 OK\r\n' + 'x'.repeat(500000));
      await w.drain().catch(() => {});
      await r.read().catch(() => {});
      w.close();
    }, '127.0.0.1', 0);
    const [, port] = srv.sockets[0]!.getsockname();
    const [rd, wr] = await openConnection('127.0.0.1', port, { limit: 1000 });
    wr.write('GET / HTTP/1.0\r\n\r\n');
    const line = (await rd.readline()).toString();
    await sleep(0.1);
    wr.close();
    await waitFor(() => wr.waitClosed(), 3);
    srv.close();
    await waitFor(() => srv.waitClosed(), 3);
    return line;
  });
  expect(got).toBe('HTTP/1.0 200 OK\r\n');
});
