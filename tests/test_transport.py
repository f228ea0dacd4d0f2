"""The network backend under fetch (monitor.transport), against real sockets on 127.0.0.1.

Each test runs a small asyncio server that misbehaves in one way (never answers, drops
idle connections, reads slowly, speaks TLS) and checks what httpx reports through the
backend: the same exceptions httpx's default backend gives, so fetch's error messages
hold.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from monitor import transport
from monitor.fetch import DEFAULT_LIMITS, Fetcher
from monitor.types import Validators
from tests.hostile import self_signed

LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4, keepalive_expiry=30)
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def _server(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    connections: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


async def _request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def _client(tls: ssl.SSLContext | None = None, read: float = 5.0) -> httpx.AsyncClient:
    pool = transport.pool_transport(LIMITS, tls or ssl.create_default_context())
    return httpx.AsyncClient(transport=pool, timeout=httpx.Timeout(5.0, read=read))


def test_the_fetcher_connects_through_the_asyncio_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the one use of httpx's internals: should httpx keep its pool elsewhere, the
    fetcher would quietly fall back to anyio and this test fails."""
    connected: list[tuple[str, int]] = []
    real = transport.BACKEND.connect_tcp

    async def spy(host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        connected.append((host, port))
        return await real(host, port, *args, **kwargs)

    monkeypatch.setattr(transport.BACKEND, "connect_tcp", spy)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await _request(reader)
            writer.write(b"HTTP/1.1 304 Not Modified\r\n\r\n")

    async def main() -> list[int]:
        async with _server(answer) as url:
            fetcher = Fetcher(limits=DEFAULT_LIMITS)
            try:
                results = [await fetcher.fetch(f"{url}/f.xml", Validators()) for _ in range(3)]
            finally:
                await fetcher.aclose()
        return [r.status for r in results]

    assert asyncio.run(main()) == [304, 304, 304]
    assert len(connected) == 1  # one connection, kept alive for all three
    assert connected[0][0] == "127.0.0.1"


def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        await asyncio.sleep(10)

    async def main() -> None:
        async with _server(silent) as url, _client(read=0.2) as client:
            await client.get(url)

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(main())


def test_a_refused_connection_is_a_connect_error() -> None:
    async def main() -> None:
        async with _server(lambda r, w: asyncio.sleep(0)) as url:
            pass  # closed: the port now refuses
        async with _client() as client:
            await client.get(url)

    with pytest.raises(httpx.ConnectError):
        asyncio.run(main())


def test_an_idle_connection_the_server_dropped_is_not_reused() -> None:
    """The server closes each connection after one response without saying so: the next
    request must see the drop (the stream is readable while idle) and connect again."""
    served: list[int] = []

    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(OK)
        await writer.drain()
        served.append(1)

    async def main() -> list[bytes]:
        async with _server(once) as url, _client() as client:
            first = await client.get(url)
            await asyncio.sleep(0.05)  # the close reaches the client's loop
            second = await client.get(url)
        return [first.content, second.content]

    assert asyncio.run(main()) == [b"ok", b"ok"]
    assert len(served) == 2


def test_a_large_request_waits_for_a_slow_reader_instead_of_buffering_or_failing() -> None:
    body = b"x" * (8 << 20)  # well past the transport's high-water mark: writing pauses
    got: list[int] = []

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _request(reader)
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while length:
            chunk = await reader.read(min(length, 1 << 16))
            length -= len(chunk)
            got.append(len(chunk))
            await asyncio.sleep(0)
        writer.write(OK)
        await writer.drain()

    async def main() -> int:
        async with _server(slow) as url, _client() as client:
            return (await client.post(url, content=body)).status_code

    assert asyncio.run(main()) == 200
    assert sum(got) == len(body)


def test_cancelling_a_fetch_is_a_cancellation_not_a_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        await asyncio.sleep(10)

    async def main() -> None:
        async with _server(silent) as url, _client(read=5) as client:
            task = asyncio.create_task(client.get(url))
            await asyncio.sleep(0.1)
            task.cancel()
            await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())


def test_tls_with_a_trusted_certificate_works_and_an_untrusted_one_fails(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(OK)
        await writer.drain()

    async def main(client_side: ssl.SSLContext) -> bytes:
        async with _server(answer, tls=server_side) as url, _client(client_side) as client:
            return (await client.get(url)).content

    assert asyncio.run(main(trusting)) == b"ok"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(main(ssl.create_default_context()))


def test_a_unix_socket_connects_too(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(OK)
        await writer.drain()
        writer.close()

    async def main() -> bytes:
        server = await asyncio.start_unix_server(answer, path)
        try:
            async with httpcore.AsyncConnectionPool(uds=path, network_backend=transport.BACKEND) as pool:
                response = await pool.request("GET", "http://localhost/")
                return response.content
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(main()) == b"ok"
