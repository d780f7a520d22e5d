"""A TCP delay line that also counts the HTTP requests passing through it.

    python delay_line.py --target 127.0.0.1:5002 --one-way-ms 40

Prints "READY <port>" once listening; on SIGTERM prints one JSON line of counts
and exits. Every chunk read from one side is written to the other ONE_WAY
seconds later, in both directions, so a request and its answer cost one round
trip; connections run in parallel as on a real link; each new connection waits
--connect-rtts round trips first (TCP and TLS handshakes on a real link to
R2). Not modelled: bandwidth, loss, slow start. A delay line in user space
(the kernel here has no netem), plus the request count, so a
client's requests are counted the same way whatever the client.

A request is a header block ("\\r\\n\\r\\n" from client to server): the clients
measured send only GET and HEAD, which have no body.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import time

CHUNK = 256 * 1024
END_OF_HEADERS = b"\r\n\r\n"
LIST = b"list-type=2"


class Counts:
    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.list_requests = 0


async def pump(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay: float,
    start_at: float,
    counts: Counts | None,
) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
    tail = b""  # the end of the last chunk: a marker may straddle two reads

    async def receive() -> None:
        nonlocal tail
        try:
            while True:
                data = await reader.read(CHUNK)
                if counts is not None and data:
                    window = tail + data
                    counts.requests += window.count(END_OF_HEADERS) - tail.count(END_OF_HEADERS)
                    counts.list_requests += window.count(LIST) - tail.count(LIST)
                    tail = window[-(len(LIST) - 1) :]
                await queue.put((max(time.monotonic(), start_at) + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((time.monotonic(), b""))

    async def send() -> None:
        try:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return

    await asyncio.gather(receive(), send())


async def handle(
    creader: asyncio.StreamReader,
    cwriter: asyncio.StreamWriter,
    target: tuple[str, int],
    delay: float,
    connect_rtts: float,
    counts: Counts,
) -> None:
    counts.connections += 1
    start_at = time.monotonic() + connect_rtts * 2 * delay
    try:
        sreader, swriter = await asyncio.open_connection(*target)
    except OSError:
        cwriter.close()
        return
    for w in (cwriter, swriter):
        sock = w.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        await asyncio.gather(
            pump(creader, swriter, delay, start_at, counts),
            pump(sreader, cwriter, delay, start_at, None),
        )
    except asyncio.CancelledError:
        pass  # shut down with the connection open: asyncio would log every such task
    finally:
        for w in (cwriter, swriter):
            with contextlib.suppress(OSError):
                w.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--target", required=True, help="host:port of the server")
    ap.add_argument("--one-way-ms", type=float, default=40.0)
    ap.add_argument("--connect-rtts", type=float, default=2.0)
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    delay = a.one_way_ms / 1000.0
    counts = Counts()
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, (host, int(port)), delay, a.connect_rtts, counts),
        "127.0.0.1",
        0,
        backlog=512,
    )
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    async with server:
        await stop.wait()
    print(json.dumps(vars(counts)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
