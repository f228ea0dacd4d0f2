"""Add and remove `[[feeds]]` tables in the config file, keeping the user's comments and layout.

The config file is the source of truth: `monitor feeds add/remove/import` change it and
nothing else (`monitor run` makes the database follow). Every edit

    read the file ─▶ tomlkit document (comments, order, spacing and quoting kept)
                  ─▶ refuse a file tomlkit would not write back byte for byte
                  ─▶ refuse names and URLs that are already configured
                  ─▶ add or remove tables
                  ─▶ config.load() the new text from a temp file beside the original
                  ─▶ os.replace(): the file is the old one or the new valid one, never half

tomlkit keeps the comments and blank lines written above a `[[feeds]]` header in the body
of the table *before* it. Adding or removing a table moves them so that each stays above
the table (or section) it was written for. No comment is ever deleted, not even one that
described a removed feed: only the user knows what it was about.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, Comment, Item, Key, Table, Whitespace

from monitor import config as config_module
from monitor.exceptions import ConfigError, ConfigProblem
from monitor.types import FeedConfig

__all__ = ["NewFeed", "add_feeds", "conflicts", "no_such_feed", "remove_feed", "same_url", "unique_name"]

# `no_such_feed` lists the names to choose from when there are at most this many: a line a
# person reads at once; beyond, it names the commands that list them.
MAX_NAMES_SHOWN = 12

_Entry = tuple[Key | None, Item]
_BARE_LF = re.compile(r"(?<!\r)\n")


@dataclass(frozen=True, slots=True)
class NewFeed:
    """A `[[feeds]]` table to write; from the feeds commands to `add_feeds`."""

    name: str
    url: str
    official: bool = False
    interval: str | None = None  # as the user wrote it ("10m"); None leaves the default


def same_url(a: str, b: str) -> bool:
    """True when two feed URLs are the same once canonicalised (case, default port, trackers).

    The config's own rule (config.feed_url_key), so `feeds add` refuses exactly the
    duplicates that `check-config` reports.
    """
    return config_module.feed_url_key(a) == config_module.feed_url_key(b)


def unique_name(wanted: str, taken: Iterable[str]) -> str:
    """`wanted`, or "wanted (2)", "wanted (3)"… whichever is not in `taken`."""
    names = set(taken)
    candidate, n = wanted, 1
    while candidate in names:
        n += 1
        candidate = f"{wanted} ({n})"
    return candidate


def conflicts(name: str | None, url: str, existing: Sequence[FeedConfig]) -> list[ConfigProblem]:
    """Why a feed called `name` (None: not chosen yet) at `url` cannot join `existing`."""
    problems = []
    for i, other in enumerate(existing):
        if name is not None and other.name == name:
            problems.append(
                ConfigProblem(
                    f"feeds[{i}].name",
                    f"{name!r} is already the name of the feed at {other.url}; choose another name",
                )
            )
        if same_url(other.url, url):
            problems.append(
                ConfigProblem(
                    f"feeds[{i}].url",
                    f"{url} is already configured as feed {other.name!r}; "
                    f"to replace it, run `monitor feeds remove {other.name!r}` first",
                )
            )
    return problems


def add_feeds(path: Path, feeds: Sequence[NewFeed]) -> config_module.Config:
    """Append a `[[feeds]]` table per feed to the config at `path`; return the new config.

    Raises ConfigError, leaving the file unchanged, when the current file is invalid, a
    name or URL is taken, or the result would not load.
    """
    config = config_module.load(path, secrets=False)
    text, doc = _read(path)
    problems: list[ConfigProblem] = []
    known = list(config.feeds)
    for feed in feeds:
        problems += conflicts(feed.name, feed.url, known)
        known.append(FeedConfig(feed.name, feed.url))
    if problems:
        raise ConfigError(str(path), problems)
    _append_tables(doc, [_table(feed) for feed in feeds])
    return _write(path, text, _dumps(doc, text))


def remove_feed(path: Path, name: str) -> FeedConfig:
    """Remove the `[[feeds]]` table named `name` from the config at `path`; return that feed.

    Raises ConfigError, leaving the file unchanged, when there is no such feed or the
    current file is invalid.
    """
    feed = config_module.load(path, secrets=False).feed(name)
    text, doc = _read(path)
    aot = _feeds_aot(doc, path)
    tables = aot.body if aot is not None else []
    index = next((i for i, t in enumerate(tables) if str(t.get("name", "")).strip() == name), None)
    if feed is None or aot is None or index is None:
        names = [str(t.get("name", "")).strip() for t in tables]
        raise ConfigError(str(path), [ConfigProblem("feeds", no_such_feed(name, names))])
    _remove_table(doc, aot, index)
    _write(path, text, _dumps(doc, text))
    return feed


def no_such_feed(name: str, known: Sequence[str]) -> str:
    """Why a feed name is refused, in the same words for every command (`feeds remove`,
    `items --feed`): the names it could have been (`known`, the command's own choices), or
    the commands that list them."""
    if not known:
        return f"no such feed {name!r}; there are no feeds yet: `monitor feeds add URL` adds one"
    if len(known) > MAX_NAMES_SHOWN:
        return (
            f"no such feed {name!r}; there are {len(known)} feeds: `monitor feeds export` lists"
            " those in the config, `monitor feeds` those polled"
        )
    return f"no such feed {name!r}; the feeds are: " + ", ".join(repr(n) for n in known)


# --- reading and writing ---------------------------------------------------------------


def _read(path: Path) -> tuple[str, tomlkit.TOMLDocument]:
    """The file's text, exactly (line endings included), and its tomlkit document."""
    text = path.read_bytes().decode("utf-8")  # `load` has already read it once successfully
    doc = tomlkit.parse(text)
    if tomlkit.dumps(doc) != text:
        # tomlkit regroups [[feeds]] tables that are interleaved with other tables.
        raise ConfigError(
            str(path),
            [
                ConfigProblem(
                    "feeds",
                    "this file's layout cannot be kept when editing it (tomlkit would reorder it); "
                    "put all [[feeds]] tables next to each other, or edit the file by hand",
                )
            ],
        )
    return text, doc


def _dumps(doc: tomlkit.TOMLDocument, old: str) -> str:
    """The edited document, in the line endings of the original (tomlkit writes "\n")."""
    new = tomlkit.dumps(doc)
    if "\r\n" in old and _BARE_LF.search(old) is None:
        return _BARE_LF.sub("\r\n", new)
    return new


def _write(path: Path, old: str, new: str) -> config_module.Config:
    """Validate `new` with config.load from a temp file beside `path`, then swap it in."""
    target = path.resolve()  # a symlinked config keeps its link; its target is replaced
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise ConfigError(str(path), [ConfigProblem("", f"cannot write beside the file: {e}")]) from e
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        config = _validate(temp, path)
        if target.read_bytes().decode("utf-8") != old:
            raise ConfigError(
                str(path),
                [ConfigProblem("", "the file changed while it was being edited; run the command again")],
            )
        os.chmod(temp, stat.S_IMODE(target.stat().st_mode))  # keep a 0600 config 0600
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return dataclasses.replace(config, source=path)


def _validate(temp: Path, path: Path) -> config_module.Config:
    try:
        return config_module.load(temp, secrets=False)
    except ConfigError as e:
        note = ConfigProblem("", "the file was not changed")
        raise ConfigError(str(path), [*e.problems, note]) from None


# --- tomlkit surgery -------------------------------------------------------------------


def _feeds_aot(doc: tomlkit.TOMLDocument, path: Path) -> AoT | None:
    """The document's `[[feeds]]` array of tables, None when there is none."""
    if "feeds" not in doc:
        return None
    value = doc.item("feeds")
    if not isinstance(value, AoT):
        raise ConfigError(
            str(path),
            [
                ConfigProblem(
                    "feeds", "is written as an inline array; write each feed as a [[feeds]] table to edit it"
                )
            ],
        )
    return value


def _table(feed: NewFeed) -> Table:
    table = tomlkit.table()
    table.add("name", feed.name)
    table.add("url", feed.url)
    if feed.official:
        table.add("official", True)
    if feed.interval:
        table.add("interval", feed.interval)
    return table


def _append_tables(doc: tomlkit.TOMLDocument, tables: Sequence[Table]) -> None:
    """Add `tables` after the last `[[feeds]]` table, before what follows it."""
    if not tables:
        return
    aot = _feeds_aot(doc, Path())
    if aot is None or not aot.body:
        new = tomlkit.aot()
        for table in tables:
            new.append(table)
        doc.append("feeds", new)
        return
    # The last table's trailing comments introduce what comes after the feeds: they move
    # down, below the new tables.
    trailing = _pop_trailing(aot.body[-1])
    for table in tables:
        table.trivia.indent = "\n"  # a blank line before each header, as in the shipped config
        aot.append(table)
    for _key, item in trailing:
        tables[-1].value.append(None, item)
    if not trailing:
        _end_with_newline(tables[-1])


def _remove_table(doc: tomlkit.TOMLDocument, aot: AoT, index: int) -> None:
    """Delete table `index`, keeping the comments below it above what followed it."""
    trailing = _pop_trailing(aot.body[index])
    if index + 1 < len(aot.body):
        _put_before(aot.body[index + 1], trailing)
    elif index > 0:
        _put_after(aot.body[index - 1], trailing)
    del aot[index]
    if not aot.body:
        _remove_empty_aot(doc, trailing)


def _remove_empty_aot(doc: tomlkit.TOMLDocument, trailing: list[_Entry]) -> None:
    """Drop `feeds` once its last table is gone; its trailing comments stay where they were."""
    position = next(i for i, (key, _) in enumerate(doc.body) if key is not None and key.key == "feeds")
    before = [_table_of(item, last=True) for _, item in doc.body[:position]]
    after = [_table_of(item, last=False) for _, item in doc.body[position + 1 :]]
    doc.remove("feeds")
    previous = next((t for t in reversed(before) if t is not None), None)
    following = next((t for t in after if t is not None), None)
    if not trailing:
        return
    if following is not None:
        _put_before(following, trailing)
    elif previous is not None:
        _put_after(previous, trailing)
    else:
        for _key, item in trailing:
            doc.append(None, item)


def _table_of(item: Item, *, last: bool) -> Table | None:
    """`item` if it is a table; the last or first table of an array of tables; else None."""
    if isinstance(item, AoT):
        return (item.body[-1] if last else item.body[0]) if item.body else None
    return item if isinstance(item, Table) else None


def _put_before(table: Table, trivia: list[_Entry]) -> None:
    """Render `trivia` just above the table's header, instead of a blank-only gap there."""
    if trivia:
        indent = table.trivia.indent
        table.trivia.indent = _text(trivia) + ("" if indent.strip() == "" else indent)


def _put_after(table: Table, trivia: list[_Entry]) -> None:
    """Append `trivia` to the table's body, instead of blank lines already ending it."""
    own = _pop_trailing(table)
    if _text(own).strip():
        trivia = own + trivia  # the table's own comments stay, above the moved ones
    for _key, item in trivia:
        table.value.append(None, item)


def _pop_trailing(table: Table) -> list[_Entry]:
    """Remove and return the comments and blank lines after the table's last key."""
    body: list[_Entry] = table.value.body
    end = len(body)
    while end and body[end - 1][0] is None and isinstance(body[end - 1][1], Comment | Whitespace):
        end -= 1
    trailing = body[end:]
    del body[end:]
    return trailing


def _end_with_newline(table: Table) -> None:
    container: Container = table.value
    if not container.as_string().endswith("\n"):
        container.append(None, tomlkit.nl())


def _text(entries: Sequence[_Entry]) -> str:
    return "".join(item.as_string() for _, item in entries)
