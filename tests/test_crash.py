"""Crashes and receivers that misbehave: nothing is lost, nothing is sent twice unknowingly.

1. kill -9 at random moments of `monitor run --once` while a loopback farm's statement
   items are stored and their alerts queued, many times over; after every kill the
   database is sound (integrity_check), no statement item lacks its alert, no alert lacks
   its deliveries; a clean run then completes everything.
2. kill -9 while deliveries are in flight (the receiver answers slowly): every alert is
   delivered in the end, a message is delivered twice only if it was in flight at a
   kill, and the receiver can tell by its `webhook-id`.
3. SIGTERM to the daemon with a poll and a delivery in flight: exit 0 within the drain
   bound; on restart nothing is lost and the interrupted delivery is retried.
4. A parse worker killed (kill -9, as the OOM killer does): the broken pool is replaced
   and the poll retried on the new one; a pool that breaks again is the feed's error.
5. Receivers answering 200, 204, 301, 400, 404, 410, 429 + Retry-After, 500, 503 or
   hanging, through `Poller.deliver_due` with a fake clock: only 2xx counts, 410
   disables, the retry schedule is followed, and after the last attempt the delivery
   is dead and shown by `monitor alerts --json`.

The kill tests fork their runs from one pre-imported process (tests/forker.py), so the
kills land in the monitor's work rather than in Python's start-up. Set
MONITOR_CRASH_KILLS to change how many kills test 1 makes (test 2 makes a third as many).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import json
import os
import queue
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor import config as config_module
from monitor import pipeline
from monitor.daemon import DRAIN_SECONDS
from monitor.loopback import FeedServer, rss
from monitor.pipeline import Deciders, Poller, PollOutcome
from monitor.store import Store
from monitor.types import FeedState
from monitor.watch import shipped_watch
from tests.conftest import SECRET
from tests.receiver import HANG, Receiver, Reply, give_up_after

DECIDERS = Deciders.build([shipped_watch()])  # what a poll decides with, as in the daemon

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("MONITOR_CRASH_KILLS", "75"))
FEEDS = 6  # below the process-pool threshold: each run is one process to kill
ITEMS = 30  # per feed and cycle
HOOKS = 2  # endpoints per alert

STATEMENTS = (
    (
        "Yann LeCun confirms he is leaving Meta to start a world-model company",
        'In a post on LinkedIn, LeCun said: "I am leaving Meta to found a startup."',
    ),
    (
        "Meta confirms LeCun departure",
        "A Meta spokesperson confirmed that Yann LeCun will leave the company at the end of the year.",
    ),
)


def feed_document(cycle: int, feed: int) -> bytes:
    base = datetime.now(UTC) - timedelta(hours=2)
    entries = []
    for i in range(ITEMS):
        if i % 5 == 0:
            title, summary = STATEMENTS[(i // 5 + feed) % len(STATEMENTS)]
        else:
            title = f"Harbour report {cycle}-{feed}-{i}: cargo volumes shift at berth {i * 7 + feed}"
            summary = f"Port authority figures for quarter {i} show tonnage at terminal {feed} changing."
        entries.append(
            {
                "guid": f"c{cycle}-f{feed}-{i}",
                "title": title,
                "link": f"https://outlet{feed}.example/{cycle}/{i}",
                "summary": summary,
                "published": base + timedelta(seconds=60 * i + feed),
            }
        )
    return rss(f"Outlet {feed}", entries)


# ─── running and killing ────────────────────────────────────────────────────────────


class Forker:
    """Drives tests/forker.py: one pre-imported process that forks `monitor` runs."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.forker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._next(120) == {"ready": True}

    def _next(self, timeout: float) -> dict[str, Any]:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the forker said nothing for {timeout:g} s") from None

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def run(
        self, config: Path, log: Path, trigger: Callable[[], bool] | None = None, delay: float = 0.0
    ) -> dict[str, Any]:
        """Run `monitor run --once`; kill -9 it `delay` s after `trigger()` turns true.

        A trigger (the farm saw the run's first request, say) rather than a fixed time keeps
        the kills in the stage under test however loaded the machine is.
        """
        assert self.process.stdin is not None
        started = time.monotonic()
        request = {"argv": ["--config", str(config), "run", "--once"], "log": str(log)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        started_line = self._next(60)
        assert started_line.keys() == {"pid"}, f"expected a new run's pid, got {started_line}"
        pid = started_line["pid"]
        end: dict[str, Any] | None = None
        fired: float | None = None
        while end is None and time.monotonic() - started < 120:
            try:
                end = self.lines.get(timeout=0.002)
            except queue.Empty:
                if fired is None and trigger is not None and trigger():
                    fired = time.monotonic()
                if fired is not None and time.monotonic() - fired >= delay:
                    with contextlib.suppress(ProcessLookupError):
                        # The run ended on its own and the forker reaped it before its
                        # end line reached us: the end line says so ("exit", not "signal").
                        os.kill(pid, signal.SIGKILL)
                    end = self._next(60)
        if end is None:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"the run did not end within 120 s; see {log}")
        end["seconds"] = time.monotonic() - started
        end["killed"] = end.get("signal") == signal.SIGKILL
        return end

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def calibrate(forker: Forker, config: Path, log: Path, started: Callable[[], bool]) -> float:
    """Run once to the end; return how long it ran after `started()` first became true."""
    seen: list[float] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() and not seen:
            if started():
                seen.append(time.monotonic())
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run = forker.run(config, log)
    ended = time.monotonic()
    done.set()
    watcher.join()
    assert run.get("exit") == 0, log.read_text()
    assert seen, "the stage never started"
    return ended - seen[0]


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    f = Forker()
    try:
        yield f
    finally:
        f.close()


@dataclass
class Farm:
    folder: Path
    feeds: FeedServer
    hooks: Receiver
    cycle: int = 0

    def new_cycle(self) -> Path:
        """A fresh database and fresh documents; returns the config."""
        self.cycle += 1
        for f in range(FEEDS):
            self.feeds.put(f"/f{f}.xml", feed_document(self.cycle, f))
        feeds = "".join(
            f'[[feeds]]\nname = "f{f}"\nurl = "{self.feeds.url(f"/f{f}.xml")}"\n' for f in range(FEEDS)
        )
        hooks = "".join(
            f'[[webhooks]]\nurl = "{self.hooks.url}?e={h}"\nsecret = "{SECRET}"\n' for h in range(HOOKS)
        )
        path = self.folder / f"cycle{self.cycle}.toml"
        path.write_text(f'database = "cycle{self.cycle}.db"\n{feeds}{hooks}', encoding="utf-8")
        return path

    def asked_more_than(self, requests: int) -> Callable[[], bool]:
        """A trigger: true once the feeds have answered more than `requests` requests."""
        return lambda: self.feeds.requests > requests


@dataclass
class State:
    """What a database holds after a run, and whether its invariants hold."""

    items: int
    statements: int
    alerts: int
    deliveries: Counter[str]
    problems: list[str] = field(default_factory=list)


def inspect(database: Path, hooks: int = HOOKS) -> State:
    if not database.exists():
        return State(0, 0, 0, Counter())
    conn = sqlite3.connect(database)
    try:
        problems = []
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "items" not in tables:  # killed before the first migration committed
            return State(0, 0, 0, Counter(), problems)
        orphans = conn.execute(
            "SELECT count(*) FROM items WHERE statement IS NOT NULL AND alert IS NULL"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} statement items without their alert")
        short = conn.execute(
            "SELECT count(*) FROM alerts a"
            " WHERE (SELECT count(*) FROM deliveries d WHERE d.alert = a.id) != ?",
            [hooks],
        ).fetchone()[0]
        if short:
            problems.append(f"{short} alerts without their {hooks} deliveries")
        dangling = conn.execute(
            "SELECT count(*) FROM items WHERE alert IS NOT NULL AND alert NOT IN (SELECT id FROM alerts)"
        ).fetchone()[0]
        if dangling:
            problems.append(f"{dangling} items pointing at a missing alert")
        return State(
            items=conn.execute("SELECT count(*) FROM items").fetchone()[0],
            statements=conn.execute("SELECT count(*) FROM items WHERE statement IS NOT NULL").fetchone()[0],
            alerts=conn.execute("SELECT count(*) FROM alerts").fetchone()[0],
            deliveries=Counter(
                dict(conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
            ),
            problems=problems,
        )
    finally:
        conn.close()


def message_states(database: Path) -> dict[str, str]:
    conn = sqlite3.connect(database)
    try:
        return dict(conn.execute("SELECT message_id, state FROM deliveries").fetchall())
    finally:
        conn.close()


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Farm]:
    with FeedServer() as feeds, Receiver(SECRET) as hooks:
        yield Farm(tmp_path, feeds, hooks)


def where(state: State) -> str:
    """Which stage a kill interrupted, judged from what it left."""
    if state.items == 0:
        return "before any item was stored"
    if state.items < FEEDS * ITEMS:
        return "while items were stored"
    if state.deliveries.get("pending"):
        return "before or during deliveries"
    return "after everything was done"


def test_kill_9_while_storing_and_queueing_loses_nothing(forker: Forker, farm: Farm) -> None:
    # Kills land between a run's first feed request and its end (that span measured once here):
    # fetch, parse, store 180 items with 2 alerts and their 4 outbox rows, deliver.
    config = farm.new_cycle()
    asked = farm.feeds.requests
    span = calibrate(forker, config, farm.folder / "calibrate.log", farm.asked_more_than(asked))
    rng = random.Random(5)
    landed: Counter[str] = Counter()
    kills = 0
    started = time.monotonic()
    while kills < KILLS:
        config = farm.new_cycle()
        database = farm.folder / f"cycle{farm.cycle}.db"
        log = farm.folder / f"c{farm.cycle}.log"
        for attempt in range(3):
            asked = farm.feeds.requests
            run = forker.run(
                config,
                log,
                trigger=farm.asked_more_than(asked),
                delay=rng.uniform(0, span),
            )
            state = inspect(database)
            assert state.problems == [], (farm.cycle, attempt, state)
            if not run["killed"]:
                break  # the run finished before its kill: this cycle's work is done
            kills += 1
            landed[where(state)] += 1
        finished = forker.run(config, log)
        assert finished.get("exit") == 0, log.read_text()
        state = inspect(database)
        assert state.problems == []
        assert state.items == FEEDS * ITEMS  # nothing lost
        assert state.statements == FEEDS * ITEMS // 5
        assert state.alerts == len(STATEMENTS)
        assert state.deliveries == Counter({"delivered": len(STATEMENTS) * HOOKS})
        assert set(message_states(database)) <= set(farm.hooks.accepted_ids)
    seconds = time.monotonic() - started
    print(f"\n== kill -9 while storing: {kills} kills over {farm.cycle - 1} cycles in {seconds:.0f} s")
    print(f"   a run spends {span:.2f} s from its first feed request to its end; the kills left:")
    for stage, count in landed.most_common():
        print(f"   {count:4}  {stage}")
    assert landed["while items were stored"] + landed["before or during deliveries"] > 0


def test_kill_9_while_delivering_sends_only_the_in_flight_message_twice(
    forker: Forker, tmp_path: Path
) -> None:
    # Each answer takes ~1 s (headers trickled), and each kill comes 0-0.8 s after the run's
    # first webhook request: it lands while deliveries are in flight.
    slow = Reply(200, trickle=0.02)
    with FeedServer() as feeds, Receiver(SECRET, then=slow) as hooks:
        farm = Farm(tmp_path, feeds, hooks)
        rng = random.Random(9)
        credit: Counter[str] = Counter()  # how often each message was in flight at a kill
        kills = 0
        started = time.monotonic()
        while kills < KILLS // 3:
            config = farm.new_cycle()
            database = tmp_path / f"cycle{farm.cycle}.db"
            for attempt in range(6):
                before = Counter(hooks.received_ids)
                asked = len(hooks.requests)
                trigger = (lambda asked=asked: len(hooks.requests) > asked) if attempt < 2 else None
                run = forker.run(config, tmp_path / f"c{farm.cycle}.log", trigger, rng.uniform(0, 0.8))
                assert inspect(database).problems == []
                if run["killed"]:
                    kills += 1
                    time.sleep(0.2)  # a request sent just before the kill may still be read
                    states = message_states(database)
                    for msg_id in Counter(hooks.received_ids) - before:
                        if states.get(msg_id) == "pending":
                            credit[msg_id] += 1
                if inspect(database).deliveries == Counter({"delivered": len(STATEMENTS) * HOOKS}):
                    break
            assert inspect(database).deliveries == Counter({"delivered": len(STATEMENTS) * HOOKS})
        received = Counter(hooks.received_ids)
        assert not hooks.failures
    twice = {m: n for m, n in received.items() if n > 1}
    seconds = time.monotonic() - started
    print(
        f"\n== kill -9 while delivering: {kills} kills over {farm.cycle} cycles in {seconds:.0f} s,"
        f" {len(received)} messages, {len(twice)} received twice (each was in flight at a kill)"
    )
    assert all(received[m] <= 1 + credit[m] for m in received), (received, credit)
    assert len(received) == farm.cycle * len(STATEMENTS) * HOOKS  # every alert, every endpoint


def test_the_receiver_ignores_a_request_whose_sender_died_mid_body() -> None:
    # A kill can land between a delivery's headers and the end of its body. No HTTP server
    # hands such a request to its application, so the receiver must not verify it either
    # (it once did, and reported an empty body's bad signature as a failed delivery).
    with Receiver(SECRET) as hooks:
        host, port = hooks.url.split("//")[1].split("/")[0].split(":")
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(b'POST /hook HTTP/1.1\r\nhost: x\r\ncontent-length: 3260\r\n\r\n{"type": ')
        time.sleep(0.3)
        assert hooks.requests == []
        assert not hooks.failures


# ─── SIGTERM ────────────────────────────────────────────────────────────────────────


def test_sigterm_with_a_poll_and_a_delivery_in_flight(tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    with (
        FeedServer() as fast,
        FeedServer(latency=2.5) as slow,
        # One hang: an endpoint gets its alerts one at a time, so the daemon's second alert
        # waits behind the hung first one and is never sent before SIGTERM.
        Receiver(SECRET, script=[HANG], hang_limit=20) as hooks,
    ):
        fast.put("/fast.xml", rss("Fast", []))
        slow.put("/slow.xml", rss("Slow", []))
        config = tmp_path / "monitor.toml"
        config.write_text(
            f'database = "t.db"\n[[feeds]]\nname = "fast"\nurl = "{fast.url("/fast.xml")}"\n'
            f'[[feeds]]\nname = "slow"\nurl = "{slow.url("/slow.xml")}"\n'
            f'[[webhooks]]\nurl = "{hooks.url}"\nsecret = "{SECRET}"\n',
            encoding="utf-8",
        )
        env = {**os.environ, "MONITOR_CONFIG": str(config)}
        first = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once"], env=env, capture_output=True, check=False
        )
        assert first.returncode == 0, first.stderr
        fast.put("/fast.xml", feed_document(1, 0))  # 6 statement items among 30
        slow.put("/slow.xml", feed_document(1, 1))
        with sqlite3.connect(database) as conn:
            conn.execute("UPDATE feeds SET next_poll = '2000-01-01T00:00:00Z'")  # both overdue
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert hooks.wait_for(1, timeout=20), "no delivery started"
            assert (
                inspect(database, hooks=1).items == ITEMS
            )  # the fast feed is stored, the slow one in flight
            started = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            _, err = daemon.communicate(timeout=DRAIN_SECONDS * 4)
            stopped = time.monotonic() - started
        finally:
            if daemon.poll() is None:
                daemon.kill()
        assert daemon.returncode == 0, err
        assert stopped < DRAIN_SECONDS * 3, stopped
        assert "deliveries still in flight at exit" in err
        state = inspect(database, hooks=1)
        assert state.items == 2 * ITEMS  # the poll in flight at SIGTERM was finished and stored
        assert state.alerts == len(STATEMENTS)
        assert state.deliveries == Counter({"pending": state.alerts})  # interrupted, kept for the restart
        hung = list(hooks.received_ids)
        again = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once"], env=env, capture_output=True, check=False
        )
        assert again.returncode == 0, again.stderr
        assert inspect(database, hooks=1).deliveries == Counter({"delivered": state.alerts})
    print(
        f"\n== SIGTERM with work in flight: exit 0 after {stopped:.2f} s"
        f" (drain bound {DRAIN_SECONDS:g} s a stage)"
    )
    assert set(hung) <= set(hooks.accepted_ids)  # the interrupted delivery came again, same webhook-id


# ─── a parse worker killed ───────────────────────────────────────────────────────────


def _broken(pool: concurrent.futures.ProcessPoolExecutor) -> bool:
    try:
        pool.submit(int).result(timeout=10)
    except BrokenProcessPool:
        return True
    return False


async def _poll_around_a_kill(
    config: config_module.Config, server: FeedServer
) -> tuple[FeedState, PollOutcome]:
    """Poll feed 0 once (the pool's workers start), kill -9 one worker, change the document,
    poll again: the first poll's state, the second poll's outcome."""
    store = Store.open(config.database)
    poller = Poller(store, config, processes=2)
    try:
        await poller.write(store.sync_feeds, config.feeds, datetime.now(UTC))
        states = await poller.write(store.feed_states)
        poller.start_pool(len(states))
        feed = config.feeds[0]
        first = await poller.poll(feed, states[feed.name])
        pool = poller._pool
        assert pool is not None
        workers = list(pool._processes.values())
        os.kill(workers[0].pid or 0, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not _broken(pool):  # the pool notices the death a moment later
            assert time.monotonic() < deadline, "the pool never noticed the kill"
            await asyncio.sleep(0.05)
        server.put("/f0.xml", feed_document(2, 0))
        second = await poller.poll(feed, first.state)
        # The broken pool's other worker is gone too: killed while it held the task
        # queue's lock, a worker leaves its sibling waiting for it, and Python 3.11 waits
        # for that sibling at exit (CI's pytest never ended).
        deadline = time.monotonic() + 5
        while any(w.is_alive() for w in workers):
            assert time.monotonic() < deadline, "a worker of the broken pool is still running"
            await asyncio.sleep(0.05)
        return first.state, second
    finally:
        await poller.aclose()
        store.close()


def _pool_farm(tmp_path: Path, server: FeedServer) -> config_module.Config:
    server.put("/f0.xml", feed_document(1, 0))
    path = tmp_path / "monitor.toml"
    path.write_text(f'database = "p.db"\n[[feeds]]\nname = "f0"\nurl = "{server.url("/f0.xml")}"\n')
    return config_module.load(path)


def test_a_killed_parse_worker_is_replaced_and_the_poll_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # kill -9 (or the OOM killer) of one worker broke the pool for good: every later poll
    # of a changed feed raised BrokenProcessPool, which only apscheduler logged, and the
    # feed's state was never updated again.
    with FeedServer() as server:
        config = _pool_farm(tmp_path, server)
        with caplog.at_level("WARNING", logger="monitor.poll"):
            first, second = asyncio.run(_poll_around_a_kill(config, server))
    assert first.last_error is None
    assert second.state.status == 200
    assert second.state.last_error is None
    assert len(second.items) == ITEMS  # the changed document, parsed on the new pool
    assert "a parse worker died (killed, or out of memory?); starting 2 new parse workers" in caplog.text


def test_a_pool_that_breaks_again_is_the_feeds_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers that die as they start (their initializer exits): the retry on a new pool
    # fails too, and the poll is recorded as the feed's error with the reason.
    with FeedServer() as server:
        config = _pool_farm(tmp_path, server)
        monkeypatch.setattr(pipeline, "init_worker", sys.exit)
        store = Store.open(config.database)
        poller = Poller(store, config, processes=1)

        async def poll() -> FeedState:
            try:
                await poller.write(store.sync_feeds, config.feeds, datetime.now(UTC))
                states = await poller.write(store.feed_states)
                poller.start_pool(1)
                return (await poller.poll(config.feeds[0], states["f0"])).state
            finally:
                await poller.aclose()
                store.close()

        state = asyncio.run(poll())
    assert state.status == 200
    assert state.failures == 1
    assert state.last_error is not None
    assert state.last_error.startswith("the parser process died twice on this document")


# ─── receivers that misbehave, through the real delivery path ──────────────────────


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class _NoJitter:
    def random(self) -> float:
        return 0.0


NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
ANSWERS: dict[str, int | Reply] = {
    "200": 200,
    "204": 204,
    "301": 301,
    "400": 400,
    "404": 404,
    "410": 410,
    "429": Reply(429, {"retry-after": "120"}),
    "500": 500,
    "503": 503,
    "hang": HANG,
}
SCHEDULE = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
SCHEDULE += [timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]


def test_receivers_answering_anything_through_the_real_delivery_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hanging receiver would cost 15 s per attempt; the deadline is the same code path.
    give_up_after(monkeypatch, 0.3)
    receivers = {
        name: Receiver(SECRET, then=answer, strict_timestamp=False, hang_limit=5)
        for name, answer in ANSWERS.items()
    }
    for receiver in receivers.values():
        receiver.__enter__()
    try:
        hooks = "".join(f'[[webhooks]]\nurl = "{r.url}"\nsecret = "{SECRET}"\n' for r in receivers.values())
        config_path = tmp_path / "monitor.toml"
        config_path.write_text(
            f'database = "d.db"\n[[feeds]]\nname = "wire"\nurl = "http://127.0.0.1:9/"\n{hooks}'
        )
        config = config_module.load(config_path)
        arrivals = asyncio.run(_step_through_the_schedule(config))
        paths = {name: {r.path for r in receiver.requests} for name, receiver in receivers.items()}
        ids = {name: set(receiver.received_ids) for name, receiver in receivers.items()}
    finally:
        for receiver in receivers.values():
            receiver.close()
    gaps = {name: [b - a for a, b in itertools.pairwise(times)] for name, times in arrivals.items()}
    assert gaps["200"] == gaps["204"] == gaps["410"] == []  # one attempt each
    for name in ("301", "400", "404", "500", "503", "hang"):
        assert gaps[name] == SCHEDULE, name  # 8 attempts on the schedule, then dead
    assert gaps["429"] == [timedelta(seconds=120), *SCHEDULE[1:]]  # Retry-After pushed the first retry
    assert all(p == {"/hook"} for p in paths.values())  # the 301 was not followed
    assert all(len(i) == 1 for i in ids.values())  # one webhook-id per endpoint, on every retry

    shown = subprocess.run(
        [sys.executable, "-m", "monitor", "alerts", "--json", "--config", str(config_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert shown.returncode == 0, shown.stderr
    (alert,) = json.loads(shown.stdout)
    by_name = dict(zip(ANSWERS, alert["deliveries"], strict=True))  # rows in channel order
    state = {name: (row["state"], row["attempts"]) for name, row in by_name.items()}
    dead = dict.fromkeys(["301", "400", "404", "429", "500", "503", "hang"], ("dead", 8))
    assert state == {"200": ("delivered", 1), "204": ("delivered", 1), "410": ("pending", 1), **dead}
    assert by_name["410"]["last_error"] == "HTTP 410 Gone: endpoint disabled"
    assert by_name["hang"]["last_error"] == "timeout after 0.3 s"
    assert by_name["301"]["last_error"].startswith("redirect 301 not followed")
    print(f"\n== receivers: {len(receivers)} endpoints, schedule {[str(g) for g in SCHEDULE]}, then dead")


async def _step_through_the_schedule(config: config_module.Config) -> dict[str, list[datetime]]:
    """Raise one alert through the writer, then deliver whenever something is due, jumping the clock."""
    store = Store.open(config.database)
    clock = Clock(NOW)
    poller = Poller(store, config, clock=clock, rng=_NoJitter(), processes=0)  # type: ignore[arg-type]
    names = dict(zip((c.id for c in config.channels), ANSWERS, strict=True))
    arrivals: dict[str, list[datetime]] = {name: [] for name in ANSWERS}
    try:
        await poller.write(store.sync_feeds, config.feeds, NOW)
        await poller.write(store.sync_channels, config.channels)
        title, summary = STATEMENTS[0]
        document = rss(
            "Wire",
            [
                {
                    "guid": "s1",
                    "title": title,
                    "summary": summary,
                    "link": "https://wire.example/s1",
                    "published": NOW - timedelta(hours=1),
                }
            ],
        )
        from monitor.pipeline import parse_items  # noqa: PLC0415

        items = parse_items(
            document, {}, "https://wire.example/feed", config.feeds[0], NOW, deciders=DECIDERS
        ).items
        stats = await poller.write(
            poller.processor.process, [PollOutcome(FeedState("wire", "x"), items)], NOW
        )
        assert stats.alerts == 1
        for _ in range(40):
            due = [d for e in names for d in await poller.write(store.due_for, e, clock.now, 100)]
            await poller.deliver_due()
            for delivery in due:
                arrivals[names[delivery.endpoint]].append(clock.now)
            following = await poller.write(store.next_delivery_time)
            if following is None:
                break
            clock.now = max(clock.now, following)
    finally:
        await poller.aclose()
        store.close()
    return arrivals
