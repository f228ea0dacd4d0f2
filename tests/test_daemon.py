"""The daemon as users run it: a real process, a loopback feed server, SIGTERM and SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import config as config_module
from monitor import observe
from monitor.daemon import DRAIN_SECONDS, Daemon, StillPolling
from monitor.exceptions import StorageError
from monitor.loopback import FeedServer, rss
from monitor.pipeline import Poller, RunStats, outcome_queue
from monitor.store import Store

NOW = datetime.now(UTC)


def feed(*titles: str) -> bytes:
    entries = [
        {"guid": t, "title": t, "link": f"https://news.example/{i}", "summary": t, "published": NOW}
        for i, t in enumerate(titles)
    ]
    return rss("News", entries)


def count_items(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])


def _polled_once(config: Path) -> dict[str, str]:
    """The environment that names `config`, after a first `run --once` with it (asserted
    to succeed): the daemon tests' common start."""
    env = {**os.environ, "MONITOR_CONFIG": str(config)}
    once = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once"], env=env, capture_output=True, check=False
    )
    assert once.returncode == 0, once.stderr
    return env


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


# SIGHUP (a closed terminal, `kill -HUP`) stops the daemon as SIGTERM does: it once killed
# it at once (exit 129) with polls in flight.
@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["SIGTERM", "SIGINT", "SIGHUP"]
)
def test_daemon_polls_overdue_feeds_and_drains_on_signal(
    write_config: Callable[[str], Path], tmp_path: Path, sig: signal.Signals
) -> None:
    db = tmp_path / "d.db"
    with FeedServer() as server:
        server.put("/a.xml", feed("First story"))
        config = write_config(
            f'database = "d.db"\n[[feeds]]\nname = "a"\nurl = "{server.url("/a.xml")}"\ninterval = "1m"\n'
        )
        env = _polled_once(config)
        assert count_items(db) == 1
        # The feed is overdue (as after a restart) and has a new item: the daemon polls it at once.
        with sqlite3.connect(db) as conn:
            overdue = (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
            conn.execute("UPDATE feeds SET next_poll = ?", [overdue])
        server.put("/a.xml", feed("First story", "Second story"))
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert wait_until(lambda: count_items(db) == 2, timeout=20), "the overdue feed was not polled"
            started = time.monotonic()
            daemon.send_signal(sig)
            _out, err = daemon.communicate(timeout=DRAIN_SECONDS * 3)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        assert daemon.returncode == 0, err
        assert time.monotonic() - started < DRAIN_SECONDS * 2
        assert "poll feed='a' status=200 items=2 new=1" in err  # the structured poll line
        assert "stopped" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        next_poll = conn.execute("SELECT next_poll FROM feeds").fetchone()[0]
    assert next_poll > NOW.strftime("%Y-%m-%dT%H:%M:%SZ")  # the next poll was persisted for the restart


def test_a_poll_cut_short_by_sigterm_is_not_logged_as_an_error(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    # A feed that answers after the drain's bound: SIGTERM cancels its poll. That is the
    # drain doing its job, yet every such poll was logged as an ERROR with a traceback
    # (apscheduler's "Job … raised an exception … CancelledError").
    with FeedServer() as server:
        server.put("/slow.xml", feed("First story"))
        config = write_config(
            f'database = "d.db"\n[[feeds]]\nname = "slow"\nurl = "{server.url("/slow.xml")}"\n'
            'interval = "1m"\n'
        )
        env = _polled_once(config)
        overdue = "2000-01-01T00:00:00Z"
        with sqlite3.connect(tmp_path / "d.db") as conn:
            conn.execute("UPDATE feeds SET next_poll = ?", [overdue])
        server.put("/slow.xml", feed("First story", "Late story"), delay=DRAIN_SECONDS * 3)
        asked = server.requests
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"], env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            assert wait_until(lambda: server.requests > asked, timeout=20), "the feed was never polled"
            daemon.send_signal(signal.SIGTERM)
            _out, err = daemon.communicate(timeout=DRAIN_SECONDS * 4)
        finally:
            if daemon.poll() is None:
                daemon.kill()
    assert daemon.returncode == 0, err
    assert " ERROR " not in err, err
    assert "Traceback" not in err, err
    assert "poll feed='slow' interrupted at shutdown" in err
    with sqlite3.connect(tmp_path / "d.db") as conn:
        (next_poll,) = conn.execute("SELECT next_poll FROM feeds").fetchone()
    assert next_poll == overdue  # not stored: it is polled again at the next start


def test_an_invalid_config_never_starts_the_daemon(write_config: Callable[[str], Path]) -> None:
    config = write_config('[[feeds]]\nname = "a"\nurl = "not a url"\n')
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "feeds[0].url" in result.stderr


def test_a_second_instance_on_one_database_is_refused_and_readers_still_work(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    # A user audit: a second daemon, or cron's `run --once` beside it, polled and delivered
    # the same outbox rows, so one statement's webhook could go out twice. The daemon holds
    # d.db.lock; kill -9 (no clean-up ran) frees it, as the kernel drops a dead process's lock.
    with FeedServer() as server:
        server.put("/a.xml", feed("First story"))
        config = write_config(
            f'database = "d.db"\n[[feeds]]\nname = "a"\nurl = "{server.url("/a.xml")}"\ninterval = "1m"\n'
        )
        env = {**os.environ, "MONITOR_CONFIG": str(config)}

        def monitor(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "monitor", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )

        assert monitor("run", "--once").returncode == 0
        lock = tmp_path / "d.db.lock"
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"], env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            assert wait_until(lambda: lock.read_text() == f"{daemon.pid}\n", timeout=20)
            refusal = (
                f"error: {tmp_path / 'd.db'}: in use by another monitor (PID {daemon.pid} holds"
                f" {tmp_path / 'd.db.lock'}); stop it, or point this config at another database\n"
            )
            for second in (("run", "--once"), ("run",)):
                result = monitor(*second)
                assert (result.returncode, result.stderr) == (1, refusal), second
            for reader in (("items", "--json"), ("feeds",), ("alerts",), ("stories",), ("check-config",)):
                result = monitor(*reader)
                assert result.returncode == 0, (reader, result.stderr)
            assert json.loads(monitor("items", "--json").stdout)[0]["title"] == "First story"
            assert daemon.poll() is None  # the refusals did not disturb it
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(timeout=10)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        once = monitor("run", "--once")
    assert once.returncode == 0, once.stderr
    assert "polled 1 feeds" in once.stderr


# ─── a writer that cannot store ──────────────────────────────────────────────────────


def many_feeds(server: FeedServer, count: int) -> str:
    text = 'database = "d.db"\n'
    for n in range(count):
        server.put(f"/f{n}.xml", feed(f"Story {n}"))
        text += f'[[feeds]]\nname = "f{n}"\nurl = "{server.url(f"/f{n}.xml")}"\ninterval = "1m"\n'
    return text


def make_overdue(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feeds SET next_poll = '2000-01-01T00:00:00Z'")


async def eventually(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@contextlib.contextmanager
def other_writer(
    database: Path, *, locked: bool = True, timeout: float = 5.0
) -> Iterator[sqlite3.Connection]:
    """Another process's connection to `database`, holding its write lock from the start if
    `locked`; whatever it holds is released, and it is closed, at the end."""
    locker = sqlite3.connect(database, isolation_level=None, timeout=timeout)
    try:
        if locked:
            locker.execute("BEGIN IMMEDIATE")
        yield locker
    finally:
        if locker.in_transaction:
            locker.rollback()
        locker.close()


def test_a_batch_the_writer_cannot_commit_is_kept_and_retried(
    write_config: Callable[[str], Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Another process held the write lock past the busy timeout: the writer task died
    # silently and every later poll was fetched and thrown away.
    with FeedServer() as server:
        config = config_module.load(write_config(many_feeds(server, 3)))
        store = Store.open(config.database)
        poller = Poller(store, config, processes=0)
        poller.retry_delay = lambda _failures: 0.05  # the backoff's waits, without waiting

        async def scenario() -> RunStats:
            await poller.write(store.sync_feeds, config.feeds, datetime.now(UTC))
            states = await poller.write(store.feed_states)
            await poller.write(store.conn.execute, "PRAGMA busy_timeout = 50")
            queue = outcome_queue()
            for f in config.feeds:
                await queue.put(await poller.poll(f, states[f.name]))
            await queue.put(None)
            with other_writer(config.database):
                writer = asyncio.create_task(poller.drain(queue))
                await eventually(lambda: "(try 3)" in caplog.text, timeout=10)
                assert poller.write_failure is not None
                assert "database is locked; another process holds the write lock" in poller.write_failure
                assert not writer.done()
            stats = await asyncio.wait_for(writer, 10)
            assert poller.write_failure is None
            await poller.aclose()
            return stats

        with caplog.at_level(logging.INFO, logger="monitor.poll"):
            try:
                stats = asyncio.run(scenario())
            finally:
                store.close()
    assert stats.items_new == 3  # nothing lost
    assert count_items(tmp_path / "d.db") == 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors
    assert errors[0].getMessage().startswith("cannot store 3 polls (try 1), trying again in 0 s: ")
    assert "stored 3 polls after" in caplog.text


def test_a_batch_rolled_back_at_commit_is_logged_and_counted_once(
    write_config: Callable[[str], Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The poll lines and /metrics were written inside the transaction: a batch whose commit
    failed (disk full) and was stored by the next try was logged and counted twice."""
    with FeedServer() as server:
        config = config_module.load(write_config(many_feeds(server, 3)))
        store = Store.open(config.database)
        poller = Poller(store, config, processes=0)
        poller.retry_delay = lambda _failures: 0.05
        index_new = store._index_new
        failures: list[int] = []

        def disk_full_once() -> None:  # as SQLite fails when the disk fills up at commit
            if not failures:
                failures.append(1)
                full = sqlite3.OperationalError("database or disk is full")
                full.sqlite_errorcode = sqlite3.SQLITE_FULL
                raise full
            index_new()

        async def scenario() -> RunStats:
            await poller.write(store.sync_feeds, config.feeds, datetime.now(UTC))
            states = await poller.write(store.feed_states)
            store._index_new = disk_full_once  # type: ignore[method-assign]
            queue = outcome_queue()
            for f in config.feeds:
                await queue.put(await poller.poll(f, states[f.name]))
            await queue.put(None)
            stats = await poller.drain(queue)
            await poller.aclose()
            return stats

        polls, items = (
            _counted("monitor_polls_total", status="2xx", result="ok"),
            _counted("monitor_items_stored_total"),
        )
        with caplog.at_level(logging.INFO, logger="monitor"):
            try:
                stats = asyncio.run(scenario())
            finally:
                store.close()
    assert failures == [1]
    assert stats.items_new == 3
    assert "cannot store 3 polls (try 1)" in caplog.text
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("poll feed=")]
    assert sorted(line.split()[1] for line in lines) == ["feed='f0'", "feed='f1'", "feed='f2'"]
    assert _counted("monitor_polls_total", status="2xx", result="ok") - polls == 3
    assert _counted("monitor_items_stored_total") - items == 3


def _counted(name: str, **labels: str) -> float:
    return observe.REGISTRY.get_sample_value(name, labels) or 0.0


def test_sigterm_while_the_writer_cannot_commit_is_bounded_and_says_what_was_lost(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    # With the database locked and a full queue, SIGTERM hung for good on `queue.put(None)`.
    with FeedServer(latency=0.3) as server:
        config = config_module.load(write_config(many_feeds(server, 70)))
        with contextlib.closing(Store.open(config.database)) as setup:
            setup.sync_feeds(config.feeds, datetime.now(UTC))
        make_overdue(tmp_path / "d.db")
        store = Store.open(config.database)
        store.conn.execute("PRAGMA busy_timeout = 50")
        poller = Poller(store, config, processes=0)
        poller.retry_delay = lambda _failures: 0.05
        daemon = Daemon(store, config, poller)

        async def scenario() -> float:
            run = asyncio.create_task(daemon.run())
            await eventually(lambda: daemon.scheduler.running, timeout=10)
            locker.execute("BEGIN IMMEDIATE")  # before the first poll answers (latency)
            await eventually(lambda: daemon.queue.full() and poller.write_failure is not None, timeout=20)
            reason = daemon.health()
            assert reason is not None
            assert "database is locked" in reason  # /healthz: 503 with the reason
            daemon.stop()
            started = time.monotonic()
            with pytest.raises(StorageError, match="32 queued were not stored at exit") as stopped:
                await asyncio.wait_for(run, DRAIN_SECONDS * 4)
            assert "their feeds are polled again at the next start" in str(stopped.value)
            return time.monotonic() - started

        try:
            with other_writer(config.database, locked=False, timeout=10) as locker:
                took = asyncio.run(scenario())
        finally:
            store.close()
    assert took < DRAIN_SECONDS * 3
    with sqlite3.connect(tmp_path / "d.db") as conn:  # not stored, so polled again at the next start
        assert conn.execute("SELECT count(*) FROM feeds WHERE next_poll > '2001'").fetchone()[0] == 0


def test_a_writer_that_dies_stops_the_daemon_with_503_and_exit_1(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    # A failure no retry can mend (here: a table gone) stops the daemon, non-zero, so that
    # systemd's Restart=on-failure starts a fresh one, instead of fetching into the void.
    with FeedServer() as server:
        server.put("/a.xml", feed("First story"))
        server.put("/slow.xml", feed("Slow story"))
        config = write_config(
            f'database = "d.db"\n[[feeds]]\nname = "a"\nurl = "{server.url("/a.xml")}"\ninterval = "1m"\n'
            f'[[feeds]]\nname = "slow"\nurl = "{server.url("/slow.xml")}"\ninterval = "1m"\n'
        )
        env = _polled_once(config)
        make_overdue(tmp_path / "d.db")
        server.put("/a.xml", feed("First story", "Second story"), delay=1.5)
        server.put("/slow.xml", feed("Slow story", "Later"), delay=DRAIN_SECONDS * 3)  # in flight
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--http", f"127.0.0.1:{port}"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert wait_until(lambda: healthz(port)[0] == 200, timeout=20)
            with sqlite3.connect(tmp_path / "d.db") as conn:
                conn.execute("ALTER TABLE feeds RENAME TO feeds_moved")
            assert wait_until(lambda: healthz(port)[0] == 503, timeout=20)
            status, body = healthz(port)
            _out, err = daemon.communicate(timeout=DRAIN_SECONDS * 4)
        finally:
            if daemon.poll() is None:
                daemon.kill()
    assert status == 503
    assert body["reason"] == "the writer stopped: OperationalError: no such table: feeds"
    assert daemon.returncode == 1, err
    assert "ERROR monitor.daemon: the writer stopped: OperationalError: no such table: feeds" in err
    assert err.rstrip().endswith("error: the writer stopped: OperationalError: no such table: feeds")


def healthz(port: int) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except OSError:
        return 0, {}


def test_a_poll_still_running_when_due_again_is_skipped_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """apscheduler warned once a feed an interval while the writer was stuck (1,000 feeds:
    200 lines a minute, burying the writer's own line); the skip itself is the design."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler  # noqa: PLC0415
    from apscheduler.triggers.interval import IntervalTrigger  # noqa: PLC0415

    async def slow_polls(filtered: bool) -> list[str]:
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduled = logging.getLogger("apscheduler.scheduler")
        # A Daemon built by an earlier test in this process left its filter on the logger.
        earlier = scheduled.filters[:]
        scheduled.filters = [StillPolling()] if filtered else []
        caplog.clear()
        try:
            scheduler.add_job(asyncio.sleep, IntervalTrigger(seconds=0.1), args=[0.45], max_instances=1)
            scheduler.start()
            await asyncio.sleep(0.6)
            scheduler.shutdown(wait=False)
        finally:
            scheduled.filters = earlier
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]

    with caplog.at_level(logging.INFO, logger="apscheduler"):
        unfiltered = asyncio.run(slow_polls(filtered=False))
        filtered = asyncio.run(slow_polls(filtered=True))
    assert any("maximum number of running instances reached" in m for m in unfiltered)  # provoked
    assert filtered == []


@pytest.mark.parametrize("interrupt", ["SIGINT", "SIGTERM"])
def test_run_once_interrupted_stores_what_it_polled_and_says_so_in_one_line(
    write_config: Callable[[str], Path], tmp_path: Path, interrupt: str
) -> None:
    """A user audit: Ctrl-C left an asyncio traceback ("_GatheringFuture exception was never
    retrieved"), and SIGTERM (a cron job's timeout) killed `run --once` without a word.
    Ctrl-C reaches the whole process group, the parse workers included."""
    with FeedServer() as server:
        server.put("/fast.xml", feed("Fast story"))
        server.put("/slow.xml", feed("Slow story"), delay=30)
        config = write_config(
            f'database = "d.db"\n[[feeds]]\nname = "fast"\nurl = "{server.url("/fast.xml")}"\n'
            f'[[feeds]]\nname = "slow"\nurl = "{server.url("/slow.xml")}"\n'
        )
        once = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run", "--once"],
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's job is
        )
        try:
            assert wait_until(lambda: _stored(tmp_path / "d.db") == 1, timeout=20), "fast never stored"
            os.killpg(once.pid, getattr(signal, interrupt))
            _out, err = once.communicate(timeout=20)
        finally:
            if once.poll() is None:
                os.killpg(once.pid, signal.SIGKILL)
    assert once.returncode == 1, err
    assert err.rstrip().splitlines()[-1] == (
        f"error: interrupted by {interrupt}: the polls done before it are stored, the others are"
        " polled at the next run"
    )
    assert "Traceback" not in err, err
    assert " ERROR " not in err, err
    assert count_items(tmp_path / "d.db") == 1


def _stored(db: Path) -> int:
    """`count_items`, 0 while the schema is not there yet."""
    try:
        return count_items(db)
    except sqlite3.OperationalError:
        return 0


def test_a_lock_held_as_the_daemon_starts_is_waited_out_with_503_meanwhile(
    write_config: Callable[[str], Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A user audit: the daemon's first writes (feeds, channels) were not retried, so a lock
    held as it started ended it at the first busy timeout. Now they are, as a batch is:
    /healthz answers 503 with the reason until the lock goes, then the feeds are polled."""
    with FeedServer() as server:
        config = config_module.load(write_config(many_feeds(server, 3)))
        with contextlib.closing(Store.open(config.database)) as earlier:  # as after an earlier run
            earlier.sync_feeds(config.feeds, datetime.now(UTC))
        make_overdue(tmp_path / "d.db")  # polled as soon as the daemon is up
        store = Store.open(config.database)
        store.conn.execute("PRAGMA busy_timeout = 50")
        poller = Poller(store, config, processes=0)
        poller.retry_delay = lambda _failures: 0.05
        daemon = Daemon(store, config, poller)

        async def scenario() -> None:
            run = asyncio.create_task(daemon.run())
            try:
                await eventually(lambda: "(try 2)" in caplog.text, timeout=10)
                reason = daemon.health()
                assert reason is not None
                assert reason.startswith("cannot store the configured feeds and channels: ")
                assert "database is locked" in reason  # /healthz: 503 with the reason
                assert not run.done()
                locker.rollback()
                await eventually(lambda: count_items(tmp_path / "d.db") == 3, timeout=20)
                assert daemon.health() is None
            finally:
                daemon.stop()
                await asyncio.wait_for(run, DRAIN_SECONDS * 4)

        with caplog.at_level(logging.INFO, logger="monitor.poll"):
            try:
                with other_writer(config.database) as locker:
                    asyncio.run(scenario())
            finally:
                store.close()
    assert "stored the configured feeds and channels after" in caplog.text


def test_a_stop_while_the_start_waits_for_the_lock_ends_the_run_with_the_reason(
    write_config: Callable[[str], Path],
) -> None:
    with FeedServer() as server:
        config = config_module.load(write_config(many_feeds(server, 1)))
        Store.open(config.database).close()
        store = Store.open(config.database)
        store.conn.execute("PRAGMA busy_timeout = 50")
        poller = Poller(store, config, processes=0)
        poller.retry_delay = lambda _failures: 60.0  # the stop must not wait this out
        daemon = Daemon(store, config, poller)

        async def scenario() -> float:
            run = asyncio.create_task(daemon.run())
            await eventually(lambda: poller.write_failure is not None, timeout=10)
            daemon.stop()
            started = time.monotonic()
            with pytest.raises(StorageError, match="cannot write: database is locked"):
                await asyncio.wait_for(run, DRAIN_SECONDS)
            return time.monotonic() - started

        try:
            with other_writer(config.database):
                took = asyncio.run(scenario())
        finally:
            store.close()
    assert took < 2
