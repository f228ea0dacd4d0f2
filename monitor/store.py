"""The only module that touches SQLite.

Durability choices (https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html):
- WAL, so readers (`monitor items`, Datasette) never block the daemon's writer and the
  writer never blocks them.
- `synchronous=FULL`: in WAL mode NORMAL can lose the last committed transactions on
  power loss (not corrupt, but lose). An alert is committed together with the item that
  raised it and must survive, so we pay one fsync per transaction; transactions are
  large (a whole batch of polls), which keeps that cheap.
- Every write transaction starts with `BEGIN IMMEDIATE`: the write lock is taken up
  front, so a transaction never fails half-way with SQLITE_BUSY when another process
  writes (e.g. `monitor alerts replay` beside the daemon); `busy_timeout` waits instead.
- `PRAGMA application_id` marks our files, so a foreign or corrupt file at the database
  path is refused and never overwritten. `PRAGMA user_version` numbers the migrations.
- One process per database polls and delivers (`Store.open(exclusive=True)`, see
  `lock_database`): a delivery is claimed only by its row, which two such processes would
  both read, and both send.

Times are stored as ISO 8601 UTC text ("2025-11-11T12:40:00Z"): sortable, readable in
`sqlite3` and Datasette.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from monitor.exceptions import (
    DatabaseInUseError,
    ForeignDatabaseError,
    StorageError,
    StorageUnavailableError,
)
from monitor.types import (
    KEY_TIEBREAK,
    AlertSpan,
    Candidate,
    Channel,
    FeedConfig,
    FeedState,
    Item,
    ItemText,
    Sameness,
    Statement,
    Validators,
)

if sys.platform != "win32":
    import fcntl

T = TypeVar("T")

__all__ = [
    "APPLICATION_ID",
    "LOCK_SUFFIX",
    "Delivery",
    "ItemFilter",
    "Store",
    "format_time",
    "holder_pid",
    "lock_database",
    "lock_file",
    "parse_time",
    "refuse_foreign_database",
    "refuse_foreign_file",
    "release_database",
]

# "MONI" in ASCII: marks a database file as ours (PRAGMA application_id).
APPLICATION_ID = 0x4D4F4E49
BUSY_TIMEOUT_MS = 10_000
# Stored items the writer keeps as ready-made candidates, newest used last. The items a
# poll brings are compared with the newest items of their stories, again and again: at
# a first poll of 300 feeds x 50 items, reading candidate rows back from SQLite was a
# fifth of the writer's time (benchmarks/profile.py). 4,096 rows of ~2.5 KB: ~10 MiB.
CANDIDATE_CACHE = 4096
# SQLite's page cache for the writer's connection, in KiB (SQLite's default is 2,000).
# Dedupe's lookups probe index pages all over `item_keys` and `items`; on a first poll of
# 1,000 x 50 the candidate statement took 5.0-5.7 s of CPU with the default, 3.2-3.5 s
# with 16 or 32 MiB (pages re-read from the OS, not from the cache): 14 MiB more at most.
PAGE_CACHE_KIB = 16_000
_SQLITE_HEADER = b"SQLite format 3\x00"
# The sidecar file `lock_database` locks: `monitor.db` → `monitor.db.lock`. Never the
# database file itself: SQLite's locks on it are POSIX (fcntl) locks, which the process
# loses as soon as it closes any other descriptor of that file
# (https://www.sqlite.org/howtocorrupt.html, 2.2), so we keep our hands off it.
LOCK_SUFFIX = ".lock"
# SQLite's primary result codes (https://www.sqlite.org/rescode.html) for a write that failed
# because of the file's surroundings, not its data: the same transaction can succeed once
# they change, so the writer keeps it and retries. With what the user can do about each.
# Any other code (SQLITE_ERROR: a missing table; SQLITE_CORRUPT; a constraint) would fail
# the same way again.
_UNAVAILABLE = {
    5: "another process holds the write lock (a sqlite3 shell in a transaction?); end it",  # BUSY
    6: "the database is locked by another connection; end it",  # LOCKED
    7: "SQLite ran out of memory; give the process more",  # NOMEM
    8: "the file or its folder became read-only; restore write permission",  # READONLY
    10: "disk I/O error; check the disk and the kernel log",  # IOERR
    13: "the disk is full; free space on it",  # FULL
    14: "the file or its -wal/-shm companions cannot be opened; check the folder",  # CANTOPEN
    15: "a file-locking protocol error; is the folder on a network file system?",  # PROTOCOL
}


def format_time(value: datetime) -> str:
    # isoformat, not strftime: a quarter cheaper (the writer formats a few times per item),
    # and a zero-padded year before 1000 that `parse_time` can read back.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """What `monitor items` asks for; built by the CLI, run here."""

    search: str | None = None
    feed: str | None = None
    since: datetime | None = None
    story: int | None = None
    alert: int | None = None
    limit: int | None = 100


@dataclass(frozen=True, slots=True)
class Delivery:
    """One pending delivery from the outbox (to a webhook or an Apprise channel); to deliver and back."""

    id: int
    alert: int
    endpoint: str  # a Channel id
    message_id: str
    attempts: int


# ---------------------------------------------------------------- schema ---


def _migration_1(db: sqlite_utils.Database) -> None:
    """The first schema: feeds, items (+ FTS), dedupe keys, alerts, the delivery outbox."""
    # An id of this database, so message ids never repeat across databases.
    db.table("meta").insert({"key": "instance_id", "value": uuid.uuid4().hex}, pk="key")
    db.table("feeds").create(
        {
            "name": str,
            "url": str,
            "config_url": str,
            "official": int,
            "active": int,
            "etag": str,
            "last_modified": str,
            "last_polled": str,
            "status": int,
            "last_error": str,
            "failures": int,
            "next_poll": str,
            "added": str,
        },
        pk="name",
        not_null={"url", "config_url"},
        defaults={"official": 0, "active": 1, "failures": 0},
    )
    db.table("items").create(
        {
            "id": int,
            "feed": str,
            "key": str,
            "guid": str,
            "title": str,
            "link": str,
            "canonical_link": str,
            "summary": str,
            "published": str,
            "date_note": str,
            "first_seen": str,
            "updated": str,
            "fingerprint": str,
            "title_key": str,
            "duplicate_of": int,
            "duplicate_score": float,
            "seed": str,
            "seed_score": float,
            "story": int,
            "story_score": float,
            "statement": str,
            "alert": int,
        },
        pk="id",
        not_null={"feed", "key", "title", "published", "first_seen"},
        foreign_keys=[("feed", "feeds", "name")],
    )
    items = db.table("items")
    items.create_index(["feed", "key"], unique=True)
    items.create_index(["canonical_link"])
    items.create_index(["title_key", "published"])
    items.create_index(["published"])
    items.create_index(["story"])
    items.create_index(["alert"])
    items.enable_fts(["title", "summary"], fts_version="FTS5", create_triggers=True)
    # Blocking keys for dedupe: an item is compared only with items sharing a key.
    db.table("item_keys").create(
        {"key": str, "item": int, "published": str}, foreign_keys=[("item", "items", "id")]
    )
    db.table("item_keys").create_index(["key", "published"])
    db.table("alerts").create(
        {
            "id": int,
            "watch": str,
            "speaker": str,
            "stance": str,
            "item": int,
            "created": str,
            "evidence": str,
            "score": float,
        },
        pk="id",
        foreign_keys=[("item", "items", "id")],
    )
    db.table("alerts").create_index(["watch", "speaker", "stance"])
    # Where alerts go. Keyed by a hash: channel URLs often hold tokens, so only a
    # redacted form is stored.
    db.table("endpoints").create(
        {"id": str, "kind": str, "display": str, "disabled": str, "disabled_reason": str}, pk="id"
    )
    db.table("deliveries").create(
        {
            "id": int,
            "alert": int,
            "endpoint": str,
            "message_id": str,
            "state": str,
            "attempts": int,
            "next_attempt": str,
            "last_attempt": str,
            "last_status": int,
            "last_error": str,
            "delivered": str,
        },
        pk="id",
        not_null={"alert", "endpoint", "message_id", "state"},
        defaults={"attempts": 0},
        foreign_keys=[("alert", "alerts", "id"), ("endpoint", "endpoints", "id")],
    )
    db.table("deliveries").create_index(["alert", "endpoint"], unique=True)
    db.table("deliveries").create_index(["state", "next_attempt"])


def _migration_2(db: sqlite_utils.Database) -> None:
    """What dedupe saves of each item on arrival, so comparing with it later needs no text work.

    Older rows keep NULL here; dedupe works theirs out from the text when it meets them.
    """
    items = db.table("items")
    items.add_column("dedupe_tokens", str)
    items.add_column("dedupe_names", str)
    items.add_column("parties", str)


def _migration_3(db: sqlite_utils.Database) -> None:
    """Re-index an item for search only when its text changes.

    sqlite-utils' update trigger deletes and re-inserts the FTS row on every UPDATE, and the
    writer updates items for other reasons (the story id of a new story, copies re-pointed
    at their original, the alert an item joined, a rescan's decisions): a quarter of the
    first poll's insert time went to re-indexing text that had not changed.
    """
    db.execute("DROP TRIGGER IF EXISTS items_au")
    db.execute(
        "CREATE TRIGGER items_au AFTER UPDATE OF title, summary ON items BEGIN"
        " INSERT INTO items_fts (items_fts, rowid, title, summary)"
        " VALUES ('delete', old.rowid, old.title, old.summary);"
        " INSERT INTO items_fts (rowid, title, summary) VALUES (new.rowid, new.title, new.summary);"
        " END"
    )


def _migration_4(db: sqlite_utils.Database) -> None:
    """Blocking keys as one clustered B-tree: (key, published, item), WITHOUT ROWID.

    The lookup reads the newest few items of a key. With a rowid table and an index on
    (key, published), every hit cost a second, random page read in the table to get its
    item; at 1M items that page rarely is in the disk cache. Clustered, the hits of one key
    sit side by side in one page, and an insert writes one B-tree instead of two.
    """
    db.execute(
        "CREATE TABLE item_keys_clustered (key TEXT NOT NULL, published TEXT NOT NULL,"
        " item INTEGER NOT NULL REFERENCES items(id), PRIMARY KEY (key, published, item)) WITHOUT ROWID"
    )
    db.execute(
        "INSERT OR IGNORE INTO item_keys_clustered (key, published, item)"
        " SELECT key, published, item FROM item_keys WHERE key IS NOT NULL AND published IS NOT NULL"
        " AND item IS NOT NULL"
    )
    db.execute("DROP TABLE item_keys")
    db.execute("ALTER TABLE item_keys_clustered RENAME TO item_keys")


def _migration_5(db: sqlite_utils.Database) -> None:
    """The normalised lead dedupe saves of each item, beside its title_key.

    The same-article check reads a candidate's lead whenever its headline matches; working it
    out from the text again cost a sixth of the writer's time on a first poll of rewrites.
    Older rows keep NULL; dedupe works theirs out from the text when it meets them.
    """
    db.table("items").add_column("dedupe_lead", str)


def _migration_6(db: sqlite_utils.Database) -> None:
    """An index on `duplicate_of` (only the rows that have one).

    When an original arrives after its copies, the copies and their own copies are
    re-pointed at it (`WHERE id IN (...) OR duplicate_of IN (...)`); without an index every
    such original scanned the whole table. It was half the writer's time on a first poll of
    1,000 feeds, and grew with the store.
    """
    db.execute("CREATE INDEX idx_items_duplicate_of ON items (duplicate_of) WHERE duplicate_of IS NOT NULL")


def _migration_7(db: sqlite_utils.Database) -> None:
    """New items reach the search index in one statement per transaction, not by a trigger.

    sqlite-utils' insert trigger made every row its own FTS5 write: 47 µs more per row than
    one `INSERT INTO items_fts … SELECT` over the transaction's new rows (13 µs), measured
    on 15,000 farm items in batches of 1,600; it was a sixth of the writer's time on a first
    poll. The store now indexes what it inserted before it commits (`Store._index_new`).
    The update and delete triggers stay: edits are rare, and indexed by then.
    """
    db.execute("DROP TRIGGER IF EXISTS items_ai")


def _migration_8(db: sqlite_utils.Database) -> None:
    """Earlier versions of edited items: an edit replaced the text and nothing kept the old.

    Wire stories are rewritten in place as news develops; the headline an outlet ran first
    ("… sources say") is part of the record a user follows, and nothing may be lost.
    """
    db.execute(
        "CREATE TABLE item_versions (id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES items(id),"
        " title TEXT NOT NULL, summary TEXT, link TEXT, published TEXT NOT NULL, fingerprint TEXT,"
        " replaced TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_item_versions_item ON item_versions (item)")


def _migration_9(db: sqlite_utils.Database) -> None:
    """Search covers the texts edits replaced: the headline an outlet ran first ("… sources
    say") finds the item it became. Versions are few (one per edit) and written one at a
    time, so sqlite-utils' triggers index them, existing ones included."""
    db.table("item_versions").enable_fts(["title", "summary"], fts_version="FTS5", create_triggers=True)


# A delivery whose time has come (`?`: now), to an endpoint not disabled by a 410; in the
# queries over `deliveries d JOIN endpoints w`.
_DUE = "d.state = 'pending' AND d.next_attempt <= ? AND w.disabled IS NULL"


def _migration_10(db: sqlite_utils.Database) -> None:
    """When a channel left the config (NULL while configured): its deliveries are kept, never
    attempted, and `monitor alerts` says why they wait, instead of a plain "pending"."""
    db.table("endpoints").add_column("removed", str)


def _migration_11(db: sqlite_utils.Database) -> None:
    """What the parser repaired or tolerated in each feed's latest document (a JSON array;
    NULL when nothing): a feed read with its loose parser, or with stray bytes read as
    windows-1252, works until items go missing, and the operator never learnt of it."""
    db.table("feeds").add_column("warnings", str)


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
    _migration_8,
    _migration_9,
    _migration_10,
    _migration_11,
)


# ----------------------------------------------------------------- store ---


class Store:
    """A monitor database. Open with `Store.open(path)`; one writer per process."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.path = path
        self._cache = _CandidateCache(CANDIDATE_CACHE)
        self._data_version = -1
        self._unindexed: int | None = None  # the first item this transaction has not indexed
        self._lock: int | None = None  # the lock file's descriptor, when opened `exclusive`

    # -- opening ------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True, exclusive: bool = False) -> Store:
        """Open (and migrate) the database at `path`; refuse files that are not ours.

        `exclusive` (the commands that poll or deliver: `run`, `rescan`, `alerts replay`)
        also takes the database's lock until `close` or the process's end, or raises
        `DatabaseInUseError` naming the process that holds it. Commands that only read, or
        only queue rows for the holder to deliver, open without it and run beside it.
        """
        refuse_foreign_file(path, create=create)
        store: Store | None = None
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            store = cls(conn, path)
            _schema_version(conn, path)  # refuses a file that is not ours to change, reading only
            # After the refusals, which read only: no lock file beside a file that is not
            # ours. Before the first change (WAL, migrations).
            store._lock = lock_database(path) if exclusive else None
            store._prepare()
        except BaseException as e:
            if store is not None:
                store.close()
            if isinstance(e, sqlite3.DatabaseError):
                raise ForeignDatabaseError(_unusable(path, e)) from e
            raise
        return store

    @property
    def instance_id(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'instance_id'").fetchone()
        return str(row[0])

    def close(self) -> None:
        self.conn.close()
        release_database(self._lock)
        self._lock = None

    def _prepare(self) -> None:
        """Set the connection up and migrate the schema (see the module docstring)."""
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")  # negative: KiB, not pages
        # Read again: another process may have migrated since `open` looked.
        (version,) = self.conn.execute("PRAGMA user_version").fetchone()
        self._migrate(version)

    def _migrate(self, version: int) -> None:
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                migration(self.db)
                self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, taking the write lock up front (see module docstring).

        A failure that may pass (locked, disk full…) is raised as `StorageUnavailableError`
        with what to do, after the rollback: nothing of the transaction was written.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:  # busy_timeout ran out: the lock never came
            raise self._unavailable(e) from e
        # Another connection's commit (`monitor rescan`, a migration) may have changed
        # rows the candidate cache holds: data_version moves only for other connections.
        (version,) = self.conn.execute("PRAGMA data_version").fetchone()
        if version != self._data_version:
            self._cache.clear()
            self._data_version = version
        try:
            yield
            self._index_new()
            self.conn.execute("COMMIT")  # inside: a failed COMMIT leaves the transaction open
        except BaseException as e:
            # SQLite may have rolled back already (on SQLITE_FULL, say); a ROLLBACK then fails.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._cache.clear()  # it may hold rows of the rolled-back transaction
            self._unindexed = None
            if isinstance(e, sqlite3.OperationalError) and e.sqlite_errorcode & 0xFF in _UNAVAILABLE:
                raise self._unavailable(e) from e
            raise

    def _unavailable(self, error: sqlite3.Error) -> StorageError:
        advice = _UNAVAILABLE.get(error.sqlite_errorcode & 0xFF)
        if advice is None:
            return StorageError(f"{self.path}: cannot write: {error}")
        return StorageUnavailableError(f"{self.path}: cannot write: {error}; {advice}")

    def _index_new(self) -> None:
        """Add the items inserted since the last call to the search index (see migration 7).

        Ids only grow (INTEGER PRIMARY KEY, the write lock held), so they are one range.
        """
        if self._unindexed is not None:
            self.conn.execute(
                "INSERT INTO items_fts (rowid, title, summary) SELECT id, title, summary FROM items"
                " WHERE id >= ?",
                [self._unindexed],
            )
            self._unindexed = None

    def integrity_ok(self) -> bool:
        return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    def ping(self, timeout: float = 2.0) -> None:
        """A trivial read on a fresh read-only connection (for /healthz, from any thread).

        A connection of its own: the store's connection belongs to the writer thread, and
        a fresh one proves the file can still be opened and read.
        """
        try:
            with closing(
                sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
            ) as conn:
                conn.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.Error as e:
            raise StorageError(f"{self.path}: {e}") from e

    # -- feeds --------------------------------------------------------------

    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> None:
        """Make the feeds table match the config; keep state and items of every feed.

        A feed whose configured URL changed starts again from that URL (the user's
        word beats a 301 we followed earlier); feeds gone from the config stay stored
        but inactive, so their items remain searchable.
        """
        with self.transaction():
            self.conn.execute("UPDATE feeds SET active = 0")
            for feed in feeds:
                self._sync_feed(feed, now)

    def _sync_feed(self, feed: FeedConfig, now: datetime) -> None:
        row = self.conn.execute("SELECT config_url FROM feeds WHERE name = ?", [feed.name]).fetchone()
        if row is None:
            self.db.table("feeds").insert(
                {
                    "name": feed.name,
                    "url": feed.url,
                    "config_url": feed.url,
                    "official": int(feed.official),
                    "active": 1,
                    "failures": 0,
                    "added": format_time(now),
                }
            )
        elif row[0] != feed.url:
            self.conn.execute(
                "UPDATE feeds SET url = ?, config_url = ?, etag = NULL, last_modified = NULL, official = ?,"
                " active = 1, failures = 0, next_poll = NULL, warnings = NULL WHERE name = ?",
                [feed.url, feed.url, int(feed.official), feed.name],
            )
        else:
            self.conn.execute(
                "UPDATE feeds SET active = 1, official = ? WHERE name = ?", [int(feed.official), feed.name]
            )

    def feed_states(self) -> dict[str, FeedState]:
        rows = self.conn.execute(
            "SELECT name, url, etag, last_modified, last_polled, status, last_error, failures, next_poll,"
            " warnings FROM feeds WHERE active = 1"
        )
        return {
            r[0]: FeedState(
                name=r[0],
                url=r[1],
                validators=Validators(r[2], r[3]),
                last_polled=parse_time(r[4]),
                status=r[5],
                last_error=r[6],
                failures=r[7] or 0,
                next_poll=parse_time(r[8]),
                warnings=tuple(json.loads(r[9])) if r[9] else (),
            )
            for r in rows
        }

    def record_poll(self, state: FeedState) -> None:
        """Persist a feed's state after a poll (inside the caller's transaction).

        The warnings ride in the UPDATE every poll makes anyway: no statement of their own.
        """
        self.conn.execute(
            "UPDATE feeds SET url = ?, etag = ?, last_modified = ?, last_polled = ?, status = ?,"
            " last_error = ?, failures = ?, next_poll = ?, warnings = ? WHERE name = ?",
            [
                state.url,
                state.validators.etag,
                state.validators.last_modified,
                _time_or_none(state.last_polled),
                state.status,
                state.last_error,
                state.failures,
                _time_or_none(state.next_poll),
                json.dumps(state.warnings, ensure_ascii=False) if state.warnings else None,
                state.name,
            ],
        )

    # -- items --------------------------------------------------------------

    def find_items(self, feed: str, keys: Sequence[str]) -> dict[str, tuple[int, str | None]]:
        """key → (id, fingerprint) for the entries of `feed` already stored, in one query."""
        found: dict[str, tuple[int, str | None]] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT key, id, fingerprint FROM items WHERE feed = ? AND key IN ({marks})", [feed, *chunk]
            )
            found.update((r[0], (r[1], r[2])) for r in rows)
        return found

    def find_item(self, feed: str, key: str) -> tuple[int, str | None] | None:
        """(id, fingerprint) of the stored entry `key` of `feed`, or None if it is new."""
        row = self.conn.execute(
            "SELECT id, fingerprint FROM items WHERE feed = ? AND key = ?", [feed, key]
        ).fetchone()
        return (row[0], row[1]) if row else None

    def find_recycled(self, feed: str, key: str, limit: int) -> list[tuple[int, str | None]]:
        """(id, fingerprint) of the newest `limit` entries of `feed` stored under a key made
        from `key` ("{key} ~…": `normalise.recycled_key`, `distinct_keys`), newest first."""
        # A range on the (feed, key) index rather than LIKE, whose wildcards a key may hold:
        # every key that starts with the prefix sorts between it and its last character + 1.
        prefix = f"{key}{KEY_TIEBREAK}"
        rows = self.conn.execute(
            "SELECT id, fingerprint FROM items WHERE feed = ? AND key > ? AND key < ?"
            " ORDER BY id DESC LIMIT ?",
            [feed, prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1), limit],
        )
        return [(r[0], r[1]) for r in rows]

    def update_item(
        self,
        item_id: int,
        item: Item,
        now: datetime,
        *,
        title_key: str,
        keys: Iterable[str],
        saved: tuple[str, str, str, str] | None = None,
        keep_replaced: bool = True,
    ) -> None:
        """An entry edited under the same identity: new text, same row, same first_seen; the
        text it replaces is kept in `item_versions` (unless not `keep_replaced`: a counter's
        tick, `normalise.keeps_replaced_text`). What dedupe keeps to compare later items
        with (`title_key`, blocking `keys`, `saved`: as `insert_item` takes them) is the new
        text's, so a later rewrite of the edited story finds it and is compared with what it
        says now."""
        self._cache.drop(item_id)
        if keep_replaced:
            self.conn.execute(
                "INSERT INTO item_versions (item, title, summary, link, published, fingerprint, replaced)"
                " SELECT id, title, summary, link, published, fingerprint, ? FROM items WHERE id = ?",
                [format_time(now), item_id],
            )
        # The update trigger takes the old text out of the index: it must be in it (an
        # FTS5 'delete' of words never indexed corrupts the index).
        self._index_new()
        # Without a usable date in the feed, `published` is the time of this poll: the
        # stored date (the feed's, or when the entry was first seen) is the better one.
        published, date_note = format_time(item.published), item.date_note
        if date_note is not None:
            published, date_note = self.conn.execute(
                "SELECT published, date_note FROM items WHERE id = ?", [item_id]
            ).fetchone()
        tokens, names, parties, lead = saved or (None, None, None, None)
        self.conn.execute(
            "UPDATE items SET title = ?, summary = ?, link = ?, canonical_link = ?, published = ?,"
            " date_note = ?, fingerprint = ?, updated = ?, title_key = ?, dedupe_tokens = ?,"
            " dedupe_names = ?, parties = ?, dedupe_lead = ? WHERE id = ?",
            [
                item.title,
                item.summary,
                item.link,
                item.canonical_link,
                published,
                date_note,
                item.fingerprint,
                format_time(now),
                title_key,
                tokens,
                names,
                parties,
                lead,
                item_id,
            ],
        )
        # The old text's keys stay: finding the item by them costs a candidate slot, and it
        # is then compared by what it says now. Deleting them would need an index on
        # item_keys(item), which every insert would pay for; edits are rare.
        self.conn.executemany(
            "INSERT OR IGNORE INTO item_keys (key, item, published) VALUES (?, ?, ?)",
            [(key, item_id, published) for key in set(keys)],
        )

    def insert_item(
        self,
        item: Item,
        *,
        now: datetime,
        title_key: str,
        keys: Iterable[str],
        sameness: Sameness,
        statement: Statement | None,
        saved: tuple[str, str, str, str] | None = None,
    ) -> int:
        """Store a new item with what dedupe and classify decided; returns its id.

        `saved` is dedupe's (tokens, names, parties, lead) of the item, kept for later
        comparisons; without it they stay NULL and dedupe works them out from the text.
        """
        published = format_time(item.published)
        tokens, names, parties, lead = saved or (None, None, None, None)
        cursor = self.conn.execute(
            "INSERT INTO items (feed, key, guid, title, link, canonical_link, summary, published, date_note,"
            " first_seen, fingerprint, title_key, duplicate_of, duplicate_score, seed, seed_score, story,"
            " story_score, statement, dedupe_tokens, dedupe_names, parties, dedupe_lead)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                item.feed,
                item.key,
                item.guid,
                item.title,
                item.link,
                item.canonical_link,
                item.summary,
                published,
                item.date_note,
                format_time(now),
                item.fingerprint,
                title_key,
                sameness.duplicate_of,
                sameness.duplicate_score,
                sameness.seed,
                sameness.seed_score,
                sameness.story,
                sameness.story_score,
                _statement_json(statement),
                tokens,
                names,
                parties,
                lead,
            ],
        )
        item_id = int(cursor.lastrowid or 0)
        if self._unindexed is None:
            self._unindexed = item_id
        if not self.conn.in_transaction:  # autocommitted: index it now
            self._index_new()
        if sameness.story is None:  # a new story is named after the item that opened it
            self.conn.execute("UPDATE items SET story = ? WHERE id = ?", [item_id, item_id])
        if sameness.copies:  # copies stored before their (older) original now point at it
            marks = ",".join("?" * len(sameness.copies))
            where = f"WHERE id IN ({marks}) OR duplicate_of IN ({marks})"
            # Read first (not UPDATE … RETURNING: SQLite 3.35+, newer than some systems').
            for (moved,) in self.conn.execute(f"SELECT id FROM items {where}", [*sameness.copies] * 2):
                self._cache.drop(moved)
            self.conn.execute(f"UPDATE items SET duplicate_of = ? {where}", [item_id, *sameness.copies * 2])
        self._cache.put(
            Candidate(
                id=item_id,
                feed=item.feed,
                canonical_link=item.canonical_link,
                title=item.title,
                summary=item.summary,
                published=datetime.fromisoformat(published),
                story=item_id if sameness.story is None else sameness.story,
                duplicate_of=sameness.duplicate_of,
                title_key=title_key,
                tokens=tokens,
                names=names,
                parties=parties,
                lead=lead,
            )
        )
        self.conn.executemany(
            "INSERT INTO item_keys (key, item, published) VALUES (?, ?, ?)",
            [(key, item_id, published) for key in set(keys)],
        )
        return item_id

    def candidates(
        self,
        *,
        canonical_link: str | None,
        title_key: str,
        keys: Sequence[str],
        since: datetime,
        limit: int,
        per_key: int = 5,
    ) -> list[Candidate]:
        """Stored items dedupe should compare a new item with (see dedupe's docstring).

        Every lookup is a LIMITed index range scan, so the cost does not grow with the
        store: the newest `per_key` items per blocking key, `limit` in all (ranked by the
        date the key row carries, so no item row is read to rank them), plus every item
        with the same canonical link or headline. Two statements, ids then rows: as one
        statement SQLite read each ranked item's row twice (2.3 x slower at 50k items).
        """
        since_text = format_time(since)
        lookups = [
            "SELECT id FROM (SELECT id FROM items WHERE title_key = ? AND published >= ? ORDER BY id LIMIT 5)"
        ]
        params: list[Any] = [title_key, since_text]
        if canonical_link:  # a copy of any age: the same URL is the same article
            lookups.append(
                "SELECT id FROM (SELECT id FROM items WHERE canonical_link = ? ORDER BY id LIMIT 5)"
            )
            params.append(canonical_link)
        if keys:
            by_key = " UNION ".join(
                [
                    "SELECT * FROM (SELECT item, published FROM item_keys WHERE key = ? AND published >= ?"
                    " ORDER BY published DESC LIMIT ?)"
                ]
                * len(keys)
            )
            lookups.append(f"SELECT * FROM (SELECT item FROM ({by_key}) ORDER BY published DESC LIMIT ?)")
            for key in keys:
                params += [key, since_text, per_key]
            params.append(limit)
        ids = [r[0] for r in self.conn.execute(" UNION ".join(lookups), params)]
        found = self._cache.get_many(ids)
        missing = [i for i in ids if i not in found]
        if missing:  # `id IN ()` would be a statement for nothing
            for candidate in self._candidate_rows(missing):
                found[candidate.id] = candidate
                self._cache.put(candidate)
        return [found[i] for i in sorted(found)]  # in id order, as one SQL read returns them

    def candidate(self, item_id: int) -> Candidate:
        """One stored item as dedupe reads it."""
        found = self._cache.get_many([item_id]).get(item_id)
        if found is None:
            (found,) = self._candidate_rows([item_id])
            self._cache.put(found)
        return found

    def _candidate_rows(self, ids: Sequence[int]) -> list[Candidate]:
        rows = self.conn.execute(
            "SELECT id, feed, canonical_link, title, summary, published, story, duplicate_of, title_key,"
            " dedupe_tokens, dedupe_names, parties, dedupe_lead"
            f" FROM items WHERE id IN ({','.join('?' * len(ids))})",
            ids,
        )
        return [
            Candidate(
                id=r[0],
                feed=r[1],
                canonical_link=r[2],
                title=r[3],
                summary=r[4] or "",
                published=datetime.fromisoformat(r[5]),
                story=r[6],
                duplicate_of=r[7],
                title_key=r[8],
                tokens=r[9],
                names=r[10],
                parties=r[11],
                lead=r[12],
            )
            for r in rows
        ]

    # -- alerts and the outbox ---------------------------------------------------

    def alerts_for(self, statement: Statement) -> list[AlertSpan]:
        """The alerts raised for this statement's key (same watch, speaker, stance), oldest
        first, each with the publication dates of the first and newest items that joined it,
        and whether one of them came from an official feed."""
        rows = self.conn.execute(
            "SELECT a.id, MIN(i.published), MAX(i.published), MAX(f.official)"
            " FROM alerts a LEFT JOIN items i ON i.alert = a.id LEFT JOIN feeds f ON f.name = i.feed"
            " WHERE a.watch = ? AND a.speaker = ? AND a.stance = ? GROUP BY a.id ORDER BY a.id",
            list(statement.key),
        ).fetchall()
        return [AlertSpan(int(r[0]), parse_time(r[1]), parse_time(r[2]), bool(r[3])) for r in rows]

    def create_alert(
        self,
        statement: Statement,
        item_id: int,
        now: datetime,
        channels: Sequence[Channel],
        message_id: Callable[[int, str], str],
    ) -> int:
        """Raise an alert and queue one delivery per channel, in the caller's transaction."""
        cursor = self.conn.execute(
            "INSERT INTO alerts (watch, speaker, stance, item, created, evidence, score)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                statement.watch,
                statement.speaker,
                statement.stance,
                item_id,
                format_time(now),
                json.dumps(list(statement.evidence), ensure_ascii=False),
                statement.score,
            ],
        )
        alert_id = int(cursor.lastrowid or 0)
        self._queue(alert_id, now, channels, message_id)
        return alert_id

    def set_item_alert(self, item_id: int, alert_id: int) -> None:
        self.conn.execute("UPDATE items SET alert = ? WHERE id = ?", [alert_id, item_id])

    def sync_channels(self, channels: Sequence[Channel], now: datetime | None = None) -> None:
        """Know every configured channel (and its redacted form) before alerts reference it,
        and mark the others removed from the config (since `now`); a channel put back is
        configured again, its deliveries included."""
        removed = format_time(now or datetime.now(UTC))
        with self.transaction():
            for c in channels:
                self.conn.execute(
                    "INSERT INTO endpoints (id, kind, display) VALUES (?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET display = excluded.display, removed = NULL",
                    [c.id, c.kind, c.display],
                )
            ids = [c.id for c in channels]
            self.conn.execute(
                "UPDATE endpoints SET removed = ? WHERE removed IS NULL"
                f" AND id NOT IN ({','.join('?' * len(ids))})",
                [removed, *ids],
            )

    def due_for(self, endpoint: str, now: datetime, limit: int) -> list[Delivery]:
        """One enabled endpoint's pending deliveries whose time has come, oldest alert first."""
        rows = self.conn.execute(
            "SELECT d.id, d.alert, d.endpoint, d.message_id, d.attempts FROM deliveries d"
            " JOIN endpoints w ON w.id = d.endpoint"
            f" WHERE {_DUE} AND d.endpoint = ? ORDER BY d.id LIMIT ?",
            [format_time(now), endpoint, limit],
        )
        return [Delivery(*r) for r in rows]

    def next_delivery_time(self) -> datetime | None:
        row = self.conn.execute(
            "SELECT min(d.next_attempt) FROM deliveries d JOIN endpoints w ON w.id = d.endpoint"
            " WHERE d.state = 'pending' AND w.disabled IS NULL AND w.removed IS NULL"
        ).fetchone()
        return parse_time(row[0]) if row else None

    def record_attempt(
        self,
        delivery: Delivery,
        *,
        now: datetime,
        status: int | None,
        error: str | None,
        state: str,
        next_attempt: datetime | None,
    ) -> None:
        """Record one attempt's outcome; `state` is pending, delivered or dead."""
        with self.transaction():
            self.conn.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_attempt = ?, last_status = ?,"
                " last_error = ?,"
                " state = ?, next_attempt = ?, delivered = ? WHERE id = ?",
                [
                    format_time(now),
                    status,
                    error,
                    state,
                    _time_or_none(next_attempt),
                    format_time(now) if state == "delivered" else None,
                    delivery.id,
                ],
            )

    def disable_endpoint(self, endpoint: str, reason: str, now: datetime) -> None:
        """Stop delivering to `endpoint` (it answered 410 Gone); its pending rows stay pending."""
        with self.transaction():
            self.conn.execute(
                "UPDATE endpoints SET disabled = ?, disabled_reason = ? WHERE id = ?",
                [format_time(now), reason, endpoint],
            )

    def enable_endpoint(self, endpoint: str) -> int:
        """Deliver to `endpoint` again (`monitor notify test` reached it); returns how many
        pending deliveries were waiting for it, which the next delivery round sends."""
        with self.transaction():
            self.conn.execute(
                "UPDATE endpoints SET disabled = NULL, disabled_reason = NULL WHERE id = ?", [endpoint]
            )
            (waiting,) = self.conn.execute(
                "SELECT count(*) FROM deliveries WHERE endpoint = ? AND state = 'pending'", [endpoint]
            ).fetchone()
        return int(waiting)

    def endpoints_report(self) -> list[dict[str, Any]]:
        """Every known channel (`monitor notify`): id, kind, redacted URL, disabled state,
        and its deliveries counted by state."""
        counts = ", ".join(
            f"(SELECT count(*) FROM deliveries d WHERE d.endpoint = e.id AND d.state = '{state}') AS {state}"
            for state in ("pending", "dead", "delivered")
        )
        return self._rows(
            f"SELECT e.id, e.kind, e.display AS endpoint, e.disabled, e.disabled_reason, e.removed, {counts}"
            " FROM endpoints e ORDER BY e.rowid"
        )

    def endpoint_states(self) -> dict[str, dict[str, Any]]:
        """Every known channel by id: kind, display, disabled (when, or None), disabled_reason."""
        rows = self._rows("SELECT id, kind, display, disabled, disabled_reason FROM endpoints")
        return {row.pop("id"): row for row in rows}

    def requeue(
        self,
        alert_id: int,
        now: datetime,
        channels: Sequence[Channel],
        message_id: Callable[[int, str], str],
    ) -> list[dict[str, Any]]:
        """Send an alert again (`monitor alerts replay`) to every configured channel: its
        deliveries to them are pending from `now` with a fresh schedule (same message ids),
        and a channel with none gets one (an alert recorded silently by `rescan`, or a
        webhook whose URL changed). Deliveries to channels no longer configured are kept as
        they are. Returns every delivery's endpoint: id, kind, display, disabled,
        disabled_reason, `configured`, and `added` for the new ones."""
        ids = [c.id for c in channels]
        with self.transaction():
            before = {
                e for (e,) in self.conn.execute("SELECT endpoint FROM deliveries WHERE alert = ?", [alert_id])
            }
            self._queue(alert_id, now, [c for c in channels if c.id not in before], message_id)
            self.conn.execute(
                "UPDATE deliveries SET state = 'pending', next_attempt = ?, attempts = 0 WHERE alert = ?"
                f" AND endpoint IN ({','.join('?' * len(ids))})",
                [format_time(now), alert_id, *ids],
            )
        rows = self._rows(
            "SELECT d.endpoint AS id, e.kind, e.display, e.disabled, e.disabled_reason FROM deliveries d"
            " JOIN endpoints e ON e.id = d.endpoint WHERE d.alert = ? ORDER BY d.id",
            [alert_id],
        )
        for row in rows:
            row["configured"], row["added"] = row["id"] in ids, row["id"] not in before
        return rows

    def queue_unsent(
        self, alert_id: int, now: datetime, channels: Sequence[Channel], message_id: Callable[[int, str], str]
    ) -> bool:
        """Queue an alert that has no delivery at all (`rescan` recorded it silently) to
        `channels`, in the caller's transaction; False if it has deliveries already."""
        if self.conn.execute("SELECT 1 FROM deliveries WHERE alert = ? LIMIT 1", [alert_id]).fetchone():
            return False
        self._queue(alert_id, now, channels, message_id)
        return bool(channels)

    def _queue(
        self, alert_id: int, now: datetime, channels: Sequence[Channel], message_id: Callable[[int, str], str]
    ) -> None:
        # A channel listed twice is one delivery, not a UNIQUE failure: config refuses such a
        # list, but if one ever got here, raising would roll back the whole batch of items
        # this transaction carries, and every later poll would do it again.
        self.conn.executemany(
            "INSERT INTO deliveries (alert, endpoint, message_id, state, attempts, next_attempt)"
            " VALUES (?, ?, ?, 'pending', 0, ?) ON CONFLICT (alert, endpoint) DO NOTHING",
            [(alert_id, c.id, message_id(alert_id, c.id), format_time(now)) for c in channels],
        )

    def alert_payload_parts(self, alert_id: int) -> dict[str, Any] | None:
        """Everything a webhook body needs for one alert: the alert, its item, its sources."""
        alert = self._row("SELECT * FROM alerts WHERE id = ?", [alert_id])
        if alert is None:
            return None
        alert["item"] = self._row("SELECT * FROM items WHERE id = ?", [alert["item"]])
        alert["sources"] = self._rows(
            "SELECT id, feed, title, link, published FROM items WHERE alert = ? ORDER BY id", [alert_id]
        )
        return alert

    # -- reading ------------------------------------------------------------------

    def items(self, query: ItemFilter) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        if query.search:
            words = self.db.quote_fts(query.search)
            if not words:  # only quotes: FTS5 refuses an empty query, and nothing can match
                return []
            # The current text, or any text an edit replaced (`item_versions`).
            where.append(
                "(items.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)"
                " OR items.id IN (SELECT item FROM item_versions WHERE id IN"
                " (SELECT rowid FROM item_versions_fts WHERE item_versions_fts MATCH ?)))"
            )
            params += [words] * 2
        for column, value in (("feed", query.feed), ("story", query.story), ("alert", query.alert)):
            if value is not None:
                where.append(f"items.{column} = ?")
                params.append(value)
        if query.since:
            where.append("items.published >= ?")
            params.append(format_time(query.since))
        versions = "(SELECT count(*) FROM item_versions v WHERE v.item = items.id) AS earlier_versions"
        sql = f"SELECT items.*, {versions} FROM items" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY published DESC, id DESC"
        if query.limit:
            sql += f" LIMIT {int(query.limit)}"
        return self._rows(sql, params)

    def text_history(self, item_id: int) -> tuple[ItemText, tuple[ItemText, datetime] | None, datetime]:
        """What `normalise.keeps_replaced_text` weighs an edit of the item against: its
        current text, its newest kept version with when that was replaced (None if none),
        and when it was first seen."""
        row = self.conn.execute(
            "SELECT i.title, i.summary, i.link, i.first_seen, v.title, v.summary, v.link, v.replaced"
            " FROM items i LEFT JOIN item_versions v"
            " ON v.id = (SELECT max(id) FROM item_versions WHERE item = i.id) WHERE i.id = ?",
            [item_id],
        ).fetchone()
        if row is None:
            raise KeyError(item_id)
        title, summary, link, first_seen, v_title, v_summary, v_link, replaced = row
        kept = None
        if replaced is not None:
            kept = ((v_title, v_summary or "", v_link), datetime.fromisoformat(replaced))
        return (title, summary or "", link), kept, datetime.fromisoformat(first_seen)

    def item_versions(self, item_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """The texts items had before their edits, oldest first, by item id; an item never
        edited is not in it."""
        found: dict[int, list[dict[str, Any]]] = {}
        for chunk in _chunks(item_ids):
            rows = self._rows(
                "SELECT item, title, summary, link, published, replaced FROM item_versions"
                f" WHERE item IN ({','.join('?' * len(chunk))}) ORDER BY id",
                chunk,
            )
            for row in rows:
                found.setdefault(row.pop("item"), []).append(row)
        return found

    def feed_names(self) -> list[str]:
        """Every feed the database knows, by name; a feed removed from the config included."""
        return [name for (name,) in self.conn.execute("SELECT name FROM feeds ORDER BY name")]

    def feeds_report(self) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT f.name, f.url, f.official, f.active, f.last_polled, f.status, f.last_error, f.warnings,"
            " f.failures, f.next_poll, f.etag, f.last_modified,"
            " (SELECT count(*) FROM items i WHERE i.feed = f.name) AS items"
            " FROM feeds f ORDER BY f.name"
        )

    def stories(self, limit: int | None = 100) -> list[dict[str, Any]]:
        sql = (
            "SELECT story AS id, count(*) AS size, min(published) AS first, max(published) AS latest,"
            " json_group_array(DISTINCT feed) AS outlets,"
            " (SELECT title FROM items t WHERE t.id = i.story) AS title"
            " FROM items i GROUP BY story ORDER BY max(published) DESC, story DESC"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self._rows(sql)

    def alerts(self, alert_id: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM alerts" + (" WHERE id = ?" if alert_id is not None else "") + " ORDER BY id DESC"
        alerts = self._rows(sql, [alert_id] if alert_id is not None else [])
        for alert in alerts:
            alert["sources"] = self._rows(
                "SELECT id, feed, title, link, published FROM items WHERE alert = ? ORDER BY id",
                [alert["id"]],
            )
            alert["deliveries"] = self._rows(
                "SELECT e.display AS endpoint, e.kind, d.message_id, d.state, d.attempts, d.last_attempt,"
                " d.last_status, d.last_error, d.next_attempt, d.delivered, e.disabled, e.disabled_reason,"
                " e.removed"
                " FROM deliveries d JOIN endpoints e ON e.id = d.endpoint WHERE d.alert = ? ORDER BY d.id",
                [alert["id"]],
            )
        return alerts

    def items_after(self, last_id: int, limit: int) -> list[tuple[Item, int, str | None, int | None]]:
        """Stored items with id > last_id, as (Item, id, seed, alert), for `monitor rescan`."""
        rows = self.conn.execute(
            "SELECT i.id, i.feed, i.key, i.guid, i.title, i.link, i.canonical_link, i.summary, i.published,"
            " i.date_note, i.fingerprint, f.official, i.seed, i.alert FROM items i"
            " LEFT JOIN feeds f ON f.name = i.feed WHERE i.id > ? ORDER BY i.id LIMIT ?",
            [last_id, limit],
        )
        return [
            (
                Item(
                    feed=r[1],
                    key=r[2],
                    guid=r[3],
                    title=r[4],
                    link=r[5],
                    canonical_link=r[6],
                    summary=r[7] or "",
                    published=datetime.fromisoformat(r[8]),
                    date_note=r[9],
                    fingerprint=r[10] or "",
                    official=bool(r[11]),
                ),
                r[0],
                r[12],
                r[13],
            )
            for r in rows
        ]

    def set_decisions(
        self, item_id: int, *, seed: str | None, seed_score: float | None, statement: Statement | None
    ) -> None:
        """Replace the text-dependent decisions of a stored item (rescan, an edited entry)."""
        self.conn.execute(
            "UPDATE items SET seed = ?, seed_score = ?, statement = ? WHERE id = ?",
            [seed, seed_score, _statement_json(statement), item_id],
        )

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])

    def _row(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


class _CandidateCache:
    """Candidates by item id, least recently used dropped first; the writer's alone.

    It holds only what the writer itself wrote or read inside its transactions: `Store`
    drops entries its own updates change and empties it when another connection has
    committed or a transaction rolls back.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: OrderedDict[int, Candidate] = OrderedDict()

    def get_many(self, ids: Iterable[int]) -> dict[int, Candidate]:
        found: dict[int, Candidate] = {}
        for i in ids:
            candidate = self._rows.get(i)
            if candidate is not None:
                self._rows.move_to_end(i)
                found[i] = candidate
        return found

    def put(self, candidate: Candidate) -> None:
        self._rows[candidate.id] = candidate
        self._rows.move_to_end(candidate.id)
        if len(self._rows) > self.size:
            self._rows.popitem(last=False)

    def drop(self, item_id: int) -> None:
        self._rows.pop(item_id, None)

    def clear(self) -> None:
        self._rows.clear()


def refuse_foreign_file(path: Path, *, create: bool = True) -> None:
    """Refuse, before SQLite touches it, a file that is not an SQLite database at all.

    `Store.open` calls it first; `monitor check-config` calls it too, so that it reports
    what `run` would refuse in the same words. It reads at most the 16-byte header, and
    never creates or changes anything.
    """
    if not path.exists():
        if not create:
            raise StorageError(f"{path}: no database yet; run `monitor run --once` first")
        return
    if path.is_dir():
        raise ForeignDatabaseError(f"{path}: is a folder, not a database file; fix `database` in the config")
    try:
        with path.open("rb") as f:
            header = f.read(len(_SQLITE_HEADER))
    except OSError as e:  # no read permission, say: a reason, not a traceback
        raise StorageError(f"{path}: cannot read it ({e.strerror}); check its permissions") from e
    if not header and not create:  # an empty file (touched, or a failed copy): no data to read
        raise StorageError(f"{path}: empty, no database yet; run `monitor run --once` first")
    if header and header != _SQLITE_HEADER:
        raise ForeignDatabaseError(
            f"{path}: not an SQLite file; refusing to overwrite it. Choose another `database` path"
        )


def refuse_foreign_database(path: Path) -> None:
    """What `Store.open` would refuse at `path`, found without creating or changing anything
    (`monitor check-config`): `refuse_foreign_file`'s refusals, then, in an SQLite file,
    another program's tables or a newer monitor's schema.

    SQLite opens a closed WAL database read-only only by creating its -wal and -shm files,
    which it cannot then remove, so a file without them is read as immutable (all of it is
    in the file); one with both (the daemon has it open) read-only through them. A -wal
    without its -shm is what a crash leaves: only `run` can recover it, and says what it
    finds then.
    """
    refuse_foreign_file(path)
    if not path.is_file() or path.stat().st_size == 0:
        return  # nothing yet, or an empty file `run` writes its schema into
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    if wal.exists() != shm.exists():
        return
    mode = "mode=ro" if wal.exists() else "immutable=1"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
        try:
            _schema_version(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise ForeignDatabaseError(_unusable(path, e)) from e


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    """The monitor schema's version in `conn`'s database (0: new); refuses another program's
    database and a newer monitor's, reading only."""
    (app_id,) = conn.execute("PRAGMA application_id").fetchone()
    (tables,) = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if app_id != APPLICATION_ID and (app_id != 0 or tables):
        raise ForeignDatabaseError(
            f"{path}: this SQLite file is not a monitor database; choose another `database` path"
        )
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > len(MIGRATIONS):  # the file is not ours to change
        raise ForeignDatabaseError(f"{path}: made by a newer monitor (schema {version}); upgrade the monitor")
    return int(version)


def _unusable(path: Path, error: sqlite3.DatabaseError) -> str:
    return f"{path}: not a usable SQLite database ({error}); move it aside, it was not changed"


def lock_file(database: Path) -> Path:
    """Where the lock of `database` lives: beside it, `<database>.lock`."""
    return database.with_name(database.name + LOCK_SUFFIX)


def lock_database(database: Path) -> int | None:
    """Take the exclusive lock that lets this process poll and deliver from `database`.

    An advisory `flock` on `lock_file(database)`, which then holds this process's PID for
    the next one to name. The kernel releases it when the process ends, however it ends
    (kill -9, the OOM killer), so a crash never leaves a stale lock to clear by hand; the
    file itself stays (removing it would let a third process lock a new file while a
    second still holds the old one). Returns the descriptor to give `release_database`.
    A lock already held raises `DatabaseInUseError`; it never waits.
    """
    if sys.platform == "win32":
        # Windows has no flock. Without it a second process is not refused: running one
        # `monitor run` per database is then up to the user (see README).
        return None
    path = lock_file(database)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by exec'd children
    except OSError as e:
        raise StorageError(
            f"{path}: cannot open the database's lock file ({e.strerror}); check the folder's permissions"
        ) from e
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BlockingIOError:
        pid = holder_pid(os.pread(fd, 32, 0))
        os.close(fd)
        raise DatabaseInUseError(database, path, pid) from None
    except OSError as e:  # ENOLCK on some network file systems; a full disk
        os.close(fd)
        raise StorageError(
            f"{path}: cannot lock the database ({e.strerror}); is it on a network file system?"
        ) from e
    return fd


def holder_pid(content: bytes) -> int | None:
    """The PID a lock file holds; None while its holder has not written it yet."""
    text = content.decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def release_database(fd: int | None) -> None:
    """Let go of `lock_database`'s lock (None: there was none to take)."""
    if fd is None:
        return
    try:
        os.ftruncate(fd, 0)  # a PID left behind would name a process that no longer holds it
    finally:
        os.close(fd)


def _time_or_none(value: datetime | None) -> str | None:
    return format_time(value) if value else None


def _chunks(values: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """`values` in slices of `size`: well under SQLite's limit on a statement's parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _statement_json(statement: Statement | None) -> str | None:
    if statement is None:
        return None
    return json.dumps(
        {
            "watch": statement.watch,
            "speaker": statement.speaker,
            "stance": statement.stance,
            "evidence": list(statement.evidence),
            "score": statement.score,
        },
        ensure_ascii=False,
    )


def decode_item(row: Mapping[str, Any]) -> dict[str, Any]:
    """An items row as users see it: JSON columns decoded."""
    out = dict(row)
    if out.get("statement"):
        out["statement"] = json.loads(out["statement"])
    return out
