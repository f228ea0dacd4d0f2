"""Bad input from the user, through the real `monitor` command in a subprocess.

Every config mistake and every bad argument gives exit status 2 and a message on stderr
that names the thing (the key or the option) and what to do, never a traceback. A
database path holding something that is not a monitor database is refused (exit 1),
named, and left byte for byte as it was.

tests/test_config.py checks `config.load` problem by problem and tests/test_cli.py a few
statuses in process; this file is what a user at a shell sees. The runs are independent,
so they go four at a time.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.store import APPLICATION_ID, Store
from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[1]
# A loopback port nothing listens on: a run that gets as far as polling never leaves the machine.
GOOD_FEED = '[[feeds]]\nname = "A"\nurl = "http://127.0.0.1:9/feed"\n'
# The shipped watch as a [[watches]] table (its seeds: the shipped folder).
SHIPPED_WATCH = (ROOT / "config" / "watches" / "lecun-meta.toml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Case:
    """A config text (or None: use a valid one) and arguments; what stderr must say."""

    args: tuple[str, ...]
    expect: tuple[str, ...]
    config: str | None = None


# Each config mistake alone, as a user makes them; `expect` is the key and the fix.
CONFIG_MISTAKES: dict[str, Case] = {
    "missing feed url": Case(
        ("run", "--once"), ("feeds[0].url: missing", "expected an http"), '[[feeds]]\nname = "A"\n'
    ),
    "missing feed name": Case(
        ("run", "--once"),
        ("feeds[0].name: missing", "expected a non-empty string"),
        '[[feeds]]\nurl = "https://a.example/"\n',
    ),
    "missing webhook secret": Case(
        ("run", "--once"),
        ("webhooks[0].secret: give exactly one of", "secret_env"),
        '[[webhooks]]\nurl = "https://hooks.example/"\n',
    ),
    "unknown top-level key": Case(
        ("run", "--once"), ("databse: unknown key", "expected one of: database"), 'databse = "m.db"\n'
    ),
    "unknown feed key": Case(
        ("run", "--once"), ("feeds[0].intervall: unknown key", "interval"), GOOD_FEED + 'intervall = "5m"\n'
    ),
    "official is a string": Case(
        ("run", "--once"),
        ("feeds[0].official: 'yes' is not true or false",),
        GOOD_FEED + 'official = "yes"\n',
    ),
    "interval is a float": Case(
        ("run", "--once"),
        ("feeds[0].interval: 5.5 is not a duration", '"10m"'),
        GOOD_FEED + "interval = 5.5\n",
    ),
    "interval too short": Case(
        ("run", "--once"),
        ("feeds[0].interval: '10s' is shorter than the minimum 60s",),
        GOOD_FEED + 'interval = "10s"\n',
    ),
    "feeds is not a table array": Case(
        ("run", "--once"), ("feeds: expected an array of tables ([[feeds]])",), "feeds = 3\n"
    ),
    "database is a number": Case(
        ("run", "--once"), ("database: 5 is not a file path", '"monitor.db"'), "database = 5\n"
    ),
    "duplicate feed name": Case(
        ("run", "--once"),
        ("feeds[1].name: 'A' is already the name of feeds[0]", "unique"),
        GOOD_FEED + GOOD_FEED,
    ),
    "duplicate feed url": Case(
        ("check-config",),
        (
            "feeds[1].url: 'http://127.0.0.1:9/feed#top' of feed 'B' is the URL of feeds[0] 'A'",
            "delete one of the two [[feeds]] tables",
        ),
        GOOD_FEED + '[[feeds]]\nname = "B"\nurl = "http://127.0.0.1:9/feed#top"\n',
    ),
    "duplicate webhook url": Case(
        ("check-config",),
        (
            "webhooks[1].url: the same URL as webhooks[0].url: one channel, which would be sent every"
            " alert twice; delete one of the two [[webhooks]] tables",
        ),
        f'[[webhooks]]\nurl = "https://hooks.example/t"\nsecret = "{SECRET}"\n' * 2,
    ),
    "duplicate watch name": Case(
        ("check-config",),
        ("watches[1].name: 'lecun-meta' is already the name of watches[0]; watch names must be unique",),
        SHIPPED_WATCH * 2,
    ),
    "database folder missing": Case(
        ("run", "--once"),
        ("database: 'no/such/dir/m.db'", "does not exist; create it or fix the path"),
        'database = "no/such/dir/m.db"\n',
    ),
    "scheme typo": Case(
        ("run", "--once"),
        ("feeds[0].url: 'htp://example.org/feed' is not an http:// or https:// URL",),
        '[[feeds]]\nname = "A"\nurl = "htp://example.org/feed"\n',
    ),
    "no host": Case(
        ("run", "--once"),
        ("feeds[0].url: 'https://' is not an http:// or https:// URL with a host",),
        '[[feeds]]\nname = "A"\nurl = "https://"\n',
    ),
    "space in url": Case(
        ("run", "--once"),
        ("feeds[0].url:", "percent-encode them"),
        '[[feeds]]\nname = "A"\nurl = "https://exa mple.org/feed"\n',
    ),
    "broken ipv6 url": Case(
        ("check-config",),
        ("feeds[0].url: 'http://[::1/feed' is not a valid URL",),
        '[[feeds]]\nname = "A"\nurl = "http://[::1/feed"\n',
    ),
    "port out of range": Case(
        ("run", "--once"),
        ("feeds[0].url:", "Port out of range"),
        '[[feeds]]\nname = "A"\nurl = "https://example.org:99999/"\n',
    ),
    "webhook url not http": Case(
        ("run", "--once"),
        ("webhooks[0].url: 'ftp://hooks.example/'",),
        f'[[webhooks]]\nurl = "ftp://hooks.example/"\nsecret = "{SECRET}"\n',
    ),
    "secret not base64": Case(
        ("run", "--once"),
        ("webhooks[0].secret: webhook secret after 'whsec_' is not valid base64",),
        '[[webhooks]]\nurl = "https://hooks.example/"\nsecret = "whsec_!!!"\n',
    ),
    "secret too short": Case(
        ("run", "--once"),
        ("webhooks[0].secret: webhook secret must decode to 24–64 bytes",),
        '[[webhooks]]\nurl = "https://hooks.example/"\nsecret = "whsec_c2hvcnQ="\n',
    ),
    "secret without prefix": Case(
        ("run", "--once"),
        ("webhooks[0].secret: webhook secret must start with 'whsec_'",),
        '[[webhooks]]\nurl = "https://hooks.example/"\nsecret = "hunter2"\n',
    ),
    "secret_env unset": Case(
        ("run", "--once"),
        ("webhooks[0].secret_env: environment variable MONITOR_TEST_UNSET is not set",),
        '[[webhooks]]\nurl = "https://hooks.example/"\nsecret_env = "MONITOR_TEST_UNSET"\n',
    ),
    "not toml": Case(("run", "--once"), ("not valid TOML",), "database = [\n"),
    "not utf-8": Case(("run", "--once"), ("cannot read the file",), "\udcff"),
    "check-config too": Case(("check-config",), ("databse: unknown key",), 'databse = "m.db"\n'),
}

# Bad arguments, with a valid config; `expect` names the argument.
BAD_ARGUMENTS: dict[str, Case] = {
    "unknown command": Case(("frobnicate",), ("No such command 'frobnicate'", "--help")),
    "unknown option": Case(
        ("run", "--twice"), ("No such option '--twice'", "Did you mean '--once'?", "--help")
    ),
    "negative limit": Case(("items", "--limit", "-3"), ("--limit", "-3")),
    "limit not a number": Case(("items", "--limit", "many"), ("--limit", "'many' is not a valid integer")),
    "since not a time": Case(
        ("items", "--since", "last tuesday"), ("--since 'last tuesday'", "2h, 3d", "2025-11-11")
    ),
    "unknown feed": Case(("items", "--feed", "Nope"), ("--feed: no such feed 'Nope'", "the feeds are: 'A'")),
    "story not a number": Case(("items", "--story", "abc"), ("--story", "'abc' is not a valid integer")),
    "stories limit": Case(("stories", "--limit", "x"), ("--limit", "'x' is not a valid integer")),
    "replay id not a number": Case(("alerts", "replay", "abc"), ("ALERT_ID", "'abc' is not a valid integer")),
    "replay unknown alert": Case(("alerts", "replay", "999"), ("no alert 999", "monitor alerts")),
    "log format": Case(
        ("--log-format", "xml", "items"), ("--log-format", "'xml' is not one of 'text', 'json'")
    ),
    "eval without a file": Case(("eval", "/nonexistent/labels.jsonl"), ("LABELS", "does not exist")),
    "config is a folder": Case(("--config", "/", "items"), ("--config", "is a directory")),
    "config file missing": Case(
        ("--config", "/nonexistent/monitor.toml", "items"), ("no such file", "--config PATH")
    ),
    "missing argument": Case(("alerts", "replay"), ("Missing argument 'ALERT_ID'",)),
}


@dataclass(frozen=True)
class Outcome:
    status: int
    stderr: str
    stdout: str


def monitor(args: tuple[str, ...], config: Path | None, cwd: Path) -> Outcome:
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_TEST_UNSET"}
    if config is not None:
        env["MONITOR_CONFIG"] = str(config)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return Outcome(result.returncode, result.stderr, result.stdout)


def _write_config(folder: Path, text: str | None) -> Path:
    path = folder / "monitor.toml"
    if text == "\udcff":  # a file that is not UTF-8
        path.write_bytes(b'database = "m\xff.db"\n')
    else:
        path.write_text(text if text is not None else f'database = "m.db"\n{GOOD_FEED}', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    cases = {**CONFIG_MISTAKES, **BAD_ARGUMENTS}
    shared = tmp_path_factory.mktemp("valid")  # a valid config with a database, for the read commands
    valid = _write_config(shared, None)
    assert monitor(("run", "--once"), valid, shared).status == 0
    jobs: dict[str, tuple[tuple[str, ...], Path, Path]] = {}
    for name, case in cases.items():
        if case.config is None:
            jobs[name] = (case.args, valid, shared)
        else:
            folder = tmp_path_factory.mktemp("bad")
            jobs[name] = (case.args, _write_config(folder, case.config), folder)
    with ThreadPoolExecutor(4) as pool:
        futures = {name: pool.submit(monitor, *job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", [*CONFIG_MISTAKES, *BAD_ARGUMENTS])
def test_one_clear_message_exit_2_no_traceback(outcomes: dict[str, Outcome], name: str) -> None:
    case = {**CONFIG_MISTAKES, **BAD_ARGUMENTS}[name]
    outcome = outcomes[name]
    assert outcome.status == 2, outcome.stderr
    assert "Traceback" not in outcome.stderr + outcome.stdout
    for text in case.expect:
        assert text in outcome.stderr, f"{text!r} not in:\n{outcome.stderr}"


def test_every_problem_names_the_key_and_what_is_expected(outcomes: dict[str, Outcome]) -> None:
    """A problem line is "key: what was found; what to do", never a bare "invalid"."""
    for name in CONFIG_MISTAKES:
        for line in outcomes[name].stderr.splitlines():
            if line.startswith("  - "):
                key, _, message = line[4:].partition(": ")
                assert key, (name, line)
                assert len(message) > 15, (name, line)


# ─── foreign and corrupt databases ─────────────────────────────────────────────────


def _another_programs_database(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.close()


def _corrupt_sqlite(path: Path) -> None:
    _another_programs_database(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)  # the schema page, after the 100-byte header
    path.write_bytes(bytes(data))


def _newer_monitor_database(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 999")
        conn.execute("CREATE TABLE feeds (name TEXT PRIMARY KEY)")
    conn.close()


def _truncated_header(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 20)


FOREIGN: dict[str, tuple[Callable[[Path], None], str]] = {
    "another program's SQLite": (
        _another_programs_database,
        "this SQLite file is not a monitor database; choose another `database` path",
    ),
    "corrupt SQLite": (_corrupt_sqlite, "not a usable SQLite database"),
    "newer monitor": (_newer_monitor_database, "made by a newer monitor (schema 999); upgrade the monitor"),
    "truncated file": (_truncated_header, "not a usable SQLite database"),
}


COMMANDS = {"run": ("run", "--once"), "items": ("items",)}


@dataclass(frozen=True)
class Refusal:
    outcome: Outcome
    database: Path
    before: bytes
    after: bytes
    files: list[str]


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Refusal]:
    jobs = {}
    for name, (make, _) in FOREIGN.items():
        for command, args in COMMANDS.items():
            folder = tmp_path_factory.mktemp("foreign")
            make(folder / "m.db")
            jobs[name, command] = (args, _write_config(folder, 'database = "m.db"\n'), folder)
    before = {key: (folder / "m.db").read_bytes() for key, (_, _, folder) in jobs.items()}
    with ThreadPoolExecutor(4) as pool:
        futures = {key: pool.submit(monitor, *job) for key, job in jobs.items()}
        outcomes = {key: future.result() for key, future in futures.items()}
    return {
        key: Refusal(
            outcomes[key],
            folder / "m.db",
            before[key],
            (folder / "m.db").read_bytes(),
            sorted(p.name for p in folder.iterdir()),
        )
        for key, (_, _, folder) in jobs.items()
    }


@pytest.mark.parametrize("name", list(FOREIGN))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_foreign_or_corrupt_database_is_refused_and_never_touched(
    refusals: dict[tuple[str, str], Refusal], name: str, command: str
) -> None:
    refusal = refusals[name, command]
    stderr = refusal.outcome.stderr
    assert refusal.outcome.status == 2, stderr  # the config's `database` to fix, as check-config says
    assert "Traceback" not in stderr
    assert str(refusal.database) in stderr
    assert FOREIGN[name][1] in stderr
    assert refusal.after == refusal.before
    assert refusal.files == ["m.db", "monitor.toml"]  # no -wal, no -shm


def test_a_folder_at_the_database_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.db").mkdir()
    outcome = monitor(("run", "--once"), _write_config(tmp_path, 'database = "m.db"\n'), tmp_path)
    assert outcome.status == 2
    assert "is a folder, not a database file; fix `database` in the config" in outcome.stderr


def _monitor_database(path: Path) -> None:
    Store.open(path).close()


# What `check-config` finds at the database path: what it must say (None: ok, exit 0).
DATABASE_PATHS: dict[str, tuple[Callable[[Path], object] | None, str | None]] = {
    "a folder": (Path.mkdir, "is a folder, not a database file; fix `database` in the config"),
    "a text file": (
        lambda path: path.write_text("notes\n"),
        "not an SQLite file; refusing to overwrite it. Choose another `database` path",
    ),
    "nothing yet": (None, None),  # `run` creates it
    "an empty file": (Path.touch, None),  # `run` writes its schema into it
    "a monitor database": (_monitor_database, None),
    # Each database `run` refuses (above) in the same words: before, check-config said ok.
    **{name: (make, message) for name, (make, message) in FOREIGN.items()},
}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Refusal]:
    jobs = {}
    for name, (make, _) in DATABASE_PATHS.items():
        folder = tmp_path_factory.mktemp("checked")
        if make is not None:
            make(folder / "m.db")
        jobs[name] = (("check-config",), _write_config(folder, 'database = "m.db"\n'), folder)

    def contents(folder: Path) -> bytes:
        database = folder / "m.db"
        return database.read_bytes() if database.is_file() else b""

    before = {name: contents(folder) for name, (_, _, folder) in jobs.items()}
    with ThreadPoolExecutor(4) as pool:
        futures = {name: pool.submit(monitor, *job) for name, job in jobs.items()}
        outcomes = {name: future.result() for name, future in futures.items()}
    return {
        name: Refusal(
            outcomes[name],
            folder / "m.db",
            before[name],
            contents(folder),
            sorted(p.name for p in folder.iterdir()),
        )
        for name, (_, _, folder) in jobs.items()
    }


@pytest.mark.parametrize("name", list(DATABASE_PATHS))
def test_check_config_refuses_the_database_paths_run_refuses_and_touches_nothing(
    checked: dict[str, Refusal], name: str
) -> None:
    make, message = DATABASE_PATHS[name]
    result = checked[name]
    if message is None:
        assert result.outcome.status == 0, result.outcome.stderr
        assert ": ok (" in result.outcome.stdout
    else:
        assert result.outcome.status == 2, result.outcome.stderr
        assert f"database: {result.database}: {message}" in result.outcome.stderr
        assert "Traceback" not in result.outcome.stderr
    assert result.after == result.before
    present = ["monitor.toml"] if make is None else ["m.db", "monitor.toml"]
    assert result.files == present  # nothing created: no database, no -wal, no -shm
