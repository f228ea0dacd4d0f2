"""Prepare: what a parse worker does to one fetched document, away from the writer.

    parse (parse.py) → normalise (normalise.py) → dedupe features (dedupe.py) and
    statement (classify.py)

Everything here is decided without the store, so it runs in the process pool on the second
core while the single writer only looks up, compares and stores. The workers import this
module and nothing heavier: no HTTP client, no SQLite layer, no notification library, which
keeps each worker's memory to the parsing it does.
"""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from monitor import classify, dedupe, normalise, parse
from monitor.types import FeedConfig, Item, Statement
from monitor.watch import Watch

__all__ = [
    "Deciders",
    "Prepared",
    "PreparedDocument",
    "Seen",
    "document_digest",
    "init_worker",
    "parse_items",
]

# Bytes of an entry's digest in `Seen`: a new entry is skipped as seen only on a 64-bit
# collision with one of its feed's last ~50 entries, about 1 in 10^17 per poll, while 10,000
# feeds of 50 entries keep 4 MB of digests.
SEEN_DIGEST_BYTES = 8
# A document is prepared whole, its boilerplate computed afresh, when more than this share
# of its entries is new: the first poll, a restart, a feed that changed its template. Else
# the few new entries take the boilerplate computed over the last whole document.
SEEN_REFRESH_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Prepared:
    """An item with all that can be decided without the store: its dedupe features (packed:
    see `dedupe.Packed`), its statement and the seed it retells. Made in the parse workers
    (the second core), so the single writer only looks up, compares and stores; from the
    parse workers to the writer."""

    item: Item
    packed: dedupe.Packed
    statement: Statement | None
    seed: dedupe.SeedMatch
    # What most entries of the item's document say (`dedupe.boilerplate`): one set shared by
    # the document's items, pickled once with them.
    boilerplate: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """One document's prepared items and what the parser repaired or tolerated in it
    (`ParsedFeed.warnings`), which the writer stores with the feed's state; from the parse
    workers to the poller."""

    items: tuple[Prepared, ...]
    warnings: tuple[str, ...] = ()
    # The document's entries (the prepared items are those not seen before): what the next
    # poll of its feed skips once the writer has stored this one.
    seen: Seen | None = None

    @property
    def entries(self) -> int:
        return self.seen.entries if self.seen is not None else len(self.items)


@dataclass(frozen=True, slots=True)
class Seen:
    """A feed's last stored document: a digest of each entry's key and text, and the
    boilerplate (`dedupe.boilerplate`) of the last document prepared whole.

    An entry with the same key and text as one its feed showed last time is a no-op for the
    writer (stored, unchanged), so a worker need not prepare it. Preparing is 0.21 ms of an
    entry's 0.65 ms in a worker (feedparser 0.36), and each prepared entry is pickled to the
    main process and looked up by the writer. A poll where 10 % of 300 feeds gained 3 entries
    among 50 (`benchmarks.ab`, medians of 9): 1.41 -> 1.09 s of CPU, 0.745 -> 0.591 s.
    In memory only (`Poller`), so `run --once` and a restarted daemon prepare everything once.
    """

    digests: bytes
    # Space-joined, as `dedupe.Packed` keeps token bags: the daemon holds one Seen per feed,
    # and as a frozenset the farm's ~46 boilerplate tokens took 5.1 KB a feed (51 MB at
    # 10,000 feeds), as one string 0.4 KB.
    boilerplate: str = ""
    # The document's own digest (`document_digest`), set by the poller: the same bytes
    # again, from a server that ignores conditional GET, need no parse at all.
    document: bytes = b""

    @property
    def entries(self) -> int:
        return len(self.digests) // SEEN_DIGEST_BYTES

    def common(self) -> frozenset[str]:
        """The boilerplate tokens, as `dedupe.decide` takes them."""
        return frozenset(self.boilerplate.split())

    def members(self) -> frozenset[bytes]:
        step = SEEN_DIGEST_BYTES
        return frozenset(self.digests[i : i + step] for i in range(0, len(self.digests), step))


def document_digest(body: bytes, content_type: str) -> bytes:
    """What identifies a fetched document in `Seen`: its bytes, and the media type and
    charset they are read with."""
    digest = hashlib.blake2b(content_type.encode() + b"\n", digest_size=16)
    digest.update(body)
    return digest.digest()


def entry_digest(item: Item) -> bytes:
    """What identifies an entry in `Seen`: its key and its text's fingerprint."""
    raw = f"{item.key}\n{item.fingerprint}".encode()
    return hashlib.blake2b(raw, digest_size=SEEN_DIGEST_BYTES).digest()


@dataclass(frozen=True, slots=True)
class Deciders:
    """The watches and their seed index, built once per process (see `init_worker`)."""

    watches: tuple[Watch, ...]
    seeds: dedupe.SeedIndex

    @classmethod
    def build(cls, watches: Sequence[Watch]) -> Deciders:
        return cls(tuple(watches), dedupe.SeedIndex(watches))

    def classify(self, item: Item) -> Statement | None:
        """The first watch's statement in `item`, if any watch finds one."""
        for watch in self.watches:
            if (statement := classify.classify(item, watch)) is not None:
                return statement
        return None

    def prepare(self, item: Item) -> Prepared:
        features = dedupe.features(item, self.seeds)
        statement = self.classify(item)
        seed = dedupe.seed_match(item, features, self.seeds, statement=statement)
        return Prepared(item, dedupe.pack(features), statement, seed)


# Parse workers run at a lower CPU priority than the main process (Unix niceness). On two
# cores the two workers and the main process compete for both; the main process holds the
# poll's critical path (the single writer) and the latency-sensitive work (timing requests,
# delivering alerts). First poll of 1,000 x 50 (benchmark farm): the writer waited 14.4 s
# for a core at equal priority and 8.5-9 s with the workers at +10, its CPU unchanged;
# `benchmarks.ab`, alternating: 52.3 -> 46.4 s (medians of 3), and at 300 x 50
# 13.5 -> 12.3 s, the all-304 poll unchanged (0.49 / 0.43 s).
WORKER_NICENESS = 10

# A worker process's deciders, set once by `init_worker` (pickling the watches with every
# document would cost more than parsing it).
_worker_deciders: Deciders | None = None


def init_worker(watches: Sequence[Watch]) -> None:
    """ProcessPoolExecutor initializer: build this worker's deciders once, ignore Ctrl-C,
    and yield the CPU to the main process (see WORKER_NICENESS)."""
    global _worker_deciders  # noqa: PLW0603 - one per worker process, by design
    _worker_deciders = Deciders.build(watches)
    # Ctrl-C in a terminal signals the whole process group: the workers are stopped by the
    # main process, which drains first; each died with its own KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):  # not on Windows, where the workers keep the parent's priority
        os.nice(WORKER_NICENESS)


def parse_items(
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    feed: FeedConfig,
    now: datetime,
    *,
    seen: Seen | None = None,
    deciders: Deciders | None = None,
) -> PreparedDocument:
    """parse, normalise and prepare one document's entries, but those `seen` holds; runs in
    a worker process, so module-level."""
    chosen = deciders or _worker_deciders
    if chosen is None:
        raise RuntimeError("parse_items needs deciders: pass them, or run in a pool made by Poller")
    parsed = parse.parse(body, headers, url)
    items = normalise.distinct_keys(
        [normalise.normalise(e, feed=feed.name, official=feed.official, now=now) for e in parsed.entries]
    )
    digests = [entry_digest(item) for item in items]
    known = seen.members() if seen is not None else frozenset()
    fresh = [item for item, digest in zip(items, digests, strict=True) if digest not in known]
    if seen is not None and len(fresh) <= SEEN_REFRESH_SHARE * len(items):
        common = seen.common()
        prepared = tuple(chosen.prepare(item) for item in fresh)
    else:
        whole = [chosen.prepare(item) for item in items]
        common = dedupe.boilerplate([p.packed.tokens for p in whole])
        prepared = tuple(p for p, digest in zip(whole, digests, strict=True) if digest not in known)
    if common:
        prepared = tuple(replace(p, boilerplate=common) for p in prepared)
    return PreparedDocument(prepared, parsed.warnings, Seen(b"".join(digests), " ".join(sorted(common))))
