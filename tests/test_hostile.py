"""Hostile servers on loopback, through the real monitor: nothing gets in, the poll goes on.

A `HostileServer` (tests/hostile.py) on 127.0.0.1 plays entity bombs, XXE, a gzip bomb,
oversized, trickling and silent bodies, redirect loops, chains and redirects to private
addresses, throttling with absurd Retry-After values, HTML, empty bodies and errors. Good
feeds are served beside it from another loopback host (127.0.0.2) in the same poll.

The poll runs in a fresh process (tests/poll_driver.py) so its peak memory is its own:
the real `Poller` of `monitor run --once`, with a fixed clock, a 2 s total deadline and a
fake resolver that makes `localhost` look public (so a redirect from it to a private
address must be refused). One more run goes through the real CLI with default limits.
For every case: the process exits 0, the feed has a clear `last_error`, the good feeds
are stored, and peak RSS stays under PEAK_MIB.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor import config as config_module
from monitor import schedule
from monitor.exceptions import MAX_FEED_ERROR_CHARS
from monitor.loopback import FeedServer, rss
from monitor.parse import ENTITIES_REFUSED
from monitor.pipeline import Deciders, Poller, RunStats, parse_items
from monitor.store import Store
from monitor.types import FeedConfig
from monitor.watch import shipped_watch
from tests.hostile import (
    FifoWatch,
    HostileServer,
    billion_laughs,
    external_entity,
    quadratic_blowup,
    self_signed,
)

DECIDERS = Deciders.build([shipped_watch()])  # what a poll decides with, as in the daemon

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
DEADLINE = 2.0
PEAK_MIB = 200
PUBLIC = ["93.184.216.34"]  # what the test resolver answers for "localhost"

# feed name → (path on the hostile server, host to use, what its last_error must start with)
CASES: dict[str, tuple[str, str, str]] = {
    "billion-laughs": ("/billion-laughs.xml", "127.0.0.1", ENTITIES_REFUSED),
    "quadratic": ("/quadratic.xml", "127.0.0.1", ENTITIES_REFUSED),
    "xxe-file": ("/xxe-file.xml", "127.0.0.1", ENTITIES_REFUSED),
    "xxe-fifo": ("/xxe-fifo.xml", "127.0.0.1", ENTITIES_REFUSED),
    "gzip-bomb": ("/gzip-bomb.xml", "127.0.0.1", "body over 15 MiB"),
    "big-declared": ("/big-declared.xml", "127.0.0.1", "body over 15 MiB (Content-Length 50000000)"),
    "big-stream": ("/big-stream.xml", "127.0.0.1", "body over 15 MiB"),
    "trickle": ("/trickle.xml", "127.0.0.1", f"no complete response within {DEADLINE:g} s"),
    "silent": ("/silent.xml", "127.0.0.1", f"no complete response within {DEADLINE:g} s"),
    "redirect-loop": ("/loop-a", "127.0.0.1", "redirect loop at http://127.0.0.1:"),
    "redirect-chain": ("/chain/0", "127.0.0.1", "too many redirects (more than 5)"),
    "long-loop": ("/long-loop-a", "127.0.0.1", "redirect loop at http://127.0.0.1:"),
    "to-loopback": ("/to-loopback", "localhost", "redirect to private address 127.0.0.1 refused"),
    "to-private": ("/to-private", "localhost", "redirect to private address 10.1.2.3 refused"),
    "to-metadata": ("/to-metadata", "localhost", "redirect to private address 169.254.169.254 refused"),
    "to-rebind": ("/to-rebind", "localhost", "redirect to private address 10.0.0.5 refused"),
    "429-seconds": ("/429-seconds", "127.0.0.1", "HTTP 429 Too Many Requests"),
    "503-date": ("/503-date", "127.0.0.1", "HTTP 503 Service Unavailable"),
    "429-ten-years": ("/429-ten-years", "127.0.0.1", "HTTP 429 Too Many Requests"),
    "html": ("/html", "127.0.0.1", "not a feed: text/html"),
    "empty": ("/empty", "127.0.0.1", "empty body"),
    "404": ("/404", "127.0.0.1", "HTTP 404 Not Found"),
    "500": ("/500", "127.0.0.1", "HTTP 500 Internal Server Error"),
}
# Fetched fine, and an external DTD pointing at the FIFO must not be opened either.
ACCEPTED = {"external-dtd": ("/dtd-fifo.xml", "127.0.0.1")}
# Retry-After honoured within schedule.MAX_RETRY_AFTER: feed → delay after NOW.
THROTTLED = {
    "429-seconds": timedelta(hours=2),
    "503-date": timedelta(hours=3),
    "429-ten-years": schedule.MAX_RETRY_AFTER,
}
GOOD = ("good-1", "good-2", "good-3")


def good_feed(name: str) -> bytes:
    entries = [
        {
            "guid": f"{name}-{i}",
            "title": f"{name} story {i}",
            "link": f"https://{name}.example/{i}",
            "summary": "Nothing hostile here.",
            "published": datetime(2025, 11, 19, 10, i, tzinfo=UTC),
        }
        for i in range(4)
    ]
    return rss(name, entries)


# ─── the farm ───────────────────────────────────────────────────────────────────────


class Farm:
    """The hostile server, the good server, the canary file and the watched FIFO."""

    def __init__(self, folder: Path, hostile: HostileServer, good: FeedServer, fifo: FifoWatch) -> None:
        self.folder = folder
        self.hostile = hostile
        self.good = good
        self.fifo = fifo
        self.canary_text = (folder / "canary.txt").read_text()

    def config(self, names: list[str], database: str, extra: dict[str, str] | None = None) -> Path:
        tables = [f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n' for name, url in (extra or {}).items()]
        for name in names:
            if name in GOOD:
                url = self.good.url(f"/{name}.xml")
            else:
                path, host, *_ = {**CASES, **ACCEPTED}[name]
                url = self.hostile.url(path, host)
            tables.append(f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n')
        config = self.folder / f"{database}.toml"
        config.write_text(f'database = "{database}.db"\n' + "\n".join(tables), encoding="utf-8")
        return config


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "canary.txt").write_text("CANARY-7f3a9c secret of the local machine\n")
    fifo = FifoWatch(folder / "fifo")
    try:
        with (
            HostileServer(folder / "canary.txt", fifo.path) as hostile,
            FeedServer(host="127.0.0.2") as good,
        ):
            for name in GOOD:
                good.put(f"/{name}.xml", good_feed(name))
            yield Farm(folder, hostile, good, fifo)
    finally:
        fifo.close()


def drive(args: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.poll_driver", json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def poll(farm: Farm, names: list[str], database: str) -> dict[str, Any]:
    config = farm.config(names, database)
    return drive(
        {
            "config": str(config),
            "now": NOW.isoformat(),
            "deadline": DEADLINE,
            "resolve": {"localhost": PUBLIC, "internal.test": ["10.0.0.5"]},
        }
    )


def feeds_of(database: Path) -> dict[str, dict[str, Any]]:
    store = Store.open(database, create=False)
    try:
        return {row["name"]: row for row in store.feeds_report()}
    finally:
        store.close()


def stored_text(database: Path) -> str:
    store = Store.open(database, create=False)
    try:
        rows = store.conn.execute("SELECT title, summary, link FROM items").fetchall()
    finally:
        store.close()
    return "\n".join(str(v) for row in rows for v in row)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ─── everything at once ─────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def everything(farm: Farm) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    names = [*CASES, *ACCEPTED, *GOOD]
    report = poll(farm, names, "all")
    print(
        f"\n== hostile poll: {len(names)} feeds in {report['seconds']:.2f} s, peak {report['peak_mib']} MiB"
    )
    for name, line in sorted(report["feeds"].items()):
        print(f"   {name:16} {line['ms']:6} ms  {line['error']}")
    return report, feeds_of(farm.folder / "all.db")


def test_every_hostile_feed_gets_a_clear_error_and_the_poll_goes_on(
    everything: tuple[dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    report, feeds = everything
    assert report["stats"]["feeds"] == len(CASES) + len(ACCEPTED) + len(GOOD)
    errors = {name: feeds[name]["last_error"] or "" for name in CASES}
    wrong = {
        name: errors[name]
        for name, (_, _, expected) in CASES.items()
        if not errors[name].startswith(expected)
    }
    assert wrong == {}
    assert max(len(error) for error in errors.values()) == MAX_FEED_ERROR_CHARS
    assert errors["long-loop"].endswith("characters)")  # the note that it was shortened
    assert all(feeds[name]["failures"] == 1 and feeds[name]["items"] == 0 for name in CASES)
    assert report["stats"]["failed"] == len(CASES)


def test_good_feeds_in_the_same_poll_are_stored(
    everything: tuple[dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    report, feeds = everything
    for name in GOOD:
        assert (feeds[name]["last_error"], feeds[name]["status"], feeds[name]["items"]) == (None, 200, 4)
        # On another host, they were not held up behind the trickling and silent ones.
        assert report["feeds"][name]["ms"] < 1000
    assert feeds["external-dtd"]["items"] == 1


def test_nothing_local_is_read(farm: Farm, everything: tuple[dict[str, Any], Any]) -> None:
    assert farm.canary_text.split()[0] not in stored_text(farm.folder / "all.db")
    assert not farm.fifo.opened.is_set()  # neither the entity nor the external DTD opened it


def test_peak_memory_of_the_whole_poll(everything: tuple[dict[str, Any], Any]) -> None:
    report, _ = everything
    assert report["peak_mib"] < PEAK_MIB


def test_slow_servers_are_cut_at_the_total_deadline(everything: tuple[dict[str, Any], Any]) -> None:
    report, _ = everything
    for name in ("trickle", "silent"):
        # Waiting for a free slot on the host is not counted by the deadline, only talking.
        assert DEADLINE * 1000 <= report["feeds"][name]["ms"] < (DEADLINE + 3) * 1000
    assert report["seconds"] < DEADLINE * 4 + 5


def test_retry_after_is_honoured_within_the_cap_and_other_feeds_keep_their_pace(
    everything: tuple[dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    _, feeds = everything
    for name, delay in THROTTLED.items():
        next_poll = when(feeds[name]["next_poll"])
        assert abs(next_poll - (NOW + delay)) <= timedelta(minutes=1), (name, next_poll)
    for name in GOOD:  # the default interval, ±10 % jitter
        assert timedelta(minutes=9) <= when(feeds[name]["next_poll"]) - NOW <= timedelta(minutes=11)
    for name in ("500", "404", "html", "empty"):  # first failure: one interval, no more
        assert timedelta(minutes=9) <= when(feeds[name]["next_poll"]) - NOW <= timedelta(minutes=11)


@pytest.mark.parametrize("name", ["gzip-bomb", "big-stream", "good-2"])
def test_one_big_body_alone_stays_small(farm: Farm, name: str) -> None:
    report = poll(farm, [name, "good-1"], f"alone-{name}")
    print(f"\n== {name} alone: {report['feeds'][name]['ms']} ms, peak {report['peak_mib']} MiB")
    assert report["peak_mib"] < PEAK_MIB
    if name in GOOD:  # the baseline: a poll of two good feeds
        return
    assert report["feeds"][name]["error"].startswith("body over 15 MiB")
    assert report["feeds"][name]["ms"] < 5000


@pytest.mark.parametrize(
    "body",
    [billion_laughs(), quadratic_blowup(), external_entity(Path("/etc/passwd"))],
    ids=["laughs", "quadratic", "xxe"],
)
def test_entity_documents_are_refused_in_well_under_a_second(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(Exception, match=ENTITIES_REFUSED):
        parse_items(
            body, {}, "http://127.0.0.1/x", FeedConfig("x", "http://127.0.0.1/x"), NOW, deciders=DECIDERS
        )
    assert time.perf_counter() - started < 1.0


def test_the_drivers_peak_is_its_own_not_its_parents() -> None:
    """A parent holding 300 MiB starts the driver's meter: it reports the child's peak.

    ru_maxrss would have reported the parent's (Linux carries it across exec), which is
    how the suite's own growth past 200 MiB once failed every peak assertion above.
    """
    parent = (
        "import subprocess, sys\n"
        "ballast = b'x' * (300 * 2**20)  # written, so every page is resident\n"
        "code = 'from tests.poll_driver import peak_rss_mib; print(peak_rss_mib())'\n"
        "child = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)\n"
        "print(child.stdout)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert float(result.stdout) < 150  # the child imports the monitor: ~60 MiB


def test_the_real_cli_with_default_limits(farm: Farm) -> None:
    """`monitor run --once` itself (30 s deadline, system resolver) over the quick cases."""
    names = [n for n, (_, host, _) in CASES.items() if host == "127.0.0.1" and n not in ("trickle", "silent")]
    config = farm.config([*names, *GOOD], "cli")
    report = drive({"cli": ["--config", str(config), "run", "--once"]})
    seconds, peak = report["seconds"], report["peak_mib"]
    print(f"\n== real CLI: {len(names) + len(GOOD)} feeds in {seconds:.2f} s, peak {peak} MiB")
    assert report["exit"] in (0, None)
    assert report["peak_mib"] < PEAK_MIB
    feeds = feeds_of(farm.folder / "cli.db")
    assert {n: (feeds[n]["last_error"] or "").startswith(CASES[n][2]) for n in names} == dict.fromkeys(
        names, True
    )
    assert all(feeds[n]["items"] == 4 for n in GOOD)


# ─── failing, backing off, recovering (in process, fixed clock) ─────────────────────


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class _Jitter:
    """An rng whose random() is 0.5: no jitter at all, so delays are exact."""

    def random(self) -> float:
        return 0.5


def test_a_failing_feed_backs_off_and_recovers_when_the_server_does(farm: Farm) -> None:
    config = config_module.load(farm.config(["good-1"], "flaky", {"flaky": farm.hostile.url("/flaky")}))
    farm.hostile.flaky = True
    clock = Clock(NOW)
    store = Store.open(config.database)
    interval = timedelta(minutes=10)
    seen: list[tuple[int, str | None, int | None, timedelta]] = []

    async def rounds() -> None:
        poller = Poller(store, config, clock=clock, rng=_Jitter(), processes=0)  # type: ignore[arg-type]
        try:
            for step in range(5):
                if step == 3:
                    farm.hostile.flaky = False  # the server comes back
                await poller.poll_once()
                row = {r["name"]: r for r in store.feeds_report()}["flaky"]
                seen.append(
                    (row["failures"], row["last_error"], row["status"], when(row["next_poll"]) - clock.now)
                )
                clock.now = when(row["next_poll"])  # poll again exactly when due
        finally:
            await poller.aclose()

    try:
        asyncio.run(rounds())
        items = {r["name"]: r["items"] for r in store.feeds_report()}
    finally:
        store.close()
        farm.hostile.flaky = True
    error = "HTTP 500 Internal Server Error"
    assert seen == [
        (1, error, 500, interval),  # one blip costs nothing extra
        (2, error, 500, 2 * interval),  # then the wait doubles
        (3, error, 500, 4 * interval),
        (0, None, 200, interval),  # recovered: back to the interval, error cleared
        (0, None, 200, interval),
    ]
    assert items == {"flaky": 3, "good-1": 4}


# ─── TLS ────────────────────────────────────────────────────────────────────────────


class _TLSFeed(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = rss("TLS", [{"guid": "t", "title": "Never seen", "link": "https://x.example/t"}])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_self_signed_certificate_is_a_tls_failure(farm: Farm, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TLSFeed)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        tls_url = f"https://127.0.0.1:{server.server_address[1]}/feed.xml"
        feeds = _poll_in_process(config_module.load(farm.config(["good-1"], "tls", {"tls": tls_url})))
    finally:
        server.shutdown()
        server.server_close()
    assert feeds["tls"]["last_error"].startswith("TLS failed")
    assert "CERTIFICATE_VERIFY_FAILED" in feeds["tls"]["last_error"]
    assert (feeds["tls"]["items"], feeds["good-1"]["items"]) == (0, 4)


def _poll_in_process(config: config_module.Config) -> dict[str, dict[str, Any]]:
    store = Store.open(config.database)

    async def once() -> None:
        poller = Poller(store, config, clock=lambda: NOW, processes=0)
        try:
            await poller.poll_once()
        finally:
            await poller.aclose()

    try:
        asyncio.run(once())
        return {r["name"]: r for r in store.feeds_report()}
    finally:
        store.close()


def test_run_once_leaves_throttled_and_backing_off_feeds_until_they_are_due(farm: Farm) -> None:
    """A user audit: a 429 `Retry-After: 3600` and a 503 with a date a day away were fetched
    again by the next `run --once`, while the daemon waited. Healthy feeds are always polled."""
    names = ["429-seconds", "503-date", "500", "good-1"]
    config = config_module.load(farm.config(names, "held"))
    clock = Clock(NOW)
    store = Store.open(config.database)
    runs: list[tuple[RunStats, list[str]]] = []

    async def polls() -> None:
        poller = Poller(store, config, clock=clock, rng=_Jitter(), processes=0)  # type: ignore[arg-type]
        try:
            for minutes, everything in ((0, False), (1, False), (11, False), (12, True)):
                clock.now = NOW + timedelta(minutes=minutes)
                before = len(farm.hostile.requests)
                stats = await poller.poll_once(everything=everything)
                runs.append((stats, sorted(farm.hostile.requests[before:])))
        finally:
            await poller.aclose()

    try:
        asyncio.run(polls())
    finally:
        store.close()
    every = ["/429-seconds", "/500", "/503-date"]
    assert [(s.feeds, s.held_back, paths) for s, paths in runs] == [
        (4, 0, every),
        (1, 3, []),  # only good-1: each failing feed waits for its next poll
        (2, 2, ["/500"]),  # 500's first backoff (one interval, 10 min) ran out; the others wait
        (4, 0, every),  # --all
    ]
    assert runs[1][0].held_back_until == NOW + timedelta(minutes=10)  # the earliest: 500's
    assert runs[2][0].held_back_until == NOW + timedelta(hours=2)  # 429's Retry-After: 7200
