"""config/datasette.yml against a real Datasette process over a real monitor database.

The database is made the way users make it (`monitor run --once` against loopback feeds
and webhook receivers); Datasette is started with the README's flags; every canned query
in the file is fetched over HTTP as JSON and its rows are checked.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.loopback import FeedServer
from tests import scenario
from tests.conftest import SECRET
from tests.receiver import Receiver

ROOT = Path(__file__).resolve().parents[1]
METADATA = ROOT / "config" / "datasette.yml"
LISTEN = ("--host", "127.0.0.1", "--port")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """monitor.db after one `run --once`: 5 items, 1 alert, 3 deliveries, a feed in error."""
    folder = tmp_path_factory.mktemp("datasette")
    with (
        FeedServer() as server,
        Receiver(SECRET) as ok,
        Receiver(SECRET, then=500) as failing,
        Receiver(SECRET, then=500) as hopeless,
    ):
        scenario.publish(server)
        config = folder / "monitor.toml"
        config.write_text(scenario.config(server, "monitor.db", [ok.url, failing.url, hopeless.url], SECRET))
        run = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "run", "--once"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        hopeless_origin = hopeless.url.removesuffix("/hook")
    # Dead-lettering takes a day of retries; mark the third endpoint's delivery dead directly.
    with sqlite3.connect(folder / "monitor.db") as conn:
        changed = conn.execute(
            "UPDATE deliveries SET state = 'dead', next_attempt = NULL"
            " WHERE endpoint IN (SELECT id FROM endpoints WHERE display LIKE ? || '/%')",
            [hopeless_origin],
        ).rowcount
    assert changed == 1
    return folder / "monitor.db"


@pytest.fixture(scope="module")
def datasette(database: Path) -> Iterator[str]:
    """A real `datasette monitor.db --metadata config/datasette.yml` on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(database),
            "--metadata",
            str(METADATA),
            *LISTEN,
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get_json(f"{base}/-/versions.json")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"datasette did not start: {process.communicate()[0]}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def canned(base: str, name: str) -> list[dict[str, Any]]:
    rows = get_json(f"{base}/monitor/{name}.json?_shape=array")
    assert isinstance(rows, list), rows  # an error would be an object with "error"
    return rows


def test_metadata_is_loaded(datasette: str) -> None:
    metadata = get_json(f"{datasette}/-/metadata.json")
    assert metadata["title"] == "monitor"
    listed = {q["name"] for q in get_json(f"{datasette}/monitor.json")["queries"]}
    assert listed == set(yaml.safe_load(METADATA.read_text())["databases"]["monitor"]["queries"])


def test_latest_statements_newest_first_with_their_alert(datasette: str) -> None:
    rows = canned(datasette, "latest_statements")
    assert [r["title"] for r in rows] == [
        scenario.MIRROR[1]["title"],  # 30 minutes ago
        scenario.WIRE[1]["title"],  # an hour ago
    ]
    assert {(r["speaker"], r["stance"], r["alert"]) for r in rows} == {("Meta", "confirms", 1)}


def test_stories_by_size_with_their_outlets(datasette: str) -> None:
    rows = canned(datasette, "stories_by_size")
    assert [r["size"] for r in rows] == [3, 2]  # LeCun (statement ×2 + seed rewrite), markets (+ copy)
    assert sorted(json.loads(rows[0]["outlets"])) == ["Mirror", "Wire"]
    assert rows[0]["outlet_count"] == 2
    assert rows[1]["title"] == scenario.WIRE[0]["title"]


def test_feeds_in_error(datasette: str) -> None:
    rows = canned(datasette, "feeds_in_error")
    assert [(r["name"], r["status"], r["failures"], r["last_error"]) for r in rows] == [
        ("Gone", 404, 1, "HTTP 404 Not Found")
    ]


def test_pending_and_dead_deliveries(datasette: str) -> None:
    rows = canned(datasette, "undelivered")
    assert [r["state"] for r in rows] == ["dead", "pending"]  # the delivered one is not listed
    pending = rows[1]
    assert (pending["alert"], pending["kind"], pending["last_status"]) == (1, "webhook", 500)
    assert pending["next_attempt"] is not None


def test_alerts_with_their_source_count(datasette: str) -> None:
    rows = canned(datasette, "alerts_with_sources")
    assert len(rows) == 1
    alert = rows[0]
    assert (alert["speaker"], alert["stance"], alert["title"]) == (
        "Meta",
        "confirms",
        scenario.WIRE[1]["title"],
    )
    assert (alert["sources"], alert["outlets"]) == (2, 2)
    assert (alert["delivered"], alert["deliveries"]) == (1, 3)
