"""monitor.fetch against real sockets on 127.0.0.1: the deadline holds where httpx's don't.

Each test starts an asyncio server on a random port inside its own event loop. Handlers
give up after SERVER_LIFETIME and the server is closed on leaving `serve`, so nothing
outlives the test.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest

from monitor.exceptions import FetchError
from monitor.fetch import Fetcher, FetchLimits
from monitor.pipeline import http_error
from monitor.types import FetchResult, Validators

ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

DEADLINE = 1.5
MARGIN = 0.5  # scheduling slack allowed past the deadline
SERVER_LIFETIME = 5.0  # no handler runs longer than this, whatever the client does
LIMITS = FetchLimits(deadline=DEADLINE)
RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


@asynccontextmanager
async def serve(handler: ConnectionHandler) -> AsyncIterator[str]:
    """Run `handler` per connection on 127.0.0.1:<random>; yield the feed URL."""
    handlers: set[asyncio.Task[Any]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()  # each connection callback runs as its own task
        assert task is not None
        handlers.add(task)
        try:
            await asyncio.wait_for(handler(reader, writer), SERVER_LIFETIME)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            handlers.discard(task)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/feed.xml"
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> dict[str, str]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}


async def timed_fetch(
    url: str, validators: Validators | None = None
) -> tuple[FetchResult | FetchError, float]:
    started = time.monotonic()
    async with Fetcher(limits=LIMITS) as fetcher:
        try:
            result: FetchResult | FetchError = await fetcher.fetch(url, validators or Validators())
        except FetchError as e:
            result = e
    return result, time.monotonic() - started


def test_trickling_server_cannot_outlast_the_deadline() -> None:
    disconnected = asyncio.Event()

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 1000\r\n\r\n")
        while True:  # one byte every half second: each read is quick, the whole is not
            writer.write(b"x")
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(1), 0.5) == b"":
                    break
            except TimeoutError:
                continue
        disconnected.set()

    async def main() -> tuple[FetchResult | FetchError, float]:
        async with serve(trickle) as url:
            outcome = await timed_fetch(url)
            # The client hung up: the response was closed, not left in the pool.
            await asyncio.wait_for(disconnected.wait(), MARGIN)
            return outcome

    outcome, elapsed = asyncio.run(main())
    assert isinstance(outcome, FetchError)
    assert str(outcome) == "no complete response within 1.5 s"
    assert DEADLINE <= elapsed < DEADLINE + MARGIN


def test_silent_server_cannot_outlast_the_deadline() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept, never answer; returns when the client hangs up

    async def main() -> tuple[FetchResult | FetchError, float]:
        async with serve(silent) as url:
            return await timed_fetch(url)

    outcome, elapsed = asyncio.run(main())
    assert isinstance(outcome, FetchError)
    assert str(outcome) == "no complete response within 1.5 s"
    assert DEADLINE <= elapsed < DEADLINE + MARGIN


def breaking_off(head: bytes, part: bytes, ending: str) -> Callable[..., Awaitable[None]]:
    """A server that sends `head` and `part` of a longer body, then resets ("reset") or
    closes ("closed") the connection."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(head + part)
        await writer.drain()
        await asyncio.sleep(0.1)  # the client reads what came first
        if ending == "reset":  # an RST, not a FIN: SO_LINGER with a zero timeout
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return handler


@pytest.mark.parametrize("ending", ["reset", "closed"])
def test_a_body_broken_off_after_the_headers_keeps_their_status(ending: str) -> None:
    """A user audit: a connection lost after the response headers stored no status for the
    poll, as if no server had answered. The error now carries the status the headers sent,
    and says how much of the body had come."""

    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n"

    async def main() -> tuple[FetchResult | FetchError, float]:
        async with serve(breaking_off(head, b"x" * (12 * 1024), ending)) as url:
            return await timed_fetch(url)

    outcome, _ = asyncio.run(main())
    assert isinstance(outcome, FetchError)
    assert outcome.status == 200
    assert str(outcome).endswith("(after 12 KiB of the body)"), str(outcome)
    if ending == "reset":
        assert "Connection reset by peer" in str(outcome), str(outcome)


@pytest.mark.parametrize("ending", ["reset", "closed"])
def test_an_error_response_whose_body_breaks_off_is_still_that_error(ending: str) -> None:
    """Its body is read only for a message: losing it must not turn "HTTP 503" (and its
    Retry-After) into a transport error, which would back off on the wrong schedule."""

    head = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7200\r\nContent-Type: text/html\r\n"
    head += b"Content-Length: 100000\r\n\r\n"

    async def main() -> tuple[FetchResult | FetchError, float]:
        async with serve(breaking_off(head, b"<html>" + b"x" * 1024, ending)) as url:
            return await timed_fetch(url)

    outcome, _ = asyncio.run(main())
    assert isinstance(outcome, FetchResult), str(outcome)
    assert (outcome.status, outcome.headers["retry-after"]) == (503, "7200")
    assert str(http_error(outcome)) == "HTTP 503 Service Unavailable"


def test_connection_refused_is_named() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome, elapsed = asyncio.run(timed_fetch(f"http://127.0.0.1:{port}/feed.xml"))
    assert isinstance(outcome, FetchError)
    assert str(outcome).startswith("connection refused")
    assert elapsed < DEADLINE


def test_gzip_feed_then_304_over_a_real_connection() -> None:
    requests: list[dict[str, str]] = []

    async def conditional(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # keep-alive: answer every request on this connection
            headers = await read_request(reader)
            requests.append(headers)
            if headers.get("if-none-match") == '"v1"':
                writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n')
            else:
                body = gzip.compress(RSS)
                writer.write(
                    b'HTTP/1.1 200 OK\r\nETag: "v1"\r\nContent-Encoding: gzip\r\n'
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
            await writer.drain()

    async def main() -> list[FetchResult | FetchError]:
        async with serve(conditional) as url:
            first, _ = await timed_fetch(url)
            second, _ = await timed_fetch(url, Validators(etag='"v1"'))
            return [first, second]

    first, second = asyncio.run(main())
    assert isinstance(first, FetchResult)
    assert isinstance(second, FetchResult)
    assert (first.status, first.body, first.headers["etag"]) == (200, RSS, '"v1"')
    assert (second.status, second.body) == (304, b"")
    assert requests[0]["accept-encoding"] == "gzip, deflate"
    assert requests[1]["if-none-match"] == '"v1"'


@pytest.mark.parametrize("status", [404, 503])
def test_error_status_over_a_real_connection(status: int) -> None:
    async def failing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(f"HTTP/1.1 {status} Nope\r\nRetry-After: 60\r\nContent-Length: 4\r\n\r\nnope".encode())
        await writer.drain()

    async def main() -> FetchResult | FetchError:
        async with serve(failing) as url:
            outcome, _ = await timed_fetch(url)
            return outcome

    outcome = asyncio.run(main())
    assert isinstance(outcome, FetchResult)
    assert (outcome.status, outcome.body, outcome.headers["retry-after"]) == (status, b"nope", "60")


class KeepAlive:
    """A keep-alive server's handler that counts connections per port and notes hang-ups."""

    def __init__(self) -> None:
        self.connections: dict[int, int] = {}
        self.closed: set[int] = set()

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        self.connections[port] = self.connections.get(port, 0) + 1
        try:
            while True:
                await read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(RSS), RSS))
                await writer.drain()
        except asyncio.IncompleteReadError:
            self.closed.add(port)  # the client hung up
            raise


def port_of(url: str) -> int:
    return urlsplit(url).port or 80


def test_a_pool_per_origin_reuses_connections_and_closes_the_least_recent_when_idle() -> None:
    # Three origins (ports), room for two pools: the least recently used origin's idle
    # connection is closed by the client, and only when no response of it is being read.
    server = KeepAlive()
    connections, closed = server.connections, server.closed

    async def main() -> None:
        limits = FetchLimits(deadline=DEADLINE, max_pools=2)
        async with serve(server) as a, serve(server) as b, serve(server) as c:
            port = {u: port_of(u) for u in (a, b, c)}
            async with Fetcher(limits=limits) as fetcher:
                for url in (a, a, b):
                    await fetcher.fetch(url, Validators())
                assert connections == {port[a]: 1, port[b]: 1}  # a's second fetch reused its connection
                client = fetcher._client  # a response of b's being read keeps b's pool open
                streaming = await client.send(client.build_request("GET", b), stream=True)
                await fetcher.fetch(c, Validators())  # a third pool: a's (idle) is closed
                await fetcher.fetch(a, Validators())  # b is busy, so c's is closed this time
                await asyncio.sleep(0.1)
                assert closed == {port[a], port[c]}
                assert await streaming.aread() == RSS
                await streaming.aclose()
                assert connections == {port[a]: 2, port[b]: 1, port[c]: 1}  # b's one connection served both

    asyncio.run(main())


def test_a_pool_unused_for_the_keepalive_is_closed_at_the_next_request() -> None:
    # httpcore would drop the expired connection only when its own pool is used again:
    # a host polled once must not keep its socket open until then.
    server = KeepAlive()

    async def main() -> None:
        limits = FetchLimits(deadline=DEADLINE, keepalive=0.2)
        async with serve(server) as a, serve(server) as b, Fetcher(limits=limits) as fetcher:
            await fetcher.fetch(a, Validators())
            await fetcher.fetch(b, Validators())
            await asyncio.sleep(0.05)
            assert server.closed == set()  # both within the keepalive: kept
            await asyncio.sleep(0.3)
            await fetcher.fetch(b, Validators())  # any request closes pools unused that long
            await asyncio.sleep(0.1)
            assert port_of(a) in server.closed  # a's pool: closed though a was not asked again

    asyncio.run(main())


def test_a_304_and_a_redirect_leave_their_connection_open_for_the_next_request() -> None:
    """httpcore keeps a connection only once its response was read to the end: unread, a
    304 (and a redirect) cost a new connection at every poll."""
    connections: list[list[str]] = []
    moved = b"<p>Moved</p>"

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        paths: list[str] = []
        connections.append(paths)
        while True:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            paths.append(path := head.split(" ")[1])
            if path == "/old.xml":
                writer.write(
                    b"HTTP/1.1 301 Moved Permanently\r\nLocation: /feed.xml\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(moved), moved)
                )
            else:
                writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "e"\r\n\r\n')

    async def main() -> list[int]:
        async with serve(answer) as url, Fetcher(limits=LIMITS) as fetcher:
            old = url.replace("/feed.xml", "/old.xml")
            results = [await fetcher.fetch(u, Validators(etag='"e"')) for u in (url, url, old, url)]
        return [r.status for r in results]

    assert asyncio.run(main()) == [304, 304, 304, 304]
    assert connections == [["/feed.xml", "/feed.xml", "/old.xml", "/feed.xml", "/feed.xml"]]
