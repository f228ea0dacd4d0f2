"""Schedule: when to poll each feed next.

Pure decisions, no IO and no clock: `now` and a random `jitter` in [0, 1) come in, an aware
datetime goes out, so every rule is tested with fixed times.

    success (2xx, 304)      now + max(interval ± jitter, cache lifetime ≤ MAX_CACHE_DELAY)
    throttled (429, 503)    now + max(backoff ± jitter, Retry-After ≤ MAX_RETRY_AFTER)
    any other failure       now + backoff ± jitter

Jitter spreads our own choices; a time the server gave (max-age, Retry-After) is a floor
we never undercut. Nothing is polled sooner than MIN_INTERVAL after the last poll.
Header mappings are keyed in lower case, as `FetchResult.headers` is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = [
    "BACKOFF_BASE",
    "JITTER",
    "MAX_BACKOFF",
    "MAX_CACHE_DELAY",
    "MAX_INTERVAL",
    "MAX_RETRY_AFTER",
    "MIN_INTERVAL",
    "STARTUP_SPREAD",
    "backoff",
    "cache_lifetime",
    "first_poll",
    "held_back_until",
    "next_poll",
    "parse_http_date",
    "retry_after",
]

# No feed is polled more than once a minute, whatever the config or the server says:
# news is stale after minutes, not seconds, and a tighter loop only burdens the server.
MIN_INTERVAL = timedelta(minutes=1)
# A feed polled less often than monthly is not being watched; far longer intervals also
# overflow the scheduler's dates (APScheduler's IntervalTrigger failed on 3,000,000 days).
MAX_INTERVAL = timedelta(days=30)

# Each consecutive failure doubles the wait: a feed down for a day costs a dozen polls.
BACKOFF_BASE = 2

# A broken feed is still retried four times a day, so its return is noticed the same
# day without a restart (the cap never shortens a feed's own, longer, interval).
MAX_BACKOFF = timedelta(hours=6)

# A server may ask us to wait (RFC 9110 §10.2.3), but "Retry-After: 315360000" (ten years)
# would silence the feed for good; a day is the longest we defer to it.
MAX_RETRY_AFTER = timedelta(hours=24)

# Cache-Control max-age / Expires may push a poll later than the interval (polling earlier
# only returns the cache's copy), but static-file defaults of a day or more on a news feed
# would hide the story; an hour is the most we defer.
MAX_CACHE_DELAY = timedelta(hours=1)

# ±10 % of the interval: feeds that were polled together drift apart within a few rounds.
JITTER = 0.1

# First polls after start are spread over two minutes (or the interval, if shorter), so
# 1,000 feeds arrive at about eight a second rather than all in the same one.
STARTUP_SPREAD = timedelta(minutes=2)

# RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2**31.
_MAX_DELTA_SECONDS = 2**31
_ZERO = timedelta(0)
_THROTTLED = frozenset({429, 503})  # RFC 6585 §4, RFC 9110 §15.6.4: Retry-After applies
_DELTA_SECONDS = re.compile(r"[+-]?\d+")


# ── header parsing ───────────────────────────────────────────────────────────────────────


def parse_http_date(value: str) -> datetime | None:
    """An HTTP-date (RFC 9110 §5.6.7, all three formats) as aware UTC; None if unparseable."""
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # asctime dates carry no zone; HTTP-dates are always GMT.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _seconds(value: str) -> timedelta | None:
    """delta-seconds (digits, tolerating a sign) as a non-negative timedelta."""
    value = value.strip().strip('"')
    if not _DELTA_SECONDS.fullmatch(value):
        return None
    return timedelta(seconds=min(max(int(value), 0), _MAX_DELTA_SECONDS))


def _until(value: str, headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """Time from the response to the HTTP-date `value`.

    Measured from the server's own Date header when it has one (RFC 9111 §4.2.1 does the
    same for Expires), so a server clock that is off does not skew the delay.
    """
    when = parse_http_date(value)
    if when is None:
        return None
    origin = parse_http_date(headers.get("date", "")) or now
    return when - origin


def _clamp(delay: timedelta, cap: timedelta) -> timedelta:
    return min(max(delay, _ZERO), cap)


def _cache_directives(value: str) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, argument = part.partition("=")
        if name.strip():
            directives[name.strip().lower()] = argument.strip().strip('"') if sep else None
    return directives


# ── public decisions ─────────────────────────────────────────────────────────────────────


def retry_after(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the server asked us to wait (RFC 9110 §10.2.3), within MAX_RETRY_AFTER.

    Seconds or an HTTP-date; garbage gives None; a negative or past value gives zero.
    """
    value = headers.get("retry-after", "")
    delay = _seconds(value)
    if delay is None:
        delay = _until(value, headers, now)
    return None if delay is None else _clamp(delay, MAX_RETRY_AFTER)


def cache_lifetime(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How much longer the response stays fresh (RFC 9111 §4.2), within MAX_CACHE_DELAY.

    max-age wins over Expires (§5.3); s-maxage is used when max-age is absent, since the CDN
    in front of the feed serves its copy until then anyway. The Age the response already
    had is subtracted (§4.2.3). None when no lifetime is given or caching is refused.
    """
    directives = _cache_directives(headers.get("cache-control", ""))
    # §5.2.2.4: unqualified no-cache means "revalidate every time", so max-age says nothing
    # about when new items appear; a no-cache naming fields only restricts those fields.
    if "no-store" in directives or ("no-cache" in directives and directives["no-cache"] is None):
        return None
    lifetime = _freshness(directives, headers, now)
    if lifetime is None:
        return None
    age = _seconds(headers.get("age", "")) or _ZERO
    return _clamp(lifetime - age, MAX_CACHE_DELAY)


def _freshness(
    directives: Mapping[str, str | None], headers: Mapping[str, str], now: datetime
) -> timedelta | None:
    for name in ("max-age", "s-maxage"):
        lifetime = _seconds(directives.get(name) or "")
        if lifetime is not None:
            return lifetime
    if "expires" not in headers:
        return None
    # RFC 9111 §5.3: an invalid Expires (such as "0") means already expired.
    return _until(headers["expires"], headers, now) or _ZERO


def backoff(failures: int, interval: timedelta) -> timedelta:
    """The wait after `failures` consecutive failures: the interval doubling, capped.

    The first failure waits one interval (a single blip costs nothing extra). The cap is
    MAX_BACKOFF, or the interval itself if that is longer.
    """
    interval = max(interval, MIN_INTERVAL)
    cap = max(MAX_BACKOFF, interval)
    if failures <= 1:
        return interval
    # Exponent bounded so the float stays finite; anything past 2**40 is over the cap anyway.
    seconds = interval.total_seconds() * BACKOFF_BASE ** min(failures - 1, 40)
    return min(timedelta(seconds=min(seconds, cap.total_seconds())), cap)


def _jittered(delay: timedelta, jitter: float) -> timedelta:
    return delay * (1 + JITTER * (2 * jitter - 1))


def _check_jitter(jitter: float) -> None:
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be in [0, 1), got {jitter!r}")


def _succeeded(status: int | None) -> bool:
    return status is not None and (200 <= status < 300 or status == 304)


def next_poll(
    *,
    now: datetime,
    interval: timedelta,
    status: int | None,
    headers: Mapping[str, str],
    failures: int,
    jitter: float,
) -> datetime:
    """When to poll a feed next, given this poll's outcome.

    `status` is None when no HTTP response was had or the body did not parse; `failures`
    counts consecutive failures including this poll's; `jitter` is random in [0, 1).
    """
    _check_jitter(jitter)
    interval = max(interval, MIN_INTERVAL)
    floor: timedelta | None
    if _succeeded(status):
        delay = _jittered(interval, jitter)
        floor = cache_lifetime(headers, now)
    else:
        delay = _jittered(backoff(failures, interval), jitter)
        floor = retry_after(headers, now) if status in _THROTTLED else None
    return now + max(delay, floor or _ZERO, MIN_INTERVAL)


def first_poll(now: datetime, interval: timedelta, jitter: float) -> datetime:
    """When to poll a feed first after start: somewhere in the next STARTUP_SPREAD.

    The window never exceeds the feed's interval, so no first poll comes later than the
    feed's normal cadence would have it.
    """
    _check_jitter(jitter)
    return now + min(max(interval, MIN_INTERVAL), STARTUP_SPREAD) * jitter


def held_back_until(*, now: datetime, next_poll: datetime | None, failures: int) -> datetime | None:
    """Until when a one-off poll (`run --once`) leaves a feed alone; None when it is due.

    A failing feed waits for its next poll, as in the daemon: its error backoff, or the
    Retry-After its server sent (only a failure, 429 or 503, carries one). Polling it on
    every cron run would hammer a server that asked for a pause, and a 429 invites another.
    A healthy feed is always due, whatever its interval: cron's schedule is the user's
    interval, someone running it by hand wants everything that works polled, and an
    unchanged feed costs one conditional GET.
    """
    if failures > 0 and next_poll is not None and next_poll > now:
        return next_poll
    return None
