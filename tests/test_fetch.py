"""monitor.fetch over httpx.MockTransport: headers, statuses, redirects, limits, errors."""

from __future__ import annotations

import asyncio
import functools
import gzip
import socket
import ssl
import tracemalloc
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest

from monitor.exceptions import FetchError
from monitor.fetch import (
    DEFAULT_LIMITS,
    USER_AGENT,
    Fetcher,
    FetchLimits,
    MiB,
    first_non_public,
    make_client,
)
from monitor.types import FetchResult, Validators

T = TypeVar("T")
Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)

FEED = "https://news.example/feed.xml"
RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"

# What the fake DNS knows; every other name fails like a real NXDOMAIN.
HOSTS = {
    "news.example": ["93.184.216.34"],
    "mirror.example": ["93.184.216.35", "2606:2800:220:1:248:1893:25c8:1946"],
    "intranet.example": ["192.168.1.1"],
    "split.example": ["93.184.216.36", "10.1.2.3"],
    "localhost": ["127.0.0.1", "::1"],
}


async def fake_resolver(host: str) -> list[str]:
    if host not in HOSTS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return HOSTS[host]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def make_fetcher(handler: Handler, limits: FetchLimits = DEFAULT_LIMITS) -> Fetcher:
    client = make_client(httpx.MockTransport(handler), limits)
    return Fetcher(client, limits=limits, resolver=fake_resolver)


async def afetch(
    handler: Handler,
    url: str = FEED,
    validators: Validators | None = None,
    limits: FetchLimits = DEFAULT_LIMITS,
) -> FetchResult:
    async with make_fetcher(handler, limits) as fetcher:
        return await fetcher.fetch(url, validators or Validators())


def fetch(
    handler: Handler,
    url: str = FEED,
    validators: Validators | None = None,
    limits: FetchLimits = DEFAULT_LIMITS,
) -> FetchResult:
    return run(afetch(handler, url, validators, limits))


def fetch_error(handler: Handler, url: str = FEED, limits: FetchLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(FetchError) as info:
        fetch(handler, url, limits=limits)
    message = str(info.value)
    assert "\n" not in message
    return message


def raw(status: int, headers: dict[str, str], body: bytes) -> httpx.Response:
    """A response whose body is still to be streamed, as from a real transport.

    `httpx.Response(content=...)` reads and decodes its body at once, which would bypass
    (and, for a gzip bomb, defeat) the bounded decoding under test.
    """
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def feed(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": "application/rss+xml"}, content=RSS)


def redirects(chain: dict[str, tuple[int, str]]) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering each URL in `chain` with (status, Location) and the rest with the feed."""

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) in chain:
            status, location = chain[str(request.url)]
            return httpx.Response(status, headers={"Location": location} if location else {})
        return feed(request)

    return handler


# ── request headers, statuses, response headers ──


def test_conditional_and_identifying_headers_are_sent() -> None:
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(304)

    validators = Validators(etag='"abc"', last_modified="Sat, 01 Mar 2025 10:00:00 GMT")
    result = fetch(handler, validators=validators)
    (headers,) = seen
    assert headers["if-none-match"] == '"abc"'
    assert headers["if-modified-since"] == "Sat, 01 Mar 2025 10:00:00 GMT"
    assert headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("monitor/")
    assert headers["accept"].startswith("application/atom+xml")
    assert headers["accept-encoding"] == "gzip, deflate"
    assert result.not_modified
    assert result.body == b""


def test_no_conditional_headers_without_validators() -> None:
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return feed(request)

    fetch(handler)
    assert "if-none-match" not in seen[0]
    assert "if-modified-since" not in seen[0]


def test_200_returns_body_and_lower_cased_headers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = [("ETag", '"v2"'), ("X-Multi", "a"), ("x-multi", "b"), ("Content-Type", "text/xml")]
        return httpx.Response(200, headers=headers, content=RSS)

    result = fetch(handler)
    assert (result.status, result.body, result.url) == (200, RSS, FEED)
    assert result.headers["etag"] == '"v2"'
    assert result.headers["x-multi"] == "a, b"
    assert all(key == key.lower() for key in result.headers)
    assert result.permanent_url is None
    assert result.elapsed >= 0


@pytest.mark.parametrize("status", [204, 400, 404, 410, 429, 500, 503])
def test_any_final_status_is_a_result_not_an_error(status: int) -> None:
    result = fetch(lambda r: httpx.Response(status, headers={"Retry-After": "120"}, content=b"nope"))
    assert result.status == status
    assert result.headers["retry-after"] == "120"


def test_error_body_is_read_but_kept_small() -> None:
    limits = FetchLimits(max_error_body=1024)
    result = fetch(lambda r: httpx.Response(500, content=b"x" * 100_000), limits=limits)
    assert result.body == b"x" * 1024


def test_undecodable_error_body_still_gives_the_status() -> None:
    bad_gzip = raw(502, {"Content-Encoding": "gzip"}, b"not gzip")
    assert fetch(lambda r: bad_gzip).status == 502


@pytest.mark.parametrize("url", ["ftp://news.example/feed", "file:///etc/passwd", "not a url", "http://"])
def test_unusable_url_is_refused(url: str) -> None:
    assert "URL" in fetch_error(feed, url)


# ── redirects ──


def test_permanent_redirects_report_the_new_url() -> None:
    chain = {FEED: (301, "https://news.example/rss"), "https://news.example/rss": (308, "/final.xml")}
    result = fetch(redirects(chain))
    assert result.url == "https://news.example/final.xml"
    assert result.permanent_url == "https://news.example/final.xml"
    assert result.body == RSS


def test_a_temporary_hop_means_no_permanent_url() -> None:
    chain = {FEED: (301, "https://news.example/rss"), "https://news.example/rss": (302, "/final.xml")}
    result = fetch(redirects(chain))
    assert result.url == "https://news.example/final.xml"
    assert result.permanent_url is None


def test_redirect_to_another_public_host_is_followed() -> None:
    result = fetch(redirects({FEED: (307, "http://mirror.example/feed")}))
    assert result.url == "http://mirror.example/feed"


def _chain_of(hops: int) -> dict[str, tuple[int, str]]:
    urls = [FEED] + [f"https://news.example/{n}" for n in range(1, hops + 1)]
    return {urls[n]: (302, urls[n + 1]) for n in range(hops)}


def test_five_redirects_are_followed() -> None:
    assert fetch(redirects(_chain_of(5))).url == "https://news.example/5"


def test_six_redirects_are_too_many() -> None:
    assert fetch_error(redirects(_chain_of(6))) == "too many redirects (more than 5)"


def test_redirect_loop_is_refused() -> None:
    chain = {FEED: (302, "https://news.example/a"), "https://news.example/a": (302, FEED)}
    assert fetch_error(redirects(chain)) == f"redirect loop at {FEED}"


def test_redirect_without_location_is_refused() -> None:
    assert fetch_error(redirects({FEED: (302, "")})) == "redirect 302 without Location"


@pytest.mark.parametrize(
    "location", ["ftp://news.example/feed", "file:///etc/passwd", "gopher://news.example/1"]
)
def test_redirect_to_non_http_is_refused(location: str) -> None:
    assert (
        fetch_error(redirects({FEED: (302, location)})) == f"redirect to non-http(s) URL {location!r} refused"
    )


def test_redirect_to_a_malformed_url_is_refused() -> None:
    message = fetch_error(redirects({FEED: (302, "javascript:alert(1)")}))
    assert message.startswith("invalid URL in response")


@pytest.mark.parametrize(
    ("location", "address"),
    [
        ("http://10.0.0.1/feed", "10.0.0.1"),
        ("http://127.0.0.1:8080/", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://intranet.example/feed", "192.168.1.1"),  # a name that resolves privately
        ("http://split.example/feed", "10.1.2.3"),  # one private address is enough
        ("http://localhost/feed", "127.0.0.1"),
        ("http://[::1]/feed", "::1"),
        ("http://[::ffff:10.0.0.1]/feed", "::ffff:a00:1"),  # IPv4-mapped
        ("http://0.0.0.0/feed", "0.0.0.0"),
    ],
)
def test_redirect_from_public_to_private_is_refused(location: str, address: str) -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return redirects({FEED: (302, location)})(request)

    assert fetch_error(handler) == f"redirect to private address {address} refused"
    assert requested == [FEED]  # the private target was never contacted


def test_local_feed_may_redirect_locally() -> None:
    start = "http://127.0.0.1:8080/feed"
    chain = {start: (301, "http://localhost:8080/moved"), "http://localhost:8080/moved": (302, "/x")}
    assert fetch(redirects(chain), start).url == "http://localhost:8080/x"


def test_redirect_to_unresolvable_host_fails_on_dns() -> None:
    message = fetch_error(redirects({FEED: (302, "https://nowhere.invalid/feed")}))
    assert message.startswith("DNS lookup for redirect target nowhere.invalid failed")


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        (["93.184.216.34"], None),
        (["93.184.216.34", "100.64.0.1"], "100.64.0.1"),  # carrier-grade NAT
        (["224.0.0.1"], "224.0.0.1"),  # multicast
        (["fe80::1%eth0"], "fe80::1%eth0"),
        (["fc00::1"], "fc00::1"),
        (["not-an-address"], "not-an-address"),
    ],
)
def test_first_non_public(addresses: list[str], expected: str | None) -> None:
    assert first_non_public(addresses) == expected


# ── body limits and decoding ──


def test_body_over_cap_is_refused_naming_the_cap() -> None:
    limits = FetchLimits(max_body=1 * MiB)
    body = b"<rss>" + b"x" * MiB
    assert fetch_error(lambda r: raw(200, {}, body), limits=limits) == "body over 1 MiB"


def test_declared_length_over_cap_is_refused_before_reading() -> None:
    pulled: list[int] = []

    async def stream() -> AsyncIterator[bytes]:
        pulled.append(1)
        yield b"x"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(20 * MiB)}, content=stream())

    assert fetch_error(handler) == f"body over 15 MiB (Content-Length {20 * MiB})"
    assert pulled == []


def test_reading_stops_at_the_cap() -> None:
    chunk = b"x" * 65536
    pulled: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            pulled.append(len(chunk))
            yield chunk

    limits = FetchLimits(max_body=MiB)
    assert fetch_error(lambda r: httpx.Response(200, content=endless()), limits=limits) == "body over 1 MiB"
    assert sum(pulled) <= MiB + len(chunk)


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes gzipped, built a MiB at a time (about 1,000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MiB)
    return b"".join(packer.compress(zeros) for _ in range(size // MiB)) + packer.flush()


def test_gzip_bomb_is_cut_on_the_decompressed_size() -> None:
    bomb = gzip_bomb(100 * MiB)
    assert len(bomb) < MiB

    def handler(request: httpx.Request) -> httpx.Response:
        return raw(200, {"Content-Encoding": "gzip"}, bomb)

    tracemalloc.start()
    try:
        message = fetch_error(handler)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == "body over 15 MiB"
    # The body up to the cap plus one inflate step, with room for bytearray growth; an
    # unbounded decoder would have held the whole 100 MiB.
    assert peak < 1.5 * DEFAULT_LIMITS.max_body


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as RFC 9110 §8.4.1.2 says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("identity", lambda b: b),
    ],
)
def test_compressed_bodies_are_decoded(coding: str, encode: Callable[[bytes], bytes]) -> None:
    body = RSS * 100
    result = fetch(lambda r: raw(200, {"Content-Encoding": coding}, encode(body)))
    assert result.body == body


def test_a_body_the_transport_already_read_is_capped_too() -> None:
    # httpx.MockTransport with content=... hands over a body httpx already read and decoded.
    limits = FetchLimits(max_body=1024)
    zipped = gzip.compress(b"x" * 2048)
    response = httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=zipped)
    assert response.content == b"x" * 2048
    assert fetch_error(lambda r: response, limits=limits) == "body over 1 KiB"


def test_corrupt_gzip_is_an_error() -> None:
    corrupt = raw(200, {"Content-Encoding": "gzip"}, b"\x1f\x8bnot really")
    assert fetch_error(lambda r: corrupt).startswith("could not decode gzip body")


@pytest.mark.parametrize("coding", ["br", "gzip, gzip", "zstd"])
def test_unsupported_content_encoding_is_an_error(coding: str) -> None:
    response = raw(200, {"Content-Encoding": coding}, b"??")
    assert fetch_error(lambda r: response) == f"unsupported Content-Encoding {coding!r}"


# ── transport errors and the deadline ──


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def _chained(outer: Exception, cause: BaseException) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            _chained(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known")),
            "DNS lookup failed for news.example: [Errno -2] Name or service not known",
        ),
        (
            _chained(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "certificate verify failed")),
            "TLS failed: certificate verify failed",
        ),
        (
            _chained(httpx.ConnectError("x"), ConnectionRefusedError(111, "Connection refused")),
            "connection refused: [Errno 111] Connection refused",
        ),
        (httpx.ConnectTimeout("timed out"), "connect timed out: timed out"),
        (httpx.ReadTimeout("timed out"), "read timed out: timed out"),
        (httpx.RemoteProtocolError("illegal\nheader"), "server broke the HTTP protocol: illegal header"),
        (httpx.ReadError(""), "connection lost while reading"),
    ],
)
def test_transport_errors_are_wrapped_with_a_named_reason(exc: Exception, expected: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(_raise(exc))
    assert str(info.value) == expected
    assert info.value.__cause__ is exc


def test_deadline_covers_a_response_that_never_comes() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()  # never set: the deadline must end this
        raise AssertionError("unreachable")

    limits = FetchLimits(deadline=0.05)
    assert fetch_error(handler, limits=limits) == "no complete response within 0.05 s"


class StalledStream(httpx.AsyncByteStream):
    """Sends one chunk and then nothing, remembering whether it was closed."""

    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"<rss>"
        await asyncio.Event().wait()

    async def aclose(self) -> None:
        self.closed = True


def test_deadline_covers_the_body_and_closes_the_response() -> None:
    stream = StalledStream()
    limits = FetchLimits(deadline=0.05)
    message = fetch_error(lambda r: httpx.Response(200, stream=stream), limits=limits)
    assert message == "no complete response within 0.05 s"
    assert stream.closed


# ── concurrency ──


def test_per_host_and_global_limits_hold() -> None:
    active: Counter[str] = Counter()
    peaks: Counter[str] = Counter()

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        active[host] += 1
        peaks[host] = max(peaks[host], active[host])
        peaks["*"] = max(peaks["*"], active.total())
        for _ in range(5):
            await asyncio.sleep(0)  # yield, so the other requests pile up
        active[host] -= 1
        return feed(request)

    limits = FetchLimits(max_per_host=3, max_in_flight=5)
    urls = [f"https://{host}/feed{n}" for n in range(12) for host in ("news.example", "mirror.example")]

    async def main() -> list[FetchResult]:
        async with make_fetcher(handler, limits) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(url, Validators()) for url in urls))

    results = run(main())
    assert [r.status for r in results] == [200] * len(urls)
    assert peaks["news.example"] == 3
    assert peaks["mirror.example"] == 3
    assert peaks["*"] == 5
