"""Apprise channels end to end: Apprise's own JSON notification to a loopback receiver."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import config as config_module
from monitor import deliver, notify
from monitor.cli import cli
from monitor.loopback import FeedServer, HookRecorder, rss
from monitor.pipeline import Poller
from monitor.store import Store
from tests.conftest import SECRET
from tests.receiver import Receiver

PUBLISHED = datetime(2025, 11, 19, 15, 0, tzinfo=UTC)


def statement_feed(*titles: str) -> bytes:
    entries = [
        {
            "guid": f"g{i}",
            "title": t,
            "link": f"https://wire.example/{i}",
            "summary": "In a post on Threads, Yann LeCun said he will leave Meta at the end of the year "
            "to start a company.",
            "published": PUBLISHED + timedelta(minutes=i),
        }
        for i, t in enumerate(titles)
    ]
    return rss("Wire", entries)


def load(write_config: Callable[[str], Path], feed_url: str, notify_url: str) -> config_module.Config:
    text = f'database = "n.db"\n[[feeds]]\nname = "Wire"\nurl = "{feed_url}"\n'
    return config_module.load(write_config(f'{text}[[notify]]\nurl = "{notify_url}"\n'))


def poll(config: config_module.Config, clock: Callable[[], datetime] | None = None) -> Store:
    store = Store.open(config.database)

    async def run() -> None:
        poller = Poller(store, config, clock=clock) if clock else Poller(store, config)
        try:
            await poller.poll_once()
        finally:
            await poller.aclose()

    asyncio.run(run())
    return store


def test_one_readable_message_per_statement(write_config: Callable[[str], Path]) -> None:
    with FeedServer() as server, HookRecorder(SECRET) as receiver:
        server.put(
            "/wire.xml", statement_feed("Yann LeCun confirms he is leaving Meta — @everyone read this")
        )
        config = load(write_config, server.url("/wire.xml"), receiver.url.replace("http://", "json://"))
        poll(config).close()
        assert len(receiver.hooks) == 1
        message = receiver.hooks[0].payload
        assert message["title"].startswith("Yann LeCun confirms: Yann LeCun confirms he is leaving Meta")
        assert "@everyone" not in message["title"]  # mentions never ping a whole chat channel
        assert "@\u200beveryone" in message["title"]
        assert "https://wire.example/0" in message["message"]
        assert "1 source so far" in message["message"]

        # Another outlet's item about the same statement joins the alert: no second message.
        server.put(
            "/wire.xml",
            statement_feed(
                "Yann LeCun confirms he is leaving Meta — @everyone read this",
                "LeCun confirms Meta exit to start AMI",
            ),
        )
        store = poll(config)
        assert len(receiver.hooks) == 1
        assert len(store.alerts()[0]["sources"]) == 2
        delivery = store.alerts()[0]["deliveries"][0]
        assert delivery["state"] == "delivered"
        assert delivery["kind"] == "apprise"
        store.close()


def test_a_failing_channel_is_retried_on_schedule_then_dead(write_config: Callable[[str], Path]) -> None:
    with FeedServer() as server:
        server.put("/wire.xml", statement_feed("Yann LeCun confirms he is leaving Meta"))
        config = load(write_config, server.url("/wire.xml"), "json://127.0.0.1:9/nobody-listens")
        clock = [datetime.now(UTC)]
        store = poll(config, lambda: clock[0])
        state = store.alerts()[0]["deliveries"][0]
        assert state["state"] == "pending"
        assert state["attempts"] == 1
        store.close()

        async def retry_all() -> None:
            store = Store.open(config.database)
            poller = Poller(store, config, clock=lambda: clock[0])
            try:
                for delay in deliver.RETRY_SCHEDULE[1:]:
                    clock[0] += delay * 2  # past the (jittered) due time: no sleeping, a fake clock
                    await poller.deliver_due()
            finally:
                await poller.aclose()
                store.close()

        asyncio.run(retry_all())
        store = Store.open(config.database)
        state = store.alerts()[0]["deliveries"][0]
        assert state["state"] == "dead"
        assert state["attempts"] == len(deliver.RETRY_SCHEDULE)
        store.close()


def test_notify_test_reaches_every_channel(write_config: Callable[[str], Path]) -> None:
    with HookRecorder(SECRET) as apprise_receiver, HookRecorder(SECRET) as webhook_receiver:
        path = write_config(
            f'database = "n.db"\n[[notify]]\nurl = "{apprise_receiver.url.replace("http://", "json://")}"\n'
            f'[[webhooks]]\nurl = "{webhook_receiver.url}"\nsecret = "{SECRET}"\n'
        )
        result = CliRunner().invoke(cli, ["notify", "test", "--config", str(path)], obj={})
        assert result.exit_code == 0, result.output
        assert result.output.count(": ok") == 2
        assert apprise_receiver.hooks[0].payload["title"] == "monitor: test message"
        assert webhook_receiver.hooks[0].verified
        assert webhook_receiver.hooks[0].payload["type"] == "monitor.test"


def test_notify_test_fails_with_exit_1_and_says_which(write_config: Callable[[str], Path]) -> None:
    path = write_config('database = "n.db"\n[[notify]]\nurl = "json://127.0.0.1:9/x"\n')
    result = CliRunner().invoke(cli, ["notify", "test", "--config", str(path)], obj={})
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if "FAILED" in line]
    assert line.startswith("apprise  json://127.0.0.1:9/x")


def test_config_names_bad_apprise_urls_without_echoing_them(write_config: Callable[[str], Path]) -> None:
    path = write_config(
        '[[notify]]\nurl = "nosuchservice://secret-token@host"\n[[notify]]\nurl_env = "NOPE_X"\n'
    )
    result = CliRunner().invoke(cli, ["check-config", "--config", str(path)], obj={})
    assert result.exit_code == 2
    assert "notify[0].url: Apprise does not support nosuchservice:// URLs" in result.output
    assert "notify[1].url_env: environment variable NOPE_X is not set" in result.output
    assert "secret-token" not in result.output


def test_channel_urls_are_stored_redacted(write_config: Callable[[str], Path]) -> None:
    config = dataclasses.replace(
        config_module.load(write_config('database = "n.db"\n')),
        notify=("tgram://123456789:abcdefg_hijklmnop/987",),
    )
    (channel,) = config.channels
    assert "abcdefg_hijklmnop" not in channel.display
    assert channel.id.startswith("apprise:")
    assert notify.validate_url("tgram://123456789:abcdefg_hijklmnop/987") is None


def test_a_410_disables_visibly_and_notify_test_re_enables(
    write_config: Callable[[str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A user audit: one 410 disabled an endpoint for good, silently. Now the daemon warns,
    `alerts` and `notify` show it, replay says it is not sent, and a test that gets through
    re-enables it, after which the alert that waited goes out."""
    with FeedServer() as server, Receiver(SECRET, [410]) as hook:
        server.put("/wire.xml", statement_feed("Yann LeCun confirms he is leaving Meta"))
        path = write_config(
            f'database = "n.db"\n[[feeds]]\nname = "Wire"\nurl = "{server.url("/wire.xml")}"\n'
            f'[[webhooks]]\nurl = "{hook.url}"\nsecret = "{SECRET}"\n'
        )
        caplog.set_level(logging.WARNING, logger="monitor.deliver")
        poll(config_module.load(path)).close()
        (warning,) = [r for r in caplog.records if r.getMessage().startswith("endpoint disabled")]
        assert warning.levelno == logging.WARNING
        assert "answered HTTP 410" in warning.getMessage()
        assert "monitor notify test" in warning.getMessage()

        def cli_run(*args: str, status: int = 0) -> str:
            result = CliRunner().invoke(cli, [*args, "--config", str(path)], obj={})
            assert result.exit_code == status, result.output
            return result.output

        assert re.search(r"webhook disabled since \S+ \(HTTP 410\)", cli_run("alerts"))
        (channel,) = json.loads(cli_run("notify", "--json"))
        assert channel["state"].startswith("disabled since ")
        assert channel["pending"] == 1
        replayed = cli_run("alerts", "replay", "1", status=1)
        assert "not sent, disabled since" in replayed
        assert "error: alert 1: nothing queued" in replayed
        assert hook.received_ids == [hook.received_ids[0]]  # nothing was sent to it

        tested = cli_run("notify", "test")
        assert "ok; re-enabled (it was disabled since" in tested
        assert "1 pending deliveries go out" in tested
        assert json.loads(cli_run("notify", "--json"))[0]["state"] == "enabled"
        cli_run("run", "--once")
        assert [r.payload["type"] for r in hook.requests] == [
            "statement.detected",  # answered 410
            "monitor.test",
            "statement.detected",  # the alert that waited
        ]
        assert "webhook delivered" in cli_run("alerts")


def test_two_channels_on_one_host_are_told_apart_in_every_listing(
    write_config: Callable[[str], Path],
) -> None:
    """A user audit: webhooks `…:18082/410` and `…:18082/500` were both shown as
    `http://127.0.0.1:18082/…` by `notify`, `notify test`, `alerts replay` and `alerts`, so
    nobody could tell which receiver to fix. Each display now ends in a fingerprint of the
    whole URL, and the listings made from the config name the entry (`webhooks[1]`)."""
    with FeedServer() as server, Receiver(SECRET) as hook:
        server.put("/wire.xml", statement_feed("Yann LeCun confirms he is leaving Meta"))
        origin = hook.url.rsplit("/", 1)[0]
        path = write_config(
            f'database = "n.db"\n[[feeds]]\nname = "Wire"\nurl = "{server.url("/wire.xml")}"\n'
            f'[[webhooks]]\nurl = "{origin}/410-tokenA"\nsecret = "{SECRET}"\n'
            f'[[webhooks]]\nurl = "{origin}/500-tokenB"\nsecret = "{SECRET}"\n'
        )

        def cli_run(*args: str) -> str:
            result = CliRunner().invoke(cli, [*args, "--config", str(path)], obj={})
            assert result.exit_code == 0, result.output
            assert "tokenA" not in result.output
            assert "tokenB" not in result.output
            return result.output

        cli_run("run", "--once")
        listed = [row["endpoint"] for row in json.loads(cli_run("notify", "--json"))]
        assert len(set(listed)) == 2
        assert all(re.fullmatch(re.escape(origin) + r"/…#[0-9a-f]{6}", e) for e in listed), listed
        first, second = listed
        table = cli_run("notify")
        assert first in table
        assert second in table

        def lines(output: str) -> list[str]:
            return [line for line in output.splitlines() if line.startswith("webhook ")]

        assert lines(cli_run("notify", "test")) == [
            f"webhook  {first} (webhooks[0]): ok",
            f"webhook  {second} (webhooks[1]): ok",
        ]
        assert lines(cli_run("alerts", "replay", "1")) == [
            f"webhook  {first} (webhooks[0]): queued",
            f"webhook  {second} (webhooks[1]): queued",
        ]
        (alert,) = json.loads(cli_run("alerts", "--json"))
        assert sorted(d["endpoint"] for d in alert["deliveries"]) == sorted(listed)
        assert sorted(r.path for r in hook.requests if r.payload["type"] == "monitor.test") == [
            "/410-tokenA",
            "/500-tokenB",
        ]


def test_notify_names_each_channels_config_entry_as_notify_test_does(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user audit: `monitor notify` showed each channel's display but not its entry in the
    config, which `notify test` and `alerts replay` name; now it does, and says when a
    channel is no longer in the config."""
    monkeypatch.setenv("MONITOR_TEST_NTFY", "ntfy://audit-topic")
    hooks = [f'[[webhooks]]\nurl = "http://127.0.0.1:9/{name}"\nsecret = "{SECRET}"\n' for name in "ab"]
    ntfy = '[[notify]]\nurl_env = "MONITOR_TEST_NTFY"\n'
    path = write_config(f'database = "n.db"\n{hooks[0]}{hooks[1]}{ntfy}')

    def cli_run(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--config", str(path)], obj={})
        assert result.exit_code == 0, result.output
        return result.output

    cli_run("run", "--once")  # the channels into the database
    listed = json.loads(cli_run("notify", "--json"))
    assert [(row["kind"], row["entry"]) for row in listed] == [
        ("webhook", "webhooks[0]"),
        ("webhook", "webhooks[1]"),
        ("apprise", "notify[0]"),
    ]
    path.write_text(f'database = "n.db"\n{hooks[1]}{ntfy}', encoding="utf-8")  # "a" removed
    entries = [row["entry"] for row in json.loads(cli_run("notify", "--json"))]
    assert entries == [None, "webhooks[0]", "notify[0]"]
    monkeypatch.delenv("MONITOR_TEST_NTFY")  # a shell without the daemon's environment
    a, b, apprise = cli_run("notify").splitlines()[2:]  # the rows in the same order
    assert "  not in the config  " in a
    assert "  webhooks[0]  " in b
    assert "  not in the config, or notify[0] (url_env not set)  " in apprise


def test_an_apprise_display_keeps_its_redaction_and_gains_a_fingerprint(
    write_config: Callable[[str], Path],
) -> None:
    config = dataclasses.replace(
        config_module.load(write_config('database = "n.db"\n')),
        notify=("tgram://123456789:abcdefg_hijklmnop/987", "tgram://123456789:abcdefg_qrstuvwxy/987"),
    )
    first, second = config.channels
    assert first.display != second.display
    for channel, token in ((first, "abcdefg_hijklmnop"), (second, "abcdefg_qrstuvwxy")):
        assert token not in channel.display
        assert re.search(r"#[0-9a-f]{6}$", channel.display)
        # The fingerprint starts the channel's id, which the database keys it by.
        assert channel.id.startswith("apprise:" + channel.display[-6:])
    assert (first.source, second.source) == ("notify[0]", "notify[1]")


def test_a_display_stored_by_an_earlier_version_takes_the_new_form(
    write_config: Callable[[str], Path],
) -> None:
    """The endpoints table keeps each channel's display: an upgraded monitor rewrites it
    (`Store.sync_channels`, at `run`, `notify test`, `alerts replay`, `rescan`)."""
    with Receiver(SECRET) as hook:
        path = write_config(f'database = "n.db"\n[[webhooks]]\nurl = "{hook.url}"\nsecret = "{SECRET}"\n')
        config = config_module.load(path)
        (channel,) = config.channels
        store = Store.open(config.database)
        old_form = hook.url.rsplit("/", 1)[0] + "/…"  # without the fingerprint
        store.sync_channels([dataclasses.replace(channel, display=old_form)])
        store.close()
        result = CliRunner().invoke(cli, ["notify", "test", "--config", str(path)], obj={})
        assert result.exit_code == 0, result.output
    store = Store.open(config.database)
    try:
        assert [row["endpoint"] for row in store.endpoints_report()] == [channel.display]
        assert channel.display.startswith(old_form + "#")
    finally:
        store.close()
