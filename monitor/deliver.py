"""Send alert webhooks (Standard Webhooks) one attempt at a time, and decide retries.

The store keeps the durable outbox; this module does no SQLite and no waiting. The
daemon drives it:

    row = store.next_due(now)                        # one (alert, endpoint) delivery
    result = await attempt(client, url, secret, message_id(alert, url), body(payload(...)), now)
    when = None if result.delivered or not result.retryable else next_attempt(n, now, result.retry_after)
    store.record(row, result, when)                  # when None and not delivered: dead letter

Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
("the spec" below). Status handling, chosen to lose as few alerts as possible:

    2xx          delivered
    410 Gone     not retried; the endpoint asked us to stop, so `disable` (spec: "should disable")
    429, 503     retried, no earlier than the Retry-After header says (capped at MAX_RETRY_AFTER)
    3xx          not followed (spec: "3xx: Failure"); retried on the schedule, since a
                 proxy fixed within the day still gets the alert; the error says to update the URL
    other 4xx/5xx, timeouts, resets
                 retried on the schedule: a 400/404 from a receiver mid-deploy or misconfigured
                 for an hour would otherwise lose the alert, and the schedule is bounded anyway
    bad URL or secret
                 not retried: no later attempt can succeed (config validation should catch these)

Concurrency: attempts to different endpoints may run at once on one `make_client()`
client. Each attempt has a total deadline (`timeout`), so a hanging receiver holds one
connection for at most that long; run at most MAX_CONNECTIONS attempts at once (e.g. an
`asyncio.Semaphore(MAX_CONNECTIONS)`) and no attempt ever waits for the pool. If a caller
does run more, the wait for a connection counts inside the same deadline.

One log line per attempt goes to the "monitor.deliver" logger, as `key=value` text with the
same fields in `extra` for structured handlers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import hashlib
import hmac
import json
import logging
import re
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import httpx

from monitor import __version__
from monitor.channels import display
from monitor.exceptions import DeliveryError, causes
from monitor.types import Stance

__all__ = [
    "DELIVERY_TIMEOUT",
    "EVENT_TYPE",
    "MAX_CONNECTIONS",
    "MAX_RETRY_AFTER",
    "RETRY_JITTER",
    "RETRY_SCHEDULE",
    "USER_AGENT",
    "Attempt",
    "attempt",
    "body",
    "endpoint_failing",
    "make_client",
    "message_id",
    "next_attempt",
    "payload",
    "sign",
    "validate_secret",
]

logger = logging.getLogger("monitor.deliver")

EVENT_TYPE = "statement.detected"
USER_AGENT = f"monitor/{__version__} (+Standard Webhooks)"

# The spec recommends "somewhere between 15 and 30s" so receivers have time to process.
DELIVERY_TIMEOUT = 15.0

# One connection per concurrently delivered endpoint; see the module docstring.
MAX_CONNECTIONS = 10
_LIMITS = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=5, keepalive_expiry=30.0)

# Delay before each attempt, counted from the previous failure: the spec's example schedule
# (also Svix's, https://docs.svix.com/retries) cut after its 8th attempt, about 27.5 h in all.
# Alerts are news: one that arrives two days late has lost its point.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)

# Each scheduled delay is stretched by a random fraction up to this one (the spec
# recommends jitter, so retries to one receiver after an outage do not arrive in lockstep).
# A tenth spreads them by up to an hour on the 10 h steps and keeps the documented
# schedule true: "after 5 s" means 5 to 5.5 s. The caller once drew from [0, 1), which
# made every wait up to twice as long (a user measured 9 m 17 s for "5 min").
RETRY_JITTER = 0.1

# Retry-After may delay an attempt this long at most: a rate limit or maintenance window
# rarely lasts longer, an absurd value ("wait a year") must not park an alert, and the
# schedule's own late steps are longer than this anyway.
MAX_RETRY_AFTER = timedelta(hours=1)

_SECRET_PREFIX = "whsec_"
# The spec: a symmetric secret is "at least 24 bytes (192 bits, 512 maximum)" (bits → 64 bytes).
_SECRET_BYTES = (24, 64)
_RETRY_AFTER_STATUSES = frozenset({429, 503})  # RFC 9110 §10.2.3, RFC 6585 §4
# C0/C1 controls except tab and newline, and the bidi overrides that can make a receiver
# display text in a different order than it is ("Trojan Source", CVE-2021-42574).
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one POST to one endpoint; from `attempt` to the store's outbox.

    `error` is one line for `monitor deliveries` ("HTTP 500", "timeout after 15 s").
    `retry_after` is the receiver's Retry-After, already capped. `disable` means the
    endpoint answered 410 Gone. `retryable` is false when delivered or when no later
    attempt can succeed.
    """

    delivered: bool
    status: int | None
    error: str | None
    retry_after: timedelta | None = None
    disable: bool = False
    retryable: bool = False

    @property
    def outcome(self) -> str:
        """One word for logs: delivered, retry, disabled or failed."""
        if self.delivered:
            return "delivered"
        if self.disable:
            return "disabled"
        return "retry" if self.retryable else "failed"


# --- signing ---------------------------------------------------------------------------


def _secret_key(secret: str) -> bytes:
    """The HMAC key inside a `whsec_…` secret; raises DeliveryError when it is not one."""
    if not secret.startswith(_SECRET_PREFIX):
        raise DeliveryError(f"webhook secret must start with {_SECRET_PREFIX!r}")
    encoded = secret.removeprefix(_SECRET_PREFIX)
    # Secrets are often shown without "=" padding; the reference libraries accept that too.
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error as e:
        raise DeliveryError(f"webhook secret after {_SECRET_PREFIX!r} is not valid base64") from e


def validate_secret(secret: str) -> str | None:
    """The problem with a configured secret, or None; never echoes the secret."""
    try:
        key = _secret_key(secret)
    except DeliveryError as e:
        return f"{e}; {_MAKE_SECRET}"
    low, high = _SECRET_BYTES
    if not low <= len(key) <= high:
        return f"webhook secret must decode to {low}–{high} bytes, not {len(key)}; {_MAKE_SECRET}"
    return None


# The fix, in every secret problem: the receiver and the monitor share this value.
_MAKE_SECRET = 'make one with: python3 -c "{}"'.format(
    "import base64,os; print('whsec_' + base64.b64encode(os.urandom(32)).decode())"
)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: "v1," + base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def message_id(alert_id: int, webhook_url: str, *, namespace: str = "") -> str:
    """The `webhook-id` of one alert to one endpoint, the same on every retry and replay.

    Receivers should dedupe on it (the spec calls it the idempotency key), so a replay
    of an alert they already have is dropped. `namespace` (e.g. an id made when the
    database was created) keeps a recreated database, whose alert ids start again at 1,
    from reusing ids a receiver has seen.
    """
    digest = hashlib.sha256(f"{namespace}\n{alert_id}\n{webhook_url}".encode()).hexdigest()
    # Hex only: the spec forbids "." in the id, which is the signature's separator.
    return f"msg_{digest[:24]}"


# --- payload ---------------------------------------------------------------------------


def _plain(text: str) -> str:
    return _UNSAFE_CHARS.sub("", text)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: the monitor passes aware UTC datetimes")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _clean(value: Any) -> Any:
    """`value` made JSON-ready: strings stripped of controls, datetimes as ISO 8601 UTC."""
    if isinstance(value, str):
        return _plain(value)
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Mapping):
        return {_plain(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_clean(v) for v in value]
    return value


def payload(
    *,
    alert_id: int,
    timestamp: datetime,
    watch: str,
    speaker: str,
    stance: Stance,
    item_id: int,
    title: str,
    link: str | None,
    feed: str,
    published: datetime,
    evidence: Sequence[str],
    sources: Sequence[Mapping[str, Any]] = (),
    seed_context: str | None = None,
) -> dict[str, Any]:
    """The webhook body for one alert, in the spec's {type, timestamp, data} shape.

    `timestamp` is when the alert was raised (the same on every retry; the attempt time
    is the `webhook-timestamp` header). `sources` are the other items carrying the
    statement, e.g. {"feed", "title", "link", "published"}.
    """
    item = {"id": item_id, "title": title, "link": link, "feed": feed, "published": published}
    data = {
        "alert_id": alert_id,
        "watch": watch,
        "speaker": speaker,
        "stance": stance,
        "item": item,
        "evidence": evidence,
        "sources": sources,
        "seed_context": seed_context,
    }
    return {"type": EVENT_TYPE, "timestamp": _iso(timestamp), "data": _clean(data)}


def body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes to sign and send: compact JSON, UTF-8 (the spec recommends minified)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


# --- one attempt -----------------------------------------------------------------------


def make_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client for webhooks: redirects not followed, MAX_CONNECTIONS, our user agent."""
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        limits=_LIMITS,
        timeout=httpx.Timeout(DELIVERY_TIMEOUT),
        headers={"user-agent": USER_AGENT},
    )


def _headers(secret: str, msg_id: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), capped; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        delay = timedelta(seconds=min(int(value), int(MAX_RETRY_AFTER.total_seconds())))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        delay = (when if when.tzinfo else when.replace(tzinfo=UTC)) - now
    return max(timedelta(0), min(delay, MAX_RETRY_AFTER))


def _failed(
    error: str,
    status: int | None = None,
    *,
    retryable: bool = True,
    retry_after: timedelta | None = None,
    disable: bool = False,
) -> Attempt:
    return Attempt(False, status, error, retry_after=retry_after, disable=disable, retryable=retryable)


def _timed_out(timeout: float) -> Attempt:
    return _failed(f"timeout after {timeout:g} s")


def _from_response(response: httpx.Response, now: datetime) -> Attempt:
    status = response.status_code
    if 200 <= status < 300:
        return Attempt(delivered=True, status=status, error=None)
    if status == 410:
        return _failed("HTTP 410 Gone: endpoint disabled", status, retryable=False, disable=True)
    if 300 <= status < 400:
        return _failed(f"redirect {status} not followed; update the webhook URL", status)
    retry_after = None
    if status in _RETRY_AFTER_STATUSES:
        retry_after = _retry_after(response.headers.get("retry-after"), now)
    return _failed(f"HTTP {status}", status, retry_after=retry_after)


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


def _from_transport_error(exc: httpx.HTTPError | httpx.InvalidURL, timeout: float) -> Attempt:
    if isinstance(exc, httpx.TimeoutException):
        return _timed_out(timeout)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return _failed(f"invalid webhook URL: {_one_line(str(exc))}", retryable=False)
    chain = causes(exc)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return _failed("connection refused")
    if any(isinstance(e, socket.gaierror) for e in chain):
        return _failed(f"name resolution failed: {_one_line(str(chain[-1]))}")
    return _failed(f"{type(exc).__name__}: {_one_line(str(exc)) or 'no detail'}")


async def _post(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    now: datetime,
    timeout: float,
) -> Attempt:
    # asyncio.timeout is the total deadline: httpx's own timeouts are per phase, so a
    # receiver trickling one byte a second would otherwise hold the slot indefinitely.
    # stream() lets us leave without reading the response body, which we never use.
    try:
        async with asyncio.timeout(timeout):
            async with client.stream("POST", url, content=body, headers=headers, timeout=timeout) as response:
                return _from_response(response, now)
    except TimeoutError:
        return _timed_out(timeout)
    except (httpx.HTTPError, httpx.InvalidURL) as e:  # InvalidURL is not an HTTPError
        return _from_transport_error(e, timeout)


def _log(url: str, msg_id: str, result: Attempt, duration: float) -> None:
    fields = {
        "url": display("webhook", url),
        "msg_id": msg_id,
        "status": result.status,
        "outcome": result.outcome,
        "error": result.error,
        "duration": round(duration, 3),
    }
    level = logging.INFO if result.delivered else logging.WARNING
    text = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
    logger.log(level, "webhook attempt %s", text, extra={"delivery": fields})


async def attempt(  # noqa: PLR0917  the outbox row supplies these six, in this order
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    msg_id: str,
    body: bytes,
    now: datetime,
    *,
    timeout: float = DELIVERY_TIMEOUT,
) -> Attempt:
    """POST `body` once to `url`, signed; every outcome is an Attempt, nothing is raised.

    `now` is the attempt time sent as `webhook-timestamp`; receivers reject it when it
    is more than a few minutes off their clock, so pass the real current time (aware).
    """
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: the monitor passes aware UTC datetimes")
    started = time.monotonic()
    try:
        headers = _headers(secret, msg_id, body, now)
    except DeliveryError as e:  # a bad secret: no later attempt can succeed either
        result = _failed(str(e), retryable=False)
    else:
        result = await _post(client, url, headers, body, now=now, timeout=timeout)
    _log(url, msg_id, result, time.monotonic() - started)
    return result


def endpoint_failing(outcome: Attempt) -> bool:
    """Whether `outcome` says the endpoint is down rather than that it refused this message:
    no answer (a timeout, a refused connection), 429, or a 5xx. Its other due messages
    then wait for the next delivery round: each of them would take the same timeout (15 s
    for each of 100 alerts kept `run --once` busy for 25 minutes), and a failing receiver
    is not sent a burst it cannot take. A 4xx is about one message; the next is tried."""
    if outcome.delivered or outcome.disable or not outcome.retryable:
        return False
    return outcome.status is None or outcome.status == HTTPStatus.TOO_MANY_REQUESTS or outcome.status >= 500


# --- retry arithmetic ------------------------------------------------------------------


def next_attempt(
    attempts_made: int, now: datetime, retry_after: timedelta | None, *, jitter: float = 0.0
) -> datetime | None:
    """When to make attempt number `attempts_made + 1`, or None when the schedule is spent.

    The delay is RETRY_SCHEDULE[attempts_made], stretched by `jitter`: a fraction in
    [0, RETRY_JITTER] the caller draws (`RETRY_JITTER * rng.random()`). Anything outside
    is refused, not clamped: it is a caller's mistake, and clamping would hide it.
    Retry-After may only push the attempt later, up to MAX_RETRY_AFTER; it never brings
    an attempt earlier than the schedule.
    """
    if attempts_made < 0:
        raise ValueError(f"attempts_made must be >= 0, not {attempts_made}")
    if not 0.0 <= jitter <= RETRY_JITTER:
        raise ValueError(f"jitter must be a fraction in [0, RETRY_JITTER = {RETRY_JITTER}], not {jitter}")
    if attempts_made >= len(RETRY_SCHEDULE):
        return None
    delay = RETRY_SCHEDULE[attempts_made] * (1.0 + jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return now + delay
