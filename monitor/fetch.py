"""Fetch: the only stage that speaks HTTP to feeds.

One `Fetcher` holds one shared `httpx.AsyncClient` and turns a feed URL plus its stored
validators into a `FetchResult` (any final HTTP response, whatever its status) or a
`FetchError` with a one-line reason. It enforces, per fetch:

    conditional GET        If-None-Match / If-Modified-Since from the validators
    redirects by hand      at most `max_redirects`, no loops, http(s) only, and never
                           from a public host to a private address (SSRF guard)
    one total deadline     covers every hop and the whole body, however slowly it trickles
    a body cap             on the decompressed size, checked while streaming
    concurrency            at most `max_per_host` requests per host, `max_in_flight` overall,
                           over a small connection pool per origin (`_OriginPools`)

Deciding what a status means (retry, back off, give up) is the scheduler's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
import zlib
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

import httpx

from monitor import __version__
from monitor.exceptions import FetchError, causes
from monitor.transport import pool_transport
from monitor.types import FetchResult, Validators

__all__ = [
    "ACCEPT",
    "ACCEPT_ENCODING",
    "DEFAULT_LIMITS",
    "USER_AGENT",
    "FetchLimits",
    "Fetcher",
    "Resolver",
    "describe_transport_error",
    "first_non_public",
    "make_client",
    "system_resolver",
]

USER_AGENT = f"monitor/{__version__}"

# Feed types first; XML and HTML lower so a server doing content negotiation picks the
# feed, and */* last so a misconfigured server still answers (RFC 9110 §12.5.1).
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.2, */*;q=0.1"
)

# We decode bodies ourselves so the size cap applies to decompressed bytes while they are
# produced (see `_ZlibDecoder`). Only zlib can stop at an output limit, so only gzip and
# deflate are offered; br/zstd would need a decoder with an output bound (RFC 9110 §12.5.3).
ACCEPT_ENCODING = "gzip, deflate"

KiB = 1024
MiB = 1024 * KiB

# Decoded bytes produced per step; bounds how far past the cap one step can go.
INFLATE_STEP = 64 * KiB

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# RFC 9110 §15.4.2 / §15.4.9: only these tell us to use the new URI from now on.
PERMANENT_STATUSES = frozenset({301, 308})
# A redirect's body is read (and dropped) to keep its connection only when it says it is
# at most this long: servers' "Moved" pages are a few hundred bytes.
MAX_DRAINED_BODY = 16 * KiB


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """The bounds every fetch runs within; one instance is shared by the whole fetcher."""

    # Large news feeds with full content are 1–5 MiB; 15 MiB leaves room without letting a
    # hostile server fill memory.
    max_body: int = 15 * MiB
    # Error bodies are only kept for a message; more than this is noise.
    max_error_body: int = 64 * KiB
    # Total seconds per fetch, all hops and the whole body included: httpx's own timeouts
    # are per read, so a server trickling a byte at a time would never trip them.
    deadline: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    # Browsers allow 20; feeds that need more than 5 hops are broken, not moved.
    max_redirects: int = 5
    # Browsers open 6 connections per host; 4 stays polite to a site serving many section
    # feeds while letting a local test server be polled briskly.
    max_per_host: int = 4
    # Requests under way at once, over every host.
    max_in_flight: int = 32
    # Hosts whose idle connections are kept for reuse (see `_OriginPools`), and for how
    # long: feeds of one site polled in the same round share connections; the next round
    # is minutes away, when a kept connection would be stale anyway (httpx's default).
    max_pools: int = 64
    keepalive: float = 5.0

    def __post_init__(self) -> None:
        for name in (
            "max_body",
            "max_error_body",
            "max_redirects",
            "max_per_host",
            "max_in_flight",
            "max_pools",
        ):
            if getattr(self, name) < (0 if name == "max_redirects" else 1):
                raise ValueError(f"FetchLimits.{name} is too small: {getattr(self, name)}")
        if min(self.deadline, self.connect_timeout, self.read_timeout, self.keepalive) <= 0:
            raise ValueError("FetchLimits timeouts must be positive")


DEFAULT_LIMITS = FetchLimits()

Resolver = Callable[[str], Awaitable[list[str]]]
"""Looks a host name up and returns its addresses as strings; injectable for tests."""


async def system_resolver(host: str) -> list[str]:
    """The operating system's resolver, run off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def make_client(
    transport: httpx.AsyncBaseTransport | None = None, limits: FetchLimits = DEFAULT_LIMITS
) -> httpx.AsyncClient:
    """The one shared client: redirects off (we follow them by hand), a pool per origin.

    The pools are mounted for "all://" rather than passed as `transport`: a transport
    argument would turn off the proxies of the environment (HTTPS_PROXY…), whose more
    specific mounts still win this way.
    """
    timeout = httpx.Timeout(
        connect=limits.connect_timeout,
        read=limits.read_timeout,
        write=limits.connect_timeout,
        pool=limits.connect_timeout,
    )
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    if transport is None:
        mounts["all://"] = _OriginPools(limits)
    return httpx.AsyncClient(
        transport=transport, mounts=mounts, follow_redirects=False, timeout=timeout, headers=headers
    )


_Origin = tuple[bytes, bytes, int | None]  # scheme, host, port


class _OriginPools(httpx.AsyncBaseTransport):
    """A small connection pool per origin (scheme, host, port), not one pool for all hosts.

    httpcore's pool examines every connection it holds, and polls each idle one's socket,
    whenever it assigns a request (encode/httpx#3215): with one 32-connection pool that
    was 40 % of the event loop's time on a first poll of 300 feeds (py-spy). A pool per
    origin holds at most `max_per_host` connections. An idle pool is closed once unused
    for `keepalive` seconds, or sooner when more than `max_pools` exist (least recently
    used first): httpcore only drops an expired connection when its pool is next used, so
    without this every host ever polled would keep its sockets open. All share one TLS
    context (one CA bundle loaded).
    """

    def __init__(self, limits: FetchLimits) -> None:
        self._limits = httpx.Limits(
            max_connections=limits.max_per_host,
            max_keepalive_connections=limits.max_per_host,
            keepalive_expiry=limits.keepalive,
        )
        self._max_pools = limits.max_pools
        self._keepalive = limits.keepalive
        self._tls: ssl.SSLContext | None = None
        # Least recently used first, each with the monotonic time it was last used.
        self._pools: OrderedDict[_Origin, tuple[httpx.AsyncHTTPTransport, float]] = OrderedDict()
        self._busy: Counter[_Origin] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        now = time.monotonic()
        known = self._pools.get(origin)
        if known is None:
            if self._tls is None:
                self._tls = httpx.create_ssl_context()
            pool = pool_transport(self._limits, self._tls)
        else:
            pool = known[0]
        # No await before the pool is recorded and marked busy: a request to the same
        # origin meanwhile must find it, and the closing below must skip it.
        self._pools[origin] = (pool, now)
        self._pools.move_to_end(origin)  # the most recently used, last
        self._busy[origin] += 1
        try:
            await self._close_idle(now)
            response = await pool.handle_async_request(request)
        except BaseException:
            self._done(origin)
            raise
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Counted(response.stream, lambda: self._done(origin)),
            extensions=response.extensions,
        )

    def _done(self, origin: _Origin) -> None:
        self._busy[origin] -= 1
        if not self._busy[origin]:
            del self._busy[origin]

    async def _close_idle(self, now: float) -> None:
        """Close idle pools unused for `keepalive` seconds, and the least recently used idle
        ones while more than `max_pools` remain."""
        for origin in list(self._pools):
            entry = self._pools.get(origin)  # another request may have closed it meanwhile
            if entry is None:
                continue
            pool, used = entry
            if len(self._pools) <= self._max_pools and used > now - self._keepalive:
                break  # the rest were used more recently still
            if origin in self._busy:  # a pool with a response being read stays
                continue
            del self._pools[origin]  # before the await: no other request may pick it up
            await pool.aclose()

    async def aclose(self) -> None:
        pools, self._pools = [pool for pool, _ in self._pools.values()], OrderedDict()
        for pool in pools:
            await pool.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its origin's pool when it is closed."""

    def __init__(
        self, stream: httpx.AsyncByteStream | httpx.SyncByteStream, done: Callable[[], None]
    ) -> None:
        if not isinstance(stream, httpx.AsyncByteStream):
            raise TypeError("an async transport returned a sync body")
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        done, self._done = self._done, None  # once, however often the body is closed
        try:
            await self._stream.aclose()
        finally:
            if done is not None:
                done()


# ── addresses ────────────────────────────────────────────────────────────────────────────


def _is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # not an address we understand: not one we will vouch for
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 reaches 10.0.0.1
    # is_global excludes private, loopback, link-local, CGNAT and reserved ranges; multicast
    # ranges count as "global" in ipaddress but are never a feed server.
    return ip.is_global and not ip.is_multicast


def first_non_public(addresses: list[str]) -> str | None:
    """The first address that is not on the public internet, or None if all are public."""
    return next((a for a in addresses if not _is_public(a)), None)


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


# ── bounded decoding ─────────────────────────────────────────────────────────────────────


class _Decoder(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> bytes: ...


class _IdentityDecoder:
    def decode(self, data: bytes) -> Iterator[bytes]:
        yield data

    def flush(self) -> bytes:
        return b""


class _ZlibDecoder:
    """gzip or zlib-wrapped deflate, falling back to raw deflate (servers send all three).

    Inflates lazily, at most INFLATE_STEP bytes per piece: the reader stops pulling pieces
    at the cap, so a gzip bomb is never inflated past it (httpx's own decoder inflates a
    whole network chunk at once, up to ~1,000 times its size).
    """

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._raw_fallback = coding == "deflate"
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # auto-detects gzip/zlib header
        self._started = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        while data:
            yield self._inflate(data)
            data = self._inflater.unconsumed_tail  # input left over when the piece was full

    def _inflate(self, data: bytes) -> bytes:
        try:
            piece = self._inflater.decompress(data, INFLATE_STEP)
        except zlib.error as e:
            if self._started or not self._raw_fallback:
                raise FetchError(f"could not decode {self._coding} body: {e}") from e
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            self._started = True
            return self._inflate(data)
        self._started = True
        return piece

    def flush(self) -> bytes:
        return self._inflater.flush()


def _decoder(content_encoding: str | None) -> _Decoder:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _IdentityDecoder()
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return _ZlibDecoder(codings[0])
    raise FetchError(f"unsupported Content-Encoding {content_encoding!r}")


def _size(n: int) -> str:
    for unit, name in ((MiB, "MiB"), (KiB, "KiB")):
        if n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} bytes"


async def _read_body(
    response: httpx.Response, cap: int, *, truncate: bool, progress: _Progress | None = None
) -> bytes:
    """Stream the decoded body, stopping at `cap`: cut it (`truncate`) or raise. `progress`
    counts what was read, for the message should the connection fail before the end."""
    if response.is_stream_consumed:
        # The transport handed over a response it had already read and decoded, as
        # httpx.MockTransport does for `Response(content=...)`: only the cap is left to apply.
        content = response.content
        return _over_cap(content, cap, truncate=truncate) if len(content) > cap else content
    decoder = _decoder(response.headers.get("content-encoding"))
    body = bytearray()
    async for chunk in response.aiter_raw():
        for piece in decoder.decode(chunk):
            body += piece
            if progress is not None:
                progress.received = len(body)
            if len(body) > cap:
                return _over_cap(body, cap, truncate=truncate)
    body += decoder.flush()
    return _over_cap(body, cap, truncate=truncate) if len(body) > cap else bytes(body)


async def _drain(response: httpx.Response) -> None:
    """Read to its end a response whose body nobody needs (a 304's, which has none; a
    redirect's), so that its connection goes back to the pool: httpcore reuses a connection
    only after its response was read to the end, and closes it otherwise. Before this, every
    304 poll opened a new connection (a fifth of the event loop's samples on an all-304 poll,
    py-spy). A redirect body that does not say it is small is not worth waiting for: its
    connection is closed instead, as is one that fails while being read."""
    declared = response.headers.get("content-length", "")
    if response.status_code != 304 and not (declared.isdigit() and int(declared) <= MAX_DRAINED_BODY):
        return
    with contextlib.suppress(httpx.HTTPError):
        await response.aread()


async def _read_error_body(response: httpx.Response, cap: int) -> bytes:
    """The start of an error body, for a message: an undecodable one, or one that breaks
    off, is not worth failing on; the status (and its Retry-After) is the answer."""
    try:
        return await _read_body(response, cap, truncate=True)
    except (FetchError, httpx.HTTPError):
        return b""


def _over_cap(body: bytes | bytearray, cap: int, *, truncate: bool) -> bytes:
    if truncate:
        return bytes(body[:cap])
    raise FetchError(f"body over {_size(cap)}")


def _check_declared_length(response: httpx.Response, cap: int) -> None:
    """Refuse an uncompressed body whose Content-Length already says it is too big."""
    declared = response.headers.get("content-length", "")
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    if declared.isdigit() and not encoded and int(declared) > cap:
        raise FetchError(f"body over {_size(cap)} (Content-Length {declared})")


# ── transport errors ─────────────────────────────────────────────────────────────────────

# Checked in order against the exception and its causes; the first match names the failure.
_ROOT_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (socket.gaierror, "DNS lookup failed"),
    (ssl.SSLError, "TLS failed"),  # certificate verification failures included
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset by server"),
)
_HTTPX_ERRORS: tuple[tuple[type[httpx.HTTPError], str], ...] = (
    (httpx.ConnectTimeout, "connect timed out"),
    (httpx.ReadTimeout, "read timed out"),
    (httpx.WriteTimeout, "write timed out"),
    (httpx.PoolTimeout, "no free connection in the pool"),
    (httpx.RemoteProtocolError, "server broke the HTTP protocol"),
    (httpx.ConnectError, "could not connect"),
    (httpx.ReadError, "connection lost while reading"),
    (httpx.UnsupportedProtocol, "unsupported URL"),
)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe_transport_error(exc: BaseException, host: str) -> str:
    """A one-line reason naming what failed: DNS, TLS, refused, timeout, protocol."""
    for cause in causes(exc):
        for kind, what in _ROOT_CAUSES:
            if isinstance(cause, kind):
                where = f" for {host}" if kind is socket.gaierror else ""
                return _one_line(f"{what}{where}: {cause}")
    label = next((what for kind, what in _HTTPX_ERRORS if isinstance(exc, kind)), "HTTP error")
    detail = _one_line(str(exc))
    return f"{label}: {detail}" if detail else label


# ── the fetcher ──────────────────────────────────────────────────────────────────────────


@dataclass(slots=True)
class _Budget:
    """Seconds of network time one fetch may still spend, across all its hops."""

    total: float
    spent: float = 0.0


@dataclass(slots=True)
class _Progress:
    """How far one exchange got: the status its response headers sent (None before they
    came) and the body bytes read since. A failure after the headers keeps the status (a
    reset mid-body is "200, then…"), and a failure mid-body says how much had come."""

    status: int | None = None
    received: int = 0


def _mid_body(reason: str, received: int) -> str:
    """`reason` for a failure after the response headers, saying how much of the body came."""
    if received < KiB:
        amount = f"{received} bytes"
    elif received < MiB:
        amount = f"{received // KiB} KiB"
    else:
        amount = f"{received / MiB:.1f} MiB"
    return f"{reason} (after {amount} of the body)"


@dataclass(frozen=True, slots=True)
class _Hop:
    """One request/response exchange: a redirect (body unread) or the final response."""

    url: httpx.URL
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def is_redirect(self) -> bool:
        return self.status in REDIRECT_STATUSES


def _conditional_headers(validators: Validators) -> dict[str, str]:
    # RFC 9110 §13.1.2 / §13.1.3: a 304 answer saves the whole body when nothing changed.
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _start_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as e:
        raise FetchError(f"invalid URL {url!r}: {e}") from e
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"not an http(s) URL: {url!r}")
    return parsed


def _permanent_url(statuses: list[int], final: httpx.URL) -> str | None:
    if statuses and all(s in PERMANENT_STATUSES for s in statuses):
        return str(final)
    return None


class Fetcher:
    """Fetches feeds over one shared client; safe to use from many tasks at once.

    The fetcher owns its client and closes it in `aclose` (or on leaving `async with`).
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        limits: FetchLimits = DEFAULT_LIMITS,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._client = client if client is not None else make_client(limits=limits)
        self._limits = limits
        self._resolve = resolver
        self._in_flight = asyncio.Semaphore(limits.max_in_flight)
        self._per_host: dict[str, asyncio.Semaphore] = {}

    @property
    def limits(self) -> FetchLimits:
        return self._limits

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def fetch(self, url: str, validators: Validators) -> FetchResult:
        """GET `url`, following redirects by hand; any final non-redirect response is a result.

        `FetchResult.elapsed` is the time spent talking to servers over all hops, which is
        what the deadline bounds; time queued for a free slot is not counted.
        """
        budget = _Budget(self._limits.deadline)
        headers = _conditional_headers(validators)
        target = _start_url(url)
        seen = {str(target.copy_with(fragment=None))}
        statuses: list[int] = []
        hop = await self._hop(target, headers, budget)
        while hop.is_redirect:
            statuses.append(hop.status)
            target = await self._redirect_target(hop, seen, len(statuses))
            hop = await self._hop(target, headers, budget)
        return FetchResult(
            url=str(hop.url),
            status=hop.status,
            headers=hop.headers,
            body=hop.body,
            elapsed=budget.spent,
            permanent_url=_permanent_url(statuses, hop.url),
        )

    # ── one exchange ──

    def _host_slots(self, host: str) -> asyncio.Semaphore:
        slots = self._per_host.get(host)
        if slots is None:
            slots = self._per_host[host] = asyncio.Semaphore(self._limits.max_per_host)
        return slots

    async def _hop(self, url: httpx.URL, headers: dict[str, str], budget: _Budget) -> _Hop:
        # Host slot first, then a global one: a task queued behind a busy host must not sit
        # on a global slot that a request to another host could use. Waiting for slots does
        # not count against the deadline; only time spent talking to the server does.
        async with self._host_slots(url.host), self._in_flight:
            started = time.monotonic()
            deadline = asyncio.timeout(budget.total - budget.spent)
            progress = _Progress()
            try:
                async with deadline:
                    return await self._exchange(url, headers, progress)
            except TimeoutError as e:
                if deadline.expired():
                    message = f"no complete response within {budget.total:g} s"
                    raise FetchError(message, status=progress.status) from e
                raise
            finally:
                budget.spent += time.monotonic() - started

    async def _exchange(self, url: httpx.URL, headers: dict[str, str], progress: _Progress) -> _Hop:
        try:
            request = self._client.build_request("GET", url, headers=headers)
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as e:
            raise FetchError(describe_transport_error(e, url.host)) from e
        except httpx.InvalidURL as e:
            # httpx prepares the next request of a redirect even when not following it,
            # and a Location such as "javascript:alert(1)" fails there.
            raise FetchError(f"invalid URL in response: {_one_line(str(e))}") from e
        progress.status = response.status_code
        try:
            return await self._read(response, progress)
        except httpx.HTTPError as e:
            reason = _mid_body(describe_transport_error(e, url.host), progress.received)
            raise FetchError(reason, status=progress.status) from e
        except FetchError as e:  # the body over the cap
            raise FetchError(str(e), status=progress.status) from e
        finally:
            await response.aclose()  # on every path, a cancelled deadline included

    async def _read(self, response: httpx.Response, progress: _Progress) -> _Hop:
        status = response.status_code
        body = b""
        if status in REDIRECT_STATUSES or status == 304:
            await _drain(response)  # followed or done with, not read: RFC 9110 §15.4.5
        elif status >= 400:
            body = await _read_error_body(response, self._limits.max_error_body)
        else:
            _check_declared_length(response, self._limits.max_body)
            body = await _read_body(response, self._limits.max_body, truncate=False, progress=progress)
        return _Hop(response.url, status, dict(response.headers.items()), body)

    # ── redirects ──

    async def _redirect_target(self, hop: _Hop, seen: set[str], count: int) -> httpx.URL:
        """Where a redirect points, or FetchError when following it breaks our rules."""
        location = hop.headers.get("location", "").strip()
        if not location:
            raise FetchError(f"redirect {hop.status} without Location")
        try:
            target = hop.url.join(location).copy_with(fragment=None)  # RFC 9110 §10.2.2: relative
        except httpx.InvalidURL as e:
            raise FetchError(f"redirect to invalid URL {location!r}") from e
        if target.scheme not in ("http", "https") or not target.host:
            raise FetchError(f"redirect to non-http(s) URL {location!r} refused")
        if str(target) in seen:
            raise FetchError(f"redirect loop at {target}")
        if count > self._limits.max_redirects:
            raise FetchError(f"too many redirects (more than {self._limits.max_redirects})")
        seen.add(str(target))
        await self._check_hop_addresses(hop.url.host, target.host)
        return target

    async def _check_hop_addresses(self, source: str, target: str) -> None:
        """Refuse a hop from a public host to a non-public address (SSRF via redirect).

        A feed that starts on a local address may redirect locally: the user asked for it.
        The target is resolved here and httpx resolves it again to connect, so a DNS answer
        that changes in between is not caught; pinning addresses needs a custom transport.
        """
        bad = first_non_public(await self._addresses(target, what="redirect target"))
        if bad is None:
            return
        try:
            source_addresses = await self._addresses(source, what="redirecting host")
        except FetchError:
            source_addresses = []  # unknown source: assume public, so refuse
        if not source_addresses or any(_is_public(a) for a in source_addresses):
            raise FetchError(f"redirect to private address {bad} refused")

    async def _addresses(self, host: str, *, what: str) -> list[str]:
        literal = _literal_ip(host)
        if literal is not None:
            return [literal]
        try:
            addresses = await self._resolve(host)
        except OSError as e:
            raise FetchError(f"DNS lookup for {what} {host} failed: {_one_line(str(e))}") from e
        if not addresses:
            raise FetchError(f"DNS lookup for {what} {host} returned no addresses")
        return addresses
