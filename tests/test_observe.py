"""`monitor run --http`: /healthz and Prometheus /metrics from the real daemon process."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor import config as config_module
from monitor import observe
from monitor.daemon import DRAIN_SECONDS
from monitor.exceptions import StorageError
from monitor.loopback import FeedServer
from monitor.store import Store
from tests import scenario
from tests.conftest import SECRET
from tests.receiver import Receiver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page: (name, sorted labels) → value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def overdue_database(config_path: Path) -> Path:
    """Register the feeds as if polled long ago, so the daemon polls them as soon as it starts."""
    config = config_module.load(config_path)
    store = Store.open(config.database)
    try:
        store.sync_feeds(config.feeds, datetime.now(UTC))
    finally:
        store.close()
    with sqlite3.connect(config.database) as conn:
        past = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        conn.execute("UPDATE feeds SET next_poll = ?", [past])
    return config.database


def test_daemon_serves_health_and_metrics(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with FeedServer() as server, Receiver(SECRET) as receiver:
        scenario.publish(server)
        config = tmp_path / "monitor.toml"
        config.write_text(scenario.config(server, "m.db", [receiver.url], SECRET))
        database = overdue_database(config)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run", "--http", f"127.0.0.1:{port}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert wait_until(lambda: polled(database) == 3, timeout=30), "the feeds were not polled"
            assert receiver.wait_for(1, timeout=10)

            def delivered() -> bool:
                metrics = samples(get(f"{base}/metrics")[1].decode())
                return metrics.get(("monitor_deliveries_total", (("outcome", "delivered"),))) == 1

            assert wait_until(delivered, timeout=10), get(f"{base}/metrics")[1].decode()
            health = get(f"{base}/healthz")
            status, page = get(f"{base}/metrics")
            daemon.send_signal(signal.SIGTERM)
            _out, err = daemon.communicate(timeout=DRAIN_SECONDS * 4)
        finally:
            if daemon.poll() is None:
                daemon.kill()
    assert daemon.returncode == 0, err
    assert health == (200, b'{"status": "ok"}')
    assert status == 200
    metrics = samples(page.decode())
    polls = {labels: v for (name, labels), v in metrics.items() if name == "monitor_polls_total"}
    assert polls == {
        (("result", "ok"), ("status", "2xx")): 2.0,
        (("result", "error"), ("status", "4xx")): 1.0,
    }
    assert metrics[("monitor_items_stored_total", ())] == scenario.SERVED
    assert metrics[("monitor_items_duplicate_total", ())] == 1  # the syndicated copy
    assert metrics[("monitor_items_seed_duplicate_total", ())] == 1  # the seed rewrite
    assert metrics[("monitor_alerts_raised_total", ())] == 1  # two outlets, one statement
    assert metrics[("monitor_feeds_in_error", ())] == 1  # the 404
    assert metrics[("monitor_poll_duration_seconds_count", ())] == 3
    assert metrics[("monitor_poll_duration_seconds_bucket", (("le", "+Inf"),))] == 3
    assert metrics[("process_resident_memory_bytes", ())] > 0
    assert "serving /metrics and /healthz" in err


def polled(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM feeds WHERE last_polled IS NOT NULL").fetchone()[0])


def test_healthz_is_503_with_the_reason_when_unhealthy() -> None:
    reasons: list[Any] = ["starting"]

    def health() -> str | None:
        if isinstance(reasons[0], Exception):
            raise reasons[0]
        return str(reasons[0]) if reasons[0] else None

    endpoint = observe.Endpoint("127.0.0.1", 0, health)
    endpoint.start()
    try:
        url = f"http://127.0.0.1:{endpoint.port}"
        status, body = get(f"{url}/healthz")
        assert (status, json.loads(body)) == (503, {"status": "unavailable", "reason": "starting"})
        reasons[0] = StorageError("m.db: unable to open database file")
        status, body = get(f"{url}/healthz")
        assert status == 503
        assert json.loads(body)["reason"] == "StorageError: m.db: unable to open database file"
        reasons[0] = None
        assert get(f"{url}/healthz") == (200, b'{"status": "ok"}')
        assert get(f"{url}/nothing")[0] == 404
    finally:
        endpoint.close()


def test_ping_fails_when_the_database_is_gone(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "m.db")
    try:
        store.ping()
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / f"m.db{suffix}").unlink(missing_ok=True)
        with pytest.raises(StorageError):
            store.ping()
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--once", "--http", "127.0.0.1:9180"], "does not apply to --once"),
        (["--http", "localhost"], "is not HOST:PORT"),
        (["--http", "127.0.0.1:99999"], "is not HOST:PORT"),
    ],
)
def test_bad_http_options_are_usage_errors(
    write_config: Callable[[str], Path], args: list[str], message: str
) -> None:
    config = write_config('database = "m.db"\n')
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "run", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_a_taken_port_fails_before_polling(write_config: Callable[[str], Path]) -> None:
    config = write_config('database = "m.db"\n')
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "run", "--http", f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert f"--http 127.0.0.1:{port}: cannot listen" in result.stderr
