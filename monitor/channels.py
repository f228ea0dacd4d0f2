"""An alert channel's identity and how it is shown: the one place a channel URL becomes
the id the outbox keys deliveries by and the text people see (tables, logs, the database).

Channel URLs hold tokens (a Slack hook's path, a query's `?token=`, `user:password@`), so
the display hides them: a webhook shows its origin only, an Apprise URL what Apprise shows
with `privacy=True`. Hidden like that, two channels on one host looked the same in every
output (`http://127.0.0.1:18082/…` for both `/410` and `/500`), so the display ends in a
short fingerprint of the whole URL, `#` and the first hex digits of the channel's id:

    http://127.0.0.1:18082/…#3f2a1c

The fingerprint is a SHA-256 prefix: it tells channels apart but gives no part of the
path, query or userinfo back.
"""

from __future__ import annotations

import hashlib
from typing import Literal
from urllib.parse import urlsplit

from monitor.types import Channel

__all__ = ["FINGERPRINT_DIGITS", "Kind", "channel", "channel_id", "display"]

Kind = Literal["webhook", "apprise"]

# Hex digits of the fingerprint: 24 bits. Two of n channels share one with probability
# about n²/2 / 2²⁴: 3 in a million for 10 channels, 3 in ten thousand for 100; and
# channels sharing a fingerprint still differ in kind or host most of the time. Short
# enough to read out; the id in the database (16 digits) starts with the same digits.
FINGERPRINT_DIGITS = 6
# Hex digits of the id's hash: the outbox's key, compared, never read by people.
_ID_DIGITS = 16


def channel(kind: Kind, url: str, secret: str = "", source: str = "") -> Channel:
    """The channel for `url`, with its id and display; `source` is its config entry."""
    return Channel(
        id=channel_id(kind, url), kind=kind, url=url, display=display(kind, url), secret=secret, source=source
    )


def channel_id(kind: Kind, url: str) -> str:
    """The outbox's key for a channel: a hash of kind and the exact URL, never the URL."""
    return f"{kind}:{_digest(kind, url)[:_ID_DIGITS]}"


def display(kind: Kind, url: str) -> str:
    """The URL with its secrets hidden, and a fingerprint of it all that tells two channels
    on one host apart: for tables, logs and the database."""
    hidden = _origin(url) if kind == "webhook" else _apprise_private(url)
    return f"{hidden}#{_digest(kind, url)[:FINGERPRINT_DIGITS]}"


def _digest(kind: Kind, url: str) -> str:
    return hashlib.sha256(f"{kind}\n{url}".encode()).hexdigest()


def _origin(url: str) -> str:
    """A webhook URL's origin: its path or query often is the credential (Slack, Discord,
    ntfy), and its userinfo always is."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "?", parts.port
    except ValueError:  # a malformed URL; the attempt's error already says so
        return "<invalid URL>"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"


def _apprise_private(url: str) -> str:
    """An Apprise URL as Apprise shows it with its secrets hidden (each service knows which
    of its parts are tokens)."""
    import apprise  # noqa: PLC0415 - ~14 MiB of service plugins, only with [[notify]] channels

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return url.split("://", 1)[0] + "://…"
    return str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]  # apprise is untyped here
