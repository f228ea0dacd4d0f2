"""`python -m benchmarks.run`: every figure of issue 6, as medians, beside reader and the floor.

    pip install -r benchmarks/requirements.txt
    python -m benchmarks.run                 # the full run (see README for its duration)
    python -m benchmarks.run --quick         # a small farm, to check the set-up (< 2 min)
    python -m benchmarks.run --scenarios 1,2,3 --feeds 300 --repeat 2
    python -m benchmarks.run --scenarios 1 --contenders monitor,naive

Scenarios: 1 first poll, 2 all-304 poll, 3 poll after 10 % of feeds gained 3 items, and
2b a poll where nothing changed but the farm ignores conditional GET (all four run in one
process per contender, on a fresh database), 4 the same with
per-request latency, 5 dedup + detection cost per new item against 10k/100k/1M stored
items, 6 alert latency, 7 peak memory of a first poll of 10,000 feeds × 10 items.
Each contender runs in its own process (benchmarks.contenders); nothing here is timed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from typing import Any

from benchmarks.farm import Farm, FarmServer
from monitor.store import MIGRATIONS

PHASES = ("first", "304", "advanced", "unchanged")
# Each (phase, latency) table: contender name -> its medians (None where it did not run).
Summary = dict[tuple[str, float], Any]
TITLES = {
    "first": "first poll",
    "304": "all-304 poll",
    "advanced": "poll after 10 % of feeds gained 3 items",
    "unchanged": "nothing changed, every feed answers 200 with its whole body (no conditional GET)",
}
# The floor each phase is held against (see README): parse on two cores for the first
# poll, as the target says; the bare conditional GETs for 304; the whole floor
# pipeline (fetch, each 200 parsed on two cores) for the 10 % poll; fetching the bodies
# for the unchanged ones, which need no parse (a poller that knows the bytes it read).
FLOOR_ROW = {
    "first": "floor: feedparser 2 cores",
    "304": "floor: httpx fetch",
    "advanced": "floor: fetch + parse 2 cores",
    "unchanged": "floor: httpx fetch",
}
# The naive httpx + feedparser + sqlite-utils loop, parsing on two processes.
NAIVE_ROW = "naive: fetch + parse 2 cores + store"
LATENCY_FLOOR_ROW = {
    "first": "floor: fetch + parse 2 cores",
    "304": "floor: httpx fetch",
    "advanced": "floor: fetch + parse 2 cores",
    "unchanged": "floor: httpx fetch",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_json(args: list[str], timeout: float = 3600) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def contender(server: FarmServer, name: str, feeds: int, latency: float, *extra: str) -> list[dict[str, Any]]:
    server.control("reset")
    server.control("latency", seconds=latency)
    args = ["-m", "benchmarks.contenders", name, "--port", str(server.port), "--feeds", str(feeds)]
    return run_json([*args, "--hosts", str(server.farm.hosts), *extra])


def best_reader_workers(server: FarmServer, feeds: int, latency: float) -> int:
    """reader at its best: try 1, 4 and 16 workers once on a first poll of a subset."""
    trial = {}
    for workers in (1, 4, 16):
        rows = contender(server, "reader", feeds, latency, "--phases", "first", "--workers", str(workers))
        trial[workers] = rows[0]["wall"]
    best = min(trial, key=trial.__getitem__)
    log(
        f"reader workers trial (first poll of {feeds} feeds, latency {latency * 1000:.0f} ms): "
        + ", ".join(f"{w}: {t:.2f} s" for w, t in trial.items())
        + f" -> {best}"
    )
    return best


def polls(server: FarmServer, args: argparse.Namespace, latency: float) -> list[dict[str, Any]]:
    workers = args.reader_workers
    if not workers and "reader" in args.contenders:
        workers = best_reader_workers(server, min(args.feeds, 200), latency)
    rows = []
    order = [c for c in ["monitor", "reader", "floor", "naive"] if c in args.contenders]
    for rep in range(args.repeat):
        turn = rep % len(order)
        for name in order[turn:] + order[:turn]:  # rotate, so no one always goes first
            extra = ["--workers", str(workers)] if name == "reader" else []
            if name == "floor" and latency:
                extra.append("--fetch-only")  # parsing pre-fetched bytes does not see latency
            started = time.perf_counter()
            for row in contender(server, name, args.feeds, latency, *extra):
                rows.append({**row, "latency": latency, "rep": rep})
            log(
                f"latency {latency * 1000:.0f} ms, run {rep + 1}/{args.repeat}: {name} "
                f"{time.perf_counter() - started:.1f} s"
            )
    return rows


# ── tables ───────────────────────────────────────────────────────────────────────────────


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def medians(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    by_row: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_row[r["row"]].append(r)
    return {
        name: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "peak_mib", "peak_pss_mib")}
        | {"n": len(rs)}
        for name, rs in by_row.items()
    }


def poll_table(
    rows: list[dict[str, Any]], phase: str, latency: float, args: argparse.Namespace
) -> dict[str, Any]:
    med = medians([r for r in rows if r["phase"] == phase and r["latency"] == latency])
    feeds = args.feeds
    items = {"first": feeds * args.items, "advanced": round(feeds * 0.1) * args.items}.get(phase, 0)
    reader = next((v for k, v in med.items() if k.startswith("reader")), None)
    floor = med.get((LATENCY_FLOOR_ROW if latency else FLOOR_ROW)[phase])
    head = f"{'contender':<30} {'wall s':>8} {'CPU s':>8} {'feeds/s':>9} {'items/s':>9} {'peak MiB':>9}"
    head += f" {'PSS MiB':>8}"
    lines = [head + f" {'vs reader':>9} {'x floor':>8} {'runs':>4}", "-" * (len(head) + 24)]
    for name, m in med.items():
        vs_reader = reader["wall"] / m["wall"] if reader else None  # feeds/s ratio
        x_floor = m["wall"] / floor["wall"] if floor else None  # wall-time ratio
        lines.append(
            f"{name:<30} {m['wall']:>8.3f} {m['cpu']:>8.2f} {feeds / m['wall']:>9,.0f} "
            f"{(items / m['wall'] if items else 0):>9,.0f} {m['peak_mib']:>9.0f} {m['peak_pss_mib']:>8.0f} "
            f"{fmt(vs_reader):>9} {fmt(x_floor):>8} {m['n']:>4}"
        )
    title = f"{TITLES[phase]}: {feeds} feeds x {args.items} items, latency {latency * 1000:.0f} ms"
    print(f"\n=== {title} ===\n" + "\n".join(lines))
    return {"med": med, "reader": reader, "floor": floor, "monitor": med.get("monitor")}


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "MISSED")


def targets_polls(t: Summary) -> None:
    first, n304 = t.get(("first", 0.0)), t.get(("304", 0.0))
    if first and first["monitor"] and first["reader"]:
        m, r, f = first["monitor"], first["reader"], first["floor"]
        ratio = r["wall"] / m["wall"]
        print(f"target first poll >= 2.5 x reader feeds/s: {ratio:.2f} x -> {verdict(ratio >= 2.5)}")
        if f:
            x = m["wall"] / f["wall"]
            print(
                f"target first poll within 1.3 x the two-core parse floor: {x:.2f} x -> {verdict(x <= 1.3)}"
            )
        for what, key in (("summed RSS", "peak_mib"), ("PSS", "peak_pss_mib")):
            mem = m[key] / r[key]
            print(
                f"target peak memory <= reader + 50 % ({what}): {m[key]:.0f} vs {r[key]:.0f} MiB "
                f"({mem:.2f} x) -> {verdict(mem <= 1.5)}"
            )
    if n304 and n304["monitor"] and n304["reader"]:
        ratio = n304["reader"]["wall"] / n304["monitor"]["wall"]
        print(f"target all-304 >= 1.5 x reader: {ratio:.2f} x -> {verdict(ratio >= 1.5)}")
    if first:
        naive_lines(first)


def naive_lines(first: dict[str, Any]) -> None:
    """Where the first-poll targets sit against a poller that only stores (no targets of its own)."""
    naive = first["med"].get(NAIVE_ROW)
    m, r, f = first["monitor"], first["reader"], first["floor"]
    if not naive:
        return
    print(f"\nthe naive loop ({NAIVE_ROW}; stores every entry searchable, no dedupe, no detection):")
    if r:
        print(
            f"  first poll {r['wall'] / naive['wall']:.2f} x reader feeds/s; peak memory "
            f"{naive['peak_mib']:.0f} MiB summed RSS ({naive['peak_mib'] / r['peak_mib']:.2f} x reader), "
            f"PSS {naive['peak_pss_mib']:.0f} ({naive['peak_pss_mib'] / r['peak_pss_mib']:.2f} x)"
        )
    if f:
        print(f"  first poll {naive['wall'] / f['wall']:.2f} x the two-core parse floor")
    if m:
        print(
            f"  the monitor's first poll takes {m['wall'] / naive['wall']:.2f} x its time and "
            f"{m['cpu'] / naive['cpu']:.2f} x its CPU: the price of dedupe and detection"
        )


def capacity(t: Summary, args: argparse.Namespace) -> None:
    """Feeds one 2-core machine handles, from the CPU of the steady-state poll (scenario 3)."""
    adv = t.get(("advanced", 0.0))
    if not adv or not adv["monitor"]:
        return
    per_poll = adv["monitor"]["cpu"] / args.feeds  # CPU s per feed poll, 10 % changed by 3 items
    print(
        f"\ncapacity (monitor, from scenario 3: {per_poll * 1000:.2f} ms CPU per feed poll when 10 % of "
        "feeds have 3 new items; 2 cores, kept at most half busy):"
    )
    for minutes in (1, 5, 10, 30):
        feeds = 2 * minutes * 60 * 0.5 / per_poll
        print(f"  every {minutes:>2} min: {feeds:>10,.0f} feeds")


# ── scenario 5 and 6 ─────────────────────────────────────────────────────────────────────


def _stored(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        (last,) = conn.execute("SELECT coalesce(max(rowid), 0) FROM items").fetchone()
    return int(last)


def store_scaling(args: argparse.Namespace) -> None:
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    results = {}
    for n in args.store_sizes:
        # Named after the schema version: a store built for an older schema is rebuilt.
        db = cache / f"store-{n}-v{len(MIGRATIONS)}.db"
        if not db.exists() or _stored(db) != n:  # or grown by measure runs before they copied it
            log(f"building a store of {n:,} items in {db} (kept for later runs)")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            built = run_json(
                ["-m", "benchmarks.detect", "build", "--items", str(n), "--db", str(db) + ".tmp"]
            )
            Path(str(db) + ".tmp").rename(db)
            log(f"built in {built[0]['seconds']:.0f} s, {built[0]['db_mib']:.0f} MiB")
        runs = [
            run_json(["-m", "benchmarks.detect", "measure", "--db", str(db), "--new", str(args.new)])[0]
            for _ in range(args.repeat)
        ]
        results[n] = {
            kind: {k: statistics.median(r[kind][k] for r in runs) for k in runs[0][kind]}
            for kind in ("cold", "warm")
        }
        log(f"store of {n:,}: measured")
    print(
        f"\n=== dedup + detection per new item (prepare in a parse worker + Processor._item in the"
        f" writer; median of {args.repeat} processes x {args.new} items) ==="
    )
    print(
        "cold: fresh process, store file evicted from the OS page cache (after a reboot, or RAM"
        " smaller than the store); warm: store file in the OS page cache, process warmed up"
    )
    print(
        f"{'stored items':>12} {'cold median µs':>15} {'cold p90 µs':>12} {'warm median µs':>15} "
        f"{'warm p90 µs':>12} {'warm writer µs':>15} {'warm prepare µs':>16}"
    )
    for n, r in results.items():
        print(
            f"{n:>12,} {r['cold']['median_us']:>15,.0f} {r['cold']['p90_us']:>12,.0f} "
            f"{r['warm']['median_us']:>15,.0f} {r['warm']['p90_us']:>12,.0f} "
            f"{r['warm']['writer_median_us']:>15,.0f} {r['warm']['prepare_median_us']:>16,.0f}"
        )
    sizes = sorted(results)
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        for kind in ("cold", "warm"):
            growth = results[hi][kind]["median_us"] / results[lo][kind]["median_us"]
            log_growth = math.log(hi) / math.log(lo)
            print(
                f"{kind}: {lo:,} -> {hi:,} grows {growth:.2f} x (log growth would be {log_growth:.2f} x, "
                f"linear {hi / lo:,.0f} x)"
            )
    if 1_000_000 in results:
        warm = results[1_000_000]["warm"]["median_us"] / 1000
        cold = results[1_000_000]["cold"]["median_us"] / 1000
        print(
            f"target per item at 1M < 2 ms: warm {warm:.2f} ms -> {verdict(warm < 2)}; "
            f"cold {cold:.2f} ms -> {verdict(cold < 2)}"
        )


def alert_latency(args: argparse.Namespace) -> None:
    out = run_json(
        [
            "-m",
            "benchmarks.detect",
            "latency",
            "--feeds",
            str(args.feeds),
            "--feed-items",
            "5",
            "--repeat",
            str(max(3, args.repeat)),
            "--hosts",
            str(args.hosts),
        ]
    )[0]
    print(
        f"\n=== alert latency: fetch of the statement's feed done -> webhook received "
        f"({out['feeds']} quiet feeds, all others 304) ==="
    )
    for mode, r in out["latency"].items():
        if r is None:
            print(f"{mode:<11} no webhook arrived")
            continue
        print(
            f"{mode:<11} median {r['median_ms']:.0f} ms, max {r['max_ms']:.0f} ms over {r['n']} statements "
            f"-> target < 500 ms {verdict(r['median_ms'] < 500)}"
        )


def big_farm(args: argparse.Namespace) -> None:
    feeds, items = args.big
    with FarmServer(Farm(feeds=feeds, items=items, hosts=args.hosts)) as server:
        row = contender(server, "monitor", feeds, 0.0, "--phases", "first")[0]
    print(f"\n=== first poll of {feeds:,} feeds x {items} items (monitor, one run) ===")
    print(
        f"wall {row['wall']:.1f} s, CPU {row['cpu']:.1f} s, {feeds / row['wall']:,.0f} feeds/s, "
        f"peak {row['peak_mib']:.0f} MiB (PSS {row['peak_pss_mib']:.0f}) -> target < 300 MiB at 10,000 x 10: "
        f"{verdict(row['peak_mib'] < 300) if feeds * items >= 100_000 else 'n/a (smaller farm)'}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50, help="items per feed")
    parser.add_argument("--hosts", type=int, default=16, help="loopback addresses 127.0.0.1..N")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is printed)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request in scenario 4")
    parser.add_argument("--scenarios", default="1,2,3,4,5,6,7")
    parser.add_argument("--store-sizes", default="10000,100000,1000000")
    parser.add_argument("--new", type=int, default=300, help="new items timed per store size")
    parser.add_argument("--big", default="10000x10", help="scenario 7's farm, FEEDSxITEMS")
    parser.add_argument("--reader-workers", type=int, default=0, help="0: try 1, 4, 16 and take the best")
    parser.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / "monitor-bench-cache"),
        help="where the synthetic stores of scenario 5 are kept between runs",
    )
    parser.add_argument("--contenders", default="monitor,reader,floor,naive", help="a subset, to re-run one")
    parser.add_argument("--json", help="also write every raw row here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="100 feeds x 20 items, 2 runs, stores of 5k/20k, a 300 x 10 big farm",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.feeds, args.items, args.repeat, args.new = 100, 20, 2, 100
        args.store_sizes, args.big = "5000,20000", "300x10"
    args.store_sizes = [int(s) for s in args.store_sizes.split(",")]
    args.contenders = args.contenders.split(",")
    args.big = tuple(int(x) for x in args.big.lower().split("x"))
    scenarios = {int(s) for s in args.scenarios.split(",")}
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    raw: list[dict[str, Any]] = []
    summary: Summary = {}
    if scenarios & {1, 2, 3, 4}:
        with FarmServer(Farm(feeds=args.feeds, items=args.items, hosts=args.hosts)) as server:
            latencies = ([0.0] if scenarios & {1, 2, 3} else []) + ([args.latency] if 4 in scenarios else [])
            for latency in latencies:
                raw += polls(server, args, latency)
        for latency in sorted({r["latency"] for r in raw}):
            for phase in PHASES:
                summary[(phase, latency)] = poll_table(raw, phase, latency, args)
        print()
        targets_polls(summary)
        capacity(summary, args)
    if 5 in scenarios:
        store_scaling(args)
    if 6 in scenarios:
        alert_latency(args)
    if 7 in scenarios:
        big_farm(args)
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    print(
        f"\n(total {time.perf_counter() - started:.0f} s; python {sys.version.split()[0]} in {sys.prefix}, "
        f"{os.cpu_count()} cores; medians of {args.repeat} runs unless said; load average "
        f"{load_before:.1f} before the run: above ~1 something else was running and the figures "
        f"are not clean; {os.getloadavg()[0]:.1f} after, which counts the run's own processes)"
    )


if __name__ == "__main__":
    main()
