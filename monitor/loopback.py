"""Loopback servers for `monitor eval`, the tests and the benchmarks (127.0.0.1 only).

`FeedServer` serves feed documents that can change between polls, honouring ETag and
Last-Modified like a well-behaved news site; `HookRecorder` is a minimal webhook
endpoint that records and checks what it receives. Both bind to 127.0.0.1 on a free
port and stop when their `with` block ends. (The test suite verifies deliveries with
the independent `standardwebhooks` package in tests/receiver.py; this recorder exists so
`monitor eval` works without test dependencies.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from xml.sax.saxutils import escape

from monitor import deliver

__all__ = ["Document", "FeedServer", "HookRecorder", "rss"]


def rss(title: str, entries: Iterable[Mapping[str, Any]]) -> bytes:
    """A plain RSS 2.0 document; entries have title, link, summary, published (datetime), guid."""
    parts = [
        f"<?xml version='1.0' encoding='utf-8'?>\n<rss version='2.0'><channel><title>{escape(title)}</title>"
    ]
    for e in entries:
        published = e.get("published")
        date = f"<pubDate>{format_datetime(published)}</pubDate>" if isinstance(published, datetime) else ""
        guid = f"<guid isPermaLink='false'>{escape(str(e['guid']))}</guid>" if e.get("guid") else ""
        parts.append(
            f"<item><title>{escape(e['title'])}</title><link>{escape(e.get('link') or '')}</link>"
            f"<description>{escape(e.get('summary') or '')}</description>{date}{guid}</item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


@dataclass(slots=True)
class Document:
    """What the server answers for one path."""

    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    delay: float = 0.0  # seconds this path answers late, on top of the server's latency

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Loopback:
    """A threaded HTTP server on a free loopback port, stopped when its `with` block ends."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> None:
        self._server = _Server((host, 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def _url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


class FeedServer(_Loopback):
    """Serves `Document`s by path; conditional GET answered with 304 as a real site would."""

    def __init__(self, *, latency: float = 0.0, host: str = "127.0.0.1", conditional: bool = True) -> None:
        self.documents: dict[str, Document] = {}
        self.latency = latency
        # False: a site that sends no validators and answers every GET with the whole body.
        self.conditional = conditional
        self.requests = 0
        self.not_modified = 0
        self._lock = threading.Lock()
        super().__init__(self._handler(), host)

    def url(self, path: str) -> str:
        return self._url(path)

    def put(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/rss+xml; charset=utf-8",
        *,
        delay: float = 0.0,
    ) -> None:
        """Publish (or replace) a document; unchanged bytes keep their validators.

        `delay` makes this path answer late, so a test can fix which feed arrives first.
        """
        with self._lock:
            old = self.documents.get(path)
            if old is None or old.body != body:
                self.documents[path] = Document(body, content_type, delay=delay)
            else:
                old.delay = delay

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if server.latency:
                    time.sleep(server.latency)
                with server._lock:
                    server.requests += 1
                    doc = server.documents.get(self.path)
                if doc is not None and doc.delay:
                    time.sleep(doc.delay)
                if doc is None:
                    self._send(404, b"not found", "text/plain", {})
                    return
                validators = {"ETag": doc.etag, "Last-Modified": format_datetime(doc.modified, usegmt=True)}
                if not server.conditional:
                    validators = {}
                elif self.headers.get("If-None-Match") == doc.etag:
                    with server._lock:
                        server.not_modified += 1
                    self._send(304, b"", doc.content_type, validators)
                    return
                self._send(200, doc.body, doc.content_type, validators)

            def _send(self, status: int, body: bytes, ctype: str, headers: Mapping[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@dataclass(frozen=True, slots=True)
class Hook:
    """One webhook request as recorded."""

    webhook_id: str
    verified: bool
    payload: Any
    received: float


class HookRecorder(_Loopback):
    """Records webhooks at `url`, answering 200, and checks their signature."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.hooks: list[Hook] = []
        self._lock = threading.Lock()
        self.arrived = threading.Condition(self._lock)
        super().__init__(self._handler())

    @property
    def url(self) -> str:
        return self._url("/hook")

    def _record(self, headers: Mapping[str, str], body: bytes) -> None:
        msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "0")
        expected = deliver.sign(self.secret, msg_id, int(stamp), body)
        signatures = headers.get("webhook-signature", "").split()
        verified = any(hmac.compare_digest(expected, s) for s in signatures)
        with self.arrived:
            self.hooks.append(Hook(msg_id, verified, json.loads(body or b"null"), time.perf_counter()))
            self.arrived.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder._record({k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
