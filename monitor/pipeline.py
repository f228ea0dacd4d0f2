"""The pipeline: how one poll of many feeds flows through the stages.

    for each feed due, concurrently (at most a few per host):
        result  = fetch(feed.url, feed.validators)             # fetch.py, async IO
        doc     = prepare.parse_items(result.body, …)            # prepare.py, in a process
                  # parse → normalise → dedupe features + classify statement: CPU;
                  # doc.items, and doc.warnings: what the parser repaired or tolerated
        state   = next_state(feed, result | error, doc.warnings, now)  # schedule.py, pure
    one writer thread, in large transactions:
        for each outcome: store.record_poll(state)             # the warnings with it
            for each item, oldest first:
                stored?  same fingerprint → nothing; edited → store.update_item, and
                         an alert if the new text reports a statement
                new:     sameness  = dedupe.decide(item, store.candidates(...))  # pure
                         alert     = alerts.decide(statement, store.alerts_for(...), date)  # pure
                         store.insert_item(...) and, for a new alert, its outbox rows
    then: deliver every due outbox row                          # deliver.py, async IO

Deciding lives in the stage modules; this module only moves data between them, and
`Processor` (the writer side) is the only part that calls the store.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from monitor import alerts, dedupe, deliver, fetch, normalise, notify, observe, schedule
from monitor.config import Config
from monitor.exceptions import FeedError, ParseError, StorageUnavailableError
from monitor.prepare import (
    Deciders,
    Prepared,
    PreparedDocument,
    Seen,
    document_digest,
    init_worker,
    parse_items,
)
from monitor.store import Delivery, Store
from monitor.types import (
    KEY_TIEBREAK,
    Channel,
    FeedConfig,
    FeedState,
    FetchResult,
    Item,
    Statement,
    Validators,
)

__all__ = [
    "Deciders",
    "PollOutcome",
    "Poller",
    "Prepared",
    "PreparedDocument",
    "Processor",
    "RunStats",
    "init_worker",
    "message_ids",
    "next_state",
    "parse_items",
    "record_test",
    "send_test",
    "write_retry_delay",
]

log = logging.getLogger("monitor.poll")
delivery_log = logging.getLogger("monitor.deliver")
T = TypeVar("T")

# Below this many feeds a process pool costs more to start than it saves.
PROCESS_POOL_MIN_FEEDS = 8
# Outcomes the writer takes per transaction: large enough to amortise the fsync,
# small enough that an alert is not held back long behind a burst of polls. 16 was
# tried: 10 MiB less held in parsed outcomes at a 300 x 50 first poll, as fast, but an
# all-304 poll of 300 feeds took 0.41 s against 0.38 s with 32 (twice the commits, each
# an fsync; medians of 20 side by side).
WRITE_BATCH = 32
# Outcomes waiting for the writer, in batches: enough to keep it busy (the benchmark's first
# poll is as fast with 1 batch as with 2) and a bound on memory (a prepared 50-item feed
# holds ~140 KB, see `dedupe.Packed`).
QUEUE_BATCHES = 1
# Polls fetching, parsing or waiting for the writer at once: above fetch's own in-flight
# limit (so the network stays busy) and small enough to bound memory (see `poll_into`).
POLL_SLOTS = 32
# A batch the writer cannot commit (locked, disk full…) is kept and tried again after
# these waits, doubling from the first to the last: a lock held for a `monitor rescan` or
# a sqlite3 session is gone within seconds to minutes, and a full disk needs a person, for
# whom one ERROR line a minute is enough. Every try that meets a lock also waits out
# SQLite's busy timeout (`store.BUSY_TIMEOUT_MS`, 10 s) first.
WRITE_RETRY_FIRST = 1.0
WRITE_RETRY_LAST = 60.0
# `run --once` gives up after this many failed tries (about a minute with a lock held:
# 1 + 2 + 4 + 8 s of waits, and 10 s of busy timeout each) rather than pile up under cron;
# its feeds keep their stored state, so the next run polls them again.
ONCE_WRITE_TRIES = 5
# How long an interrupted `run --once` waits for the writer to store the polls already done:
# a 32-feed batch of 50 new items each takes about a second on the benchmark machine.
ABANDON_SECONDS = 5.0
# Due deliveries one endpoint's worker reads at a time (it reads again when they are done).
DELIVERY_BATCH = 100
# Items re-decided per transaction by `monitor rescan`.
RESCAN_BATCH = 500
# Earlier articles of a recycled guid that a new text under it is checked against: a
# headline edit of the article a feed now shows is among its newest few.
RECYCLED_LOOKBACK = 5


# (feed, key) → (id, fingerprint) of the entries stored, as the writer's transaction goes.
Known = dict[tuple[str, str], tuple[int, str | None]]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """One feed's poll: its next state and the items it yielded; from the pollers to the writer."""

    state: FeedState
    items: tuple[Prepared, ...] = ()  # the entries to store: those not seen the poll before
    duration: float = 0.0
    seen: Seen | None = None  # what the feed's next poll may skip, once this one is stored

    @property
    def entries(self) -> int:
        """The entries its document held (none without a document: a 304, an error)."""
        return self.seen.entries if self.seen is not None else 0


@dataclass(slots=True)
class RunStats:
    """What a poll run did, for the log and `run --once`."""

    feeds: int = 0
    failed: int = 0
    not_modified: int = 0
    items_new: int = 0
    items_updated: int = 0
    alerts: int = 0
    queued: int = 0  # earlier alerts never queued, queued now (`rescan --alert`)
    deliveries: int = 0
    delivered: int = 0
    by_feed: dict[str, int] = field(default_factory=dict)
    # `run --once`: failing feeds not polled because their backoff or Retry-After runs on,
    # and the earliest time one of them is due.
    held_back: int = 0
    held_back_until: datetime | None = None


# ------------------------------------------------------------- pure parts ---


def next_state(
    state: FeedState,
    *,
    feed: FeedConfig,
    now: datetime,
    jitter: float,
    result: FetchResult | None = None,
    error: FeedError | None = None,
    warnings: tuple[str, ...] = (),
) -> FeedState:
    """The feed's state after a poll that got `result` (the response, if one came) and
    failed with `error`, if it did: a 404, or a 200 whose body is not a feed.

    `warnings` (what the parser repaired or tolerated) replace the stored ones when the
    poll read a document (a 200): a 304 says the document is the one they were found in,
    and a poll that got no document says nothing about it, so both keep them.
    """
    headers = result.headers if result else {}
    status = result.status if result else (error.status if error else None)
    failures = state.failures + 1 if error else 0
    next_poll = schedule.next_poll(
        now=now,
        interval=feed.interval,
        status=None if error and status in (200, 304) else status,
        headers=headers,
        failures=failures,
        jitter=jitter,
    )
    validators = state.validators
    if result and result.status == 200 and not error:
        validators = Validators(result.headers.get("etag"), result.headers.get("last-modified"))
    return replace(
        state,
        # Move to a permanent redirect's target only once it has answered with a feed.
        url=(result.permanent_url or state.url) if result and not error else state.url,
        validators=validators,
        last_polled=now,
        status=status,
        last_error=str(error) if error else None,
        failures=failures,
        next_poll=next_poll,
        warnings=warnings if result and result.status == 200 else state.warnings,
    )


def write_retry_delay(failures: int) -> float:
    """Seconds before the next try of a batch that failed to commit `failures` times in a row."""
    return float(min(WRITE_RETRY_LAST, WRITE_RETRY_FIRST * 2 ** (failures - 1)))


def _stored_as(prepared: Prepared, known: Known) -> tuple[Prepared, tuple[int, str | None]] | None:
    """An entry as an earlier poll stored it under its other key (`normalise.other_key`), if
    it did: under the key it had beside a namesake (same title and date: the same entry,
    edited or not), or under its identity's own key with the same text."""
    item = prepared.item
    other = normalise.other_key(item)
    stored = known.get((item.feed, other))
    beside_namesake = KEY_TIEBREAK not in item.key  # then `other` is the key it had there
    if stored is None or not (beside_namesake or stored[1] == item.fingerprint):
        return None
    return replace(prepared, item=replace(item, key=other)), stored


def http_error(result: FetchResult) -> FeedError | None:
    """A response that is not a feed body: every status but 200 (and 304) is an error state."""
    if result.status in (200, 304):
        return None
    reason = httpx.codes.get_reason_phrase(result.status)
    return FeedError(f"HTTP {result.status} {reason}".strip(), status=result.status)


# ------------------------------------------------------------- the writer ---


class Processor:
    """The writer side: decides and stores what polls brought. Runs in one thread."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.deciders = Deciders.build(config.watches)
        self.seeds = self.deciders.seeds
        self.channels = config.channels
        self.message_id = message_ids(store)
        # What a batch tells the logs and /metrics, said once its transaction is committed:
        # a batch rolled back (disk full, a lock held too long) is stored again by the next
        # try, and said then, not twice.
        self._announce: list[Callable[[], None]] = []

    def process(self, outcomes: Sequence[PollOutcome], now: datetime) -> RunStats:
        """Store a batch of poll outcomes in one transaction.

        Items of every feed in the batch are taken oldest first, so when two outlets' copies
        of one article arrive together the earlier one is the original, whichever poll
        finished first.
        """
        stats = RunStats()
        self._announce = []
        with self.store.transaction():
            known: Known = {}
            for outcome in outcomes:
                self.store.record_poll(outcome.state)
                keys = [key for p in outcome.items for key in (p.item.key, normalise.other_key(p.item))]
                known.update(
                    ((outcome.state.name, k), v)
                    for k, v in self.store.find_items(outcome.state.name, keys).items()
                )
            for prepared in sorted((p for o in outcomes for p in o.items), key=lambda p: p.item.published):
                self._item(prepared, known, now, stats)
        for announce in self._announce:
            announce()
        for outcome in outcomes:
            _log_poll(outcome, stats.by_feed.get(outcome.state.name, 0))
        return stats

    def _item(self, prepared: Prepared, known: Known, now: datetime, stats: RunStats) -> None:
        item = prepared.item
        stored = known.get((item.feed, item.key))
        if stored is None and (earlier := _stored_as(prepared, known)) is not None:
            prepared, stored = earlier
        if stored is None and KEY_TIEBREAK not in item.key:
            stored = self._kept_apart(prepared)
        if stored is None:
            self._new(prepared, known, now, stats)
        elif stored[1] != item.fingerprint:
            self._changed(prepared, stored[0], known, now, stats)

    def _new(self, prepared: Prepared, known: Known, now: datetime, stats: RunStats) -> None:
        item, packed, statement = prepared.item, prepared.packed, prepared.statement
        stats.items_new += 1
        stats.by_feed[item.feed] = stats.by_feed.get(item.feed, 0) + 1
        features = dedupe.unpack(packed, item)
        candidates = self.store.candidates(
            canonical_link=item.canonical_link,
            title_key=features.title_key,
            keys=features.blocking_keys,
            since=item.published - dedupe.STORY_WINDOW,
            limit=dedupe.MAX_CANDIDATES,
            per_key=dedupe.PER_KEY_CANDIDATES,
        )
        sameness = dedupe.decide(
            item,
            features,
            candidates,
            self.seeds,
            statement=statement,
            seed=prepared.seed,
            boilerplate=prepared.boilerplate,
        )
        item_id = self.store.insert_item(
            item,
            now=now,
            title_key=features.title_key,
            keys=features.blocking_keys,
            sameness=sameness,
            statement=statement,
            saved=packed.saved,
        )
        known[(item.feed, item.key)] = (item_id, item.fingerprint)  # a feed may repeat an entry
        self._announce.append(functools.partial(observe.record_item, sameness))
        if statement is not None:
            self._alert(statement, item_id, item, now, stats)

    def _changed(
        self, prepared: Prepared, item_id: int, known: Known, now: datetime, stats: RunStats
    ) -> None:
        """An entry back under a stored identity with another text: that entry edited, or
        another article its feed gave the identity to (a recycled guid), which is stored as
        an item of its own: folded in as an edit, it would never be deduplicated, grouped
        or listed."""
        item = prepared.item
        features = dedupe.unpack(prepared.packed, item)
        if dedupe.is_revision(item, features, self.store.candidate(item_id)):
            self._edit(prepared, item_id, features, now, stats)
            known[(item.feed, item.key)] = (item_id, item.fingerprint)
            return
        recycled = replace(prepared, item=normalise.recycled_key(item))
        stored = self._recycled(recycled.item, item.key, features, known)
        if stored is None:
            self._new(recycled, known, now, stats)
        elif stored[1] != item.fingerprint:
            self._edit(recycled, stored[0], features, now, stats)
            known[(item.feed, recycled.item.key)] = (stored[0], item.fingerprint)

    def _recycled(
        self, item: Item, identity: str, features: dedupe.Features, known: Known
    ) -> tuple[int, str | None] | None:
        """The stored article `item` is, of those its recycled `identity` carried: the one
        under its own key, else one with its text, else one it revises; None if it is new."""
        exact = known.get((item.feed, item.key)) or self.store.find_item(item.feed, item.key)
        if exact is not None:
            return exact
        return self._among(item, features, self.store.find_recycled(item.feed, identity, RECYCLED_LOOKBACK))

    def _kept_apart(self, prepared: Prepared) -> tuple[int, str | None] | None:
        """The stored entry a new text under a plain identity is, when earlier documents
        showed that identity on several entries, which were keyed apart by title and date
        (`distinct_keys`): shown alone now with its headline edited, an entry is under
        neither of its keys. None (the usual answer: one index probe) if it is new."""
        item = prepared.item
        earlier = self.store.find_recycled(item.feed, item.key, RECYCLED_LOOKBACK)
        if not earlier:
            return None
        return self._among(item, dedupe.unpack(prepared.packed, item), earlier)

    def _among(
        self, item: Item, features: dedupe.Features, earlier: Sequence[tuple[int, str | None]]
    ) -> tuple[int, str | None] | None:
        """Which of the `earlier` entries under `item`'s identity it is: the one with its
        text, else the one it is an edit of (`dedupe.edited_entry`), else None."""
        for item_id, fingerprint in earlier:
            if fingerprint == item.fingerprint:
                return item_id, fingerprint
        fingerprints = dict(earlier)
        edited = dedupe.edited_entry(item, features, [self.store.candidate(i) for i in fingerprints])
        return None if edited is None else (edited.id, fingerprints[edited.id])

    def _edit(
        self, prepared: Prepared, item_id: int, features: dedupe.Features, now: datetime, stats: RunStats
    ) -> None:
        """An entry edited under its identity: its new text, and the decisions read from it.

        Wire services update a story in place as it develops ("Updated: Meta confirmed…"),
        so an edit that now reports a statement alerts as a new item would: once per
        statement (an alert already raised for it is joined, not repeated). What dedupe
        compares later items with is the new text; the item keeps its duplicate and story
        links, decided on its first version, which other items may point through.
        """
        seed, seed_score = prepared.seed
        item = prepared.item
        current, kept, first_seen = self.store.text_history(item_id)
        self.store.update_item(
            item_id,
            item,
            now,
            title_key=features.title_key,
            keys=features.blocking_keys,
            saved=prepared.packed.saved,
            keep_replaced=normalise.keeps_replaced_text(
                current, (item.title, item.summary, item.link), kept, first_seen=first_seen, now=now
            ),
        )
        self.store.set_decisions(item_id, seed=seed, seed_score=seed_score, statement=prepared.statement)
        stats.items_updated += 1
        if prepared.statement is not None:
            self._alert(prepared.statement, item_id, prepared.item, now, stats)

    def rescan(self, now: datetime, *, alert: bool, progress: Callable[[int], None]) -> RunStats:
        """Re-decide seed and statement for every stored item, after a watch or seed changed.

        Statements found on old items are recorded as alerts so later items join them; those
        alerts are delivered only with `alert=True`, else they are silent (no deliveries):
        the user asked to backfill, not to be paged about last month. With `alert=True`, an
        alert an earlier silent rescan recorded (it has no delivery at all) is queued too:
        else `rescan --alert` after `rescan` could never send it (`stats.queued`).
        """
        stats, last = RunStats(), 0
        channels = self.channels if alert else ()
        while batch := self.store.items_after(last, RESCAN_BATCH):
            with self.store.transaction():
                for item, item_id, _seed, item_alert in batch:
                    self._redecide(item, item_id, item_alert, now=now, channels=channels, stats=stats)
            last = batch[-1][1]
            progress(len(batch))
        return stats

    def _redecide(
        self,
        item: Item,
        item_id: int,
        item_alert: int | None,
        *,
        now: datetime,
        channels: Sequence[Channel],
        stats: RunStats,
    ) -> None:
        statement = self.deciders.classify(item)
        seed, score = dedupe.seed_match(
            item, dedupe.features(item, self.seeds), self.seeds, statement=statement
        )
        self.store.set_decisions(item_id, seed=seed, seed_score=score, statement=statement)
        stats.items_updated += 1
        if statement is None:
            return
        if item_alert is not None:
            if channels and self.store.queue_unsent(item_alert, now, channels, self.message_id):
                stats.queued += 1
            return
        alert_id = alerts.decide(
            statement, self.store.alerts_for(statement), item.published, item.official
        ).join
        if alert_id is None:
            alert_id = self.store.create_alert(statement, item_id, now, channels, self.message_id)
            stats.alerts += 1
        self.store.set_item_alert(item_id, alert_id)

    def _alert(self, statement: Statement, item_id: int, item: Item, now: datetime, stats: RunStats) -> None:
        decision = alerts.decide(statement, self.store.alerts_for(statement), item.published, item.official)
        alert_id = decision.join
        if alert_id is None:
            alert_id = self.store.create_alert(statement, item_id, now, self.channels, self.message_id)
            stats.alerts += 1
            self._announce.append(functools.partial(_log_alert, alert_id, statement, item_id))
        self.store.set_item_alert(item_id, alert_id)


# ------------------------------------------------------------- the poller ---


class Poller:
    """Fetches feeds concurrently and hands outcomes to the single writer thread.

    `clock` and `rng` are seams for tests; the store is only ever used on `self.writer`.
    """

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        processes: int | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.rng = rng or random.Random()
        self.processor = Processor(store, config)
        self.channels = self.processor.channels
        self.writer = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="monitor-writer"
        )
        self.fetcher = fetch.Fetcher(fetch.make_client(transport))
        self.hooks = deliver.make_client(webhook_transport)
        self.processes = processes
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._pool_size = 0  # the pool's size, to replace a broken pool with one alike
        self.delivered_event = asyncio.Event()
        self.slots = asyncio.Semaphore(POLL_SLOTS)
        # Why the writer cannot commit right now, while it retries (/healthz); else None.
        self.write_failure: str | None = None
        self.retry_delay: Callable[[int], float] = write_retry_delay  # a seam: tests retry without waiting
        # One delivery worker per endpoint with something due (see `start_deliveries`).
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._wake: set[str] = set()  # endpoints whose running worker must look again
        self._attempted = self._delivered = 0  # since `_take_tally` last read them
        # Each feed's entries as of its last stored poll (`prepare.Seen`): in memory only,
        # so a restart prepares every entry once more, and the writer keeps deciding.
        self._seen: dict[str, Seen] = {}

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a store call on the writer thread (one connection, one thread)."""
        return await asyncio.get_running_loop().run_in_executor(self.writer, fn, *args)

    async def aclose(self) -> None:
        # A delivery cut short stays pending with its old due time: retried on the next start.
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await self.fetcher.aclose()
        await self.hooks.aclose()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        # Calls queued behind one still running (a delivery round's reads) are dropped:
        # their callers are gone. The one running ends within SQLite's busy timeout.
        self.writer.shutdown(wait=True, cancel_futures=True)

    # -- polling --------------------------------------------------------------

    async def poll_into(
        self, queue: asyncio.Queue[PollOutcome | None], feed: FeedConfig, state: FeedState
    ) -> FeedState:
        """Poll one feed and hand its outcome to the writer, holding a slot throughout.

        The slot is what bounds memory: a poll whose outcome waits for the writer keeps its
        slot, so no more than `POLL_SLOTS` parsed documents exist beyond the queue. Only the
        feed's next state comes back: a caller gathering a thousand polls must not keep a
        thousand parsed documents alive until the last one ends (it did: 330 MB).
        """
        async with self.slots:
            outcome = await self.poll(feed, state)
            await queue.put(outcome)
        return outcome.state

    async def poll(self, feed: FeedConfig, state: FeedState) -> PollOutcome:
        """Fetch, parse and normalise one feed; never raises for the feed's own failures."""
        started = time.perf_counter()
        outcome = await self._poll(feed, state, self.clock())
        return replace(outcome, duration=time.perf_counter() - started)

    async def _poll(self, feed: FeedConfig, state: FeedState, now: datetime) -> PollOutcome:
        jitter = self.rng.random()
        try:
            result = await self.fetcher.fetch(state.url, state.validators)
        except FeedError as unfetched:  # no response, or one that broke off (its status kept)
            return PollOutcome(next_state(state, feed=feed, now=now, jitter=jitter, error=unfetched))
        if refused := http_error(result):
            return PollOutcome(
                next_state(state, feed=feed, now=now, jitter=jitter, result=result, error=refused)
            )
        if result.not_modified:
            return PollOutcome(next_state(state, feed=feed, now=now, jitter=jitter, result=result))
        digest = document_digest(result.body, result.headers.get("content-type", ""))
        seen = self._seen.get(feed.name)
        if seen is not None and seen.document == digest:  # a 200 with the bytes last stored
            kept = state.warnings  # the same document's
            same = next_state(state, feed=feed, now=now, jitter=jitter, result=result, warnings=kept)
            return PollOutcome(same, seen=seen)
        try:
            document = await self._parse(result, feed, now)
        except FeedError as not_a_feed:
            # The server answered (200) with what is not a feed: the state keeps that status
            # beside the reason, as for a 404, so `monitor feeds` shows what answered instead
            # of a blank that reads as "nothing answered".
            return PollOutcome(
                next_state(state, feed=feed, now=now, jitter=jitter, result=result, error=not_a_feed)
            )
        read = next_state(state, feed=feed, now=now, jitter=jitter, result=result, warnings=document.warnings)
        seen = replace(document.seen, document=digest) if document.seen is not None else None
        return PollOutcome(read, document.items, seen=seen)

    async def _parse(self, result: FetchResult, feed: FeedConfig, now: datetime) -> PreparedDocument:
        loop = asyncio.get_running_loop()
        document = (result.body, dict(result.headers), result.url, feed, now)
        parse = functools.partial(parse_items, *document, seen=self._seen.get(feed.name))
        if self._pool is None:
            here = functools.partial(parse, deciders=self.processor.deciders)
            return await loop.run_in_executor(None, here)
        # A worker that dies (kill -9, the OOM killer) breaks the whole pool: every later
        # submit fails. The pool is replaced and the document tried once more on the new
        # one: the first death is most likely not the document's (the OOM killer picks the
        # largest process; an operator's kill); a second is blamed on it, as this feed's
        # error rather than a crash.
        try:
            return await self._in_pool(parse)
        except BrokenProcessPool:
            pass
        try:
            return await self._in_pool(parse)
        except BrokenProcessPool as e:
            raise ParseError(
                "the parser process died twice on this document (killed, or out of memory?);"
                " it is tried again at the next poll"
            ) from e

    async def _in_pool(self, parse: Callable[[], PreparedDocument]) -> PreparedDocument:
        """Parse in the process pool; a broken pool is replaced before the error goes up."""
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, parse)
        except BrokenProcessPool:
            self._replace_pool(pool)
            raise

    def start_pool(self, feeds: int) -> None:
        workers = self.processes
        if workers is None:
            workers = 0 if feeds < PROCESS_POOL_MIN_FEEDS else 2
        if workers > 0 and self._pool is None:
            self._pool = self._new_pool(workers)
            self._pool_size = workers

    def _new_pool(self, workers: int) -> concurrent.futures.ProcessPoolExecutor:
        import multiprocessing  # noqa: PLC0415 - only when a pool is wanted

        # forkserver: forking a process that runs threads (the writer, httpx) is unsafe.
        context = multiprocessing.get_context("forkserver")
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(self.config.watches,),
        )

    def _replace_pool(self, broken: concurrent.futures.ProcessPoolExecutor | None) -> None:
        """A new pool for `broken`, once: the polls that all hit it at once share the new one."""
        if broken is None or self._pool is not broken:
            return
        log.warning(
            "a parse worker died (killed, or out of memory?); starting %d new parse workers",
            self._pool_size,
        )
        _kill_workers(broken)
        broken.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool(self._pool_size)

    async def poll_once(self, *, everything: bool = False) -> RunStats:
        """`monitor run --once`: poll every active feed now, store, deliver what is due.

        A failing feed whose backoff or Retry-After has not run out is left for a later run
        (`schedule.held_back_until`), unless `everything` (`--all`).
        """
        now = self.clock()
        states = await self.sync(now, tries=ONCE_WRITE_TRIES)
        held: dict[str, datetime] = {}
        for name, state in states.items():
            until = schedule.held_back_until(now=now, next_poll=state.next_poll, failures=state.failures)
            if until is not None and not everything:
                held[name] = until
                log.info(
                    "skip feed=%r until=%s failures=%d error=%r",
                    name,
                    until.isoformat(),
                    state.failures,
                    state.last_error,
                    extra={"feed": name, "until": until.isoformat(), "error": state.last_error},
                )
        due = [f for f in self.config.feeds if f.name in states and f.name not in held]
        self.start_pool(len(due))
        queue = outcome_queue()
        writer = asyncio.create_task(self.drain(queue, tries=ONCE_WRITE_TRIES))
        early = asyncio.create_task(self._deliver_while(writer))

        polls = asyncio.gather(*(self.poll_into(queue, f, states[f.name]) for f in due))
        either: set[asyncio.Future[Any]] = {polls, writer}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # SIGINT or SIGTERM (see cli.run)
            await _abandon(polls, queue, writer, early)
            raise
        if not polls.done():  # the writer gave up: polls waiting for room in the queue never get it
            polls.cancel()
            await asyncio.wait({polls})
            await early
            writer.result()  # raises why
        await queue.put(None)
        stats = await writer
        stats.feeds = len(due)
        stats.held_back, stats.held_back_until = len(held), min(held.values(), default=None)
        attempted, delivered = await early
        later = await self.deliver_due()  # what was committed after the last early round
        stats.deliveries, stats.delivered = attempted + later[0], delivered + later[1]
        return stats

    async def _deliver_while(self, writer: asyncio.Task[RunStats]) -> tuple[int, int]:
        """Deliver each alert as soon as the writer commits it, until the writer is done.

        A long first poll must not hold back the statement that arrived in its first second.
        """
        while not writer.done():
            signal = asyncio.create_task(self.delivered_event.wait())
            await asyncio.wait({signal, writer}, return_when=asyncio.FIRST_COMPLETED)
            signal.cancel()
            if self.delivered_event.is_set():
                self.delivered_event.clear()
                await self.start_deliveries()
        # Attempts still running are counted by the `deliver_due` that follows.
        return self._take_tally()

    async def drain(self, queue: asyncio.Queue[PollOutcome | None], *, tries: int | None = None) -> RunStats:
        """The writer loop: store outcomes in batches until a None arrives; returns totals.

        A batch that cannot be committed for now is kept and retried (`_store`), at most
        `tries` times if given; meanwhile polls wait for room in `queue`, so nothing is
        fetched that could not be kept.
        """
        total = RunStats()
        closing = False
        while not closing:
            first = await queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < WRITE_BATCH and not queue.empty():
                following = queue.get_nowait()
                if following is None:
                    closing = True
                    break
                batch.append(following)
            stats = await self._store(batch, tries)
            # Only now: an entry skipped as seen must be one the store has.
            self._seen.update((o.state.name, o.seen) for o in batch if o.seen is not None)
            _add(total, stats, batch)
            if stats.alerts:
                self.delivered_event.set()
        return total

    async def _store(self, batch: Sequence[PollOutcome], tries: int | None) -> RunStats:
        """Commit one batch, retrying while the database cannot be written; the batch is
        held meanwhile, so no poll is lost."""
        return await self.retrying(
            lambda: self.write(self.processor.process, batch, self.clock()),
            f"store {len(batch)} polls",
            f"stored {len(batch)} polls",
            tries=tries,
        )

    async def sync(
        self, now: datetime, *, tries: int | None, stop: asyncio.Event | None = None
    ) -> dict[str, FeedState]:
        """Before the first poll: the config's feeds and channels into the store, and every
        feed's state back. Retried as a batch is (`retrying`): a lock held as `run` starts
        is waited out as one taken mid-run is, instead of ending the run at the first
        busy timeout. Each step is idempotent, so a try that failed half-way is redone whole."""

        def sync_all() -> dict[str, FeedState]:
            self.store.sync_feeds(self.config.feeds, now)
            self.store.sync_channels(self.processor.channels)
            return self.store.feed_states()

        return await self.retrying(
            lambda: self.write(sync_all),
            "store the configured feeds and channels",
            "stored the configured feeds and channels",
            tries=tries,
            stop=stop,
        )

    async def retrying(
        self,
        attempt: Callable[[], Awaitable[T]],
        what: str,
        done: str,
        *,
        tries: int | None,
        stop: asyncio.Event | None = None,
    ) -> T:
        """`attempt()` (a write), tried again while the database cannot be written for now
        (`StorageUnavailableError`) after `retry_delay` (1, 2, 4… s, at most
        `WRITE_RETRY_LAST`), with one ERROR line a try saying `what` could not be done.

        At most `tries` tries if given (`run --once`), then the last error is raised; a
        set `stop` (the daemon's SIGTERM) ends the wait and raises it too. Meanwhile
        `write_failure` says why (/healthz)."""
        failures = 0
        while True:
            try:
                result = await attempt()
            except StorageUnavailableError as e:
                failures += 1
                self.write_failure = f"cannot {what}: {e}"
                if tries is not None and failures >= tries:
                    raise
                delay = self.retry_delay(failures)
                # One line a try: the message says what to do; a traceback a minute would bury it.
                log.error("cannot %s (try %d), trying again in %.0f s: %s", what, failures, delay, e)  # noqa: TRY400
                if await _stopped(stop, delay):
                    raise
                continue
            if failures:
                log.info("%s after %d failed tries", done, failures)
            self.write_failure = None
            return result

    # -- delivering -----------------------------------------------------------

    async def deliver_due(self) -> tuple[int, int]:
        """One attempt for every due delivery, waiting for them all (`run --once`, `replay`),
        but one only for a failing endpoint (see `_endpoint_worker`): (attempted,
        delivered), counting every attempt since the last count."""
        await self.start_deliveries()
        await self.deliveries_idle()
        return self._take_tally()

    async def start_deliveries(self) -> None:
        """Start a worker for each endpoint with deliveries due, or have its running worker
        look again; returns without waiting for any attempt (the daemon's delivery loop).

        One task per endpoint: a receiver that takes its whole deadline holds up only its
        own deliveries, never another endpoint's (the same round used to wait for the
        slowest attempt before starting the next, so one hanging endpoint delayed every
        other's new alerts by up to `deliver.DELIVERY_TIMEOUT`).

        Every configured endpoint gets its worker, which finds what is due itself: asking
        the store first which endpoints have something due was one more call through the
        writer thread, which waits behind the batch it is storing; in the daemon a fresh
        alert waited for three such calls (scenario 6: 327 ms from fetch to webhook, 156
        before the per-endpoint workers).
        """
        for endpoint in (c.id for c in self.channels):
            if endpoint in self._workers:
                self._wake.add(endpoint)
            else:
                worker = asyncio.create_task(self._endpoint_worker(endpoint), name=f"deliver {endpoint}")
                self._workers[endpoint] = worker

    async def deliveries_idle(self) -> None:
        """Wait until every endpoint's worker has run out of due deliveries."""
        while self._workers:
            await asyncio.wait(list(self._workers.values()))

    def _take_tally(self) -> tuple[int, int]:
        tally = self._attempted, self._delivered
        self._attempted = self._delivered = 0
        return tally

    async def _endpoint_worker(self, endpoint: str) -> None:
        """Deliver one endpoint's due rows one at a time, oldest alert first, until none is due
        or the endpoint is failing (`deliver.endpoint_failing`: the rest wait for the next
        round, so a dead receiver costs one timeout per round, not one per alert).

        Each row gets at most one attempt per worker (`tried`): a row retried on the schedule
        waits for the next start, so `deliver_due` stays "at most one attempt per due delivery".
        """
        tried: set[int] = set()
        try:
            while True:
                self._wake.discard(endpoint)
                due = await self.write(self._due_with_parts, endpoint, self.clock())
                due = [(d, parts) for d, parts in due if d.id not in tried]
                # No await between this check and leaving the dict: a `start_deliveries`
                # either wakes this worker before it decides, or starts a new one after.
                if not due and endpoint not in self._wake:
                    return
                for delivery, parts in due:
                    tried.add(delivery.id)
                    outcome = await self._deliver(delivery, parts)
                    if outcome is None:
                        continue
                    self._attempted += 1
                    self._delivered += outcome.delivered
                    if deliver.endpoint_failing(outcome):
                        return
        except Exception:  # a delivery bug must not stop the others; the row is retried later
            delivery_log.exception("delivery worker for %s failed", endpoint)
        finally:
            self._workers.pop(endpoint, None)

    def _due_with_parts(self, endpoint: str, now: datetime) -> list[tuple[Delivery, dict[str, Any] | None]]:
        """`endpoint`'s due deliveries, each with its alert's payload parts: one call through
        the writer thread (see `start_deliveries`). Runs in the writer thread."""
        return [
            (delivery, self.store.alert_payload_parts(delivery.alert))
            for delivery in self.store.due_for(endpoint, now, DELIVERY_BATCH)
        ]

    async def _deliver(self, delivery: Delivery, parts: dict[str, Any] | None) -> deliver.Attempt | None:
        """One attempt at `delivery`, recorded; None when none could be made."""
        channel = self._channel(delivery.endpoint)
        if channel is None:  # the channel left the config; the row waits for it to come back
            return None
        if parts is None:  # cannot happen while foreign keys hold; never crash the delivery loop
            return None
        if channel.kind == "apprise":
            title, text = notify.message(parts, self.config.watches)
            outcome = await notify.attempt(channel.url, title, text)
        else:
            body = deliver.body(alerts.payload(parts, self.config.watches))
            outcome = await deliver.attempt(
                self.hooks, channel.url, channel.secret, delivery.message_id, body, self.clock()
            )
        await self._record(delivery, outcome, self.clock())
        return outcome

    async def _record(self, delivery: Delivery, outcome: deliver.Attempt, now: datetime) -> None:
        """Delivered; or retry on the schedule; or dead after the last attempt; 410 disables."""
        next_attempt = None
        if outcome.delivered:
            state = "delivered"
        elif outcome.disable:
            # The row stays pending, so re-enabling the endpoint delivers it.
            state = "pending"
            await self._disable(delivery.endpoint, outcome, now)
        else:
            next_attempt = deliver.next_attempt(
                delivery.attempts + 1,
                now,
                outcome.retry_after,
                jitter=deliver.RETRY_JITTER * self.rng.random(),
            )
            state = "pending" if next_attempt else "dead"
        await self.write(
            lambda: self.store.record_attempt(
                delivery,
                now=now,
                status=outcome.status,
                error=outcome.error,
                state=state,
                next_attempt=next_attempt,
            )
        )
        observe.record_delivery(outcome, state)

    def _channel(self, endpoint: str) -> Channel | None:
        """The configured channel of `endpoint` (its id), if it is still configured."""
        return next((c for c in self.channels if c.id == endpoint), None)

    async def _disable(self, endpoint: str, outcome: deliver.Attempt, now: datetime) -> None:
        """The endpoint answered 410 Gone: no more attempts until someone re-enables it, and a
        warning, since from here on its alerts wait instead of arriving."""
        await self.write(self.store.disable_endpoint, endpoint, f"HTTP {outcome.status}", now)
        channel = self._channel(endpoint)
        delivery_log.warning(
            "endpoint disabled: %s %s answered HTTP %s (Gone); its alerts wait until"
            " `monitor notify test` reaches it again",
            channel.kind if channel else "channel",
            channel.display if channel else endpoint,
            outcome.status,
            extra={"url": channel.display if channel else endpoint, "outcome": "disabled"},
        )


async def send_test(config: Config) -> list[tuple[Channel, deliver.Attempt]]:
    """`monitor notify test`: one test message to every channel, concurrently."""
    now = datetime.now(UTC)
    title, text = "monitor: test message", "If you read this, monitor can reach this channel."
    payload = {"type": "monitor.test", "timestamp": now.isoformat(), "data": {"message": text}}

    async def one(client: httpx.AsyncClient, channel: Channel) -> deliver.Attempt:
        if channel.kind == "apprise":
            return await notify.attempt(channel.url, title, text)
        msg_id = deliver.message_id(0, f"test-{now.timestamp()}")
        return await deliver.attempt(client, channel.url, channel.secret, msg_id, deliver.body(payload), now)

    async with deliver.make_client() as client:
        outcomes = await asyncio.gather(*(one(client, c) for c in config.channels))
    return list(zip(config.channels, outcomes, strict=True))


def record_test(
    store: Store, results: Sequence[tuple[Channel, deliver.Attempt]], now: datetime
) -> dict[str, str]:
    """Store what `monitor notify test` proved, by channel id, with a note for each change.

    A channel that took the test message is enabled again: a 410 is often a receiver
    redeployed or briefly misrouted, and the test is the user saying "it works now". One
    that answered 410 is disabled, as a delivery would have done.
    """
    store.sync_channels([channel for channel, _ in results])
    states = store.endpoint_states()
    notes: dict[str, str] = {}
    for channel, outcome in results:
        was = states.get(channel.id, {}).get("disabled")
        if outcome.delivered and was:
            waiting = store.enable_endpoint(channel.id)
            notes[channel.id] = (
                f"re-enabled (it was disabled since {was}); {waiting} pending deliveries go out with"
                " the next delivery round (within seconds under `monitor run`, else the next `run --once`)"
            )
        elif outcome.disable and not was:
            store.disable_endpoint(channel.id, f"HTTP {outcome.status}", now)
            notes[channel.id] = "disabled: alerts to it wait until a `monitor notify test` gets through"
    return notes


def message_ids(store: Store) -> Callable[[int, str], str]:
    """The webhook-id of an alert to a channel in `store`'s database (`deliver.message_id`):
    the database's own id keeps a recreated database from reusing message ids."""
    return functools.partial(deliver.message_id, namespace=store.instance_id)


def _kill_workers(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Kill what is left of a broken pool's workers. A worker killed while it held the
    pool's task queue lock leaves its siblings waiting for that lock forever, and
    CPython 3.11's executor joins them at interpreter exit: the process never ended (seen
    in CI after the broken-pool test). 3.14 has `kill_workers()`; before it, the executor's
    own map of its processes is the only handle."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(OSError, ValueError):
            process.kill()


def outcome_queue() -> asyncio.Queue[PollOutcome | None]:
    """Polls wait for the writer when it falls behind, so parsed items never pile up in memory."""
    return asyncio.Queue(maxsize=QUEUE_BATCHES * WRITE_BATCH)


async def _stopped(stop: asyncio.Event | None, delay: float) -> bool:
    """Wait `delay` seconds, or less if `stop` is set meanwhile; whether it was."""
    if stop is None:
        await asyncio.sleep(delay)
        return False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
    return stop.is_set()


async def _abandon(
    polls: asyncio.Future[Any],
    queue: asyncio.Queue[PollOutcome | None],
    writer: asyncio.Task[RunStats],
    early: asyncio.Task[tuple[int, int]],
) -> None:
    """`run --once` was interrupted: stop polling, let the writer store the polls already
    done (within `ABANDON_SECONDS`), and leave no task or failure behind unawaited (each
    was an "exception was never retrieved" traceback after the one-line error)."""
    polls.cancel()
    await asyncio.wait({polls})
    with contextlib.suppress(BaseException):  # retrieved: cancelled, or how a poll failed
        polls.result()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(queue.put(None), ABANDON_SECONDS)
        await asyncio.wait({writer}, timeout=ABANDON_SECONDS)
    for task in (writer, early):
        task.cancel()
    for outcome in await asyncio.gather(writer, early, return_exceptions=True):
        if isinstance(outcome, Exception):
            log.warning("while stopping: %s", outcome)


def _log_alert(alert_id: int, statement: Statement, item_id: int) -> None:
    observe.record_alert()
    log.info("alert %d raised: %s %s (item %d)", alert_id, statement.speaker, statement.stance, item_id)


def _log_poll(outcome: PollOutcome, new: int) -> None:
    """The one structured line per feed poll (key=value, or JSON with --log-format json),
    and a WARNING line when the document it read was repaired or tolerated."""
    state = outcome.state
    observe.record_poll(outcome)
    if _read_with_warnings(state):
        _log_warnings(state)
    level = logging.WARNING if state.last_error else logging.INFO
    log.log(
        level,
        "poll feed=%r status=%s items=%d new=%d ms=%d error=%r",
        state.name,
        state.status,
        outcome.entries,
        new,
        round(outcome.duration * 1000),
        state.last_error,
        extra={
            "feed": state.name,
            "status": state.status,
            "items": outcome.entries,
            "new": new,
            "duration_ms": round(outcome.duration * 1000),
            "error": state.last_error,
        },
    )


def _read_with_warnings(state: FeedState) -> bool:
    """Whether the poll that left `state` read a document the parser repaired or tolerated
    something in: a 200 that was a feed (next_state keeps a 304's warnings; logging them
    again at every poll of an unchanged document would bury the news of a new one)."""
    return bool(state.warnings) and state.status == 200 and state.last_error is None


def _log_warnings(state: FeedState) -> None:
    # One line a poll, not one an item: it is the document that was broken.
    log.warning(
        "feed %r (%s) was read despite: %s; ask its publisher to fix the feed",
        state.name,
        state.url,
        "; ".join(state.warnings),
        extra={"feed": state.name, "url": state.url, "warnings": list(state.warnings)},
    )


def _add(total: RunStats, stats: RunStats, batch: Sequence[PollOutcome]) -> None:
    total.items_new += stats.items_new
    total.items_updated += stats.items_updated
    total.alerts += stats.alerts
    for name, count in stats.by_feed.items():
        total.by_feed[name] = total.by_feed.get(name, 0) + count
    for outcome in batch:
        total.failed += outcome.state.last_error is not None
        total.not_modified += outcome.state.status == 304
