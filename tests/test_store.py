"""The store: one row per (feed, entry), edits keep first_seen, foreign files refused, FTS works."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor import store as store_module
from monitor.exceptions import DatabaseInUseError, ForeignDatabaseError, StorageError
from monitor.store import ItemFilter, Store, lock_file
from monitor.types import Candidate, Channel, FeedConfig, FeedState, Item, Sameness, Statement, Validators
from tests.conftest import NOW

FEED = FeedConfig(name="Wire", url="https://wire.example/feed")


def item(key: str = "guid:1", title: str = "LeCun to leave Meta", **changes: object) -> Item:
    base = Item(
        feed="Wire",
        key=key,
        guid=key,
        title=title,
        link="https://wire.example/a",
        canonical_link="https://wire.example/a",
        summary="Summary text.",
        published=NOW - timedelta(hours=1),
        date_note=None,
        fingerprint="f1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "m.db")
    s.sync_feeds([FEED], NOW)
    return s


def add(store: Store, it: Item, keys: tuple[str, ...] = ("k1",), **sameness: object) -> int:
    """`insert_item` with the tests' defaults, in the caller's transaction."""
    return store.insert_item(
        it,
        now=NOW,
        title_key="t",
        keys=keys,
        sameness=Sameness(**sameness),  # type: ignore[arg-type]
        statement=None,
    )


def edit(store: Store, item_id: int, it: Item, now: datetime = NOW, **features: object) -> None:
    """`update_item` with the tests' defaults for what dedupe keeps, in the caller's transaction."""
    store.update_item(item_id, it, now, **{"title_key": "t", "keys": ("k1",), **features})  # type: ignore[arg-type]


def insert(store: Store, it: Item, keys: tuple[str, ...] = ("k1",), **sameness: object) -> int:
    with store.transaction():
        return add(store, it, keys, **sameness)


def test_pragmas_are_durable(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -store_module.PAGE_CACHE_KIB
    assert store.integrity_ok()


def test_an_entry_is_stored_once_and_edits_keep_first_seen(store: Store) -> None:
    first = insert(store, item())
    assert store.find_item("Wire", "guid:1") == (first, "f1")
    with store.transaction():
        edit(
            store,
            first,
            item(title="LeCun confirms he will leave Meta", fingerprint="f2"),
            NOW + timedelta(hours=2),
        )
    rows = store.items(ItemFilter())
    assert len(rows) == 1
    assert rows[0]["title"] == "LeCun confirms he will leave Meta"
    assert rows[0]["first_seen"] == "2025-11-20T12:00:00Z"
    assert rows[0]["updated"] == "2025-11-20T14:00:00Z"
    assert rows[0]["earlier_versions"] == 1
    with store.transaction():
        edit(store, first, item(title="LeCun confirms", fingerprint="f3"), NOW + timedelta(hours=3))
    # nothing is lost: each replaced text is kept, oldest first, with when it was replaced
    assert store.item_versions([first + 1]) == {}  # no such item, or never edited
    assert [(v["title"], v["replaced"]) for v in store.item_versions([first])[first]] == [
        (item().title, "2025-11-20T14:00:00Z"),
        ("LeCun confirms he will leave Meta", "2025-11-20T15:00:00Z"),
    ]
    assert store.items(ItemFilter())[0]["earlier_versions"] == 2
    with pytest.raises(sqlite3.IntegrityError):
        insert(store, item())  # the same (feed, key) cannot be inserted twice


def test_an_edit_without_a_usable_date_keeps_the_stored_one(store: Store) -> None:
    # Without a date, normalise gives the poll's time and a note: the edit must not move the
    # item to the top of the list (nor into --since windows) at every poll.
    dated = insert(store, item(key="dated"))
    undated = insert(store, item(key="undated", published=NOW, date_note="missing"))
    with store.transaction():
        later = NOW + timedelta(hours=5)
        edit(
            store,
            dated,
            item(key="dated", title="Edited", fingerprint="f2", published=later, date_note="missing"),
        )
        edit(
            store,
            undated,
            item(key="undated", title="Edited", fingerprint="f2", published=later, date_note="missing"),
        )
    rows = {r["key"]: r for r in store.items(ItemFilter())}
    assert (rows["dated"]["published"], rows["dated"]["date_note"]) == ("2025-11-20T11:00:00Z", None)
    assert (rows["undated"]["published"], rows["undated"]["date_note"]) == ("2025-11-20T12:00:00Z", "missing")
    with store.transaction():  # a date the feed gives is taken
        edit(
            store,
            undated,
            item(key="undated", title="Dated", fingerprint="f3", published=NOW - timedelta(days=1)),
        )
    (row,) = store.items(ItemFilter(since=NOW - timedelta(days=2), search="Dated"))
    assert (row["key"], row["published"], row["date_note"]) == ("undated", "2025-11-19T12:00:00Z", None)


def test_an_edit_replaces_what_dedupe_compares_later_items_with(store: Store) -> None:
    first = insert(store, item(), keys=("old",))
    store.candidate(first)  # in the writer's cache: the edit must not leave it stale there
    with store.transaction():
        edit(
            store,
            first,
            item(title="LeCun confirms", fingerprint="f2"),
            title_key="t2",
            keys=("new",),
            saved=("tokens2", "LeCun", "w:LeCun", "lead 2"),
        )

    def by(title_key: str, key: str) -> list[int]:
        since = NOW - timedelta(days=1)
        return [
            c.id
            for c in store.candidates(
                canonical_link=None, title_key=title_key, keys=[key], since=since, limit=5
            )
        ]

    assert by("t2", "none") == by("none", "new") == [first]
    assert by("t", "none") == []  # the old headline no longer finds it
    assert by("none", "old") == [first]  # old keys stay (documented): it is compared by its new text
    now = store.candidate(first)
    assert (now.title, now.title_key, now.tokens, now.lead) == ("LeCun confirms", "t2", "tokens2", "lead 2")
    with closing(Store.open(store.path)) as other:
        assert other.candidate(first) == now


def test_find_recycled_lists_the_keys_made_from_one_identity_newest_first(store: Store) -> None:
    ids = {
        key: insert(store, item(key=key, guid="g"))
        for key in ("g", "g ~a1", "g2 ~b", "g ~c3", "g~x", "gx ~d")
    }
    assert store.find_recycled("Wire", "g", 5) == [(ids["g ~c3"], "f1"), (ids["g ~a1"], "f1")]
    assert store.find_recycled("Wire", "g", 1) == [(ids["g ~c3"], "f1")]
    assert store.find_recycled("Other", "g", 5) == []


def test_a_new_item_opens_its_own_story_and_others_join(store: Store) -> None:
    first = insert(store, item())
    second = insert(store, item(key="guid:2"), story=first)
    stories = store.stories()
    assert [(s["id"], s["size"]) for s in stories] == [(first, 2)]
    assert [r["id"] for r in store.items(ItemFilter(story=first))] == [second, first]


def test_copies_stored_before_their_original_are_repointed(store: Store) -> None:
    copy = insert(store, item(key="copy"))
    copy_of_copy = insert(store, item(key="copy2"), duplicate_of=copy)
    original = insert(store, item(key="original"), copies=(copy,))
    rows = {r["key"]: r for r in store.items(ItemFilter())}
    assert rows["copy"]["duplicate_of"] == original
    assert rows["copy2"]["duplicate_of"] == original
    assert rows["original"]["duplicate_of"] is None
    assert copy_of_copy != original


def test_full_text_search_and_filters(store: Store) -> None:
    insert(store, item(key="a", title="Meta confirms outage"))
    insert(store, item(key="b", title="LeCun world models", published=NOW - timedelta(days=5)))
    assert [r["key"] for r in store.items(ItemFilter(search="outage"))] == ["a"]
    assert [r["key"] for r in store.items(ItemFilter(search='"world models"'))] == ["b"]
    assert [
        r["key"] for r in store.items(ItemFilter(search="AND OR ("))
    ] == []  # FTS syntax is quoted, not an error
    assert [r["key"] for r in store.items(ItemFilter(since=NOW - timedelta(days=1)))] == ["a"]
    assert [r["key"] for r in store.items(ItemFilter(limit=1))] == ["a"]


def test_search_follows_edits_and_ignores_other_updates(store: Store) -> None:
    first = insert(store, item(key="a", title="Meta confirms outage"))
    insert(store, item(key="b", title="Markets rally"), copies=(first,))  # re-points `a`: not text
    with store.transaction():
        edit(store, first, item(key="a", title="LeCun confirms exit", fingerprint="f2"))
    assert [r["key"] for r in store.items(ItemFilter(search="exit"))] == ["a"]
    # the old words left the item's index; its earlier version still finds it
    assert store.conn.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH 'outage'").fetchall() == []
    assert [(r["key"], r["title"]) for r in store.items(ItemFilter(search="outage"))] == [
        ("a", "LeCun confirms exit")
    ]
    assert [r["key"] for r in store.items(ItemFilter(search="rally"))] == ["b"]  # its story update kept it
    (rows,) = store.conn.execute("SELECT count(*) FROM items_fts").fetchone()
    assert rows == 2
    fts_consistent(store)


def test_search_finds_an_item_by_a_text_an_edit_replaced_and_filters_still_apply(store: Store) -> None:
    first = insert(store, item(key="a", title="LeCun plans to leave Meta, sources say"))
    insert(store, item(key="b", title="Sources say markets will rally", feed="Wire"))
    with store.transaction():
        edit(store, first, item(key="a", title="LeCun confirms he is leaving Meta", fingerprint="f2"))
    assert sorted(r["key"] for r in store.items(ItemFilter(search="sources"))) == ["a", "b"]
    assert [r["key"] for r in store.items(ItemFilter(search='"sources say" LeCun'))] == ["a"]
    assert [r["key"] for r in store.items(ItemFilter(search="sources", limit=1))] == ["b"]  # newest first
    assert store.items(ItemFilter(search="sources", since=NOW)) == []
    assert [r["key"] for r in store.items(ItemFilter(search="confirms"))] == ["a"]
    store.conn.execute("INSERT INTO item_versions_fts(item_versions_fts, rank) VALUES ('integrity-check', 1)")


def test_migration_9_indexes_the_versions_kept_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.db"
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:8])
    old = Store.open(path)
    old.sync_feeds([FEED], NOW)
    first = insert(old, item(title="LeCun plans to leave Meta, sources say"))
    with old.transaction():
        edit(old, first, item(title="LeCun confirms he is leaving Meta", fingerprint="f2"))
    old.close()
    monkeypatch.undo()
    upgraded = Store.open(path)
    assert [r["id"] for r in upgraded.items(ItemFilter(search="sources"))] == [first]


def fts_consistent(store: Store) -> None:
    # FTS5's own check of the index against the items table: raises if they disagree.
    store.conn.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")


def test_new_items_are_indexed_at_commit_and_an_edit_in_the_same_transaction_too(store: Store) -> None:
    # Indexed in one statement before the commit, not row by row (migration 7). An item
    # edited before that statement ran must leave the index as if it had been indexed first.
    with store.transaction():
        first = add(store, item(key="a", title="Meta confirms outage"))
        edit(store, first, item(key="a", title="LeCun confirms exit", fingerprint="f2"))
        add(store, item(key="b", title="Markets rally"))
    assert [r["key"] for r in store.items(ItemFilter(search="exit"))] == ["a"]
    assert store.conn.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH 'outage'").fetchall() == []
    assert [r["key"] for r in store.items(ItemFilter(search="rally"))] == ["b"]
    fts_consistent(store)


def test_a_rolled_back_insert_leaves_the_index_as_it_was(store: Store) -> None:
    def failed_batch() -> None:
        with store.transaction():
            add(store, item(key="a", title="Ghost story"))
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError):
        failed_batch()
    insert(store, item(key="b", title="Real story"))  # reuses the rolled-back id
    assert [r["key"] for r in store.items(ItemFilter(search="story"))] == ["b"]
    assert store.items(ItemFilter(search="ghost")) == []
    fts_consistent(store)


def test_no_item_is_indexed_by_a_trigger(store: Store) -> None:
    triggers = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "items_ai" not in triggers  # dropped by migration 7; edits and deletes keep theirs
    assert {"items_au", "items_ad"} <= triggers


def test_candidates_come_from_indexes_within_the_window(store: Store) -> None:
    old = insert(
        store, item(key="old", published=NOW - timedelta(days=60), canonical_link="https://x.example/old")
    )
    recent = insert(store, item(key="recent", canonical_link="https://x.example/new"))
    found = store.candidates(
        canonical_link="https://x.example/old",
        title_key="none",
        keys=["k1"],
        since=NOW - timedelta(days=30),
        limit=50,
    )
    # the old item comes back for its canonical link (any age), the recent one for the shared key
    assert sorted(c.id for c in found) == [old, recent]
    assert store.candidates(canonical_link=None, title_key="none", keys=["zz"], since=NOW, limit=50) == []


def test_candidates_are_the_newest_per_key_and_carry_what_dedupe_saved(store: Store) -> None:
    ids = []
    for hour in range(6):  # six items sharing key "k1", one an hour
        with store.transaction():
            ids.append(
                store.insert_item(
                    item(key=f"i{hour}", published=NOW - timedelta(hours=6 - hour)),
                    now=NOW,
                    title_key=f"t{hour}",
                    keys=("k1", f"only{hour}"),
                    sameness=Sameness(),
                    statement=None,
                    saved=(f"tok{hour} meta", "Meta", "w:Meta", f"lead {hour}"),
                )
            )

    def lookup(limit: int) -> list[Candidate]:
        since = NOW - timedelta(days=1)
        return store.candidates(
            canonical_link=None, title_key="none", keys=["k1", "only0"], since=since, limit=limit, per_key=3
        )

    found = lookup(4)
    # the 3 newest for "k1", the one for "only0", 4 in all
    assert sorted(c.id for c in found) == sorted([ids[0], *ids[3:]])
    newest = next(c for c in found if c.id == ids[5])
    assert (newest.title_key, newest.tokens, newest.names, newest.parties, newest.lead) == (
        "t5",
        "tok5 meta",
        "Meta",
        "w:Meta",
        "lead 5",
    )
    assert sorted(c.id for c in lookup(2)) == ids[4:]  # `limit` keeps the newest


def test_the_candidate_cache_answers_as_the_database_does(store: Store) -> None:
    # The writer keeps recent candidates in memory; whatever it or another connection
    # changes, its answer must be the one a fresh connection reads from the file.
    def lookup(s: Store) -> list[Candidate]:
        return s.candidates(
            canonical_link=None, title_key="none", keys=["k1"], since=NOW - timedelta(days=1), limit=20
        )

    def fresh() -> list[Candidate]:
        with closing(Store.open(store.path)) as other:
            return lookup(other)

    copy = insert(store, item(key="copy"))
    insert(store, item(key="copy of copy"), duplicate_of=copy)
    assert lookup(store) == fresh()
    original = insert(store, item(key="original"), copies=(copy,))  # re-points both copies
    assert lookup(store) == fresh()
    assert {c.duplicate_of for c in lookup(store)} == {original, None}
    with store.transaction():  # an edit under the same identity
        edit(store, copy, item(key="copy", title="Edited", canonical_link=None))
    assert lookup(store) == fresh()

    def insert_then_fail() -> None:
        with store.transaction():
            store.insert_item(
                item(key="gone"), now=NOW, title_key="t", keys=("k1",), sameness=Sameness(), statement=None
            )
            raise RuntimeError

    with pytest.raises(RuntimeError):  # a rolled-back insert leaves no trace
        insert_then_fail()
    assert lookup(store) == fresh()
    assert len(fresh()) == 3
    with closing(sqlite3.connect(store.path)) as other, other:  # another program's commit
        other.execute("UPDATE items SET story = 99, title = 'Theirs' WHERE id = ?", [original])
    with store.transaction():
        assert lookup(store) == fresh()
    assert any(c.title == "Theirs" for c in lookup(store))


def test_the_writers_statements_never_scan_the_items_table(store: Store) -> None:
    # A statement that scans every item costs O(store) per new item: the copies re-pointing
    # did, unnoticed, until a 1,000-feed first poll spent half its writer time in it.
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    copy = insert(store, item(key="copy"), keys=("k1",))
    insert(store, item(key="copy of copy"), keys=("k1",), duplicate_of=copy)
    insert(store, item(key="original"), keys=("k1",), copies=(copy,))
    store.alerts_for(Statement("w", "Meta", "confirms", ("confirms",), 1.0))
    store.conn.set_trace_callback(None)
    reader = Store.open(store.path)  # a cold cache: the candidate rows are read from SQLite
    reader.conn.set_trace_callback(statements.append)
    since = NOW - timedelta(days=1)
    link = "https://x.example/a"
    found = reader.candidates(canonical_link=link, title_key="t", keys=["k1"], since=since, limit=9)
    assert len(found) == 3
    reader.close()
    plans = {
        sql: [row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        for sql in statements
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
    }
    assert any("duplicate_of IN" in sql for sql in plans)  # the re-pointing was traced
    assert any("dedupe_tokens" in sql for sql in plans)  # and the candidate rows' read
    assert {sql: plan for sql, plan in plans.items() if any(p.startswith("SCAN items") for p in plan)} == {}


def test_feed_state_round_trip_and_config_url_change(store: Store) -> None:
    state = FeedState(
        name="Wire",
        url="https://wire.example/moved",
        validators=Validators('"e1"', "Tue, 11 Nov 2025 10:00:00 GMT"),
        last_polled=NOW,
        status=200,
        failures=0,
        next_poll=NOW + timedelta(minutes=10),
    )
    with store.transaction():
        store.record_poll(state)
    assert store.feed_states()["Wire"] == state
    store.sync_feeds([FEED], NOW)  # same config URL: the 301-updated address is kept
    assert store.feed_states()["Wire"].url == "https://wire.example/moved"
    store.sync_feeds([replace(FEED, url="https://wire.example/new")], NOW)  # the user changed it: theirs wins
    assert store.feed_states()["Wire"].url == "https://wire.example/new"
    assert store.feed_states()["Wire"].validators == Validators()


def test_removed_feeds_keep_their_items(store: Store) -> None:
    insert(store, item())
    store.sync_feeds([], NOW)
    assert store.feed_states() == {}
    assert len(store.items(ItemFilter())) == 1


def test_alert_and_outbox_commit_with_the_item(store: Store) -> None:
    hook = Channel(
        id="webhook:1", kind="webhook", url="https://hooks.example/t0ken", display="https://hooks.example/…"
    )
    store.sync_channels([hook])
    statement = Statement(
        watch="w", speaker="Yann LeCun", stance="confirms", evidence=("confirms",), score=3.0
    )

    def crash_before_commit() -> None:
        with store.transaction():
            insert_with_alert(store, statement, hook)
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        crash_before_commit()
    assert store.count("items") == 0
    assert store.count("alerts") == 0
    assert store.count("deliveries") == 0
    with store.transaction():
        item_id = insert_with_alert(store, statement, hook)
    assert [span.id for span in store.alerts_for(statement)] == [1]
    due = store.due_for(hook.id, NOW, 100)
    assert [(d.alert, d.endpoint, d.message_id) for d in due] == [(1, hook.id, "msg_1")]
    assert "t0ken" not in str(store.alerts())  # only the redacted form is stored
    parts = store.alert_payload_parts(1)
    assert parts is not None
    assert parts["item"]["id"] == item_id
    store.record_attempt(
        due[0],
        now=NOW,
        status=500,
        error="HTTP 500",
        state="pending",
        next_attempt=NOW + timedelta(seconds=5),
    )
    assert store.due_for(hook.id, NOW, 100) == []
    assert len(store.due_for(hook.id, NOW + timedelta(seconds=5), 100)) == 1
    store.disable_endpoint(hook.id, "410 Gone", NOW)
    assert store.due_for(hook.id, NOW + timedelta(days=1), 100) == []


def test_a_channel_given_twice_is_one_delivery_not_a_lost_batch(store: Store) -> None:
    """The outbox keeps one row per alert and channel; a duplicate channel once failed the
    UNIQUE index and rolled back the whole transaction, items included, on every poll."""
    hook = Channel(id="webhook:1", kind="webhook", url="https://hooks.example/", display="https://…")
    store.sync_channels([hook])
    statement = Statement(watch="w", speaker="Yann LeCun", stance="confirms", evidence=(), score=3.0)
    with store.transaction():
        item_id = store.insert_item(
            item(), now=NOW, title_key="t", keys=(), sameness=Sameness(), statement=statement
        )
        store.create_alert(statement, item_id, NOW, [hook, hook], lambda a, _url: f"msg_{a}")
    assert store.count("items") == 1
    assert [(d.alert, d.endpoint) for d in store.due_for(hook.id, NOW, 100)] == [(1, hook.id)]


def insert_with_alert(store: Store, statement: Statement, hook: Channel) -> int:
    item_id = store.insert_item(
        item(), now=NOW, title_key="t", keys=(), sameness=Sameness(), statement=statement
    )
    alert = store.create_alert(statement, item_id, NOW, [hook], lambda a, _url: f"msg_{a}")
    store.set_item_alert(item_id, alert)
    return item_id


def test_a_file_that_is_not_sqlite_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"my precious notes\n" * 10)
    with pytest.raises(ForeignDatabaseError, match="not an SQLite file"):
        Store.open(path, exclusive=True)
    assert path.read_bytes() == b"my precious notes\n" * 10
    assert not lock_file(path).exists()  # refused before any lock file is made beside it


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER)")
    before = path.read_bytes()
    with pytest.raises(ForeignDatabaseError, match="not a monitor database"):
        Store.open(path, exclusive=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no lock file, no -wal


def test_a_corrupt_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    Store.open(path).close()
    data = bytearray(path.read_bytes())
    data[16:100] = b"\xff" * 84  # smash the header after the magic string
    path.write_bytes(bytes(data))
    with pytest.raises(ForeignDatabaseError):
        Store.open(path)


def test_reading_a_missing_database_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="run `monitor run --once` first"):
        Store.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_reopening_keeps_data_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    s = Store.open(path)
    s.sync_feeds([FEED], NOW)
    insert(s, item())
    s.close()
    again = Store.open(path)
    assert again.count("items") == 1
    assert again.conn.execute("PRAGMA user_version").fetchone()[0] == len(store_module.MIGRATIONS)


def test_an_older_database_is_migrated_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.db"
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
    old = Store.open(path)
    old.sync_feeds([FEED], NOW)
    old.db.table("items").insert(  # a row as the first schema stored it
        {
            "feed": "Wire",
            "key": "k",
            "title": "t",
            "published": "2025-11-20T11:00:00Z",
            "first_seen": "2025-11-20T11:00:00Z",
            "title_key": "t",
        }
    )
    old.db.table("item_keys").insert({"key": "meta|lecun", "item": 1, "published": "2025-11-20T11:00:00Z"})
    old.close()
    monkeypatch.undo()
    upgraded = Store.open(path)
    assert upgraded.conn.execute("PRAGMA user_version").fetchone()[0] == len(store_module.MIGRATIONS)
    (candidate,) = upgraded.candidates(
        canonical_link=None, title_key="t", keys=[], since=NOW - timedelta(days=9), limit=9
    )
    assert candidate.tokens is None  # stored before dedupe saved tokens: dedupe reads the text instead
    assert candidate.lead is None  # nor its lead
    (by_key,) = upgraded.candidates(  # its blocking key survived the move to the clustered table
        canonical_link=None, title_key="none", keys=["meta|lecun"], since=NOW - timedelta(days=9), limit=9
    )
    assert by_key.id == candidate.id == 1
    assert upgraded.integrity_ok()


# ─── one process per database polls and delivers ─────────────────────────────────────
# A user audit: two `monitor run` (or a cron `run --once` beside the daemon) on one
# database both polled and both delivered the outbox, so a webhook could go out twice.


def test_the_database_lock_is_exclusive_names_its_holder_and_lets_readers_in(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    holder = Store.open(path, exclusive=True)
    holder.sync_feeds([FEED], NOW)
    assert lock_file(path) == tmp_path / "m.db.lock"
    assert lock_file(path).read_text() == f"{os.getpid()}\n"
    # A second descriptor is a second holder to flock, even in the same process.
    with pytest.raises(DatabaseInUseError) as refused:
        Store.open(path, exclusive=True)
    assert refused.value.pid == os.getpid()
    assert str(refused.value) == (
        f"{path}: in use by another monitor (PID {os.getpid()} holds {tmp_path / 'm.db.lock'});"
        " stop it, or point this config at another database"
    )
    reader = Store.open(path, create=False)  # reading needs no lock
    assert reader.feed_names() == ["Wire"]
    reader.close()
    holder.close()
    assert lock_file(path).read_text() == ""  # no PID left naming a process that let go
    Store.open(path, exclusive=True).close()


def test_a_lock_file_without_a_pid_yet_is_still_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    holder = Store.open(path, exclusive=True)
    os.truncate(lock_file(path), 0)  # as in the instant between its flock and its write
    with pytest.raises(DatabaseInUseError, match="a process that has not written its PID yet holds") as e:
        Store.open(path, exclusive=True)
    assert e.value.pid is None
    holder.close()


def test_the_lock_dies_with_its_holder_killed_by_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    Store.open(path).close()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from monitor.store import Store;"
            " Store.open(Path(sys.argv[1]), exclusive=True); print('locked', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "locked\n"
        with pytest.raises(DatabaseInUseError) as refused:
            Store.open(path, exclusive=True)
        assert refused.value.pid == child.pid
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert lock_file(path).read_text() == f"{child.pid}\n"  # the file stays, stale
    again = Store.open(path, exclusive=True)  # yet the kernel released its lock
    assert lock_file(path).read_text() == f"{os.getpid()}\n"
    again.close()
