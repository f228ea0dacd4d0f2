"""Tests for monitor.deliver: signing against the reference library, one attempt against a
real loopback receiver per scripted status, the retry arithmetic with a fixed clock, and
endpoints' independence through the daemon's delivery loop."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import socket
import time
from collections.abc import Awaitable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from standardwebhooks import Webhook

from monitor import channels, deliver
from monitor import config as config_module
from monitor.config import Config
from monitor.daemon import Daemon
from monitor.deliver import MAX_RETRY_AFTER, RETRY_JITTER, RETRY_SCHEDULE, Attempt, next_attempt
from monitor.loopback import rss
from monitor.pipeline import Poller, PollOutcome, parse_items
from monitor.store import Delivery, Store
from monitor.types import FeedConfig, FeedState, Sameness, Statement, WebhookConfig
from tests.conftest import text_item
from tests.receiver import HANG, Receiver, Reply, give_up_after

T = TypeVar("T")

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
MSG_ID = "msg_test0001"
BODY = deliver.body({"type": "statement.detected", "data": {"speaker": "Yann LeCun", "quote": "« non »"}})
FIXED_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


async def post(
    url: str, *, secret: str = SECRET, timeout: float = 2.0, now: datetime | None = None
) -> Attempt:
    """One attempt with a fresh client at the real current time (receivers check freshness)."""
    async with deliver.make_client() as client:
        return await deliver.attempt(
            client, url, secret, MSG_ID, BODY, now or datetime.now(UTC), timeout=timeout
        )


# --- sign, secrets, ids, payload -------------------------------------------------------


def test_sign_matches_the_reference_library() -> None:
    timestamp = 1_700_000_000
    reference = Webhook(SECRET).sign(MSG_ID, datetime.fromtimestamp(timestamp, UTC), BODY.decode())
    assert deliver.sign(SECRET, MSG_ID, timestamp, BODY) == reference


def test_signature_verifies_with_the_reference_library() -> None:
    timestamp = int(time.time())
    headers = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": deliver.sign(SECRET, MSG_ID, timestamp, BODY),
    }
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)


def test_unpadded_secret_signs_like_the_padded_one() -> None:
    padded = "whsec_" + base64.b64encode(bytes(range(25))).decode()  # 25 bytes → "==" padding
    assert padded.endswith("==")
    unpadded = padded.rstrip("=")
    assert deliver.validate_secret(unpadded) is None
    assert deliver.sign(unpadded, MSG_ID, 1, BODY) == deliver.sign(padded, MSG_ID, 1, BODY)
    assert deliver.sign(unpadded, MSG_ID, 1, BODY) == Webhook(unpadded).sign(
        MSG_ID, datetime.fromtimestamp(1, UTC), BODY.decode()
    )


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (SECRET, None),
        ("whsec_" + base64.b64encode(bytes(24)).decode(), None),
        ("whsec_" + base64.b64encode(bytes(64)).decode(), None),
        (base64.b64encode(bytes(32)).decode(), "must start with 'whsec_'"),
        ("whsec_not*base64!", "not valid base64"),
        ("whsec_" + base64.b64encode(bytes(23)).decode(), "24–64 bytes, not 23"),
        ("whsec_" + base64.b64encode(bytes(65)).decode(), "24–64 bytes, not 65"),
    ],
)
def test_validate_secret(secret: str, problem: str | None) -> None:
    found = deliver.validate_secret(secret)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found
        assert secret.removeprefix("whsec_") not in found  # never echo the secret


def test_message_id_is_stable_per_alert_and_endpoint() -> None:
    first = deliver.message_id(7, "https://a.example/hook")
    assert first == deliver.message_id(7, "https://a.example/hook")
    assert first.startswith("msg_")
    assert "." not in first  # the spec: "." separates the signed parts
    others = {
        deliver.message_id(8, "https://a.example/hook"),
        deliver.message_id(7, "https://b.example/hook"),
        deliver.message_id(7, "https://a.example/hook", namespace="db-2"),
    }
    assert first not in others
    assert len(others) == 3


def _payload(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "alert_id": 3,
        "timestamp": datetime(2024, 5, 1, 14, 0, tzinfo=UTC),
        "watch": "lecun-leaves-meta",
        "speaker": "Yann LeCun",
        "stance": "confirms",
        "item_id": 41,
        "title": "LeCun\u202e confirms\x00 departure",
        "link": "https://example.org/a",
        "feed": "Example News",
        "published": datetime(2024, 5, 1, 16, 30, tzinfo=UTC).astimezone(),
        "evidence": ("« I am leaving »\x1b[31m", "line one\nline two"),
        "sources": [{"feed": "Other", "title": "Tab\there", "published": datetime(2024, 5, 1, tzinfo=UTC)}],
        "seed_context": "Reports said\x07 he would leave.",
    }
    return deliver.payload(**(arguments | changes))


def test_payload_shape_and_plain_text() -> None:
    built = _payload()
    assert built["type"] == "statement.detected"
    assert built["timestamp"] == "2024-05-01T14:00:00Z"
    data = built["data"]
    assert data["item"] == {
        "id": 41,
        "title": "LeCun confirms departure",
        "link": "https://example.org/a",
        "feed": "Example News",
        "published": "2024-05-01T16:30:00Z",
    }
    assert data["evidence"] == ["« I am leaving »[31m", "line one\nline two"]
    assert data["sources"] == [{"feed": "Other", "title": "Tab\there", "published": "2024-05-01T00:00:00Z"}]
    assert data["seed_context"] == "Reports said he would leave."
    assert (data["alert_id"], data["speaker"], data["stance"]) == (3, "Yann LeCun", "confirms")


def test_payload_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        _payload(published=datetime(2024, 5, 1, 16, 30))


def test_body_is_compact_utf8_json() -> None:
    built = _payload()
    encoded = deliver.body(built)
    assert json.loads(encoded) == built
    assert "« I am leaving »".encode() in encoded  # ensure_ascii=False: no \u escapes
    assert b": " not in encoded
    assert b", " not in encoded


# --- one attempt against the loopback receiver -----------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204])
def test_2xx_is_delivered(status: int) -> None:
    with Receiver(SECRET, [status]) as hook:
        result = run(post(hook.url))
    assert result == Attempt(delivered=True, status=status, error=None)
    assert hook.accepted_ids == [MSG_ID]
    assert hook.failures == []
    (request,) = hook.requests
    assert request.payload == json.loads(BODY)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == deliver.USER_AGENT


@pytest.mark.parametrize("status", [400, 404, 500, 502])
def test_other_failures_are_retried_on_the_schedule(status: int) -> None:
    with Receiver(SECRET, [status]) as hook:
        result = run(post(hook.url))
    assert result == Attempt(delivered=False, status=status, error=f"HTTP {status}", retryable=True)
    assert hook.received_ids == [MSG_ID]
    assert hook.accepted_ids == []


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_is_not_followed(status: int) -> None:
    with Receiver(SECRET, [status], then=200) as hook:
        result = run(post(hook.url))
    assert not result.delivered
    assert result.status == status
    assert result.error is not None
    assert result.error.startswith(f"redirect {status} not followed")
    assert result.retryable
    assert [r.path for r in hook.requests] == ["/hook"]  # the Location was never requested


def test_410_disables_the_endpoint() -> None:
    with Receiver(SECRET, [410]) as hook:
        result = run(post(hook.url))
    assert result.disable
    assert not result.retryable
    assert not result.delivered
    assert result.status == 410


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (429, "120", timedelta(seconds=120)),
        (503, "0", timedelta(0)),
        (429, "99999999999", MAX_RETRY_AFTER),  # absurd: capped
        (503, "Wed, 01 May 2024 12:02:00 GMT", timedelta(minutes=2)),  # HTTP-date, against `now`
        (503, "Wed, 01 May 2024 11:00:00 GMT", timedelta(0)),  # already past
        (503, "Fri, 01 May 2099 12:00:00 GMT", MAX_RETRY_AFTER),
        (429, "soon", None),  # unusable: the schedule decides
        (500, "120", None),  # only 429 and 503 carry a Retry-After we honour
    ],
)
def test_retry_after_is_honoured_and_capped(status: int, header: str, expected: timedelta | None) -> None:
    # The HTTP-date cases are measured from the attempt's `now`; the receiver checks
    # freshness against its own clock, so skip that check for this fixed time.
    with Receiver(SECRET, [Reply(status, {"Retry-After": header})], strict_timestamp=False) as hook:
        result = run(post(hook.url, now=FIXED_NOW))
    assert result.retry_after == expected
    assert result.retryable
    assert result.error == f"HTTP {status}"
    assert hook.received_ids == [MSG_ID]


def test_hanging_receiver_hits_the_deadline() -> None:
    with Receiver(SECRET, [HANG]) as hook:
        started = time.monotonic()
        result = run(post(hook.url, timeout=0.5))
        elapsed = time.monotonic() - started
    assert result == Attempt(delivered=False, status=None, error="timeout after 0.5 s", retryable=True)
    assert 0.4 < elapsed < 1.5
    assert hook.received_ids == [MSG_ID]  # it arrived; only the answer never came


def test_trickling_receiver_cannot_outlast_the_total_deadline() -> None:
    # A header line every 0.1 s never trips httpx's per-read timeout of 0.5 s; the
    # whole answer would take 5 s, so only the total deadline stops it.
    with Receiver(SECRET, [Reply(200, trickle=0.1)]) as hook:
        started = time.monotonic()
        result = run(post(hook.url, timeout=0.5))
        elapsed = time.monotonic() - started
    assert result == Attempt(delivered=False, status=None, error="timeout after 0.5 s", retryable=True)
    assert elapsed < 1.5


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(post(f"http://127.0.0.1:{port}/hook"))
    assert result == Attempt(delivered=False, status=None, error="connection refused", retryable=True)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "http://", "https://[::1"])
def test_unusable_url_is_not_retried(url: str) -> None:
    result = run(post(url))
    assert not result.delivered
    assert not result.retryable
    assert result.error is not None
    assert result.error.startswith("invalid webhook URL")


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        run(post("http://127.0.0.1:9/hook", now=datetime(2024, 5, 1, 12, 0)))


def test_bad_secret_is_not_retried_and_nothing_is_sent() -> None:
    with Receiver(SECRET) as hook:
        result = run(post(hook.url, secret="not-a-secret"))
    assert not result.retryable
    assert result.error == "webhook secret must start with 'whsec_'"
    assert hook.requests == []


def test_wrong_secret_is_caught_by_the_receiver() -> None:
    other = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()
    with Receiver(SECRET) as hook:
        result = run(post(hook.url, secret=other))
    assert result.delivered  # this receiver answers 200 regardless; it records the failure
    assert hook.received_ids == []
    (failure,) = hook.failures
    assert failure.error is not None
    assert "No matching signature" in failure.error


@pytest.mark.parametrize("hanging", [1, deliver.MAX_CONNECTIONS - 1])
def test_hanging_endpoints_do_not_hold_up_another(hanging: int) -> None:
    async def timed(client: Any, url: str) -> tuple[Attempt, float]:
        started = time.monotonic()
        result = await deliver.attempt(client, url, SECRET, MSG_ID, BODY, datetime.now(UTC), timeout=1.0)
        return result, time.monotonic() - started

    async def together(urls: list[str], good: str) -> list[tuple[Attempt, float]]:
        async with deliver.make_client() as client:
            return await asyncio.gather(*(timed(client, url) for url in [*urls, good]))

    with ExitStack() as stack:
        stuck = [stack.enter_context(Receiver(SECRET, [HANG])) for _ in range(hanging)]
        fine = stack.enter_context(Receiver(SECRET, [204]))
        results = run(together([hook.url for hook in stuck], fine.url))
    *slow, (good, good_time) = results
    assert good.delivered
    assert good_time < 0.5
    assert all(result.error == "timeout after 1 s" for result, _ in slow)
    assert all(0.9 < elapsed < 2.0 for _, elapsed in slow)


def test_one_log_line_per_attempt_without_the_url_path(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="monitor.deliver")
    with Receiver(SECRET, [500, 200]) as hook:
        url = hook.url + "?token=s3cr3t"
        run(post(url))
        run(post(url))
    records = [r for r in caplog.records if r.name == "monitor.deliver"]
    assert [r.delivery["outcome"] for r in records] == ["retry", "delivered"]  # type: ignore[attr-defined]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO]
    first = records[0].getMessage()
    assert f"msg_id={MSG_ID}" in first
    assert "status=500" in first
    assert "duration=" in first
    assert "s3cr3t" not in first
    assert "/hook" not in first


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example/services/T0KENPATH/XYZsecretpart",
        "https://hooks.example/hook?token=querysecretvalue&x=y",
        "https://someuser:passwordvalue@hooks.example:8443/p",
        "https://hooks.example/p#fragmentsecret",
        "http://[::1]:8080/ipv6pathsecret",
    ],
)
def test_a_webhook_display_hides_all_but_the_origin_and_adds_a_fingerprint(url: str) -> None:
    shown = channels.display("webhook", url)
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"
    assert re.fullmatch(re.escape(origin) + r"#[0-9a-f]{6}", shown), shown
    fingerprint = shown.rpartition("#")[2]
    # Nothing of the path, query, fragment or userinfo is in it, not even a piece.
    for secret in (parts.path, parts.query, parts.fragment, parts.username, parts.password):
        for piece in re.findall(r"[A-Za-z0-9]{3,}", secret or ""):
            assert piece not in shown.removeprefix(origin)
            assert piece.lower() not in fingerprint
    assert channels.display("webhook", url) == shown  # stable: the same in every output and run
    assert channels.channel_id("webhook", url).startswith(f"webhook:{fingerprint}")


def test_two_webhooks_on_one_host_have_two_displays_and_two_log_forms(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A user audit: `…:18082/410` and `…:18082/500` were one `http://127.0.0.1:18082/…`
    in every output and log line."""
    caplog.set_level(logging.INFO, logger="monitor.deliver")
    with Receiver(SECRET, [410, 500]) as hook:
        origin = hook.url.rsplit("/", 1)[0]
        gone, failing = f"{origin}/410", f"{origin}/500"
        run(post(gone))
        run(post(failing))
    shown = [channels.display("webhook", gone), channels.display("webhook", failing)]
    assert shown[0] != shown[1]
    records = [r for r in caplog.records if r.name == "monitor.deliver"]
    assert [r.delivery["url"] for r in records] == shown  # type: ignore[attr-defined]
    assert f"url={shown[0]} " in records[0].getMessage()
    assert f"url={shown[1]} " in records[1].getMessage()


# --- retry arithmetic ------------------------------------------------------------------


def test_schedule_is_followed() -> None:
    expected = [FIXED_NOW + delay for delay in RETRY_SCHEDULE]
    assert [next_attempt(n, FIXED_NOW, None) for n in range(len(RETRY_SCHEDULE))] == expected
    assert next_attempt(0, FIXED_NOW, None) == FIXED_NOW  # the first attempt is immediate
    assert next_attempt(1, FIXED_NOW, None) == FIXED_NOW + timedelta(seconds=5)


def test_schedule_spans_about_a_day() -> None:
    total = sum(RETRY_SCHEDULE, timedelta())
    assert timedelta(hours=20) < total < timedelta(hours=30)
    assert list(RETRY_SCHEDULE) == sorted(RETRY_SCHEDULE)


def test_exhausted_schedule_is_a_dead_letter() -> None:
    assert next_attempt(len(RETRY_SCHEDULE), FIXED_NOW, None) is None
    assert next_attempt(len(RETRY_SCHEDULE) + 3, FIXED_NOW, timedelta(seconds=1)) is None


def test_retry_after_beyond_the_schedule_pushes_later() -> None:
    assert next_attempt(1, FIXED_NOW, timedelta(minutes=2)) == FIXED_NOW + timedelta(minutes=2)


def test_retry_after_never_brings_an_attempt_earlier() -> None:
    assert next_attempt(3, FIXED_NOW, timedelta(seconds=1)) == FIXED_NOW + RETRY_SCHEDULE[3]
    assert next_attempt(6, FIXED_NOW, timedelta(days=3)) == FIXED_NOW + RETRY_SCHEDULE[6]


def test_absurd_retry_after_is_capped() -> None:
    assert next_attempt(1, FIXED_NOW, timedelta(days=365)) == FIXED_NOW + MAX_RETRY_AFTER


def test_jitter_only_lengthens_and_by_a_tenth_at_most() -> None:
    assert RETRY_JITTER == 0.1  # the README's "up to a tenth later"
    assert next_attempt(2, FIXED_NOW, None, jitter=0.1) == FIXED_NOW + RETRY_SCHEDULE[2] * 1.1
    assert next_attempt(0, FIXED_NOW, None, jitter=0.05) == FIXED_NOW
    for outside in (-0.1, 0.5, 1.0):  # 0.5 and 1.0 were accepted, doubling the schedule
        with pytest.raises(ValueError, match="jitter"):
            next_attempt(2, FIXED_NOW, None, jitter=outside)
    with pytest.raises(ValueError, match="attempts_made"):
        next_attempt(-1, FIXED_NOW, None)


class _Highest:
    """An rng drawing the top of its range every time: the longest waits it can cause."""

    def random(self) -> float:
        return 0.999_999


def test_the_pollers_retries_wait_the_schedule_and_at_most_a_tenth_more(tmp_path: Path) -> None:
    """A user audit measured 7 s, 9 m 17 s, 43 m, 2 h 08 m… for the README's 5 s, 5 min,
    30 min, 2 h: the poller stretched each delay by up to 100 %, not 10 %."""
    config = Config(
        source=tmp_path / "m.toml",
        database=tmp_path / "m.db",
        feeds=(FeedConfig("Wire", "https://wire.example/feed"),),
        webhooks=(WebhookConfig("https://hooks.example/h", SECRET),),
        watches=(),
    )
    (channel,) = config.channels
    store = Store.open(config.database)
    store.sync_feeds(config.feeds, FIXED_NOW)
    store.sync_channels(config.channels)
    statement = Statement(watch="w", speaker="Yann LeCun", stance="confirms", evidence=(), score=3.0)
    item = text_item("Yann LeCun confirms he is leaving Meta")
    with store.transaction():
        item_id = store.insert_item(
            item, now=FIXED_NOW, title_key="t", keys=(), sameness=Sameness(), statement=statement
        )
        alert = store.create_alert(statement, item_id, FIXED_NOW, [channel], lambda a, _c: f"msg_{a}")
    failed = Attempt(delivered=False, status=500, error="HTTP 500", retryable=True)
    waits = []

    async def fail_every_attempt() -> None:
        poller = Poller(store, config, rng=_Highest(), processes=0)  # type: ignore[arg-type]
        try:
            for made in range(len(RETRY_SCHEDULE) - 1):
                await poller._record(Delivery(1, alert, channel.id, "msg_1", made), failed, FIXED_NOW)
                (due,) = store.conn.execute("SELECT next_attempt FROM deliveries").fetchone()
                waits.append(datetime.fromisoformat(due) - FIXED_NOW)
        finally:
            await poller.aclose()

    try:
        run(fail_every_attempt())
    finally:
        store.close()
    for wait, scheduled in zip(waits, RETRY_SCHEDULE[1:], strict=True):
        assert scheduled <= wait <= scheduled * (1 + RETRY_JITTER) + timedelta(seconds=1), (wait, scheduled)


# --- through the daemon's delivery loop ------------------------------------------------

STATEMENTS = (
    ("Yann LeCun confirms he is leaving Meta to start a company", "LeCun said he will leave Meta."),
    ("Meta confirms LeCun departure", "A Meta spokesperson confirmed that Yann LeCun will leave."),
)


def test_a_hanging_endpoint_never_delays_another_through_the_daemon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user audit: webhook A hung, B answered at once, yet B got an alert 13.5 s after it
    was raised, because each delivery round waited for A's timeout. Alert 1 starts A
    hanging; alert 2, raised while it hangs, must reach B at once."""
    give_up_after(monkeypatch, 5.0)  # the bug's wait: ~5 s
    with Receiver(SECRET, then=HANG, hang_limit=10) as slow, Receiver(SECRET) as fast:
        path = tmp_path / "monitor.toml"
        path.write_text(
            f'database = "d.db"\n[[feeds]]\nname = "wire"\nurl = "http://127.0.0.1:9/"\n'
            f'[[webhooks]]\nurl = "{slow.url}"\nsecret = "{SECRET}"\n'
            f'[[webhooks]]\nurl = "{fast.url}"\nsecret = "{SECRET}"\n'
        )
        waited = run(_second_alert_wait(config_module.load(path), slow, fast))
    assert waited < 2.0, f"the fast endpoint got alert 2 {waited:.1f} s after it was raised"


async def _second_alert_wait(config: config_module.Config, slow: Receiver, fast: Receiver) -> float:
    store = Store.open(config.database)
    poller = Poller(store, config, processes=0)
    daemon = Daemon(store, config, poller)
    try:
        await poller.write(store.sync_feeds, config.feeds, datetime.now(UTC))
        await poller.write(store.sync_channels, config.channels)
        loop = asyncio.create_task(daemon._deliver_loop())
        await _raise_alert(poller, 0)
        assert await asyncio.to_thread(fast.wait_for, 1)
        assert await asyncio.to_thread(slow.wait_for, 1)  # and A hangs from here on
        await _raise_alert(poller, 1)
        raised = time.monotonic()
        assert await asyncio.to_thread(fast.wait_for, 2, 8.0)
        waited = time.monotonic() - raised
        daemon.stopping.set()
        poller.delivered_event.set()
        loop.cancel()
        return waited
    finally:
        await poller.aclose()
        store.close()


async def _raise_alert(poller: Poller, n: int) -> None:
    """What the writer does when a poll brings a statement: commit it, then signal delivery."""
    now = datetime.now(UTC)
    title, summary = STATEMENTS[n]
    entry = {"guid": f"s{n}", "title": title, "summary": summary, "link": f"https://w.example/{n}"}
    document = rss("Wire", [{**entry, "published": now - timedelta(hours=1)}])
    feed = poller.config.feeds[0]
    items = parse_items(document, {}, feed.url, feed, now, deciders=poller.processor.deciders).items
    stats = await poller.write(
        poller.processor.process, [PollOutcome(FeedState("wire", feed.url), items)], now
    )
    assert stats.alerts == 1
    poller.delivered_event.set()


# --- a failing endpoint, one attempt per round --------------------------------------------


@pytest.mark.parametrize(
    ("answer", "failing"),
    [(200, False), (500, True), (503, True), (429, True), (400, False), (404, False), (410, False)],
)
def test_endpoint_failing_is_about_the_endpoint_not_the_message(answer: int, failing: bool) -> None:
    with Receiver(SECRET, then=answer) as hook:
        result = run(post(hook.url))
    assert deliver.endpoint_failing(result) is failing


def test_endpoint_failing_when_nothing_answers() -> None:
    with Receiver(SECRET, [HANG]) as hook:
        result = run(post(hook.url, timeout=0.5))
    assert deliver.endpoint_failing(result)
    assert not deliver.endpoint_failing(Attempt(delivered=False, status=None, error="bad secret"))


@pytest.mark.parametrize(("reply", "attempts"), [(HANG, 1), (Reply(503), 1), (Reply(400), 5)])
def test_run_once_tries_a_failing_endpoint_once_per_round_not_once_per_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reply: Reply, attempts: int
) -> None:
    """A user audit: a receiver that hung kept `run --once` busy 15 s per queued alert
    (25 minutes for 100). The first timeout (or 5xx) ends that endpoint's round; its other
    alerts wait, on schedule, while the other endpoint gets all of its own."""
    give_up_after(monkeypatch, 1.0)
    with Receiver(SECRET, then=reply, hang_limit=5) as bad, Receiver(SECRET) as good:
        config = Config(
            source=tmp_path / "m.toml",
            database=tmp_path / "m.db",
            feeds=(FeedConfig("Wire", "https://wire.example/feed"),),
            webhooks=(WebhookConfig(bad.url, SECRET), WebhookConfig(good.url, SECRET)),
            watches=(),
        )
        store = Store.open(config.database)
        try:
            _queue_alerts(store, config, 5)
            started = time.monotonic()
            attempted, delivered = run(_deliver_due(store, config))
            elapsed = time.monotonic() - started
            pending = store.conn.execute(
                "SELECT count(*) FROM deliveries WHERE endpoint = ? AND state = 'pending'",
                [config.channels[0].id],
            ).fetchone()[0]
        finally:
            store.close()
        assert len(bad.requests) == attempts
        assert len(good.accepted_ids) == 5
    assert (attempted, delivered) == (5 + attempts, 5)
    assert pending == 5  # none lost: each waits for its next attempt
    assert elapsed < 3.0, f"{elapsed:.1f} s: the hanging endpoint was waited for more than once"


def _queue_alerts(store: Store, config: Config, count: int) -> None:
    now = datetime.now(UTC)
    store.sync_feeds(config.feeds, now)
    store.sync_channels(config.channels)
    statement = Statement(watch="w", speaker="Yann LeCun", stance="confirms", evidence=(), score=3.0)
    with store.transaction():
        for n in range(count):
            item = text_item(f"Yann LeCun confirms he is leaving Meta, part {n}")
            item_id = store.insert_item(
                item, now=now, title_key=f"t{n}", keys=(), sameness=Sameness(), statement=statement
            )
            store.create_alert(statement, item_id, now, list(config.channels), lambda a, c: f"msg_{a}_{c}")


async def _deliver_due(store: Store, config: Config) -> tuple[int, int]:
    poller = Poller(store, config, processes=0)
    try:
        return await poller.deliver_due()
    finally:
        await poller.aclose()
