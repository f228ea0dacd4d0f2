"""The sockets under fetch: an httpcore network backend on plain asyncio.

httpcore's own asyncio backend goes through anyio, which wraps every read, write and
connect in its own streams, cancel scopes and task groups. On a poll of 1,000 feeds that
all answer 304 that layer was about a third of the event loop's samples (py-spy,
`python -m benchmarks.profile --phases first,304,…`), more than HTTP itself. This backend
gives httpcore the same five operations straight on an asyncio transport and protocol:
connect (name resolution and the happy-eyeballs race are asyncio's own), TLS (asyncio's
`start_tls`), read and write with timeouts, close. Errors are httpcore's, so httpx maps
them to its own exceptions as it does for its default backend.

`pool_transport` builds the httpx transport of one origin on it. httpx takes no network
backend, so its connection pool is replaced by an equal one built with this backend;
should a later httpx keep its pool elsewhere, the transport is left as httpx made it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

__all__ = ["AsyncioBackend", "pool_transport"]

# RFC 8305's recommended wait before racing the next address of a host (IPv6, then IPv4).
HAPPY_EYEBALLS_DELAY = 0.25

_SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class _Stream(asyncio.Protocol, httpcore.AsyncNetworkStream):
    """One connection: what the loop received, kept until httpcore reads it."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._eof = False
        self._lost: Exception | None = None
        self._readable: asyncio.Future[None] | None = None  # set while a read waits
        self._writable: asyncio.Future[None] | None = None  # set while a write waits (paused)
        self._paused = False

    # ── asyncio.Protocol: called by the event loop ──────────────────────────────────
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._wake_reader()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake_reader()
        return False  # close the transport: HTTP/1.1 never writes after the server's EOF

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._lost = exc
        self._wake_reader()
        self._wake_writer()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_writer()

    def _wake_reader(self) -> None:
        if self._readable is not None and not self._readable.done():
            self._readable.set_result(None)

    def _wake_writer(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    # ── httpcore.AsyncNetworkStream: called by httpcore ──────────────────────────────
    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if not self._buffer and not self._eof:
            self._readable = asyncio.get_running_loop().create_future()
            try:
                await _within(self._readable, timeout, httpcore.ReadTimeout)
            finally:
                self._readable = None
        if self._buffer:
            data = bytes(self._buffer[:max_bytes])
            del self._buffer[:max_bytes]
            return data
        if self._lost is not None:
            raise httpcore.ReadError(str(self._lost) or type(self._lost).__name__) from self._lost
        return b""  # the server closed the connection: httpcore decides what that means

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        transport = self._transport
        if transport is None or transport.is_closing() or self._lost is not None:
            raise httpcore.WriteError("the connection is closed")
        transport.write(buffer)
        while self._paused and not transport.is_closing():  # flow control: wait to drain
            self._writable = asyncio.get_running_loop().create_future()
            try:
                await _within(self._writable, timeout, httpcore.WriteTimeout)
            finally:
                self._writable = None
        if self._lost is not None:
            raise httpcore.WriteError(str(self._lost) or type(self._lost).__name__) from self._lost

    async def aclose(self) -> None:
        if self._transport is not None:
            self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        assert self._transport is not None
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(
                self._transport,
                self,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        if tls is None:  # the peer closed during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(tls, asyncio.Transport)
        self._transport = tls
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Asked of an idle connection before it is reused: anything that arrived since
            # the last response, or its end, means the server has dropped it.
            return bool(self._buffer) or self._eof
        if self._transport is None:
            return None
        key = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        return self._transport.get_extra_info(key)


async def _within(waiter: asyncio.Future[None], timeout: float | None, error: type[Exception]) -> None:
    """Wait for `waiter`, raising `error` (an httpcore timeout) after `timeout` seconds.

    The timer fails the waiter rather than cancelling it, so a cancelled task (the poll
    stopped) stays a cancellation and is never mistaken for a timeout."""
    if timeout is None:
        await waiter
        return
    expired = error(f"no progress in {timeout:g} s")
    handle = asyncio.get_running_loop().call_later(timeout, _expire, waiter, expired)
    try:
        await waiter
    finally:
        handle.cancel()


def _expire(waiter: asyncio.Future[None], error: Exception) -> None:
    if not waiter.done():
        waiter.set_exception(error)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network operations on asyncio's own transports (see the module's text)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        loop = asyncio.get_running_loop()
        return await _connect(
            lambda stream: loop.create_connection(
                lambda: stream, host, port, local_addr=local, happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY
            ),
            f"{host}:{port}",
            timeout,
            socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        return await _connect(
            lambda stream: loop.create_unix_connection(lambda: stream, path), path, timeout, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connect(
    open_on: Callable[[_Stream], Awaitable[object]],
    where: str,
    timeout: float | None,
    options: Iterable[_SocketOption] | None,
) -> _Stream:
    """A connection made by `open_on` (asyncio's create_connection or create_unix_connection
    with the protocol given), its failures as httpcore's."""
    stream = _Stream()
    try:
        async with asyncio.timeout(timeout):
            await open_on(stream)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"no connection to {where} in {timeout:g} s") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    _set_options(stream, options)
    return stream


def _set_options(stream: _Stream, options: Iterable[_SocketOption] | None) -> None:
    sock: socket.socket | None = stream.get_extra_info("socket")
    for option in options or ():
        if sock is not None:
            sock.setsockopt(*option)


BACKEND = AsyncioBackend()


def pool_transport(limits: httpx.Limits, tls: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    """httpx's transport for one origin (HTTP/1.1, the `limits` given), on `BACKEND`."""
    transport = httpx.AsyncHTTPTransport(verify=tls, limits=limits)
    if isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        transport._pool = httpcore.AsyncConnectionPool(  # httpx's own attribute: see the module's text
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=BACKEND,
        )
    return transport
