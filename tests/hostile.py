"""A hostile feed server on 127.0.0.1, for tests/test_hostile.py.

Every path plays one attack or failure a real server can inflict on a feed reader:

    /billion-laughs.xml   nested entities: 10^9 "lol"s from a 1 KB document
    /quadratic.xml        one 100 KB entity referenced 20,000 times (2 GB of text)
    /xxe-file.xml         an external entity naming a local file (the canary)
    /xxe-fifo.xml         an external entity naming a FIFO: opening it would be seen
    /dtd-fifo.xml         an external DTD (no entity declaration) naming the FIFO
    /gzip-bomb.xml        gzip that inflates to 1 GiB, made lazily (~1 KB per MiB sent)
    /big-declared.xml     50 MB with a Content-Length that says so
    /big-stream.xml       50 MB without Content-Length, streamed until the client hangs up
    /trickle.xml          1 byte every 0.5 s, forever
    /silent.xml           reads the request, never answers
    /loop-a, /loop-b      a redirect loop
    /chain/0 … /chain/30  a 30-hop redirect chain
    /to-loopback, /to-private, /to-metadata, /to-rebind
                          redirects to 127.0.0.1, 10.x, 169.254.169.254 and a name the test
                          resolver maps to 10.x (only fetched as http://localhost, which the
                          test resolver calls public)
    /429-seconds, /503-date, /429-ten-years
                          throttled with Retry-After: 7200 s, an HTTP date 3 h ahead, 10 years
    /html, /empty, /404, /500, /flaky
                          not a feed, no body, errors; /flaky fails while `server.flaky` is set

Bodies are produced while sending, so the server itself stays small. A `with` block
starts and stops it; stopping releases the trickling and silent handlers.
"""

from __future__ import annotations

import contextlib
import os
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from monitor.loopback import rss

__all__ = ["GOOD_FEED", "FifoWatch", "HostileServer"]

MiB = 1024 * 1024
BOMB_INFLATED = 1024 * MiB
BIG_BODY = 50 * 1000 * 1000
CHAIN_HOPS = 30
HOLD_LIMIT = 30.0  # no handler holds a connection longer than this
LONG_QUERY = "pad=" + "x" * 20_000  # a redirect target as long as a hostile server likes

GOOD_FEED = rss(
    "Good",
    [
        {
            "guid": f"good-{i}",
            "title": f"Good story {i}",
            "link": f"https://good.example/{i}",
            "summary": "Fine.",
            "published": datetime(2025, 11, 19, 9, i, tzinfo=UTC),
        }
        for i in range(3)
    ],
)

_FEED_HEAD = b"<?xml version='1.0'?><rss version='2.0'><channel><title>"


def billion_laughs() -> bytes:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return (
        "<?xml version='1.0'?>\n<!DOCTYPE rss [\n" + "\n".join(levels) + "\n]>\n"
        "<rss version='2.0'><channel><title>&lol9;</title>"
        "<item><title>&lol9;</title><guid>x</guid></item></channel></rss>"
    ).encode()


def quadratic_blowup() -> bytes:
    return (
        "<?xml version='1.0'?>\n<!DOCTYPE rss [<!ENTITY a \"" + "a" * 100_000 + '">]>\n'
        "<rss version='2.0'><channel><title>t</title><item><title>" + "&a;" * 20_000 + "</title>"
        "<guid>x</guid></item></channel></rss>"
    ).encode()


def external_entity(path: Path) -> bytes:
    return (
        f"<?xml version='1.0'?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file://{path}\">]>\n"
        "<rss version='2.0'><channel><title>&xxe;</title>"
        "<item><title>&xxe;</title><description>&xxe;</description><guid>x</guid></item></channel></rss>"
    ).encode()


def external_dtd(path: Path) -> bytes:
    return (
        f"<?xml version='1.0'?>\n<!DOCTYPE rss SYSTEM \"file://{path}\">\n"
        "<rss version='2.0'><channel><title>t</title>"
        "<item><title>External DTD</title><guid>dtd-1</guid></item></channel></rss>"
    ).encode()


def gzip_bomb(inflated: int = BOMB_INFLATED) -> Iterator[bytes]:
    """A gzip stream of a feed head and `inflated` bytes of spaces, compressed as it goes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip wrapper
    yield packer.compress(_FEED_HEAD)
    block = b" " * MiB
    for _ in range(inflated // MiB):
        if piece := packer.compress(block):
            yield piece
    yield packer.flush()


def big_body(size: int = BIG_BODY) -> Iterator[bytes]:
    yield _FEED_HEAD
    block = b"x" * (64 * 1024)
    sent = len(_FEED_HEAD)
    while sent < size:
        piece = block[: size - sent]
        sent += len(piece)
        yield piece


class FifoWatch:
    """A FIFO that notices whether anyone opened it for reading.

    A writer open blocks until a reader appears, so a thread blocked in it is released
    exactly when something tries to read the path. `close` releases it itself.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.opened = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._closing:
            fd = os.open(self.path, os.O_WRONLY)
            if not self._closing:
                self.opened.set()
            os.close(fd)

    def close(self) -> None:
        self._closing = True
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # releases the blocked writer open
        self._thread.join(2)
        os.close(fd)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class HostileServer:
    """Serves the paths in the module docstring on 127.0.0.1:<free port>."""

    def __init__(self, canary: Path, fifo: Path) -> None:
        self.canary = canary
        self.fifo = fifo
        self.flaky = True
        self.closing = threading.Event()
        self.requests: list[str] = []
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()


def _handler(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # close-delimited bodies

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            server.requests.append(self.path)
            with contextlib.suppress(OSError):  # the client hanging up is the point of most paths
                self._route()

        def _route(self) -> None:  # noqa: PLR0912 - a table of behaviours
            path = self.path
            if path == "/billion-laughs.xml":
                self._send(200, billion_laughs())
            elif path == "/quadratic.xml":
                self._send(200, quadratic_blowup())
            elif path == "/xxe-file.xml":
                self._send(200, external_entity(server.canary))
            elif path == "/xxe-fifo.xml":
                self._send(200, external_entity(server.fifo))
            elif path == "/dtd-fifo.xml":
                self._send(200, external_dtd(server.fifo))
            elif path == "/gzip-bomb.xml":
                self._stream(gzip_bomb(), {"Content-Encoding": "gzip"})
            elif path == "/big-declared.xml":
                self._stream(big_body(), {"Content-Length": str(BIG_BODY)})
            elif path == "/big-stream.xml":
                self._stream(big_body(), {})
            elif path == "/trickle.xml":
                self._trickle()
            elif path == "/silent.xml":
                server.closing.wait(HOLD_LIMIT)
            elif path in ("/loop-a", "/loop-b"):
                self._redirect("/loop-b" if path == "/loop-a" else "/loop-a")
            elif path.startswith("/long-loop"):  # a loop whose every address is 20,000 characters
                other = "/long-loop-b?" if path.startswith("/long-loop-a") else "/long-loop-a?"
                self._redirect(other + LONG_QUERY)
            elif path.startswith("/chain/"):
                hop = int(path.rsplit("/", 1)[1])
                if hop < CHAIN_HOPS:
                    self._redirect(f"/chain/{hop + 1}")
                else:
                    self._send(200, GOOD_FEED)
            elif path == "/to-loopback":
                self._redirect(server.url("/good.xml"))
            elif path == "/to-private":
                self._redirect("http://10.1.2.3/feed.xml")
            elif path == "/to-metadata":
                self._redirect("http://169.254.169.254/latest/meta-data/")
            elif path == "/to-rebind":
                self._redirect("http://internal.test/feed.xml")
            elif path == "/429-seconds":
                self._send(429, b"slow down", {"Retry-After": "7200"}, "text/plain")
            elif path == "/503-date":
                later = format_datetime(datetime.now(UTC) + timedelta(hours=3), usegmt=True)
                self._send(503, b"maintenance", {"Retry-After": later}, "text/plain")
            elif path == "/429-ten-years":
                self._send(429, b"go away", {"Retry-After": str(10 * 365 * 24 * 3600)}, "text/plain")
            elif path == "/html":
                self._send(200, b"<!doctype html><html><body><h1>Welcome</h1></body></html>", {}, "text/html")
            elif path == "/empty":
                self._send(200, b"")
            elif path == "/500":
                self._send(500, b"internal error", {}, "text/plain")
            elif path == "/flaky":
                if server.flaky:
                    self._send(500, b"down", {}, "text/plain")
                else:
                    self._send(200, GOOD_FEED)
            elif path == "/good.xml":
                self._send(200, GOOD_FEED)
            else:
                self._send(404, b"not found", {}, "text/plain")

        def _send(
            self,
            status: int,
            body: bytes,
            headers: dict[str, str] | None = None,
            content_type: str = "application/rss+xml",
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, pieces: Iterator[bytes], headers: dict[str, str]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            for piece in pieces:
                if server.closing.is_set():
                    return
                self.wfile.write(piece)

        def _redirect(self, location: str) -> None:
            self._send(302, b"", {"Location": location}, "text/plain")

        def _trickle(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.flush()
            for byte in _FEED_HEAD * 100:
                if server.closing.wait(0.5):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()

    return Handler


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with `cryptography` (a test dependency)."""
    import ipaddress  # noqa: PLC0415

    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path
