"""Is the farm's news realistic? feedparser's cost per item, farm beside real news feeds.

    python -m benchmarks.realism [--shared ../shared]

The floor, and every contender, mostly parses: a farm lighter than real feeds would flatter
whoever spends the least outside the parser. So the farm's items carry what news sites
put in theirs (an HTML description with a picture and a link, sections, author, media
tags), and this prints feedparser's time per item (with the monitor's options, best of 5)
for a farm feed and for the news-site snapshots in `shared/feeds/realworld`, written by
others. The issue measured 23–43 ms per 50-item feed (0.46–0.86 ms an item).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import feedparser

from benchmarks.contenders import FEEDPARSER_OPTIONS
from benchmarks.farm import Farm

# News sites among the snapshots (blogs, podcasts and test fixtures left out).
NEWS = [
    "rss-parser/guardian.rss",
    "rss-parser/heise.atom",
    "rss-parser/uolNoticias.rss",
    "rss-parser/reddit.rss",
    "rsparser/livemint.xml",
    "rsparser/aktuality.rss",
    "rsparser/macworld.rss",
    "feedjira/TechCrunch.xml",
    "feedjira/google_alerts_atom.xml",
]
RUNS = 5


def per_item(body: bytes) -> tuple[float, int]:
    """feedparser's best time per item (ms) over RUNS parses, and the item count."""
    best, count = float("inf"), 0
    for _ in range(RUNS):
        start = time.perf_counter()
        count = len(feedparser.parse(body, **FEEDPARSER_OPTIONS).entries)
        best = min(best, time.perf_counter() - start)
    return best * 1000 / max(count, 1), count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared"
    parser.add_argument("--shared", type=Path, default=default, help=f"shared material (default {default})")
    args = parser.parse_args(argv)
    print(f"{'feed':34} {'items':>5} {'KiB/item':>8} {'ms/item':>8}")
    real = []
    for name in NEWS:
        path = args.shared / "feeds" / "realworld" / name
        if not path.exists():
            print(f"{name:34} missing ({path})")
            continue
        body = path.read_bytes()
        ms, count = per_item(body)
        real.append(ms)
        print(f"{name:34} {count:5} {len(body) / 1024 / max(count, 1):8.1f} {ms:8.3f}")
    body = Farm(feeds=1, items=50).document(0).body
    farm_ms, count = per_item(body)
    print(f"{'farm (50 items)':34} {count:5} {len(body) / 1024 / count:8.1f} {farm_ms:8.3f}")
    if real:
        median = statistics.median(real)
        print(f"farm / median of {len(real)} news snapshots: {farm_ms / median:.2f} ({median:.3f} ms/item)")


if __name__ == "__main__":
    main()
