"""`monitor rescan`: after the watch changes, stored items are judged again; old news pages no one."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.loopback import FeedServer, HookRecorder, rss
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


def items(config: Path) -> dict[str, dict[str, object]]:
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


def test_alerts_replay_sends_again_with_the_same_webhook_id(write_config: Callable[[str], Path]) -> None:
    with FeedServer() as server, HookRecorder(SECRET) as receiver:
        server.put("/f.xml", rss("Wire", [STATEMENT]))
        config = write_config(
            f'database = "r.db"\n[[feeds]]\nname = "Wire"\nurl = "{server.url("/f.xml")}"\n'
            f'[[webhooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
        )
        run("run", "--once", "--config", str(config))
        (alert,) = json.loads(run("alerts", "--json", "--config", str(config)))
        run("alerts", "replay", str(alert["id"]), "--config", str(config))
        assert [h.verified for h in receiver.hooks] == [True, True]
        assert receiver.hooks[0].webhook_id == receiver.hooks[1].webhook_id  # receivers can dedupe
        result = CliRunner().invoke(cli, ["alerts", "replay", "99", "--config", str(config)], obj={})
        assert result.exit_code == 2
        assert "no alert 99" in result.output
