"""Run one real poll in a fresh process and report what it cost, for tests that measure.

    python -m tests.poll_driver '{"config": PATH, "now": ISO, "deadline": 2.0,
                                  "resolve": {"localhost": ["93.184.216.34"]}}'
    python -m tests.poll_driver '{"cli": ["--config", PATH, "run", "--once"]}'

The first form builds the `Poller` that `monitor run --once` builds, with two test seams:
a fixed clock and a `Fetcher` with a short total deadline and a fake resolver (a host it
does not list fails to resolve: the test never reaches a real DNS server). Parsing runs
in this process (`processes=0`), so the peak below covers every stage. The second form
runs the real CLI entry point as `monitor …` would.

Prints one JSON line on stdout: seconds, peak RSS in MiB (`peak_rss_mib`), the run's
stats and, per feed, the structured poll line's duration and error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import resource
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor import cli
from monitor import config as config_module
from monitor.fetch import Fetcher, FetchLimits
from monitor.pipeline import Poller
from monitor.store import Store


class _PollLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.feeds: dict[str, dict[str, Any]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        feed = getattr(record, "feed", None)
        if feed is not None:
            self.feeds[feed] = {
                "ms": getattr(record, "duration_ms", None),
                "error": getattr(record, "error", None),
            }


def peak_rss_mib() -> float:
    """This process's own peak RSS: VmHWM, the high-water mark of its address space.

    Not `ru_maxrss`: Linux carries that across exec from the parent's address space at
    fork, so a driver started by a pytest process of 200 MiB reported 200 MiB whatever
    it did (CI failed on it when the suite grew). VmHWM starts afresh with the new image.
    Where /proc is missing, ru_maxrss is the best there is (bytes on macOS, KiB elsewhere).
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


def _resolver(table: dict[str, list[str]]) -> Any:
    async def resolve(host: str) -> list[str]:
        if host in table:
            return table[host]
        raise OSError(f"{host} is not in the test resolver")

    return resolve


async def _poll(args: dict[str, Any]) -> dict[str, Any]:
    config = config_module.load(Path(args["config"]))
    now = datetime.fromisoformat(args["now"])
    store = Store.open(config.database)
    poller = Poller(store, config, clock=lambda: now, rng=random.Random(0), processes=0)
    await poller.fetcher.aclose()
    limits = FetchLimits(deadline=float(args["deadline"]))
    poller.fetcher = Fetcher(limits=limits, resolver=_resolver(args.get("resolve", {})))
    try:
        stats = await poller.poll_once()
    finally:
        await poller.aclose()
        store.close()
    return dataclasses.asdict(stats)


def main() -> None:
    args = json.loads(sys.argv[1])
    lines = _PollLines()
    poll_log = logging.getLogger("monitor.poll")
    poll_log.addHandler(lines)
    poll_log.setLevel(logging.INFO)
    started = time.perf_counter()
    report: dict[str, Any] = {}
    if "cli" in args:
        sys.argv = ["monitor", *args["cli"]]
        try:
            cli.main()
        except SystemExit as e:
            report["exit"] = e.code
    else:
        report["stats"] = asyncio.run(_poll(args))
    report["seconds"] = round(time.perf_counter() - started, 3)
    report["peak_mib"] = round(peak_rss_mib(), 1)
    report["feeds"] = lines.feeds
    print(json.dumps(report, default=str), flush=True)  # stats.held_back_until: a datetime


if __name__ == "__main__":
    main()
