"""The contenders, each run in its own process by `benchmarks.run` (so peak RSS is its own).

    python -m benchmarks.contenders monitor --port P --feeds N --hosts H [--phases first,304,…]
    python -m benchmarks.contenders reader  ... --workers W
    python -m benchmarks.contenders floor   ...
    python -m benchmarks.contenders naive   ...

Each runs the phases against the running farm, in order, on a fresh database:
`first` (every feed new), `304` (nothing changed: all conditional GETs answer 304),
`advanced` (the farm is told to give 10 % of feeds 3 new items, then a poll), `unchanged`
(nothing changed, and every feed answers 200 with its whole body: a site that ignores
conditional GET). It prints
one JSON object per measured row on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import io
import json
import multiprocessing
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks import farm as farm_mod
from benchmarks.meter import Measure, measure

ADVANCE = {"fraction": 0.1, "count": 3, "salt": 1}
# The monitor's own fetch limits (monitor.fetch.FetchLimits), used by the httpx floor too.
MAX_IN_FLIGHT = 32
MAX_PER_HOST = 4
# The options the monitor gives feedparser (monitor.parse._FEEDPARSER_OPTIONS): the floor
# is what the monitor's parse could cost at best.
FEEDPARSER_OPTIONS = {"sanitize_html": False, "resolve_relative_uris": False}


def urls(port: int, feeds: int, hosts: int) -> list[str]:
    f = farm_mod.Farm.__new__(farm_mod.Farm)  # only the URL scheme; no content
    f.hosts = hosts
    return [f"http://{f.host(i)}:{port}{f.path(i)}" for i in range(feeds)]


def emit(contender: str, phase: str, row: str, m: Measure, **extra: Any) -> None:
    out = {"contender": contender, "phase": phase, "row": row, "wall": m.wall, "cpu": m.cpu}
    out |= {"peak_mib": m.peak_mib, "peak_pss_mib": m.peak_pss_mib, **extra}
    print(json.dumps(out), flush=True)


def before_phase(args: argparse.Namespace, phase: str) -> None:
    if phase == "advanced":
        farm_mod.control(args.base, "advance", **ADVANCE)
    # `unchanged`: nothing changed, but the farm ignores conditional GET, as many sites do.
    farm_mod.control(args.base, "validators", on=int(phase != "unchanged"))


# ── the monitor ──────────────────────────────────────────────────────────────────────────


def write_config(folder: Path, feed_urls: list[str], hook: tuple[str, str] | None = None) -> Path:
    lines = ['database = "monitor.db"']
    for i, url in enumerate(feed_urls):
        lines += ["[[feeds]]", f'name = "feed-{i:05d}"', f'url = "{url}"']
    if hook:
        lines += ["[[webhooks]]", f'url = "{hook[0]}"', f'secret = "{hook[1]}"']
    path = folder / "monitor.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_monitor(args: argparse.Namespace) -> None:
    from monitor import config as config_mod  # noqa: PLC0415
    from monitor.pipeline import Poller  # noqa: PLC0415
    from monitor.store import Store  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as tmp:
        config = config_mod.load(write_config(Path(tmp), urls(args.port, args.feeds, args.hosts)))
        store = Store.open(config.database)

        async def main() -> None:
            poller = Poller(store, config)
            for phase in args.phases:
                before_phase(args, phase)
                with measure() as m:
                    stats = await poller.poll_once()
                emit("monitor", phase, "monitor", m, new=stats.items_new, failed=stats.failed)
            await poller.aclose()

        asyncio.run(main())
        store.close()


# ── lemon24/reader ───────────────────────────────────────────────────────────────────────


def run_reader(args: argparse.Namespace) -> None:
    from reader import make_reader  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-reader-") as tmp:
        reader = make_reader(str(Path(tmp) / "reader.sqlite"))
        for url in urls(args.port, args.feeds, args.hosts):
            reader.add_feed(url)
        for phase in args.phases:
            before_phase(args, phase)
            new = failed = 0
            with measure() as m:
                # scheduled=False: update every feed now, as `monitor run --once` does.
                for result in reader.update_feeds_iter(scheduled=False, workers=args.workers):
                    if isinstance(result.value, Exception):
                        failed += 1
                    elif result.value is not None:
                        new += result.value.new
            emit("reader", phase, f"reader (workers={args.workers})", m, new=new, failed=failed)
        reader.close()


# ── the floor: httpx alone, feedparser alone ─────────────────────────────────────────────


def parse_count(body: bytes, headers: dict[str, str]) -> int:
    import feedparser  # noqa: PLC0415

    return len(feedparser.parse(io.BytesIO(body), response_headers=headers, **FEEDPARSER_OPTIONS).entries)


async def fetch_all(
    feed_urls: list[str],
    validators: dict[str, tuple[str | None, str | None]],
    on_body: Callable[[str, bytes, dict[str, str]], None] | None = None,
    *,
    then: Callable[[str, bytes, dict[str, str]], Awaitable[None]] | None = None,
) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """GET every URL with the monitor's concurrency (32 in flight, 4 per host), conditionally;
    each 200 body goes to `on_body` as it arrives, or is awaited in `then` before the
    request's slot is let go (a poller that holds at most 32 documents, as the monitor
    does), or else is returned."""
    import httpx  # noqa: PLC0415

    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
    overall = asyncio.Semaphore(MAX_IN_FLIGHT)
    per_host: dict[str, asyncio.Semaphore] = {}
    out: dict[str, tuple[int, dict[str, str], bytes]] = {}
    keep = on_body is None and then is None  # a body handed on is not kept
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(url: str) -> None:
            host = url.split("/")[2]
            slots = per_host.setdefault(host, asyncio.Semaphore(MAX_PER_HOST))
            etag, modified = validators.get(url, (None, None))
            headers = {"If-None-Match": etag} if etag else {}
            if modified:
                headers["If-Modified-Since"] = modified
            async with slots, overall:
                response = await client.get(url, headers=headers)
                hdrs = {k.lower(): v for k, v in response.headers.items()}
                out[url] = (response.status_code, hdrs, response.content if keep else b"")
                if response.status_code != 200:
                    return
                if on_body:
                    on_body(url, response.content, hdrs)
                if then:
                    await then(url, response.content, hdrs)

        await asyncio.gather(*(one(u) for u in feed_urls))
    return out


def _pool() -> concurrent.futures.ProcessPoolExecutor:
    pool = concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver"))
    list(pool.map(parse_count, [b"<rss/>"] * 4, [{}] * 4))  # started and warm: not timed
    return pool


async def fetch_and_parse(
    feed_urls: list[str], validators: dict[str, tuple[str | None, str | None]], pool: Any
) -> tuple[dict[str, tuple[int, dict[str, str], bytes]], int]:
    """The floor of a poll: fetch as above, each 200 body parsed on the two-process pool."""
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[int]] = []

    def on_body(url: str, body: bytes, headers: dict[str, str]) -> None:
        futures.append(loop.run_in_executor(pool, parse_count, body, headers))

    responses = await fetch_all(feed_urls, validators, on_body)
    return responses, sum(await asyncio.gather(*futures))


def run_floor(args: argparse.Namespace) -> None:
    feed_urls = urls(args.port, args.feeds, args.hosts)
    pool = _pool()
    validators: dict[str, tuple[str | None, str | None]] = {}
    for phase in args.phases:
        before_phase(args, phase)
        prev = dict(validators)  # what a poller would send: the validators of the last poll
        with measure() as m:
            responses = asyncio.run(fetch_all(feed_urls, prev))
        emit("floor", phase, "floor: httpx fetch", m)
        bodies = [(r[2], r[1]) for r in responses.values() if r[0] == 200]
        if bodies and not args.fetch_only:
            with measure() as m:
                n = sum(parse_count(b, h) for b, h in bodies)
            emit("floor", phase, "floor: feedparser 1 core", m, entries=n)
            with measure() as m:
                n = sum(pool.map(parse_count, *zip(*bodies, strict=True), chunksize=4))
            emit("floor", phase, "floor: feedparser 2 cores", m, entries=n)
        if bodies:  # the same conditional GETs again, each body parsed as it arrives
            with measure() as m:
                responses, n = asyncio.run(fetch_and_parse(feed_urls, prev, pool))
            emit("floor", phase, "floor: fetch + parse 2 cores", m, entries=n)
        for url, (status, headers, _) in responses.items():
            if status == 200:
                validators[url] = (headers.get("etag"), headers.get("last-modified"))
    pool.shutdown()


# ── the naive loop: fetch, parse on two cores, store searchable; no dedupe, no detection ──

# Entries that go to the database in one insert (and one commit): 50 farm documents.
NAIVE_BATCH = 2500


def parse_rows(body: bytes, headers: dict[str, str], url: str) -> list[dict[str, Any]]:
    """What a store-everything poller keeps of each entry, made in the parse worker."""
    import feedparser  # noqa: PLC0415

    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, **FEEDPARSER_OPTIONS)
    return [
        {
            "feed": url,
            "guid": e.get("id") or e.get("link") or e.get("title", ""),
            "title": e.get("title", ""),
            "link": e.get("link", ""),
            "summary": e.get("summary", ""),
            "published": e.get("published", ""),
        }
        for e in parsed.entries
    ]


def run_naive(args: argparse.Namespace) -> None:
    """The issue's "naive httpx + feedparser + sqlite-utils loop", parsing on two processes:
    what storing every item, searchable, costs with none of the monitor's dedupe or
    detection. The monitor's distance to it is the price of those; its distance to the
    floor is the price of storing."""
    import sqlite_utils  # noqa: PLC0415

    feed_urls = urls(args.port, args.feeds, args.hosts)
    pool = _pool()
    validators: dict[str, tuple[str | None, str | None]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-naive-") as tmp:
        db = sqlite_utils.Database(Path(tmp) / "naive.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        table = db.table("items")
        table.create(
            {"feed": str, "guid": str, "title": str, "link": str, "summary": str, "published": str},
            pk=("feed", "guid"),
        )
        table.enable_fts(["title", "summary"], create_triggers=True)

        async def poll(prev: dict[str, tuple[str | None, str | None]]) -> None:
            loop = asyncio.get_running_loop()
            batch: list[dict[str, Any]] = []

            async def parse_and_store(url: str, body: bytes, headers: dict[str, str]) -> None:
                batch.extend(await loop.run_in_executor(pool, parse_rows, body, headers, url))
                if len(batch) >= NAIVE_BATCH:
                    table.insert_all(batch, ignore=True)  # a seen entry stays as first stored
                    batch.clear()

            responses = await fetch_all(feed_urls, prev, then=parse_and_store)
            table.insert_all(batch, ignore=True)
            for url, (status, headers, _) in responses.items():
                if status == 200:
                    validators[url] = (headers.get("etag"), headers.get("last-modified"))

        for phase in args.phases:
            before_phase(args, phase)
            before = table.count
            with measure() as m:
                asyncio.run(poll(dict(validators)))
            emit("naive", phase, "naive: fetch + parse 2 cores + store", m, new=table.count - before)
        db.close()
    pool.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contenders")
    parser.add_argument("contender", choices=["monitor", "reader", "floor", "naive"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--phases", default="first,304,advanced,unchanged")
    parser.add_argument("--workers", type=int, default=4, help="reader's update_feeds workers")
    parser.add_argument("--fetch-only", action="store_true", help="floor: skip the parse-only rows")
    args = parser.parse_args(argv)
    args.phases = args.phases.split(",")
    args.base = f"http://127.0.0.1:{args.port}"
    runners = {"monitor": run_monitor, "reader": run_reader, "floor": run_floor, "naive": run_naive}
    runners[args.contender](args)


if __name__ == "__main__":
    main()
