"""Scenarios 5 and 6: per-item dedup + detection cost against a large store; alert latency.

    python -m benchmarks.detect build   --items 1000000 --db PATH   # synthetic store, fast
    python -m benchmarks.detect measure --db PATH --new 300         # cold then warm, on a copy
    python -m benchmarks.detect latency --feeds 1000 --repeat 5     # statement → webhook

`build` writes rows straight into the monitor's schema (opened with `Store.open`, so the
schema and indexes are the real ones) in big transactions with synchronous=OFF: every
column the per-item path reads is filled as the monitor would fill it (title_key and the
blocking keys come from `dedupe.features` of the row's text). Rows are rewrites of the
farm's story pool, published at 30,000 items a day (1,000 feeds × 30) up to now, so at 1M
items the 30-day story window holds the whole store.

`measure` times each new item's two halves inside one transaction: what a parse worker
does (`Deciders.prepare`: features, statement, seed match) and what the single writer does
(`Processor._item`: find, candidates, decide, insert, alert). The total is the CPU an item
costs; the writer's half is what bounds a first poll, since the workers run beside it.
Cold: a fresh process, empty LRU caches, cold SQLite page cache, and the store file's pages
evicted from the operating system's cache (`posix_fadvise(DONTNEED)`): the first items after
a reboot, or every item on a machine whose RAM cannot hold the store. Warm: the same process
after the store file was read through once (the OS cache holds it, as it does for a daemon
that has been running on a machine whose RAM fits the store), the newest 4,096 stored items
read and 100 more items put through. Both states are set explicitly: left as found, the
figure at 1M depended on what the machine happened to have cached (1.1 to 20 ms an item
on this VM, whose page cache is emptied behind its back).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import farm as farm_mod
from benchmarks.contenders import write_config

if TYPE_CHECKING:
    from monitor.types import FetchResult, Validators

ITEMS_PER_DAY = 30_000
FEEDS = 1000
POOL = 50_000  # distinct texts; rows beyond reuse them (features computed once per text)
CHUNK = 20_000


def _config(tmp: Path, db: Path, hook: tuple[str, str] | None = None, urls: list[str] | None = None) -> Any:
    from monitor import config as config_mod  # noqa: PLC0415

    feed_urls = urls or [f"http://127.0.0.1:9/feed/{i:05d}.xml" for i in range(FEEDS)]
    path = write_config(tmp, feed_urls, hook)
    text = path.read_text().replace('database = "monitor.db"', f'database = "{db}"')
    path.write_text(text)
    return config_mod.load(path)


def _item(feed: int, seq: int, stories: list[Any], published: datetime, tag: str) -> Any:
    from monitor import normalise  # noqa: PLC0415
    from monitor.types import RawEntry  # noqa: PLC0415

    raw = farm_mod.make_item(7, feed, seq, stories, published)
    entry = RawEntry(
        guid=f"{raw['guid']}:{tag}",
        title=raw["title"],
        link=raw["link"].replace("?", f"-{tag}?"),
        summary=raw["summary"],
        published=published,
        published_raw=None,
    )
    return normalise.normalise(entry, feed=f"feed-{feed:05d}", official=False, now=published)


def build(db: Path, n: int) -> None:
    from monitor import dedupe  # noqa: PLC0415
    from monitor.store import Store, format_time  # noqa: PLC0415

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp), db)
    store = Store.open(db)
    now = datetime.now(UTC)
    store.sync_feeds(config.feeds, now)
    seeds = dedupe.SeedIndex(config.watches)
    stories = farm_mod.story_pool(max(50, n // 20), seed=7)
    span = timedelta(days=n / ITEMS_PER_DAY)
    pool = []
    for p in range(min(n, POOL)):
        item = _item(p % FEEDS, p, stories, now, "pool")
        f = dedupe.features(item, seeds)
        # The strings the writer saves, as the parse workers send them.
        pool.append((item, f.title_key, f.blocking_keys, dedupe.pack(f).saved))
    conn = store.conn
    conn.execute("PRAGMA synchronous = OFF")
    for start in range(0, n, CHUNK):
        rows: list[tuple[Any, ...]] = []
        keys: list[tuple[str, int, str]] = []
        for i in range(start, min(n, start + CHUNK)):
            item, title_key, blocking, saved = pool[i % len(pool)]
            published = format_time(now - span * (n - i) / n)
            rid = i + 1
            rows.append(
                (
                    rid,
                    f"feed-{i % FEEDS:05d}",
                    f"k{i}",
                    f"g{i}",
                    item.title,
                    item.link,
                    f"{item.canonical_link}{i}",
                    item.summary,
                    published,
                    published,
                    item.fingerprint,
                    title_key,
                    (i % len(pool)) + 1,
                    50.0,
                    *saved,
                )
            )
            keys.extend((k, rid, published) for k in blocking)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO items (id, feed, key, guid, title, link, canonical_link, summary, published,"
            " first_seen, fingerprint, title_key, story, story_score, dedupe_tokens, dedupe_names, parties,"
            " dedupe_lead) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.executemany("INSERT INTO item_keys (key, item, published) VALUES (?,?,?)", keys)
        # What the store does before each commit (no trigger indexes a new row).
        conn.execute(
            "INSERT INTO items_fts (rowid, title, summary) SELECT id, title, summary FROM items WHERE id > ?",
            [start],
        )
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    size = db.stat().st_size / 2**20
    print(json.dumps({"built": n, "seconds": time.perf_counter() - started, "db_mib": size}), flush=True)


def _time_items(processor: Any, store: Any, items: list[Any], now: datetime) -> list[tuple[float, float]]:
    """(prepare, writer) seconds per item: what a parse worker does (features, statement,
    seed match) and what the writer does (find, candidates, decide, insert, alert)."""
    from monitor.pipeline import RunStats  # noqa: PLC0415

    stats, times = RunStats(), []
    known: dict[tuple[str, str], tuple[int, str | None]] = {}
    with store.transaction():
        for item in items:
            t0 = time.perf_counter()
            prepared = processor.deciders.prepare(item)
            t1 = time.perf_counter()
            processor._item(prepared, known, now, stats)
            times.append((t1 - t0, time.perf_counter() - t1))
    return times


def _page_cache(db: Path, *, load: bool) -> None:
    """Evict the store's files from the OS page cache, or read them into it."""
    for path in (db, Path(f"{db}-wal")):
        if not path.exists():
            continue
        with path.open("rb") as f:
            if load:
                while f.read(1 << 24):
                    pass
            elif hasattr(os, "posix_fadvise"):  # not on macOS or Windows: left as found
                os.fsync(f.fileno())  # DONTNEED drops clean pages only
                os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def measure(built: Path, new: int) -> None:
    """Time `new` items cold and warm against a copy of the store at `built`, which stays as
    it was: measured in place, every run added its 700 items to the next run's store (the
    cached "10k" store had grown to 31k)."""
    with tempfile.TemporaryDirectory(dir=built.parent) as tmp:  # beside it: the same disk
        db = Path(tmp) / built.name
        shutil.copyfile(built, db)
        _measure(db, new)


def _measure(db: Path, new: int) -> None:
    from monitor import dedupe  # noqa: PLC0415
    from monitor.pipeline import Processor  # noqa: PLC0415
    from monitor.store import Store  # noqa: PLC0415

    config = _config(db.parent, db)
    _page_cache(db, load=False)
    store = Store.open(db)
    processor = Processor(store, config)
    now = datetime.now(UTC)
    # max(rowid), not count(*): a count reads a whole index, which would warm the cold run.
    (last,) = store.conn.execute("SELECT coalesce(max(rowid), 0) FROM items").fetchone()
    stories = farm_mod.story_pool(max(50, last // 20), seed=7)
    # A fresh nonce per process: items timed by an earlier run are in the store now.
    nonce = time.time_ns() % 10**12
    batches = [
        [_item(j % FEEDS, nonce + b * 10_000 + j, stories, now, f"new{nonce}-{b}") for j in range(new)]
        for b in range(3)
    ]
    cold = _time_items(processor, store, batches[0], now)
    _page_cache(db, load=True)
    for title, summary in store.conn.execute("SELECT title, summary FROM items ORDER BY id DESC LIMIT 4096"):
        dedupe.text_features(title, summary or "")
    warmup = batches[1][:100]
    _time_items(processor, store, warmup, now)
    warm = _time_items(processor, store, batches[2], now)
    stored = store.count("items") - len(cold) - len(warmup) - len(warm)  # before this run's items
    store.close()
    out: dict[str, Any] = {"stored": stored}
    for name, times in (("cold", cold), ("warm", warm)):
        us = sorted((p + w) * 1e6 for p, w in times)
        out[name] = {
            "median_us": statistics.median(us),
            "p90_us": us[int(0.9 * len(us))],
            "mean_us": statistics.fmean(us),
            "prepare_median_us": statistics.median(p * 1e6 for p, _ in times),
            "writer_median_us": statistics.median(w * 1e6 for _, w in times),
        }
    print(json.dumps(out), flush=True)


# ── scenario 6: alert latency ─────────────────────────────────────────────────────────────

STATEMENT = {
    "title": "Yann LeCun confirms he is leaving Meta to start a new company",
    "summary": (
        "Yann LeCun said on Wednesday that he is leaving Meta at the end of the year to found a "
        'start-up focused on world models. "I am creating a new company," LeCun wrote in a post.'
    ),
}


def latency(feeds: int, items: int, repeat: int, hosts: int) -> None:
    from monitor.loopback import HookRecorder  # noqa: PLC0415
    from monitor.pipeline import Poller  # noqa: PLC0415
    from monitor.store import Store  # noqa: PLC0415

    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    farm = farm_mod.Farm(feeds=feeds, items=items, hosts=hosts, seed=11)
    with (
        farm_mod.FarmServer(farm) as server,
        HookRecorder(secret) as hooks,
        tempfile.TemporaryDirectory() as tmp,
    ):
        config = _config(Path(tmp), Path(tmp) / "m.db", (hooks.url, secret), server.urls)
        store = Store.open(config.database)
        results: dict[str, list[float]] = {"run --once": [], "daemon": []}

        async def main() -> None:
            poller = Poller(store, config)
            await poller.poll_once()  # the quiet farm is known: from now on every feed answers 304
            target = feeds // 2
            watched = server.urls[target]
            fetched: dict[str, float] = {}
            original = poller.fetcher.fetch

            async def fetch(url: str, validators: Validators) -> FetchResult:
                result = await original(url, validators)
                if url == watched:
                    fetched["t"] = time.perf_counter()
                return result

            poller.fetcher.fetch = fetch  # type: ignore[method-assign]
            for r in range(repeat * 2):
                mode = "run --once" if r % 2 == 0 else "daemon"
                _clear_alerts(store)
                entry = {
                    **STATEMENT,
                    "link": f"https://example.com/lecun-{r}",
                    "guid": f"urn:stmt:{r}",
                    "published": datetime.now(UTC).isoformat(),
                }
                server.control("inject", feed=target, entry=json.dumps(entry))
                before = len(hooks.hooks)
                await (poller.poll_once() if mode == "run --once" else _daemon_round(poller, store, config))
                with hooks.arrived:
                    hooks.arrived.wait_for(partial(_more_than, hooks.hooks, before), timeout=10)
                if len(hooks.hooks) > before:
                    results[mode].append((hooks.hooks[-1].received - fetched["t"]) * 1000)
            await poller.aclose()

        asyncio.run(main())
        store.close()
    out = {
        mode: {"median_ms": statistics.median(v), "max_ms": max(v), "n": len(v)} if v else None
        for mode, v in results.items()
    }
    print(json.dumps({"latency": out, "feeds": feeds}), flush=True)


def _more_than(hooks: list[Any], n: int) -> bool:
    return len(hooks) > n


def _clear_alerts(store: Any) -> None:
    """Forget earlier alerts in this temporary database, so the next statement raises one."""
    with store.transaction():
        store.conn.execute("DELETE FROM deliveries")
        store.conn.execute("UPDATE items SET alert = NULL")
        store.conn.execute("DELETE FROM alerts")


async def _daemon_round(poller: Any, store: Any, config: Any) -> None:
    """What `monitor run` does: polls feed the writer as they finish; a committed alert wakes delivery."""
    states = await poller.write(store.feed_states)
    queue: asyncio.Queue[Any] = asyncio.Queue()
    writer = asyncio.create_task(poller.drain(queue))
    poller.delivered_event.clear()

    async def deliverer() -> None:
        await poller.delivered_event.wait()
        await poller.deliver_due()

    delivering = asyncio.create_task(deliverer())

    async def one(feed: Any) -> None:
        await queue.put(await poller.poll(feed, states[feed.name]))

    await asyncio.gather(*(one(f) for f in config.feeds))
    await queue.put(None)
    await writer
    await asyncio.wait_for(delivering, 10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.detect")
    parser.add_argument("what", choices=["build", "measure", "latency"])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=300)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--feed-items", type=int, default=5)
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.what == "build":
        build(args.db, args.items)
    elif args.what == "measure":
        measure(args.db, args.new)
    else:
        latency(args.feeds, args.feed_items, args.repeat, args.hosts)


if __name__ == "__main__":
    main()
