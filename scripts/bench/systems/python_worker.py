"""One measurement of Python asyncio or Trio in a fresh process, as worker.mjs does for Node.

    python3 systems/python_worker.py <asyncio|trio> <workload> <params-json>

Runs the workload once at a tenth of its size to warm up, then once measured, and prints one JSON
line: {"ms", "ops", "label"}. The workloads mirror systems/duet-common.mjs.
"""
import asyncio
import functools
import gc
import json
import sys
import time


def permutation(n, seed=1):
    """The same permutation of 0..n-1 as permutation() in raw.mjs (a linear congruential shuffle)."""
    order = list(range(n))
    x = (seed & 0xFFFFFFFF) or 1
    for i in range(n - 1, 0, -1):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        j = x % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def echo_payloads(size):
    """As echoPayloads() in duet-common.mjs: payload v is `size` bytes of value v."""
    return [bytes([v]) * size for v in range(256)]


def check_echo_chunk(data, payload):
    """As checkEchoChunk() in duet-common.mjs."""
    if not data:
        raise RuntimeError("tcp echo: the connection closed before its echo")
    if data[0] != payload[0] or data[-1] != payload[0]:
        raise RuntimeError("tcp echo: wrong bytes back")
    return len(data)


def check_echo(p, echoed, received):
    total = p["connections"] * p["messages"] * p["bytes"]
    assert echoed == total and received == total, (echoed, received, total)
    return p["connections"] * p["messages"]


# ---- asyncio ----------------------------------------------------------------------------------

async def aio_w1(p):
    async def child():
        await asyncio.sleep(0)

    async with asyncio.TaskGroup() as tg:
        for _ in range(p["n"]):
            tg.create_task(child())
    return p["n"]


async def aio_w2(p):
    steps = p["steps"]

    async def worker():
        for _ in range(steps):
            await asyncio.sleep(0)

    async with asyncio.TaskGroup() as tg:
        for _ in range(p["tasks"]):
            tg.create_task(worker())
    return p["tasks"] * steps


async def aio_w3(p):
    m = p["messages"]
    q = asyncio.Queue(1)
    total = 0

    async def producer():
        for i in range(m):
            await q.put(i)

    async def consumer():
        nonlocal total
        for _ in range(m):
            total += await q.get()

    async with asyncio.TaskGroup() as tg:
        tg.create_task(producer())
        tg.create_task(consumer())
    assert total == m * (m - 1) // 2
    return m


async def aio_w4a(p):
    for _ in range(p["n"]):
        async with asyncio.timeout(10):
            await asyncio.sleep(0)
    return p["n"]


async def aio_w4b(p):
    order = permutation(p["n"], p.get("perm", 1))

    async def scoped(i):
        async with asyncio.timeout(10 + order[i] * 1e-3):
            await asyncio.sleep(0)

    async with asyncio.TaskGroup() as tg:
        for i in range(p["n"]):
            tg.create_task(scoped(i))
    return p["n"]


async def aio_w5(p):
    n = p["n"]
    event = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(event.wait()) for _ in range(n)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        t0 = time.perf_counter()
        for task in tasks:
            task.cancel()
    return n, (time.perf_counter() - t0) * 1000


async def aio_tcpecho(p):
    size, messages = p["bytes"], p["messages"]
    payloads = echo_payloads(size)
    echoed = received = 0

    async def echo(reader, writer):
        nonlocal echoed
        while data := await reader.read(65536):
            echoed += len(data)
            writer.write(data)
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def client(port, c):
        nonlocal received
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(messages):
            payload = payloads[(c + i) & 255]
            writer.write(payload)
            await writer.drain()
            got = 0
            while got < size:
                got += check_echo_chunk(await reader.read(65536), payload)
            received += got
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        async with asyncio.TaskGroup() as tg:
            for c in range(p["connections"]):
                tg.create_task(client(port, c))
    return check_echo(p, echoed, received)


# ---- trio -------------------------------------------------------------------------------------

def trio_workloads():
    import trio
    import trio.testing

    checkpoint = trio.lowlevel.checkpoint

    async def w1(p):
        async def child():
            await checkpoint()

        async with trio.open_nursery() as nursery:
            for _ in range(p["n"]):
                nursery.start_soon(child)
        return p["n"]

    async def w2(p):
        steps = p["steps"]

        async def worker():
            for _ in range(steps):
                await checkpoint()

        async with trio.open_nursery() as nursery:
            for _ in range(p["tasks"]):
                nursery.start_soon(worker)
        return p["tasks"] * steps

    async def w3(p):
        m = p["messages"]
        send, receive = trio.open_memory_channel(0)
        total = 0

        async def producer():
            for i in range(m):
                await send.send(i)

        async def consumer():
            nonlocal total
            for _ in range(m):
                total += await receive.receive()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(producer)
            nursery.start_soon(consumer)
        assert total == m * (m - 1) // 2
        return m

    async def w4a(p):
        for _ in range(p["n"]):
            with trio.move_on_after(10):
                await checkpoint()
        return p["n"]

    async def w4b(p):
        order = permutation(p["n"], p.get("perm", 1))

        async def scoped(i):
            with trio.move_on_after(10 + order[i] * 1e-3):
                await checkpoint()

        async with trio.open_nursery() as nursery:
            for i in range(p["n"]):
                nursery.start_soon(scoped, i)
        return p["n"]

    async def w5(p):
        n = p["n"]
        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(trio.sleep_forever)
            await trio.testing.wait_all_tasks_blocked()
            t0 = time.perf_counter()
            nursery.cancel_scope.cancel()
        return n, (time.perf_counter() - t0) * 1000

    async def tcpecho(p):
        size, messages = p["bytes"], p["messages"]
        payloads = echo_payloads(size)
        echoed = received = 0

        async def echo(stream):
            nonlocal echoed
            while data := await stream.receive_some():
                echoed += len(data)
                await stream.send_all(data)

        async def client(port, c):
            nonlocal received
            async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
                for i in range(messages):
                    payload = payloads[(c + i) & 255]
                    await stream.send_all(payload)
                    got = 0
                    while got < size:
                        got += check_echo_chunk(await stream.receive_some(), payload)
                    received += got

        async with trio.open_nursery() as nursery:
            serve = functools.partial(trio.serve_tcp, echo, 0, host="127.0.0.1")
            listeners = await nursery.start(serve)
            port = listeners[0].socket.getsockname()[1]
            async with trio.open_nursery() as clients:
                for c in range(p["connections"]):
                    clients.start_soon(client, port, c)
            nursery.cancel_scope.cancel()
        return check_echo(p, echoed, received)

    workloads = {"w1": w1, "w2": w2, "w3": w3, "w4a": w4a, "w4b": w4b, "w5": w5, "tcpecho": tcpecho}
    return trio, workloads


def main():
    system, workload, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if system == "asyncio":
        fns = {
            "w1": aio_w1,
            "w2": aio_w2,
            "w3": aio_w3,
            "w4a": aio_w4a,
            "w4b": aio_w4b,
            "w5": aio_w5,
            "tcpecho": aio_tcpecho,
        }
        runner = lambda fn, p: asyncio.run(fn(p))
        label = f"asyncio (Python {sys.version.split()[0]})"
    else:
        trio, fns = trio_workloads()
        runner = trio.run
        label = f"trio {trio.__version__} (Python {sys.version.split()[0]})"
    fn = fns.get(workload)
    if fn is None:
        print(json.dumps({"skipped": f"Python {system} has no {workload}"}))
        return
    if not params.get("noWarmup"):
        warm = {k: max(10, -(-v // 10)) if isinstance(v, int) and k != "perm" else v for k, v in params.items()}
        runner(fn, warm)
    gc.collect()
    t0 = time.perf_counter()
    out = runner(fn, params)
    ms = (time.perf_counter() - t0) * 1000
    if isinstance(out, tuple):  # W5 reports the time from cancel to unwound
        ops, ms = out
    else:
        ops = out
    print(json.dumps({"ms": ms, "ops": ops, "label": label}))


if __name__ == "__main__":
    main()
