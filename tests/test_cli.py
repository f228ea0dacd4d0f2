"""The CLI contract: help text everywhere, exit statuses, one-line errors without tracebacks."""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from monitor import pipeline
from monitor import store as store_module
from monitor.cli import cli
from monitor.loopback import FeedServer, rss
from tests.conftest import SECRET


def commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix}{name} ")


ALL = list(commands(cli))


@pytest.mark.parametrize(("name", "command"), ALL, ids=[n for n, _ in ALL])
def test_every_command_has_help_text(name: str, command: click.Command) -> None:
    assert command.help, f"`monitor {name}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"`monitor {name} {param.opts[0]}` has no help text"
    result = CliRunner().invoke(cli, [*name.split(), "--help"], obj={})
    assert result.exit_code == 0
    assert command.help.splitlines()[0] in " ".join(result.output.split())  # click wraps long lines


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), obj={})


def test_every_command_takes_config(write_config: Callable[[str], Path]) -> None:
    for name, command in ALL:
        if isinstance(command, click.Group) and name != "alerts":
            continue
        assert any("--config" in p.opts for p in command.params if isinstance(p, click.Option)), name


def test_a_bad_config_exits_2_with_every_problem_and_no_traceback(
    write_config: Callable[[str], Path],
) -> None:
    path = write_config('[[feeds]]\nname = "x"\nurl = "nope"\ninterval = "soon"\n')
    result = run("run", "--once", "--config", str(path))
    assert result.exit_code == 2
    assert "feeds[0].url" in result.output
    assert "feeds[0].interval" in result.output
    assert "Traceback" not in result.output


def test_check_config_reports_ok_and_problems(write_config: Callable[[str], Path]) -> None:
    good = write_config('database = "m.db"\n')
    result = run("check-config", "--config", str(good))
    assert result.exit_code == 0
    assert "ok" in result.output
    bad = write_config('databse = "m.db"\n')
    result = run("check-config", "--config", str(bad))
    assert result.exit_code == 2
    assert "databse: unknown key" in result.output


def test_bad_arguments_exit_2(write_config: Callable[[str], Path]) -> None:
    path = write_config('database = "m.db"\n')
    assert run("run", "--config", str(path), "--twice").exit_code == 2
    result = run("items", "--config", str(path), "--since", "last tuesday")
    assert result.exit_code == 2
    assert "--since 'last tuesday'" in result.output
    assert run("items", "--config", str(path), "--limit", "-3").exit_code == 2


def test_an_unknown_feed_is_a_usage_error_naming_the_feeds(write_config: Callable[[str], Path]) -> None:
    path = write_config('database = "m.db"\n')
    assert run("run", "--once", "--config", str(path)).exit_code == 0  # a database without feeds
    result = run("items", "--config", str(path), "--feed", "Reuters")
    assert result.exit_code == 2, result.output
    assert "--feed: no such feed 'Reuters'; there are no feeds yet: `monitor feeds add URL` adds one" in (
        result.output
    )
    # Configured, not polled yet: a real feed with no items, not a mistake.
    tables = "".join(f'[[feeds]]\nname = "{n}"\nurl = "https://{n}.example/f"\n' for n in ("b", "a"))
    path = write_config(f'database = "m.db"\n{tables}')
    assert json.loads(run("items", "--config", str(path), "--feed", "a", "--json").output) == []
    result = run("items", "--config", str(path), "--feed", "A", "--json")
    assert result.exit_code == 2
    assert "--feed: no such feed 'A'; the feeds are: 'a', 'b'" in result.output
    assert "Usage:" in result.output  # reported as click reports every bad argument
    many = "".join(f'[[feeds]]\nname = "f{i}"\nurl = "https://f{i}.example/f"\n' for i in range(20))
    result = run("items", "--config", str(write_config(f'database = "m.db"\n{many}')), "--feed", "g")
    assert result.exit_code == 2
    assert (
        "--feed: no such feed 'g'; there are 20 feeds: `monitor feeds export` lists those in the config,"
        " `monitor feeds` those polled"
    ) in result.output


def test_arguments_at_the_edges_get_a_message_not_a_traceback(
    write_config: Callable[[str], Path], tmp_path: Path
) -> None:
    path = write_config('database = "m.db"\n[[feeds]]\nname = "a"\nurl = "https://a.example/f"\n')
    assert run("run", "--once", "--config", str(path)).exit_code in (0, 1)  # a database to read
    for search in ('"', '""', "()"):  # FTS5 refused the empty query these quote to
        result = run("items", "--config", str(path), "--search", search)
        assert result.exit_code == 2, result.output
        assert "has no word to look for" in result.output
    everything = run("items", "--config", str(path), "--since", "99999999999d", "--json")
    assert everything.exit_code == 0, everything.output  # further back than dates go: all
    result = run("feeds", "export", "--config", str(path), "--output", str(tmp_path / "no" / "x.opml"))
    assert result.exit_code == 2
    assert "cannot write it (No such file or directory)" in result.output
    for bad in (result, everything):
        assert "Traceback" not in bad.output
        assert "unexpected error" not in bad.output


def test_reading_before_any_run_exits_1_with_a_reason(write_config: Callable[[str], Path]) -> None:
    path = write_config('database = "m.db"\n')
    result = run("items", "--config", str(path))
    assert result.exit_code == 1
    assert result.output.strip().endswith("run `monitor run --once` first")
    empty = path.parent / "m.db"
    empty.touch()  # an empty file is no database either, and reading must not make it one
    result = run("items", "--config", str(path))
    assert result.exit_code == 1
    assert "empty, no database yet" in result.output
    assert empty.stat().st_size == 0


def test_a_foreign_database_is_refused(write_config: Callable[[str], Path], tmp_path: Path) -> None:
    (tmp_path / "m.db").write_text("not a database")
    result = run("run", "--once", "--config", str(write_config('database = "m.db"\n')))
    assert result.exit_code == 2  # as check-config: the config's `database` is to be fixed
    assert "not an SQLite file" in result.output
    assert (tmp_path / "m.db").read_text() == "not a database"


def test_output_formats(write_config: Callable[[str], Path]) -> None:
    path = write_config('database = "m.db"\n')
    assert run("run", "--once", "--config", str(path)).exit_code == 0
    assert json.loads(run("items", "--json", "--config", str(path)).output) == []
    assert run("items", "--nl", "--config", str(path)).output.strip() == ""
    assert run("feeds", "--config", str(path)).output.strip() == "(none)"
    assert json.loads(run("stories", "--json", "--config", str(path)).output) == []
    assert json.loads(run("alerts", "--json", "--config", str(path)).output) == []


READ_COMMANDS = (("items",), ("items", "--versions"), ("feeds",), ("stories",), ("alerts",), ("notify",))


def test_csv_has_its_header_when_empty_and_neutralises_formulas(write_config: Callable[[str], Path]) -> None:
    path = write_config('database = "m.db"\n')
    assert run("run", "--once", "--config", str(path)).exit_code == 0

    def csv_of(*command: str) -> list[list[str]]:
        result = run(*command, "--csv", "--config", str(path))
        assert result.exit_code == 0, result.output
        return list(csv.reader(result.output.splitlines()))

    # Nothing stored: the header row alone, so a script reading the export sees the columns.
    empty = {command: csv_of(*command) for command in READ_COMMANDS}
    assert all(len(rows) == 1 for rows in empty.values()), empty
    with sqlite3.connect(path.parent / "m.db") as db:  # one of each, made by hand
        db.execute("INSERT INTO feeds (name, url, config_url) VALUES ('Wire', 'http://w.example', 'x')")
        db.execute(
            "INSERT INTO items (id, feed, key, title, published, first_seen, story, alert)"
            " VALUES (1, 'Wire', 'k', '=HYPERLINK(\"http://evil\",\"x\")', '2025-11-19T10:00:00Z',"
            " '2025-11-19T10:00:00Z', 1, 1)"
        )
        db.execute(
            "INSERT INTO alerts (id, watch, speaker, stance, item, created, evidence, score)"
            " VALUES (1, 'lecun-meta', '@Meta', 'confirms', 1, '2025-11-19T10:00:00Z', '[]', -3)"
        )
        db.execute("INSERT INTO endpoints (id, kind, display) VALUES ('webhook:1', 'webhook', 'http://h/…')")
    for command in READ_COMMANDS:
        header, *rows = csv_of(*command)
        assert header == empty[command][0], command  # the same columns as when there are rows
        assert len(rows) == 1, command
    item = dict(zip(*csv_of("items"), strict=True))
    assert item["title"] == '\'=HYPERLINK("http://evil","x")'  # text, not a live formula
    alert = dict(zip(*csv_of("alerts"), strict=True))
    assert (alert["speaker"], alert["score"]) == ("'@Meta", "-3.0")  # numbers are data: left alone
    listed = json.loads(run("items", "--json", "--config", str(path)).output)
    assert listed[0]["title"] == '=HYPERLINK("http://evil","x")'  # JSON stays exact


def test_reading_and_editing_need_no_secret_but_polling_does(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shell on the server lacks the daemon's EnvironmentFile: querying the store and
    editing the feeds must work there; polling (which delivers) must still refuse."""
    path = write_config(
        'database = "m.db"\n'
        '[[feeds]]\nname = "Wire"\nurl = "http://127.0.0.1:9/feed.xml"\n'
        '[[webhooks]]\nurl = "http://127.0.0.1:9/hook"\nsecret_env = "MONITOR_TEST_HOOK_SECRET"\n'
    )
    monkeypatch.setenv("MONITOR_TEST_HOOK_SECRET", SECRET)
    assert run("run", "--once", "--config", str(path)).exit_code == 0
    monkeypatch.delenv("MONITOR_TEST_HOOK_SECRET")
    for command in ("items", "feeds", "stories", "alerts", "notify"):
        result = run(command, "--json", "--config", str(path))
        assert result.exit_code == 0, (command, result.output)
    assert json.loads(run("feeds", "--json", "--config", str(path)).output)[0]["name"] == "Wire"
    exported = run("feeds", "export", "--config", str(path))
    assert exported.exit_code == 0
    assert "127.0.0.1:9/feed.xml" in exported.output
    removed = run("feeds", "remove", "Wire", "--config", str(path))
    assert removed.exit_code == 0, removed.output
    assert "Wire" not in path.read_text()
    for invocation in (("run", "--once"), ("check-config",)):
        result = run(*invocation, "--config", str(path))
        assert result.exit_code == 2
        assert "environment variable MONITOR_TEST_HOOK_SECRET is not set" in result.output


def test_run_once_says_which_failing_feeds_it_left_and_all_polls_them(
    write_config: Callable[[str], Path],
) -> None:
    with FeedServer() as server:
        server.put("/ok.xml", rss("OK", [{"guid": "1", "title": "A story", "link": "https://ok.example/1"}]))
        path = write_config(
            f'database = "m.db"\n[[feeds]]\nname = "ok"\nurl = "{server.url("/ok.xml")}"\n'
            f'[[feeds]]\nname = "gone"\nurl = "{server.url("/gone.xml")}"\n'
        )
        first = run("run", "--once", "--config", str(path))
        assert "polled 2 feeds (1 failed" in first.output
        assert "not polled" not in first.output
        requests = server.requests
        second = run("run", "--once", "--config", str(path))
        assert second.exit_code == 0, second.output
        assert "polled 1 feeds (0 failed" in second.output
        assert "; 1 failing feeds not polled (backoff or Retry-After), the first due 20" in second.output
        assert second.output.rstrip().endswith("Z: --all polls them now")
        assert server.requests - requests == 1
        forced = run("run", "--once", "--all", "--config", str(path))
        assert "polled 2 feeds (1 failed" in forced.output
        assert server.requests - requests == 3
        misused = run("run", "--all", "--config", str(path))
        assert misused.exit_code == 2
        assert "--all applies to --once" in misused.output


START_RETRY = "cannot store the configured feeds and channels (try "


class _ReleaseAt(logging.Handler):
    """Releases `locker`'s write lock when a log line says `marker`: a lock held by another
    connection for exactly as many tries as the test wants."""

    def __init__(self, locker: sqlite3.Connection, marker: str) -> None:
        super().__init__()
        self.locker, self.marker = locker, marker
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if self.marker in record.getMessage() and self.locker.in_transaction:
            self.locker.rollback()


def _run_once_watched(path: Path, handler: _ReleaseAt) -> click.testing.Result:
    """`run --once --all` with `handler` reading the "monitor" logger's lines."""
    logging.getLogger("monitor").addHandler(handler)
    try:
        return run("run", "--once", "--all", "--config", str(path))
    finally:
        logging.getLogger("monitor").removeHandler(handler)


def _start_tries(handler: _ReleaseAt) -> list[str]:
    """The lines saying a start's writes failed and are tried again."""
    return [line for line in handler.lines if line.startswith(START_RETRY)]


@pytest.fixture
def locked_at_start(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, sqlite3.Connection]]:
    """A config with two feeds whose database another connection holds `BEGIN IMMEDIATE`
    on; the waits shortened (busy timeout 50 ms, retries 50 ms), as tests/test_daemon.py does."""
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(pipeline, "write_retry_delay", lambda _failures: 0.05)
    with FeedServer() as server:
        text = 'database = "l.db"\n'
        for n in range(2):
            server.put(
                f"/f{n}.xml", rss("News", [{"guid": f"g{n}", "title": f"Story {n}", "link": "https://x/"}])
            )
            text += f'[[feeds]]\nname = "f{n}"\nurl = "{server.url(f"/f{n}.xml")}"\n'
        path = write_config(text)
        store_module.Store.open(path.parent / "l.db").close()  # the schema, as after an earlier run
        locker = sqlite3.connect(path.parent / "l.db", isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            yield path, locker
        finally:
            if locker.in_transaction:
                locker.rollback()
            locker.close()


def test_run_once_waits_out_a_lock_held_as_it_starts(
    locked_at_start: tuple[Path, sqlite3.Connection],
) -> None:
    """A user audit: with the lock held as `run --once` started, it exited 1 after the first
    busy timeout, without the documented retries; mid-run it retried. Now its start's
    writes (feeds, channels, states) are retried as a batch is."""
    path, locker = locked_at_start
    release = _ReleaseAt(locker, "(try 2)")
    result = _run_once_watched(path, release)
    assert result.exit_code == 0, result.output
    tries = _start_tries(release)
    assert [line.split(" (try ")[1][:1] for line in tries] == ["1", "2"]
    assert "trying again in 0 s: " in tries[0]
    assert "cannot write: database is locked" in tries[0]
    assert "stored the configured feeds and channels after 2 failed tries" in release.lines
    assert "polled 2 feeds (0 failed, 0 not modified): 2 new items" in result.output
    with sqlite3.connect(path.parent / "l.db") as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2


def test_run_once_gives_up_after_5_tries_of_a_lock_held_from_the_start(
    locked_at_start: tuple[Path, sqlite3.Connection],
) -> None:
    path, locker = locked_at_start
    seen = _ReleaseAt(locker, "never")
    result = _run_once_watched(path, seen)
    assert result.exit_code == 1
    tries = _start_tries(seen)
    assert [line.split(" (try ")[1][:1] for line in tries] == ["1", "2", "3", "4"]  # the 5th fails for good
    (error,) = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert "l.db: cannot write: database is locked" in error
    assert "Traceback" not in result.output
