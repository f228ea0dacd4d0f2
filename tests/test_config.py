"""Config loading: the minimal contract config works; every mistake is named, all at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from monitor import config, config_edit
from monitor.exceptions import ConfigError
from monitor.store import MIGRATIONS, Store
from tests.conftest import SECRET

MINIMAL = f"""
database = "monitor.db"
[[feeds]]
name = "Reuters"
url = "https://www.reuters.com/feed"
official = false
interval = "10m"
[[webhooks]]
url = "https://hooks.example/monitor"
secret = "{SECRET}"
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config.load(path)
    return [str(p) for p in info.value.problems]


def test_the_contract_minimal_config_loads(write_config: Callable[[str], Path], tmp_path: Path) -> None:
    loaded = config.load(write_config(MINIMAL))
    assert loaded.database == tmp_path / "monitor.db"  # relative to the config file
    assert loaded.feeds[0].name == "Reuters"
    assert loaded.feeds[0].interval == timedelta(minutes=10)
    assert loaded.webhooks[0].secret == SECRET
    assert [w.name for w in loaded.watches] == ["lecun-meta"]  # the shipped watch when none is given
    assert len(loaded.watches[0].seeds) == 2


def test_every_problem_is_reported_at_once(write_config: Callable[[str], Path]) -> None:
    found = problems(
        write_config(
            """
database = "no/such/folder/monitor.db"
colour = "blue"
[[feeds]]
name = "A"
url = "ftp://example.org/feed"
interval = "often"
[[feeds]]
name = "A"
url = "https://example.org/feed"
official = "yes"
refresh = 5
[[feeds]]
url = "https://example.org/other"
interval = "1s"
[[webhooks]]
url = "https://hooks.example/"
secret = "not-a-secret"
[[webhooks]]
url = "https://hooks.example/2"
"""
        )
    )
    joined = "\n".join(found)
    expected = [
        "colour: unknown key",
        "database: 'no/such/folder/monitor.db': folder",
        "feeds[0].url: 'ftp://example.org/feed' is not an http:// or https:// URL",
        "feeds[0].interval: 'often' is not a duration",
        "feeds[1].name: 'A' is already the name of feeds[0]",
        "feeds[1].official: 'yes' is not true or false",
        "feeds[1].refresh: unknown key",
        "feeds[2].name: missing",
        "feeds[2].interval: '1s' is shorter than the minimum",
        "webhooks[0].secret:",
        "webhooks[1].secret: give exactly one of",
    ]
    for text in expected:
        assert text in joined, f"{text!r} not reported in:\n{joined}"
    assert len(found) == len(expected)
    assert "not-a-secret" not in joined  # secrets are never echoed


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("https://example.com/feed", "https://example.com/feed", True),
        ("https://Example.com/feed", "https://example.com/feed#x", True),  # the audit's pair
        ("HTTPS://EXAMPLE.COM:443/feed", "https://example.com/feed", True),
        ("https://example.com/feed?utm_source=x&a=1", "https://example.com/feed?a=1", True),
        ("https://example.com/Feed", "https://example.com/feed", False),  # paths are case-sensitive
        ("https://example.com/feed?a=1", "https://example.com/feed?a=2", False),
        ("http://example.com/feed", "https://example.com/feed", False),
    ],
)
def test_two_feeds_at_the_same_url_are_a_problem_as_for_feeds_add(
    write_config: Callable[[str], Path], first: str, second: str, same: bool
) -> None:
    path = write_config(f'[[feeds]]\nname = "A"\nurl = "{first}"\n[[feeds]]\nname = "B"\nurl = "{second}"\n')
    assert config_edit.same_url(first, second) is same  # what `monitor feeds add` refuses
    if not same:
        assert [f.name for f in config.load(path).feeds] == ["A", "B"]
        return
    (found,) = problems(path)
    assert found.startswith(f"feeds[1].url: {second!r} of feed 'B' is the URL of feeds[0] 'A' ({first!r})")
    assert found.endswith("delete one of the two [[feeds]] tables")


def test_a_channel_listed_twice_is_a_problem_naming_both_entries(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One URL twice was one channel asked for two deliveries of an alert: the outbox's unique
    (alert, endpoint) index failed and rolled back every poll's items (a user audit)."""
    monkeypatch.setenv("NTFY_URL", "ntfy://my-topic")
    path = write_config(
        f'[[webhooks]]\nurl = "https://hooks.example/t0ken"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "https://hooks.example/other"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "https://hooks.example/t0ken"\nsecret = "{SECRET}"\n'
        '[[notify]]\nurl = "ntfy://my-topic"\n'
        '[[notify]]\nurl = "ntfy://my-topic"\n'
        '[[notify]]\nurl_env = "NTFY_URL"\n'
        '[[notify]]\nurl = "ntfy://another-topic"\n'
    )
    found = problems(path)
    assert found == [
        "webhooks[2].url: the same URL as webhooks[0].url: one channel, which would be sent every "
        "alert twice; delete one of the two [[webhooks]] tables",
        "notify[1].url: the same URL as notify[0].url: one channel, which would be sent every "
        "alert twice; delete one of the two [[notify]] tables",
        "notify[2].url_env: the same URL as notify[0].url: one channel, which would be sent every "
        "alert twice; delete one of the two [[notify]] tables",
    ]
    assert not any("t0ken" in f or "my-topic" in f for f in found)  # URLs hold tokens: never echoed
    # A webhook and an Apprise channel are different kinds; other URLs are other channels.
    fine = write_config(
        f'[[webhooks]]\nurl = "https://hooks.example/a"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "https://hooks.example/b"\nsecret = "{SECRET}"\n'
        '[[notify]]\nurl = "json://hooks.example/a"\n'
    )
    assert len(config.load(fine).channels) == 3


def test_one_receiver_written_two_ways_is_the_same_channel(write_config: Callable[[str], Path]) -> None:
    """Host case and a default port made two channel ids for one receiver, which then got
    every alert twice under two webhook-ids it could not dedupe (a user audit)."""
    path = write_config(
        f'[[webhooks]]\nurl = "https://hooks.example/t0ken"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "HTTPS://Hooks.Example:443/t0ken"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "http://[::1]/h"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "http://[::1]:80/h"\nsecret = "{SECRET}"\n'
    )
    assert problems(path) == [
        f"webhooks[{n}].url: the same URL as webhooks[{first}].url: one channel, which would be sent "
        "every alert twice; delete one of the two [[webhooks]] tables"
        for n, first in ((1, 0), (3, 2))
    ]
    # Paths and queries hold tokens compared exactly; another port is another receiver; an
    # Apprise URL's "host" is often a token (tgram://BotToken/ChatID): kept as written.
    fine = write_config(
        f'[[webhooks]]\nurl = "https://hooks.example/t0ken"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "https://hooks.example/T0KEN"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "https://hooks.example:8443/t0ken"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "https://hooks.example/t0ken?k=A"\nsecret = "{SECRET}"\n'
        f'[[webhooks]]\nurl = "https://hooks.example/t0ken?k=a"\nsecret = "{SECRET}"\n'
        '[[notify]]\nurl = "tgram://123456789:AAbbCCdd/12345"\n'
        '[[notify]]\nurl = "tgram://123456789:aabbccdd/12345"\n'
    )
    assert len(config.load(fine).channels) == 7


def test_check_database_reports_what_the_store_would_refuse(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    path = write_config('database = "m.db"\n')
    (tmp_path / "m.db").write_bytes(b"PK\x03\x04 a zip file")
    assert config.load(path).database == tmp_path / "m.db"  # `run` leaves it to the store (exit 1)
    with pytest.raises(ConfigError) as info:
        config.load(path, check_database=True)
    assert [str(p) for p in info.value.problems] == [
        f"database: {tmp_path / 'm.db'}: not an SQLite file; refusing to overwrite it. "
        "Choose another `database` path"
    ]
    assert (tmp_path / "m.db").read_bytes() == b"PK\x03\x04 a zip file"


def test_check_database_reads_a_database_in_use_without_disturbing_it(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    # The daemon holds it open: its -wal and -shm exist, and what it wrote may be only there.
    path = write_config('database = "m.db"\n')
    store = Store.open(tmp_path / "m.db")
    try:
        store.conn.execute("PRAGMA wal_autocheckpoint = 0")  # the schema stays in the -wal
        with store.transaction():
            store.conn.execute("PRAGMA user_version = 999")  # as a newer monitor would leave it
        with pytest.raises(ConfigError) as info:
            config.load(path, check_database=True)
        assert [str(p) for p in info.value.problems] == [
            f"database: {tmp_path / 'm.db'}: made by a newer monitor (schema 999); upgrade the monitor"
        ]
        with store.transaction():
            store.conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        assert config.load(path, check_database=True).database == tmp_path / "m.db"
        with store.transaction():  # the writer goes on: the check left no lock behind
            store.conn.execute("PRAGMA user_version = 0")
    finally:
        store.close()


@pytest.mark.parametrize(
    "interval", ['"99999999999999d"', '"31d"', "99999999999999999999999999", "-99999999999999999999999"]
)
def test_an_interval_beyond_the_bounds_is_a_problem_not_a_crash(
    write_config: Callable[[str], Path], interval: str
) -> None:
    (found,) = problems(
        write_config(f'[[feeds]]\nname = "a"\nurl = "https://a.example/f"\ninterval = {interval}\n')
    )
    assert found.startswith("feeds[0].interval: ")
    assert "than the maximum 30d" in found or "shorter than the minimum" in found


def test_secret_from_the_environment(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = '[[webhooks]]\nurl = "https://hooks.example/"\nsecret_env = "HOOK_SECRET"\n'
    assert problems(write_config(text)) == [
        "webhooks[0].secret_env: environment variable HOOK_SECRET is not set"
    ]
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    assert config.load(write_config(text)).webhooks[0].secret == SECRET


def test_without_secrets_the_variables_are_not_read_but_the_rest_is_checked(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    monkeypatch.delenv("NTFY_URL", raising=False)
    unset = (
        '[[webhooks]]\nurl = "https://hooks.example/"\nsecret_env = "HOOK_SECRET"\n'
        '[[notify]]\nurl_env = "NTFY_URL"\n'
    )
    loaded = config.load(write_config(unset), secrets=False)
    assert not loaded.secrets
    assert loaded.webhooks[0].url == "https://hooks.example/"
    with pytest.raises(RuntimeError, match="cannot deliver"):
        _ = loaded.channels  # never an unsigned delivery
    broken = (
        '[[webhooks]]\nurl = "https://hooks.example/"\nsecret = "not-a-secret"\n'
        '[[webhooks]]\nurl = "https://hooks.example/2"\nsecret_env = ""\n'
        "[[notify]]\nurl_env = 5\n"
    )
    with pytest.raises(ConfigError) as info:
        config.load(write_config(broken), secrets=False)
    found = [str(p) for p in info.value.problems]
    assert [f.split(":")[0] for f in found] == [
        "webhooks[0].secret",
        "webhooks[1].secret_env",
        "notify[0].url_env",
    ]
    assert "'' is not an environment variable name" in found[1]
    assert "5 is not an environment variable name" in found[2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("database = [", "not valid TOML"),
        ("feeds = 3", "feeds: expected an array of tables"),
        ("feeds = [1]", "feeds[0]: expected a table"),
        ("database = 5", "database: 5 is not a file path"),
    ],
)
def test_malformed_files(write_config: Callable[[str], Path], text: str, message: str) -> None:
    assert any(message in p for p in problems(write_config(text)))


def test_missing_file_names_the_ways_to_fix_it(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.toml") == ["no such file; pass --config PATH or set $MONITOR_CONFIG"]


def test_config_path_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CONFIG_ENV, raising=False)
    assert config.config_path(None) == config.DEFAULT_CONFIG
    monkeypatch.setenv(config.CONFIG_ENV, "/etc/monitor.toml")
    assert config.config_path(None) == Path("/etc/monitor.toml")
    assert config.config_path("mine.toml") == Path("mine.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("", None),
        ("soon", None),
        ("10 parsecs", None),
    ],
)
def test_parse_duration(text: str, expected: timedelta | None) -> None:
    assert config.parse_duration(text) == expected


def test_the_shipped_config_is_valid() -> None:
    shipped = config.load(Path(__file__).resolve().parents[1] / "config" / "monitor.toml")
    assert len(shipped.feeds) >= 10
    assert any(f.official for f in shipped.feeds)
