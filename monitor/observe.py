"""How the outside sees the daemon: Prometheus metrics, /healthz, and systemd readiness.

    monitor run --http 127.0.0.1:9180
        GET /metrics   Prometheus text format (prometheus_client), counters since start
        GET /healthz   200 {"status": "ok"} while the scheduler runs and the database
                       answers a query; 503 {"status": "unavailable", "reason": ...} otherwise

The pipeline and the daemon report through the small `record_*` hooks below; they only
bump in-memory counters (thread-safe), so they cost nothing when no one scrapes, and
`run --once` and `monitor eval` may call them freely. The HTTP server is a plain WSGI
server on its own thread, so a slow scraper never touches the event loop.

`sd_notify` is systemd's readiness protocol (sd_notify(3)): one datagram to the unix
socket named by $NOTIFY_SOCKET. It is a dozen lines, so no dependency.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

from monitor.exceptions import MonitorError

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from monitor.deliver import Attempt
    from monitor.pipeline import PollOutcome
    from monitor.types import FeedState, Sameness

__all__ = [
    "REGISTRY",
    "Endpoint",
    "parse_address",
    "record_alert",
    "record_delivery",
    "record_item",
    "record_poll",
    "sd_notify",
    "track_feeds",
]

log = logging.getLogger("monitor.observe")

# Our own registry: only the monitor's metrics and the process collector, and tests can
# read it without the default registry's global state.
REGISTRY = CollectorRegistry()
POLLS = Counter(
    "monitor_polls",
    "Feed polls by HTTP status class (none: no response) and result (ok, not_modified, error).",
    ["status", "result"],
    registry=REGISTRY,
)
# Polls are a whole fetch + parse: from tens of milliseconds to the fetch deadline.
POLL_SECONDS = Histogram(
    "monitor_poll_duration_seconds",
    "Time to fetch, parse and normalise one feed.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
ITEMS = Counter("monitor_items_stored", "New items stored.", registry=REGISTRY)
DUPLICATES = Counter(
    "monitor_items_duplicate",
    "New items stored as a copy of an earlier item (duplicate_of).",
    registry=REGISTRY,
)
SEED_DUPLICATES = Counter(
    "monitor_items_seed_duplicate", "New items that only re-report a seed story (seed).", registry=REGISTRY
)
ALERTS = Counter("monitor_alerts_raised", "Alerts raised (one per statement).", registry=REGISTRY)
DELIVERIES = Counter(
    "monitor_deliveries",
    "Webhook delivery attempts by outcome: delivered, retry, dead, disabled (410 Gone).",
    ["outcome"],
    registry=REGISTRY,
)
FEEDS_IN_ERROR = Gauge(
    "monitor_feeds_in_error", "Feeds whose last poll failed (see `monitor feeds`).", registry=REGISTRY
)
try:  # the process collector needs /proc; without it the monitor's own metrics still work
    from prometheus_client import ProcessCollector

    ProcessCollector(registry=REGISTRY)
except OSError:  # pragma: no cover - not Linux
    pass


# ----------------------------------------------------------------- hooks ---


def record_poll(outcome: PollOutcome) -> None:
    """One feed poll, as logged by the pipeline's poll line."""
    state = outcome.state
    result = "error" if state.last_error else "not_modified" if state.status == 304 else "ok"
    status = f"{state.status // 100}xx" if state.status else "none"
    POLLS.labels(status=status, result=result).inc()
    POLL_SECONDS.observe(outcome.duration)


def record_item(sameness: Sameness) -> None:
    """One new item stored, with what dedupe decided for it."""
    ITEMS.inc()
    if sameness.duplicate_of is not None:
        DUPLICATES.inc()
    if sameness.seed is not None:
        SEED_DUPLICATES.inc()


def record_alert() -> None:
    ALERTS.inc()


def record_delivery(attempt: Attempt, state: str) -> None:
    """One delivery attempt and the outbox state it left (delivered, pending, dead)."""
    outcome = "disabled" if attempt.disable else "retry" if state == "pending" else state
    DELIVERIES.labels(outcome=outcome).inc()


def track_feeds(states: Callable[[], Iterable[FeedState]]) -> None:
    """Compute the feeds-in-error gauge from the daemon's live feed states at each scrape."""
    FEEDS_IN_ERROR.set_function(lambda: sum(1 for s in list(states()) if s.last_error))


# -------------------------------------------------------------- endpoint ---


def parse_address(text: str) -> tuple[str, int]:
    """'127.0.0.1:9180' or '[::1]:9180' → (host, port); ValueError with a reason otherwise."""
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9180)")
    return host, int(port)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes every few seconds: no log line
        pass


class Endpoint:
    """/metrics and /healthz on HOST:PORT, served from a thread until `close`.

    `health` returns None when healthy, else a short reason for the 503.
    """

    def __init__(self, host: str, port: int, health: Callable[[], str | None]) -> None:
        self.health = health
        self._metrics = make_wsgi_app(REGISTRY)
        server_class = _Server6 if ":" in host else _Server
        try:
            self._server = make_server(host, port, self._app, server_class, _QuietHandler)
        except OSError as e:
            raise MonitorError(f"--http {host}:{port}: cannot listen ({e.strerror or e})") from e
        self._thread = threading.Thread(target=self._server.serve_forever, name="monitor-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        log.info("serving /metrics and /healthz on port %d", self.port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return self._metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            return self._healthz(start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics or /healthz\n"]

    def _healthz(self, start_response: StartResponse) -> list[bytes]:
        try:
            reason = self.health()
        except Exception as e:  # a failing check is an unhealthy daemon, not a crashed endpoint
            reason = f"{type(e).__name__}: {e}"
        body = {"status": "ok"} if reason is None else {"status": "unavailable", "reason": reason}
        status = "200 OK" if reason is None else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
        return [json.dumps(body).encode()]


# --------------------------------------------------------------- systemd ---


def sd_notify(message: str) -> bool:
    """Send `message` (e.g. "READY=1") to systemd; False when not run by systemd (no-op)."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if address.startswith("@"):  # an abstract socket: a leading NUL byte on the wire
        address = "\0" + address[1:]
    elif not address.startswith("/"):  # unset, or a vsock address (VMs), which we do not need
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as e:
        log.warning("sd_notify %r failed: %s", message, e)
        return False
    return True
