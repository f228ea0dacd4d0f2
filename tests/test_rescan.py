"""`monitor rescan`: after the watch changes, stored items are judged again; old news pages no one."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.loopback import FeedServer, HookRecorder, rss
from monitor.store import Store
from tests.conftest import SECRET
from tests.test_watch import ACME_TOML

STATEMENT = {
    "guid": "s1",
    "title": "Yann LeCun confirms he is leaving Meta to start a company",
    "summary": "LeCun said in a post that he will leave at the end of the year.",
    "link": "https://wire.example/s1",
    "published": datetime(2025, 11, 19, 15, tzinfo=UTC),
}
REHASH = {
    "guid": "r1",
    "title": "Meta's chief AI scientist Yann LeCun reportedly plans to leave to found a startup",
    "summary": "LeCun plans to leave Meta to found a world-model startup, the Financial Times reported.",
    "link": "https://wire.example/r1",
    "published": datetime(2025, 11, 12, 9, tzinfo=UTC),
}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), obj={})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def stored_under_another_watch(tmp_path: Path, write_config: Callable[[str], Path]) -> Callable[[str], Path]:
    """Poll LeCun items while only an unrelated (Acme) watch is configured; return a config writer."""
    (tmp_path / "acme-seeds").mkdir()
    (tmp_path / "acme-seeds" / "rumour.md").write_text("# Acme CEO Jane Doe may resign\n", encoding="utf-8")

    def configure(server_url: str, extra: str = "", watch: str = ACME_TOML) -> Path:
        return write_config(
            f'database = "r.db"\n[[feeds]]\nname = "Wire"\nurl = "{server_url}"\n{extra}{watch}'
        )

    return configure


def items(config: Path) -> dict[str, dict[str, Any]]:
    return {i["guid"]: i for i in json.loads(run("items", "--json", "--config", str(config)))}


def test_rescan_applies_a_new_watch_silently(stored_under_another_watch: Callable[..., Path]) -> None:
    with FeedServer() as server, HookRecorder(SECRET) as receiver:
        server.put("/f.xml", rss("Wire", [STATEMENT, REHASH]))
        hook = f'[[webhooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
        acme = stored_under_another_watch(server.url("/f.xml"), hook)
        run("run", "--once", "--config", str(acme))
        before = items(acme)
        assert before["s1"]["statement"] is None
        assert before["r1"]["seed"] is None

        lecun = stored_under_another_watch(server.url("/f.xml"), hook, watch="")  # the shipped watch
        run("rescan", "--config", str(lecun))
        after = items(lecun)
        assert after["s1"]["statement"]["speaker"] == "Yann LeCun"
        assert after["s1"]["alert"] is not None
        assert after["r1"]["seed"] is not None
        (alert,) = json.loads(run("alerts", "--json", "--config", str(lecun)))
        assert alert["deliveries"] == []  # recorded, not sent
        assert receiver.hooks == []

        # A new outlet's item about the same old statement joins that alert: still no page.
        server.put(
            "/f.xml",
            rss(
                "Wire",
                [
                    STATEMENT,
                    REHASH,
                    {
                        **STATEMENT,
                        "guid": "s2",
                        "link": "https://x.example/2",
                        "title": "LeCun confirms Meta exit",
                    },
                ],
            ),
        )
        run("run", "--once", "--config", str(lecun))
        assert items(lecun)["s2"]["alert"] == alert["id"]
        assert receiver.hooks == []


def test_rescan_with_alert_delivers(stored_under_another_watch: Callable[..., Path]) -> None:
    with FeedServer() as server, HookRecorder(SECRET) as receiver:
        server.put("/f.xml", rss("Wire", [STATEMENT]))
        hook = f'[[webhooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
        run("run", "--once", "--config", str(stored_under_another_watch(server.url("/f.xml"), hook)))
        lecun = stored_under_another_watch(server.url("/f.xml"), hook, watch="")
        run("rescan", "--alert", "--config", str(lecun))
        assert len(receiver.hooks) == 1
        assert receiver.hooks[0].verified
        assert receiver.hooks[0].payload["data"]["speaker"] == "Yann LeCun"


@contextmanager
def _polled_once(
    write_config: Callable[[str], Path], item: dict[str, object]
) -> Iterator[tuple[FeedServer, HookRecorder, Path]]:
    """A feed holding `item`, a webhook receiver, and a config polling the one into the other
    (database r.db), run once."""
    with FeedServer() as server, HookRecorder(SECRET) as receiver:
        server.put("/f.xml", rss("Wire", [item]))
        config = write_config(
            f'database = "r.db"\n[[feeds]]\nname = "Wire"\nurl = "{server.url("/f.xml")}"\n'
            f'[[webhooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
        )
        run("run", "--once", "--config", str(config))
        yield server, receiver, config


def test_alerts_replay_sends_again_with_the_same_webhook_id(write_config: Callable[[str], Path]) -> None:
    with _polled_once(write_config, STATEMENT) as (_server, receiver, config):
        (alert,) = json.loads(run("alerts", "--json", "--config", str(config)))
        run("alerts", "replay", str(alert["id"]), "--config", str(config))
        assert [h.verified for h in receiver.hooks] == [True, True]
        assert receiver.hooks[0].webhook_id == receiver.hooks[1].webhook_id  # receivers can dedupe
        result = CliRunner().invoke(cli, ["alerts", "replay", "99", "--config", str(config)], obj={})
        assert result.exit_code == 2
        assert "no alert 99" in result.output


def test_an_alert_recorded_silently_can_be_sent_later(
    stored_under_another_watch: Callable[..., Path],
) -> None:
    """A user audit: after a silent `rescan`, `rescan --alert` said "0 new alerts" and
    `alerts replay N` "0 deliveries queued": the alert had no delivery rows, and nothing
    ever made them. Both now queue it to the configured channels."""
    with FeedServer() as server, HookRecorder(SECRET) as receiver:
        server.put("/f.xml", rss("Wire", [STATEMENT]))
        hook = f'[[webhooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
        run("run", "--once", "--config", str(stored_under_another_watch(server.url("/f.xml"), hook)))
        lecun = stored_under_another_watch(server.url("/f.xml"), hook, watch="")
        run("rescan", "--config", str(lecun))
        assert receiver.hooks == []

        said = CliRunner().invoke(cli, ["rescan", "--alert", "--config", str(lecun)], obj={}).output
        assert "0 new alerts, 1 earlier alerts recorded silently now queued, 1/1 deliveries succeeded" in said
        assert len(receiver.hooks) == 1
        assert receiver.hooks[0].payload["data"]["speaker"] == "Yann LeCun"

        replayed = CliRunner().invoke(cli, ["alerts", "replay", "1", "--config", str(lecun)], obj={})
        assert replayed.exit_code == 0, replayed.output
        assert "1 deliveries queued, 1/1 delivered now" in replayed.output
        assert len(receiver.hooks) == 2


def test_replay_after_silent_rescan_queues_the_configured_channels(
    stored_under_another_watch: Callable[..., Path],
) -> None:
    with FeedServer() as server, HookRecorder(SECRET) as receiver:
        server.put("/f.xml", rss("Wire", [STATEMENT]))
        hook = f'[[webhooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
        run("run", "--once", "--config", str(stored_under_another_watch(server.url("/f.xml"), hook)))
        lecun = stored_under_another_watch(server.url("/f.xml"), hook, watch="")
        run("rescan", "--config", str(lecun))
        replayed = run("alerts", "replay", "1", "--config", str(lecun))
        assert "queued (this channel had no delivery of it yet)" in replayed
        assert "1 deliveries queued, 1/1 delivered now" in replayed
        assert len(receiver.hooks) == 1


def test_replay_after_the_webhook_url_changed_sends_to_the_new_one(
    write_config: Callable[[str], Path],
) -> None:
    """A user audit: README says "fix it, then replay"; replay after changing the URL said
    "1 deliveries queued, 0/1 delivered now", exit 0, and sent nothing."""
    with FeedServer() as server, HookRecorder(SECRET) as receiver:
        server.put("/f.xml", rss("Wire", [STATEMENT]))
        feed = f'database = "r.db"\n[[feeds]]\nname = "Wire"\nurl = "{server.url("/f.xml")}"\n'
        dead = write_config(f'{feed}[[webhooks]]\nurl = "http://127.0.0.1:9/hook"\nsecret = "{SECRET}"\n')
        run("run", "--once", "--config", str(dead))
        fixed = write_config(f'{feed}[[webhooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n')
        replayed = run("alerts", "replay", "1", "--config", str(fixed))
        # The removed channel has no config entry to name; the configured one has.
        removed = r"http://127\.0\.0\.1:9/…#[0-9a-f]{6}: not sent: this channel is no longer in"
        assert re.search(removed, replayed)
        assert "(webhooks[0]): queued (this channel had no delivery of it yet)" in replayed
        assert "1 deliveries queued, 1/1 delivered now" in replayed
        assert len(receiver.hooks) == 1
        assert receiver.hooks[0].verified
        assert "webhook pending, not in the config since" in run("alerts", "--config", str(fixed))
        (alert,) = json.loads(run("alerts", "--json", "--config", str(fixed)))
        states = [(d["state"], d["removed"] is not None) for d in alert["deliveries"]]
        assert states == [("pending", True), ("delivered", False)]  # the old one kept, as it was


def test_deliveries_to_a_removed_channel_never_starve_new_alerts(write_config: Callable[[str], Path]) -> None:
    """A user audit: 120 pending deliveries of a channel removed from the config filled the
    due query's 100 rows, were skipped, and kept every new alert from being sent."""
    with _polled_once(write_config, REHASH) as (server, receiver, config):
        with sqlite3.connect(config.parent / "r.db") as db:
            db.execute("INSERT INTO endpoints (id, kind, display) VALUES ('webhook:gone', 'webhook', 'x')")
            for n in range(120):
                db.execute(
                    "INSERT INTO alerts (watch, speaker, stance, item, created) VALUES"
                    " ('w', ?, 'confirms', 1, '2025-01-01T00:00:00Z')",
                    [f"speaker {n}"],
                )
                db.execute(
                    "INSERT INTO deliveries (alert, endpoint, message_id, state, attempts, next_attempt)"
                    " VALUES (last_insert_rowid(), 'webhook:gone', ?, 'pending', 0, '2025-01-01T00:00:00Z')",
                    [f"msg_{n}"],
                )
        server.put("/f.xml", rss("Wire", [REHASH, STATEMENT]))
        run("run", "--once", "--config", str(config))
        assert len(receiver.hooks) == 1
        assert receiver.hooks[0].payload["data"]["speaker"] == "Yann LeCun"
        shown = json.loads(run("alerts", "--json", "--config", str(config)))
        kept = [d for a in shown for d in a["deliveries"] if d["endpoint"] == "x"]
        assert len(kept) == 120  # kept in the table, shown as not configured
        assert all(d["state"] == "pending" and d["removed"] for d in kept)


def test_beside_a_running_monitor_replay_only_queues_and_rescan_is_refused(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    """A user audit: beside the daemon, `alerts replay` and `rescan --alert` delivered the
    outbox as the daemon did, so a delivery could go out twice. While another process holds
    the database's lock, replay queues and leaves the sending to it; rescan is refused."""
    with _polled_once(write_config, STATEMENT) as (_server, receiver, config):
        assert len(receiver.hooks) == 1
        daemon = Store.open(tmp_path / "r.db", exclusive=True)  # the running monitor's lock
        try:
            replayed = run("alerts", "replay", "1", "--config", str(config))
            assert (
                f"alert 1: 1 deliveries queued; not sent now: PID {os.getpid()} holds the database"
                f" ({tmp_path / 'r.db.lock'}), and a `monitor run` sends them" in replayed
            )
            assert len(receiver.hooks) == 1  # left to the holder
            rescanned = CliRunner().invoke(cli, ["rescan", "--alert", "--config", str(config)], obj={})
            assert rescanned.exit_code == 1
            assert rescanned.output == (
                f"error: {tmp_path / 'r.db'}: in use by another monitor (PID {os.getpid()} holds"
                f" {tmp_path / 'r.db.lock'}); stop it, or point this config at another database\n"
            )
        finally:
            daemon.close()
        run("run", "--once", "--config", str(config))  # the holder's next round sends it, once
        assert [h.verified for h in receiver.hooks] == [True, True]
        assert receiver.hooks[0].webhook_id == receiver.hooks[1].webhook_id


def test_a_holder_without_a_pid_yet_is_worded_alike_by_replay_and_the_refusal(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    """A user audit: with no PID in the lock file yet, `alerts replay` said "another process"
    and the refusal "a process that has not written its PID yet"; one place words both."""
    with _polled_once(write_config, STATEMENT) as (_server, _receiver, config):
        daemon = Store.open(tmp_path / "r.db", exclusive=True)
        os.truncate(tmp_path / "r.db.lock", 0)  # as in the instant between its flock and its write
        try:
            replayed = run("alerts", "replay", "1", "--config", str(config))
            refused = CliRunner().invoke(cli, ["rescan", "--config", str(config)], obj={}).output
        finally:
            daemon.close()
    holder = "a process that has not written its PID yet holds"
    assert f"not sent now: {holder} the database ({tmp_path / 'r.db.lock'})" in replayed
    assert f"in use by another monitor ({holder} {tmp_path / 'r.db.lock'})" in refused
