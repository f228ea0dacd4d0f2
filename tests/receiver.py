"""A real Standard Webhooks receiver on 127.0.0.1, for tests.

It verifies every request with the independent `standardwebhooks` library (not with
monitor.deliver, which is what is under test), records it, and answers from a script:

    with Receiver(SECRET, script=[500, Reply(429, {"retry-after": "120"}), HANG, 200]) as hook:
        ...deliver to hook.url...
        hook.wait_for(3)
    assert hook.accepted_ids == [msg_id]

Script entries are a status (int) or a Reply; once the script is spent every request
gets `then` (200 unless told). A bare 3xx gets a Location on this same receiver, so a
client that followed it would show up as a second request. HANG holds the request
unanswered until the receiver closes (or `hang_limit` passes). Leaving the `with`
block stops the server and releases hung requests.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from monitor import deliver

__all__ = ["HANG", "Received", "Receiver", "Reply"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status with extra headers, or a hang.

    `trickle` (seconds) sends the headers one line at a time with that pause between
    lines, 50 lines in all: every single read is quick, the whole answer is not.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    hang: bool = False
    trickle: float = 0.0


HANG = Reply(hang=True)


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it; `answered` is None when it was held (HANG)."""

    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    payload: Any  # the verified JSON, or None when verification failed
    error: str | None  # why verification failed
    answered: int | None

    @property
    def verified(self) -> bool:
        return self.error is None

    @property
    def webhook_id(self) -> str | None:
        return self.headers.get("webhook-id")


class Receiver:
    """A threaded loopback HTTP server that verifies, records and answers webhooks."""

    def __init__(
        self,
        secret: str,
        script: Iterable[int | Reply] = (),
        *,
        then: int | Reply = 200,
        strict_timestamp: bool = True,
        hang_limit: float = 30.0,
    ) -> None:
        """`strict_timestamp=False` skips the library's ±5 min freshness check, for
        tests that deliver with a fixed clock; the signature is still checked."""
        self._webhook = Webhook(secret)
        self._script = [_reply(r) for r in script]
        self._then = _reply(then)
        self._strict = strict_timestamp
        self._hang_limit = hang_limit
        self._requests: list[Received] = []
        self._changed = threading.Condition()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # --- lifecycle ---

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()  # releases hung handlers
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    # --- what was received ---

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    @property
    def requests(self) -> list[Received]:
        with self._changed:
            return list(self._requests)

    @property
    def received_ids(self) -> list[str]:
        """`webhook-id` of every verified request, in arrival order, retries included."""
        return [r.webhook_id for r in self.requests if r.verified and r.webhook_id]

    @property
    def accepted_ids(self) -> list[str]:
        """`webhook-id` of every verified request answered 2xx: what a real receiver processed."""
        return [
            r.webhook_id
            for r in self.requests
            if r.verified and r.webhook_id and r.answered and 200 <= r.answered < 300
        ]

    @property
    def failures(self) -> list[Received]:
        """Requests whose verification failed."""
        return [r for r in self.requests if not r.verified]

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Block until `count` requests have arrived; False if `timeout` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._requests) >= count, timeout)

    # --- used by the handler thread ---

    def _take(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        payload, error = self._verify(body, headers)
        with self._changed:
            reply = self._script.pop(0) if self._script else self._then
            answered = None if reply.hang else reply.status
            self._requests.append(Received(method, path, headers, body, payload, error, answered))
            self._changed.notify_all()
        return reply

    def _verify(self, body: bytes, headers: dict[str, str]) -> tuple[Any, str | None]:
        try:
            if self._strict:
                return self._webhook.verify(body, headers), None
            return self._verify_signature_only(body, headers), None
        except (WebhookVerificationError, ValueError, KeyError) as e:
            return None, f"{type(e).__name__}: {e}"

    def _verify_signature_only(self, body: bytes, headers: dict[str, str]) -> Any:
        msg_id, timestamp = headers["webhook-id"], int(headers["webhook-timestamp"])
        expected = self._webhook.sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body.decode())
        want = base64.b64decode(expected.split(",", 1)[1])
        for given in headers.get("webhook-signature", "").split():
            version, _, signature = given.partition(",")
            if version == "v1" and hmac.compare_digest(want, base64.b64decode(signature)):
                return json.loads(body)
        raise WebhookVerificationError("No matching signature found")

    def _hold(self) -> None:
        self._closing.wait(self._hang_limit)

    def _pause(self, seconds: float) -> bool:
        """Sleep, unless closing; True when the receiver is closing."""
        return self._closing.wait(seconds)


def give_up_after(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Make each delivery attempt time out after `seconds` (`DELIVERY_TIMEOUT`), so a test
    with a hanging receiver does not wait that long for each one."""
    defaults = deliver.attempt.__kwdefaults__
    assert defaults is not None
    assert "timeout" in defaults
    monkeypatch.setitem(defaults, "timeout", seconds)


def _reply(entry: int | Reply) -> Reply:
    return entry if isinstance(entry, Reply) else Reply(entry)


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:
                # The sender went away mid-body (a kill -9 test): no request reached the
                # application, as with any HTTP server; nothing to record or verify.
                self.close_connection = True
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = receiver._take(self.command, self.path, headers, body)
            if reply.hang:
                receiver._hold()
                return  # never answer: the connection just closes
            with contextlib.suppress(OSError):  # the client gave up (its deadline) mid-answer
                self._answer(reply)

        def _answer(self, reply: Reply) -> None:
            self.send_response(reply.status)
            extra = {k.lower(): v for k, v in reply.headers.items()}
            if 300 <= reply.status < 400 and "location" not in extra:
                extra["location"] = "/followed-redirect"
            for name, value in extra.items():
                self.send_header(name, value)
            if reply.trickle:
                self._trickle(reply.trickle)
            if reply.status not in (204, 304):
                self.send_header("content-length", "0")
            self.end_headers()

        def _trickle(self, pause: float) -> None:
            for line in range(50):
                self.flush_headers()
                if receiver._pause(pause):
                    return
                self.send_header(f"x-trickle-{line}", "1")

    return Handler
