"""Every document of the shared feed corpora through the whole pipeline into a real store.

tests/test_feed_corpora.py checks parse + normalise against feedparser's own Expect lines;
this file goes further, as a poll does: `pipeline.parse_items` (parse → normalise → oldest
first) and then `Processor.process` (store → dedupe → classify → alerts) into a temporary
SQLite file, one feed per corpus file, one transaction per file as the writer makes them.

What it proves, for ~4,400 documents written by others:

- nothing raises out of the pipeline except the ParseError that refuses a document;
- no valid item is lost: the rows stored for a file are exactly the distinct identities
  among the entries feedparser yields for it, and every distinct text among them is
  stored (an entry repeated word for word is one item; entries that share a guid but
  differ, as two Scripting News posts and two Taverncast episodes do, are kept apart by
  `normalise.distinct_keys`: under one key, one overwrote the other);
- the database is still sound afterwards (PRAGMA integrity_check);
- no entry is called a duplicate of another entry of its own feed with another
  headline: feeds whose entries all share one link (a podcast's home page, a blog's day
  page with #fragments) once made 97 distinct real-world entries "duplicates" of their
  neighbours. (Across feeds a shared link under another headline is an aggregator's copy,
  by design: the feedparser cases, all linking to example.com, have many.)

The summary (files, crashes, items, refusals by reason, slowest file) is printed; run
with -s to see it. RELIABILITY.md quotes it.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from monitor import config as config_module
from monitor.dedupe import normalise_text
from monitor.exceptions import ParseError
from monitor.pipeline import Deciders, PollOutcome, Processor, parse_items
from monitor.store import Store
from monitor.types import FeedConfig, FeedState
from monitor.watch import shipped_watch
from tests.test_feed_corpora import FEEDS, _served_as

DECIDERS = Deciders.build([shipped_watch()])  # what a poll decides with, as in the daemon

pytestmark = pytest.mark.slow

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)


@dataclass
class FileRun:
    """One corpus file through the pipeline."""

    path: str
    seconds: float = 0.0
    feedparser_entries: int = 0
    items: int = 0
    identities: int = 0
    stored: int = 0
    lost_texts: int = 0  # distinct entry texts (fingerprints) of the file not in the store
    rejected: str | None = None
    crash: str | None = None


@dataclass
class Run:
    files: list[FileRun]
    seconds: float
    integrity_ok: bool
    alerts: int
    # (feed, headline, original's feed, original's headline) of every duplicate stored
    duplicates: list[tuple[str, str, str, str]]
    # feed → the most items of that feed in one story
    largest_story: dict[str, int]


def _reference_entries(raw: bytes, headers: dict[str, str]) -> int:
    return len(feedparser.parse(io.BytesIO(raw), response_headers=headers).entries)


def _one(processor: Processor, path: Path, feed: FeedConfig) -> FileRun:
    relative = path.relative_to(FEEDS).as_posix()
    run = FileRun(relative)
    raw = path.read_bytes()
    headers, url = _served_as(relative, raw)
    run.feedparser_entries = _reference_entries(raw, headers)
    started = time.perf_counter()
    state = FeedState(name=feed.name, url=feed.url)
    try:
        items = parse_items(raw, headers, url, feed, NOW, deciders=DECIDERS).items
        run.items = len(items)
        run.identities = len({p.item.key for p in items})
        processor.process([PollOutcome(state, items)], NOW)
        stored = processor.store.conn.execute("SELECT fingerprint FROM items WHERE feed = ?", [feed.name])
        run.lost_texts = len({p.item.fingerprint for p in items} - {row[0] for row in stored})
    except ParseError as error:
        run.rejected = str(error)
        processor.process([PollOutcome(state)], NOW)  # the refusal is a poll outcome too
    except Exception as error:  # the point of the test: count crashes, do not stop at one
        run.crash = f"{type(error).__name__}: {error}"
    run.seconds = time.perf_counter() - started
    return run


def _stored_per_feed(store: Store) -> dict[str, int]:
    return dict(store.conn.execute("SELECT feed, count(*) FROM items GROUP BY feed").fetchall())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    if not FEEDS.is_dir():
        pytest.skip(f"feed corpora not found at {FEEDS} (shared/feeds beside the project)")
    folder = tmp_path_factory.mktemp("corpora")
    (folder / "monitor.toml").write_text('database = "corpora.db"\n', encoding="utf-8")
    config = config_module.load(folder / "monitor.toml")  # the shipped watch classifies
    paths = sorted(p for p in FEEDS.rglob("*") if p.is_file())
    feeds = {
        p: FeedConfig(name=p.relative_to(FEEDS).as_posix(), url=f"http://127.0.0.1/{i}")
        for i, p in enumerate(paths)
    }
    store = Store.open(config.database)
    try:
        store.sync_feeds(list(feeds.values()), NOW)
        processor = Processor(store, config)
        started = time.perf_counter()
        files = [_one(processor, path, feed) for path, feed in feeds.items()]
        seconds = time.perf_counter() - started
        stored = _stored_per_feed(store)
        for file in files:
            file.stored = stored.get(file.path, 0)
        duplicates = store.conn.execute(
            "SELECT copy.feed, copy.title, original.feed, original.title FROM items AS copy"
            " JOIN items AS original ON copy.duplicate_of = original.id"
        ).fetchall()
        largest = dict(
            store.conn.execute(
                "SELECT feed, max(n) FROM (SELECT feed, count(*) AS n FROM items GROUP BY feed, story)"
                " GROUP BY feed"
            ).fetchall()
        )
        result = Run(files, seconds, store.integrity_ok(), store.count("alerts"), duplicates, largest)
    finally:
        store.close()
    _print_summary(result)
    return result


def _print_summary(run: Run) -> None:
    files = run.files
    accepted = [f for f in files if f.rejected is None and f.crash is None]
    rejected = Counter(_reason_group(f.rejected) for f in files if f.rejected)
    slowest = sorted(files, key=lambda f: f.seconds, reverse=True)[:3]
    print(f"\n== corpora through the whole pipeline: {len(files)} files in {run.seconds:.1f} s")
    print(f"   crashes: {sum(1 for f in files if f.crash)}")
    print(f"   accepted documents: {len(accepted)}")
    entries = sum(f.feedparser_entries for f in accepted)
    identities = sum(f.identities for f in accepted)
    stored = sum(f.stored for f in accepted)
    print(
        f"   entries feedparser yields: {entries}; items: {sum(f.items for f in accepted)}; "
        f"distinct identities: {identities}; rows stored: {stored}"
    )
    collapsed = [f for f in accepted if f.identities < f.items]
    print(
        f"   files whose entries share an identity and text (collapsed by design): {len(collapsed)}, "
        f"{sum(f.items - f.identities for f in collapsed)} entries"
    )
    print(f"   alerts raised by corpus items: {run.alerts}; integrity_check ok: {run.integrity_ok}")
    print(f"   rejected: {sum(rejected.values())} documents")
    for reason, count in rejected.most_common():
        print(f"     {count:5}  {reason}")
    refused = [f for f in files if f.rejected and f.feedparser_entries]
    print(f"   rejected documents in which feedparser finds entries: {len(refused)}")
    for f in refused:
        print(f"     {f.path}: {f.feedparser_entries} entries; {f.rejected}")
    for f in slowest:
        print(f"   slow: {f.path} {f.seconds * 1000:.0f} ms ({f.items} items)")
    for f in files:
        if f.crash:
            print(f"   ! {f.path}: {f.crash}")


def _reason_group(reason: str | None) -> str:
    return re.sub(r"<unknown>:\d+:\d+: ", "", reason or "")


def test_no_document_crashes_the_pipeline(run: Run) -> None:
    assert [(f.path, f.crash) for f in run.files if f.crash] == []


def test_every_entry_feedparser_yields_becomes_an_item(run: Run) -> None:
    accepted = [f for f in run.files if f.rejected is None and f.crash is None]
    assert [
        (f.path, f.feedparser_entries, f.items) for f in accepted if f.items != f.feedparser_entries
    ] == []


def test_every_distinct_identity_is_stored(run: Run) -> None:
    lost = [(f.path, f.identities, f.stored) for f in run.files if f.stored != f.identities]
    assert lost == []
    assert sum(f.stored for f in run.files) > 2_000  # the corpora did go in


def test_no_entry_text_is_lost(run: Run) -> None:
    assert [(f.path, f.lost_texts) for f in run.files if f.lost_texts] == []
    kept_apart = {f.path: (f.items, f.stored) for f in run.files if f.path.endswith("scriptingNews.rss")}
    assert kept_apart == {"realworld/rsparser/scriptingNews.rss": (50, 50)}  # 4 posts under 2 guids


def test_refused_documents_store_nothing_and_the_database_is_sound(run: Run) -> None:
    assert all(f.stored == 0 for f in run.files if f.rejected)
    assert run.integrity_ok


def test_no_entry_is_a_duplicate_of_another_headline_in_its_own_feed(run: Run) -> None:
    same_feed = [(a, b) for feed, a, original_feed, b in run.duplicates if feed == original_feed]
    assert [(a, b) for a, b in same_feed if normalise_text(a) != normalise_text(b)] == []
    assert same_feed  # a feed's real repeats are still found (a Craigslist ad posted twice)
    assert len(run.duplicates) > 100, len(run.duplicates)  # and so are copies across feeds


def test_posts_alike_only_in_their_sites_boilerplate_do_not_chain_into_one_story(run: Run) -> None:
    # Reddit's 24 posts a snapshot share only "submitted by… [link][N comments]"; before
    # that boilerplate was discounted, 9-14 of them formed one story.
    reddit = [f"realworld/rss-parser/{name}.rss" for name in ("reddit", "reddit-atom", "reddit-home")]
    largest = {feed: run.largest_story[feed] for feed in reddit}
    assert all(n <= 2 for n in largest.values()), largest  # two posts about one film star


def test_the_corpora_go_through_in_reasonable_time(run: Run) -> None:
    # Measured ~25 s on 2 cores (with feedparser's reference parse); room for slow CI.
    assert run.seconds < 240
    assert max(f.seconds for f in run.files) < 10
