"""monitor.schedule: every decision with fixed datetimes, no clock, no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from monitor.exceptions import FeedError
from monitor.pipeline import next_state
from monitor.schedule import (
    JITTER,
    MAX_BACKOFF,
    MAX_CACHE_DELAY,
    MAX_RETRY_AFTER,
    MIN_INTERVAL,
    STARTUP_SPREAD,
    backoff,
    cache_lifetime,
    first_poll,
    held_back_until,
    next_poll,
    parse_http_date,
    retry_after,
)
from monitor.types import FeedConfig, FeedState, FetchResult

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TEN_MIN = timedelta(minutes=10)
TEN_YEARS = timedelta(days=3650)


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


# ── parse_http_date ──


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),  # IMF-fixdate
        ("Sunday, 06-Nov-94 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),  # RFC 850
        ("Sun Nov  6 08:49:37 1994", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),  # asctime, no zone
        ("Sun, 06 Nov 1994 09:49:37 +0100", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("garbage", None),
        ("0", None),
        ("", None),
    ],
)
def test_parse_http_date(value: str, expected: datetime | None) -> None:
    parsed = parse_http_date(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


# ── retry_after ──


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "120"}, s(120)),
        ({"retry-after": " 30 "}, s(30)),
        ({"retry-after": "0"}, s(0)),
        ({"retry-after": "-5"}, s(0)),  # negative: no wait, not an error
        ({"retry-after": http_date(NOW + s(300))}, s(300)),
        ({"retry-after": http_date(NOW - s(300))}, s(0)),  # already past
        # measured from the server's Date, so a server clock an hour slow does not matter
        ({"retry-after": http_date(NOW - s(3600) + s(600)), "date": http_date(NOW - s(3600))}, s(600)),
        ({"retry-after": str(int(TEN_YEARS.total_seconds()))}, MAX_RETRY_AFTER),
        ({"retry-after": http_date(NOW + TEN_YEARS)}, MAX_RETRY_AFTER),
        ({"retry-after": "9" * 40}, MAX_RETRY_AFTER),  # would overflow timedelta
        ({"retry-after": "soon"}, None),
        ({"retry-after": "1.5"}, None),
        ({"retry-after": ""}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: timedelta | None) -> None:
    assert retry_after(headers, NOW) == expected


# ── cache_lifetime ──


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cache-control": "max-age=600"}, s(600)),
        ({"cache-control": "public, max-age=600, must-revalidate"}, s(600)),
        ({"cache-control": 'max-age="600"'}, s(600)),
        ({"cache-control": "MAX-AGE=600"}, s(600)),
        ({"cache-control": "max-age=0"}, s(0)),
        ({"cache-control": "max-age=86400"}, MAX_CACHE_DELAY),
        ({"cache-control": "max-age=" + "9" * 40}, MAX_CACHE_DELAY),
        ({"cache-control": "max-age=600", "age": "100"}, s(500)),  # RFC 9111 §4.2.3
        ({"cache-control": "max-age=600", "age": "900"}, s(0)),
        ({"cache-control": "s-maxage=300"}, s(300)),
        ({"cache-control": "max-age=600, s-maxage=60"}, s(600)),
        ({"cache-control": "no-cache, max-age=600"}, None),
        ({"cache-control": "no-store"}, None),
        ({"cache-control": 'no-cache="set-cookie", max-age=600'}, s(600)),  # qualified: field only
        ({"cache-control": "max-age=soon"}, None),
        ({"expires": http_date(NOW + s(1800))}, s(1800)),
        ({"expires": http_date(NOW + s(1800)), "date": http_date(NOW - s(600))}, s(2400)),
        ({"expires": http_date(NOW - s(60))}, s(0)),
        ({"expires": "0"}, s(0)),  # RFC 9111 §5.3: invalid means already expired
        ({"expires": http_date(NOW + TEN_YEARS)}, MAX_CACHE_DELAY),
        ({"cache-control": "max-age=60", "expires": http_date(NOW + s(1800))}, s(60)),  # §5.3
        ({"cache-control": "private"}, None),
        ({}, None),
    ],
)
def test_cache_lifetime(headers: dict[str, str], expected: timedelta | None) -> None:
    assert cache_lifetime(headers, NOW) == expected


# ── backoff ──


@pytest.mark.parametrize(
    ("failures", "interval", "expected"),
    [
        (0, TEN_MIN, TEN_MIN),
        (1, TEN_MIN, TEN_MIN),  # one blip costs nothing extra
        (2, TEN_MIN, 2 * TEN_MIN),
        (3, TEN_MIN, 4 * TEN_MIN),
        (6, TEN_MIN, 32 * TEN_MIN),
        (7, TEN_MIN, MAX_BACKOFF),  # 640 min > 6 h
        (10_000, TEN_MIN, MAX_BACKOFF),
        (3, timedelta(days=1), timedelta(days=1)),  # never shorter than the feed's own interval
        (2, s(5), 2 * MIN_INTERVAL),  # a too-short interval is raised to the minimum first
    ],
)
def test_backoff(failures: int, interval: timedelta, expected: timedelta) -> None:
    assert backoff(failures, interval) == expected


def test_backoff_grows_monotonically_to_the_cap() -> None:
    delays = [backoff(n, TEN_MIN) for n in range(1, 20)]
    assert delays == sorted(delays)
    assert delays[-1] == MAX_BACKOFF


# ── next_poll ──


def poll(
    status: int | None,
    headers: dict[str, str] | None = None,
    *,
    failures: int = 0,
    interval: timedelta = TEN_MIN,
    jitter: float = 0.5,
) -> timedelta:
    """The delay next_poll chose; jitter 0.5 is the middle, i.e. no jitter."""
    when = next_poll(
        now=NOW, interval=interval, status=status, headers=headers or {}, failures=failures, jitter=jitter
    )
    return when - NOW


@pytest.mark.parametrize(
    ("status", "headers", "failures", "expected"),
    [
        (200, {}, 0, TEN_MIN),
        (304, {}, 0, TEN_MIN),
        (200, {"cache-control": "max-age=1800"}, 0, s(1800)),  # pushes the poll back
        (200, {"cache-control": "max-age=60"}, 0, TEN_MIN),  # never pulls it forward
        (200, {"cache-control": "max-age=86400"}, 0, MAX_CACHE_DELAY),
        (200, {"retry-after": "7200"}, 0, TEN_MIN),  # Retry-After only on 429/503
        (503, {"retry-after": "7200"}, 1, s(7200)),
        (429, {"retry-after": "315360000"}, 1, MAX_RETRY_AFTER),  # ten years, capped
        (429, {"retry-after": "60"}, 4, 8 * TEN_MIN),  # backoff is longer than the server asked
        (429, {"retry-after": "garbage"}, 2, 2 * TEN_MIN),
        (500, {"retry-after": "7200"}, 1, TEN_MIN),
        (500, {"cache-control": "max-age=1800"}, 1, TEN_MIN),  # an error's max-age is no reason to wait
        (404, {}, 3, 4 * TEN_MIN),
        (404, {}, 50, MAX_BACKOFF),
        (None, {}, 1, TEN_MIN),  # transport or parse failure
        (None, {}, 3, 4 * TEN_MIN),
    ],
)
def test_next_poll(status: int | None, headers: dict[str, str], failures: int, expected: timedelta) -> None:
    assert poll(status, headers, failures=failures) == expected


@pytest.mark.parametrize("jitter", [0.0, 0.1, 0.25, 0.5, 0.75, 0.999999])
@pytest.mark.parametrize(("status", "failures"), [(200, 0), (None, 3)])
def test_next_poll_jitter_stays_within_bounds(jitter: float, status: int | None, failures: int) -> None:
    base = TEN_MIN if status == 200 else backoff(failures, TEN_MIN)
    delay = poll(status, failures=failures, jitter=jitter)
    assert base * (1 - JITTER) <= delay < base * (1 + JITTER)


def test_next_poll_jitter_spreads_and_is_monotonic() -> None:
    delays = [poll(200, jitter=j / 10) for j in range(10)]
    assert delays == sorted(delays)
    assert delays[0] == TEN_MIN * (1 - JITTER)
    assert len(set(delays)) == 10


def test_next_poll_jitter_never_undercuts_retry_after() -> None:
    assert poll(503, {"retry-after": "7200"}, failures=1, jitter=0.0) == s(7200)


def test_next_poll_never_sooner_than_min_interval() -> None:
    assert poll(200, interval=s(5), jitter=0.0) == MIN_INTERVAL
    assert poll(503, {"retry-after": "0"}, failures=1, interval=s(5), jitter=0.0) == MIN_INTERVAL


@pytest.mark.parametrize("jitter", [-0.1, 1.0, 1.5])
def test_next_poll_rejects_jitter_out_of_range(jitter: float) -> None:
    with pytest.raises(ValueError, match="jitter"):
        poll(200, jitter=jitter)


# ── first_poll ──


@pytest.mark.parametrize(
    ("interval", "jitter", "expected"),
    [
        (TEN_MIN, 0.0, s(0)),
        (TEN_MIN, 0.5, STARTUP_SPREAD / 2),
        (MIN_INTERVAL, 0.5, MIN_INTERVAL / 2),  # window no longer than the interval
        (s(5), 0.5, MIN_INTERVAL / 2),
    ],
)
def test_first_poll(interval: timedelta, jitter: float, expected: timedelta) -> None:
    assert first_poll(NOW, interval, jitter) - NOW == expected


def test_first_polls_spread_over_the_window() -> None:
    times = [first_poll(NOW, TEN_MIN, n / 1000) for n in range(1000)]
    assert all(NOW <= t < NOW + STARTUP_SPREAD for t in times)
    per_second = max(
        sum(1 for t in times if int((t - NOW).total_seconds()) == sec)
        for sec in range(int(STARTUP_SPREAD.total_seconds()))
    )
    assert per_second <= 1000 / STARTUP_SPREAD.total_seconds() + 1


def test_first_poll_rejects_jitter_out_of_range() -> None:
    with pytest.raises(ValueError, match="jitter"):
        first_poll(NOW, TEN_MIN, 1.0)


@pytest.mark.parametrize(
    ("next_due", "failures", "expected"),
    [
        (NOW + timedelta(hours=1), 1, NOW + timedelta(hours=1)),  # a 429's Retry-After runs on
        (NOW + timedelta(hours=24), 5, NOW + timedelta(hours=24)),  # backoff, or a capped date
        (NOW, 3, None),  # due exactly now
        (NOW - TEN_MIN, 3, None),  # overdue
        (None, 2, None),  # never scheduled
        (NOW + timedelta(hours=1), 0, None),  # healthy: its interval or max-age does not hold it
    ],
)
def test_a_one_off_poll_holds_back_only_a_failing_feed_not_yet_due(
    next_due: datetime | None, failures: int, expected: datetime | None
) -> None:
    assert held_back_until(now=NOW, next_poll=next_due, failures=failures) == expected


# ── pipeline.next_state: the warnings a feed's state carries ──


@pytest.mark.parametrize(
    ("status", "error", "warnings", "kept"),
    [
        (200, None, ("a new one",), ("a new one",)),  # a document read: its own replace them
        (200, None, (), ()),  # a clean document clears them
        (200, "not a feed: text/html", (), ()),  # read, and not a feed: the error says why
        (304, None, (), ("old",)),  # the same document they were found in
        (404, "HTTP 404 Not Found", (), ("old",)),  # no document: nothing learnt about it
        (None, "connection refused", (), ("old",)),
    ],
)
def test_a_poll_replaces_the_parser_warnings_only_when_it_read_a_document(
    status: int | None, error: str | None, warnings: tuple[str, ...], kept: tuple[str, ...]
) -> None:
    feed = FeedConfig(name="f", url="https://f.example/feed")
    result = FetchResult(feed.url, status, {}, b"", 0.1) if status else None
    after = next_state(
        FeedState("f", feed.url, warnings=("old",)),
        feed=feed,
        now=NOW,
        jitter=0.5,
        result=result,
        error=FeedError(error, status=status) if error else None,
        warnings=warnings,
    )
    assert after.warnings == kept
