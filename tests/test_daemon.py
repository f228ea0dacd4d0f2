"""The daemon as users run it: a real process, a loopback feed server, SIGTERM and SIGINT."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.daemon import DRAIN_SECONDS
from monitor.loopback import FeedServer, rss

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
        env = {**os.environ, "MONITOR_CONFIG": str(config)}
        once = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once"], env=env, capture_output=True, check=False
        )
        assert once.returncode == 0, once.stderr
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
        env = {**os.environ, "MONITOR_CONFIG": str(config)}
        once = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once"], env=env, capture_output=True, check=False
        )
        assert once.returncode == 0, once.stderr
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
