"""A parse worker prepares only what its feed's last stored poll did not show (`prepare.Seen`).

Unit tests on `parse_items`, then the real `Poller` polling a loopback feed server into a
real SQLite file twice, as the daemon does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from monitor import config as config_module
from monitor import pipeline
from monitor.loopback import FeedServer, rss
from monitor.pipeline import Poller
from monitor.prepare import SEEN_DIGEST_BYTES, Deciders, Prepared, PreparedDocument, Seen, parse_items
from monitor.store import ItemFilter, Store
from monitor.types import FeedConfig, Item
from monitor.watch import shipped_watch

T = TypeVar("T")
NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
URL = "https://example.com/feed.xml"
FEED = FeedConfig(name="Wire", url=URL)
DECIDERS = Deciders.build([shipped_watch()])
# Every entry ends on the site's sign-off: its words are the document's boilerplate.
SIGN_OFF = "Continue reading at the Harbour Gazette."
TOPICS = [
    "Port authority approves the new ferry terminal",
    "Heavy rain closes the coastal road overnight",
    "Local bakery wins the regional bread award",
    "Council votes to extend the cycle lanes",
    "Museum reopens its maritime history wing",
    "Fishing fleet reports a record autumn catch",
    "School choir heads to the national final",
    "Lighthouse keeper retires after forty years",
]


def entry(i: int, *, summary: str | None = None) -> dict[str, Any]:
    return {
        "title": TOPICS[i % len(TOPICS)] + ("" if i < len(TOPICS) else f" ({i})"),
        "summary": summary or f"Story {i} of the day in the harbour town. {SIGN_OFF}",
        "link": f"https://gazette.example/{i}",
        "guid": f"gazette-{i}",
        "published": NOW - timedelta(hours=i),
    }


def prepare(entries: list[dict[str, Any]], seen: Seen | None = None) -> PreparedDocument:
    return parse_items(rss("Gazette", entries), {}, URL, FEED, NOW, seen=seen, deciders=DECIDERS)


def titles(document: PreparedDocument) -> list[str]:
    return [p.item.title for p in document.items]


def test_the_first_poll_prepares_every_entry_and_says_what_it_saw() -> None:
    document = prepare([entry(i) for i in range(8)])
    assert len(document.items) == document.entries == 8
    assert document.seen is not None
    assert len(document.seen.digests) == 8 * SEEN_DIGEST_BYTES
    assert {"harbour", "gazett"} <= document.seen.common()
    assert all(p.boilerplate == document.seen.common() for p in document.items)


def test_the_next_poll_prepares_only_new_and_edited_entries_with_the_same_boilerplate() -> None:
    first = prepare([entry(i) for i in range(8)])
    edited = entry(3, summary=f"Story 3, updated: the bakery adds a second shop. {SIGN_OFF}")
    second = prepare([entry(8), edited, *(entry(i) for i in (0, 1, 2, 4, 5, 6, 7))], first.seen)
    assert titles(second) == [entry(8)["title"], entry(3)["title"]]
    assert second.items[1].item.summary.startswith("Story 3, updated")
    assert second.entries == 9
    assert all(p.boilerplate == first.seen.common() for p in second.items)  # type: ignore[union-attr]
    # What the poll after it may skip is this document's entries, the edit's new text included.
    assert second.seen is not None
    assert titles(prepare([edited, entry(8)], second.seen)) == []


def test_a_document_mostly_new_is_prepared_whole_and_its_boilerplate_computed_again() -> None:
    first = prepare([entry(i) for i in range(8)])
    relaunch = [entry(i, summary=f"Story {i}. Read more on the Coast Courier.") for i in range(8, 16)]
    second = prepare([*relaunch, entry(0), entry(1)], first.seen)
    assert len(second.items) == 8  # the two seen entries are not handed on again
    assert second.seen is not None
    assert {"coast", "courier"} <= second.seen.common()
    assert "gazett" not in second.seen.common()


def test_an_entry_moved_to_another_identity_is_prepared_again() -> None:
    # Same text under a new guid: a new identity for the writer (it may be another article).
    first = prepare([entry(i) for i in range(8)])
    moved = {**entry(5), "guid": "gazette-5-republished"}
    others = [entry(i) for i in range(8) if i != 5]
    assert titles(prepare([moved, *others], first.seen)) == [entry(5)["title"]]


# ── the real poller, twice, as the daemon polls ──────────────────────────────────────


@pytest.fixture
def prepared_count(monkeypatch: pytest.MonkeyPatch) -> list[Item]:
    """Every item the in-process parse prepared (Poller(processes=0) parses in this process)."""
    calls: list[Item] = []
    real = Deciders.prepare

    def counting(self: Deciders, item: Item) -> Prepared:
        calls.append(item)
        return real(self, item)

    monkeypatch.setattr(Deciders, "prepare", counting)
    return calls


@contextlib.contextmanager
def wire(
    write_config: Callable[[str], Path], body: bytes, *, conditional: bool = True
) -> Iterator[tuple[FeedServer, config_module.Config, Store]]:
    """One feed, "Wire", serving `body` from a loopback server, and its real store."""
    with FeedServer(conditional=conditional) as server:
        path = write_config(f'database = "m.db"\n[[feeds]]\nname = "Wire"\nurl = "{server.url("/f.xml")}"\n')
        config = config_module.load(path)
        server.put("/f.xml", body)
        store = Store.open(config.database)
        try:
            yield server, config, store
        finally:
            store.close()


def polled(store: Store, config: config_module.Config, steps: Callable[[Poller], Awaitable[T]]) -> T:
    """`steps` on one Poller, as a daemon keeps one across its polls."""

    async def run() -> T:
        poller = Poller(store, config, processes=0)
        try:
            return await steps(poller)
        finally:
            await poller.aclose()

    return asyncio.run(run())


def test_the_daemons_second_poll_prepares_only_what_is_new_and_stores_everything(
    prepared_count: list[Item], write_config: Callable[[str], Path]
) -> None:
    edited = entry(2, summary=f"Story 2, updated: a third award. {SIGN_OFF}")
    with wire(write_config, rss("Gazette", [entry(i) for i in range(8)])) as (server, config, store):

        async def twice(poller: Poller) -> tuple[int, int]:
            first = await poller.poll_once()
            server.put("/f.xml", rss("Gazette", [entry(8), edited, *(entry(i) for i in range(8) if i != 2)]))
            second = await poller.poll_once()
            return first.items_new, second.items_new + second.items_updated

        assert polled(store, config, twice) == (8, 2)
        stored = {row["title"]: row["summary"] for row in store.items(ItemFilter(limit=None))}
    assert [item.title for item in prepared_count[8:]] == [entry(8)["title"], entry(2)["title"]]
    assert len(stored) == 9
    assert stored[entry(2)["title"]].startswith("Story 2, updated")


def test_a_poll_never_stored_lets_nothing_be_skipped(
    prepared_count: list[Item], write_config: Callable[[str], Path]
) -> None:
    # Skipping is only for entries the store has: an outcome the writer has not committed
    # (queued, or its batch failing) tells the next poll nothing.
    with wire(write_config, rss("Gazette", [entry(i) for i in range(8)])) as (_, config, store):

        async def unstored_then_stored(poller: Poller) -> int:
            states = await poller.sync(NOW, tries=1)
            await poller.poll(config.feeds[0], states["Wire"])  # an outcome nobody stores
            return (await poller.poll_once()).items_new

        assert polled(store, config, unstored_then_stored) == 8
    assert len(prepared_count) == 16


# ── a server that ignores conditional GET ────────────────────────────────────────────


def test_the_same_bytes_again_from_a_site_without_validators_are_not_parsed_again(
    monkeypatch: pytest.MonkeyPatch, write_config: Callable[[str], Path]
) -> None:
    parsed: list[bytes] = []
    real = pipeline.parse_items

    def counting(body: bytes, *args: Any, **kwargs: Any) -> PreparedDocument:
        parsed.append(body)
        return real(body, *args, **kwargs)

    monkeypatch.setattr(pipeline, "parse_items", counting)
    first_body = rss("Gazette", [entry(i) for i in range(8)])
    with wire(write_config, first_body, conditional=False) as (server, config, store):

        async def three_polls(poller: Poller) -> list[int]:
            new = [(await poller.poll_once()).items_new, (await poller.poll_once()).items_new]
            server.put("/f.xml", rss("Gazette", [entry(i) for i in range(9)]))
            return [*new, (await poller.poll_once()).items_new]

        assert polled(store, config, three_polls) == [8, 0, 1]
        state = store.feed_states()["Wire"]
    assert server.requests == 3
    assert server.not_modified == 0
    assert parsed == [first_body, rss("Gazette", [entry(i) for i in range(9)])]
    assert (state.status, state.last_error, state.failures) == (200, None, 0)


def test_a_skipped_document_keeps_the_warnings_it_was_read_with(write_config: Callable[[str], Path]) -> None:
    body = rss("Gazette", [entry(i) for i in range(8)]).replace(b"Lighthouse", b"Lighth\xe9use")
    with wire(write_config, body, conditional=False) as (server, config, store):

        async def twice(poller: Poller) -> list[tuple[str, ...]]:
            warnings = []
            for _ in range(2):
                await poller.poll_once()
                warnings.append(store.feed_states()["Wire"].warnings)
            return warnings

        first, second = polled(store, config, twice)
    assert server.requests == 2
    assert len(first) == 1
    assert "windows-1252" in first[0]
    assert second == first


def test_a_counter_feed_polled_every_ten_minutes_keeps_few_versions_and_every_word_edit(
    write_config: Callable[[str], Path],
) -> None:
    """hnrss-style entries whose summary is a points and comments count that moves at every
    poll: each entry keeps its latest text, the counts it had at ever wider intervals, and
    every text a word edit gave it (`normalise.keeps_replaced_text`)."""

    def counted(minute: int) -> bytes:
        titles = ["Show HN: a feed monitor", "Ask HN: favourite RSS readers?"]
        if minute >= 30:
            titles[1] = "Ask HN: what RSS readers do you use?"  # an edit in words
        return rss(
            "HN",
            [
                {**entry(i), "title": title, "summary": f"Points: {minute + i} # Comments: {minute // 10}"}
                for i, title in enumerate(titles)
            ],
        )

    minutes = list(range(0, 70, 10))
    with wire(write_config, counted(0)) as (server, config, store):

        async def polls() -> list[tuple[int, int]]:
            now = [NOW]
            poller = Poller(store, config, processes=0, clock=lambda: now[0])
            counts = []
            try:
                for minute in minutes:
                    now[0] = NOW + timedelta(minutes=minute)
                    server.put("/f.xml", counted(minute))
                    stats = await poller.poll_once()
                    counts.append((stats.items_new, stats.items_updated))
            finally:
                await poller.aclose()
            return counts

        assert asyncio.run(polls()) == [(2, 0)] + [(0, 2)] * 6
        rows = {row["title"]: row for row in store.items(ItemFilter(limit=None))}
        versions = store.item_versions([row["id"] for row in rows.values()])
    show, ask = rows["Show HN: a feed monitor"], rows["Ask HN: what RSS readers do you use?"]
    assert show["summary"] == ask["summary"].replace("61", "60") == "Points: 60 # Comments: 6"
    # Replaced at 10, 20 and 40 minutes: the counts of minutes 0, 10 and 30.
    counts = [f"Points: {m} # Comments: {m // 10}" for m in (0, 10, 30)]
    assert [v["summary"] for v in versions[show["id"]]] == counts
    # The reworded title came at 30: the text it replaced and the first text it had are kept too.
    assert [(v["title"][:14], v["replaced"][11:16]) for v in versions[ask["id"]]] == [
        ("Ask HN: favour", "12:10"),
        ("Ask HN: favour", "12:20"),
        ("Ask HN: favour", "12:30"),
        ("Ask HN: what R", "12:40"),
    ]
