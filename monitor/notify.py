"""Alerts to chat and push channels through Apprise (Slack, Discord, Telegram, ntfy, e-mail…).

A channel is an Apprise URL from `[[notify]]`. It gets a short readable message instead of
the signed JSON body, but the same outbox, once-per-statement rule and retry schedule as a
webhook: `attempt` returns a `deliver.Attempt` and the pipeline records it the same way.

Apprise says only "sent" or "not sent", so every failure is retried on the webhook
schedule and dead-lettered after the last attempt; there is no 410 or Retry-After here.

Apprise is imported on first use: it loads every service plugin (~14 MiB), which a monitor
without `[[notify]]` channels should not carry.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.channels import display
from monitor.deliver import Attempt
from monitor.watch import Watch

__all__ = ["NOTIFY_TIMEOUT", "attempt", "message", "validate_url"]

log = logging.getLogger("monitor.notify")

# Apprise's own per-service timeouts apply inside; this bounds the whole send so one
# stuck channel cannot hold a delivery round.
NOTIFY_TIMEOUT = 30.0
# Chat services turn these into pings for a whole server or channel; feed text must
# never do that. A zero-width space after "@" keeps the text readable and inert.
_MENTIONS = re.compile(r"@(everyone|here|channel|all)\b", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"


def validate_url(url: str) -> str | None:
    """A problem with an Apprise URL (for config validation), or None. Never echoes the URL."""
    if not isinstance(url, str) or "://" not in url:
        return 'expected an Apprise URL such as "ntfy://topic" or "slack://…"'
    import apprise  # noqa: PLC0415 - on first use, see the module docstring

    if apprise.Apprise.instantiate(url) is None:
        scheme = url.split("://", 1)[0]
        return f"Apprise does not support {scheme}:// URLs (see the Apprise wiki for the services)"
    return None


def message(parts: Mapping[str, Any], watches: Sequence[Watch]) -> tuple[str, str]:
    """(title, body) for one alert: headline, speaker, stance, link, number of sources."""
    item = parts["item"]
    watch = next((w for w in watches if w.name == parts["watch"]), None)
    about = watch.question if watch is not None and watch.question else parts["watch"]
    title = f"{parts['speaker']} {parts['stance']}: {item['title']}"
    sources = len(parts["sources"])
    body = "\n".join(
        [
            f"{about}",
            f"{item['feed']}: {item['title']}",
            f"{item['link'] or '(no link)'}",
            f"{sources} source{'s' if sources != 1 else ''} so far. Alert {parts['id']}.",
        ]
    )
    return _inert(title), _inert(body)


def _inert(text: str) -> str:
    return _MENTIONS.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), text)


async def attempt(url: str, title: str, body: str, *, timeout: float = NOTIFY_TIMEOUT) -> Attempt:
    """Send one message to one Apprise URL; never raises."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            sent = await asyncio.to_thread(_send, url, title, body)
    except TimeoutError:
        outcome = Attempt(delivered=False, status=None, error=f"timeout after {timeout:g} s", retryable=True)
    except Exception as e:  # Apprise plugins raise their own errors; all mean "not sent"
        outcome = Attempt(delivered=False, status=None, error=f"{type(e).__name__}: {e}", retryable=True)
    else:
        error = None if sent else "not sent (Apprise reported a failure; see its log)"
        outcome = Attempt(delivered=sent, status=None, error=error, retryable=not sent)
    log.info(
        "notify attempt channel=%s outcome=%s duration=%.3f",
        display("apprise", url),
        "delivered" if outcome.delivered else "retry",
        time.perf_counter() - started,
    )
    return outcome


def _send(url: str, title: str, body: str) -> bool:
    import apprise  # noqa: PLC0415 - on first use, see the module docstring

    sender = apprise.Apprise()
    sender.add(url)
    return bool(sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
