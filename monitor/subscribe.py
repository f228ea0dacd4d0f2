"""Subscribe: what `monitor feeds add` and `monitor feeds import` do, below the CLI.

A URL joins the config only once it is known to be a feed:

    URL ─▶ fetch.Fetcher (the polling limits and redirect guard) ─▶ parse.parse ─▶ a feed
                                                            └─ a web page ─▶ discover ─▶ its first
                                                               RSS/Atom link, fetched and parsed
        ─▶ a name: the one given, else the feed's title, made unique
        ─▶ config_edit.add_feeds (validated, atomic)

Import plans every OPML outline first (already configured, listed twice, not http(s)),
checks what is left concurrently over one Fetcher, then writes the config once. One
outline's failure is a line of the summary, never the end of the import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from monitor import config as config_module
from monitor import discover, parse
from monitor.config_edit import NewFeed, add_feeds, conflicts, same_url, unique_name
from monitor.exceptions import ConfigError, FeedError, FetchError, ParseError
from monitor.fetch import Fetcher
from monitor.normalise import canonical_link
from monitor.opml import OpmlFeed
from monitor.types import FeedConfig, FetchResult, Validators

__all__ = [
    "Added",
    "Outcome",
    "Probe",
    "add_feed",
    "import_feeds",
    "probe",
    "probe_all",
]

Status = Literal["added", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class Probe:
    """A URL found to be a feed; from `probe` to naming and the messages."""

    url: str  # the feed's URL: the one given, or the one the page advertised
    title: str  # the feed's title as plain text; may be empty
    entries: int
    page: str | None = None  # the web page the feed was found on
    others: tuple[str, ...] = ()  # further feeds that page advertised


@dataclass(frozen=True, slots=True)
class Added:
    """What `add_feed` wrote; from subscribe to the CLI's message."""

    feed: NewFeed
    probe: Probe


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one OPML outline; from `import_feeds` to the summary."""

    name: str  # added: the name it was given; else the OPML's
    url: str
    status: Status
    reason: str = ""
    # Added under another name than it asked for (the OPML's, else the feed's title, else
    # the host), because that one was taken: the user must learn where their feed went.
    renamed_from: str = ""


# --- probing ---------------------------------------------------------------------------


async def probe(fetcher: Fetcher, url: str, *, discover_feeds: bool = True) -> Probe:
    """Fetch `url` and parse it as a feed; from a web page, take the feed it links to.

    Raises FeedError with a one-line reason when no feed comes of it.
    """
    result = await _get(fetcher, url)
    try:
        feed = parse.parse(result.body, result.headers, result.url)
    except ParseError:
        if discover_feeds and discover.looks_like_html(result.headers, result.body):
            return await _from_page(fetcher, url, result)
        raise
    return Probe(url=url, title=feed.title, entries=len(feed.entries))


async def probe_all(
    urls: Sequence[str], on_done: Callable[[], None] = lambda: None
) -> list[Probe | FeedError]:
    """`probe` every URL concurrently (no discovery); a failure is a value, in URL order."""
    async with Fetcher() as fetcher:

        async def one(url: str) -> Probe | FeedError:
            try:
                return await probe(fetcher, url, discover_feeds=False)
            except FeedError as error:
                return error
            finally:
                on_done()

        return list(await asyncio.gather(*(one(url) for url in urls)))


async def _get(fetcher: Fetcher, url: str) -> FetchResult:
    result = await fetcher.fetch(url, Validators())
    if not 200 <= result.status < 300:
        raise FetchError(f"HTTP {result.status} from {result.url}", status=result.status)
    return result


async def _from_page(fetcher: Fetcher, url: str, page: FetchResult) -> Probe:
    links = discover.feed_links(discover.decode_html(page.body, page.headers), page.url)
    if not links:
        raise ParseError(
            f"{url} is a web page that links to no feed "
            '(no <link rel="alternate" type="application/rss+xml" or "application/atom+xml">); '
            "give the feed's own URL"
        )
    first = links[0]
    try:
        feed = await probe(fetcher, first.url, discover_feeds=False)
    except FeedError as error:
        raise FeedError(f"{url} links to the feed {first.url}, which failed: {error}") from error
    others = tuple(link.url for link in links[1:])
    return Probe(url=first.url, title=feed.title, entries=feed.entries, page=url, others=others)


# --- add -------------------------------------------------------------------------------


def add_feed(
    path: Path, url: str, *, name: str | None = None, interval: str | None = None, official: bool = False
) -> Added:
    """Check `url` (or the feed its page links to) and add it to the config at `path`.

    Raises ConfigError (exit 2) for a taken name or URL or an invalid config, FeedError
    (exit 1) when no feed can be had from `url`. The file changes only on success.
    """
    config = config_module.load(path, secrets=False)  # a broken config fails before any network traffic
    _refuse_taken(path, name, url, config.feeds)
    found = asyncio.run(_probe_one(url))
    if found.url != url:
        _refuse_taken(path, name, found.url, config.feeds)
    taken = [feed.name for feed in config.feeds]
    feed = NewFeed(
        name=name or unique_name(found.title or _host(found.url), taken),
        url=found.url,
        official=official,
        interval=interval,
    )
    add_feeds(path, [feed])
    return Added(feed, found)


async def _probe_one(url: str) -> Probe:
    async with Fetcher() as fetcher:
        return await probe(fetcher, url)


def _refuse_taken(path: Path, name: str | None, url: str, feeds: Sequence[FeedConfig]) -> None:
    if problems := conflicts(name, url, feeds):
        raise ConfigError(str(path), problems)


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


# --- import ----------------------------------------------------------------------------


def import_feeds(
    path: Path,
    outlines: Sequence[OpmlFeed],
    *,
    check: bool = True,
    on_done: Callable[[], None] = lambda: None,
) -> list[Outcome]:
    """Add every outline not yet configured to the config at `path`; one Outcome per outline.

    With `check`, each new URL must fetch and parse as a feed first. The config is
    written once, at the end, and only when something is added. `on_done` is called
    once per outline, for a progress bar.
    """
    config = config_module.load(path, secrets=False)
    planned, outcomes = _plan(outlines, config.feeds)
    for _ in outcomes:
        on_done()
    probes = asyncio.run(probe_all([o.url for o in planned.values()], on_done)) if check else None
    taken = {feed.name for feed in config.feeds}
    new: list[NewFeed] = []
    for position, outline in planned.items():
        found = probes.pop(0) if probes is not None else None
        if isinstance(found, FeedError):
            outcomes[position] = Outcome(outline.name, outline.url, "failed", str(found))
            continue
        if not check:
            on_done()
        wanted = outline.name or (found.title if found else "") or _host(outline.url)
        name = unique_name(wanted, taken)
        taken.add(name)
        new.append(NewFeed(name, outline.url))
        outcomes[position] = Outcome(
            name, outline.url, "added", renamed_from="" if name == wanted else wanted
        )
    if new:
        add_feeds(path, new)
    return [outcomes[position] for position in sorted(outcomes)]


def _plan(
    outlines: Sequence[OpmlFeed], configured: Sequence[FeedConfig]
) -> tuple[dict[int, OpmlFeed], dict[int, Outcome]]:
    """Outlines to add, by position, and the outcomes of those refused before any fetch."""
    planned: dict[int, OpmlFeed] = {}
    refused: dict[int, Outcome] = {}
    for position, outline in enumerate(outlines):
        reason = _refusal(outline, configured, planned.values())
        if reason is None:
            planned[position] = outline
        else:
            refused[position] = Outcome(outline.name, outline.url, *reason)
    return planned, refused


def _refusal(
    outline: OpmlFeed, configured: Sequence[FeedConfig], planned: Iterable[OpmlFeed]
) -> tuple[Status, str] | None:
    if canonical_link(outline.url) is None:
        return "failed", "xmlUrl is not an http:// or https:// URL with a host"
    if (same := next((f for f in configured if same_url(f.url, outline.url)), None)) is not None:
        return "skipped", f"already configured as {same.name!r}"
    if (twice := next((o for o in planned if same_url(o.url, outline.url)), None)) is not None:
        return "skipped", f"listed twice in the file (first as {twice.name or twice.url!r})"
    return None
