"""`monitor feeds add/remove/import/export` against real loopback servers and real config files."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from monitor import cli_feeds, config_edit, discover, opml
from monitor import config as config_module
from monitor.cli import cli
from monitor.exceptions import OpmlError
from monitor.loopback import FeedServer, rss

CONFIG = """\
# My monitor: the comments and layout of this file must survive every edit.
database = "m.db"   # beside this file

# The wire service, first and fastest.
[[feeds]]
name = "Wire"      # keep this name
url = "http://127.0.0.1:9/feed.xml"  # the discard port: polls fail fast
interval = "5m"

# Where alerts go (not yet):
# [[webhooks]]
# url = "https://example.org/hook"
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Blog</title><id>urn:blog</id>
<updated>2025-11-20T12:00:00Z</updated>
<entry><title>Hello</title><id>urn:blog:1</id><link href="http://example.org/1"/>
<updated>2025-11-20T12:00:00Z</updated></entry></feed>"""

HTML = "text/html; charset=utf-8"


def feed(title: str, n: int = 2) -> bytes:
    return rss(
        title,
        [{"title": f"{title} {i}", "link": f"http://example.org/{i}", "guid": str(i)} for i in range(n)],
    )


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), obj={})


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def config(write_config: Callable[[str], Path]) -> Path:
    return write_config(CONFIG)


def feeds_of(path: Path) -> list[tuple[str, str]]:
    return [(f.name, f.url) for f in config_module.load(path).feeds]


def assert_lines_kept(original: str, edited: str) -> None:
    """Every line of `original` is still in `edited`, in the same order."""
    rest = iter(edited.splitlines())
    for line in original.splitlines():
        assert any(line == candidate for candidate in rest), f"lost or moved: {line!r}\n---\n{edited}"


# --- add -----------------------------------------------------------------------------


def test_add_a_feed_url(server: FeedServer, config: Path) -> None:
    server.put("/news.xml", feed("Example News"))
    url = server.url("/news.xml")
    result = run("feeds", "add", url, "--interval", "15m", "--official", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert f"added feed 'Example News' ({url}, 2 entries now)" in result.output
    loaded = config_module.load(config)
    assert [(f.name, f.url) for f in loaded.feeds] == [
        ("Wire", "http://127.0.0.1:9/feed.xml"),
        ("Example News", url),
    ]
    added = loaded.feed("Example News")
    assert added is not None
    assert added.official
    assert added.interval.total_seconds() == 900
    text = config.read_text(encoding="utf-8")
    assert_lines_kept(CONFIG, text)
    # The new table goes after the last feed, above the comments that introduce what follows.
    assert text.index('name = "Example News"') < text.index("# Where alerts go")


def test_add_then_remove_gives_back_the_same_file(server: FeedServer, config: Path) -> None:
    server.put("/news.xml", feed("Example News"))
    assert run("feeds", "add", server.url("/news.xml"), "--config", str(config)).exit_code == 0
    assert run("feeds", "remove", "Example News", "--config", str(config)).exit_code == 0
    assert config.read_text(encoding="utf-8") == CONFIG


def test_add_a_web_page_adds_the_feed_it_links_to(server: FeedServer, config: Path) -> None:
    page = """<!doctype html><html><head><title>Blog</title>
      <link rel="stylesheet" href="/style.css">
      <link rel="alternate" type="text/xml" href="/legacy.xml">
      <link rel="Alternate" type="application/atom+xml" title="Atom" href="../feeds/atom.xml">
      <link rel="alternate" type="application/rss+xml" href="/feeds/rss.xml">
      </head><body>…</body></html>"""
    server.put("/blog/index.html", page.encode(), HTML)
    server.put("/feeds/atom.xml", ATOM, "application/atom+xml")
    result = run("feeds", "add", server.url("/blog/index.html"), "--config", str(config))
    assert result.exit_code == 0, result.output
    atom = server.url("/feeds/atom.xml")  # the relative href, resolved against the page
    assert f"it links to the feed {atom}" in result.output
    assert f"also links to: {server.url('/feeds/rss.xml')}, {server.url('/legacy.xml')}" in result.output
    assert feeds_of(config)[-1] == ("Atom Blog", atom)


def test_add_a_page_without_a_feed_fails_and_leaves_the_config(server: FeedServer, config: Path) -> None:
    server.put("/about", b"<html><head><title>About us</title></head><body>Hi</body></html>", HTML)
    result = run("feeds", "add", server.url("/about"), "--config", str(config))
    assert result.exit_code == 1
    assert "is a web page that links to no feed" in result.output
    assert "Traceback" not in result.output
    assert config.read_text(encoding="utf-8") == CONFIG


def test_add_a_url_that_fails_leaves_the_config(server: FeedServer, config: Path) -> None:
    result = run("feeds", "add", server.url("/missing.xml"), "--config", str(config))
    assert result.exit_code == 1
    assert "HTTP 404" in result.output
    assert config.read_text(encoding="utf-8") == CONFIG


def test_add_a_duplicate_exits_2_naming_it(server: FeedServer, config: Path) -> None:
    server.put("/news.xml", feed("Example News"))
    # The same URL once canonicalised (host case, tracking parameters): refused before fetching.
    result = run("feeds", "add", "HTTP://127.0.0.1:9/feed.xml?utm_source=x", "--config", str(config))
    assert result.exit_code == 2
    assert "already configured as feed 'Wire'" in result.output
    result = run("feeds", "add", server.url("/news.xml"), "--name", "Wire", "--config", str(config))
    assert result.exit_code == 2
    assert "'Wire' is already the name of the feed at http://127.0.0.1:9/feed.xml" in result.output
    assert server.requests == 0
    assert config.read_text(encoding="utf-8") == CONFIG


def test_a_default_name_that_is_taken_is_made_unique(server: FeedServer, config: Path) -> None:
    server.put("/a.xml", feed("Wire"))
    assert run("feeds", "add", server.url("/a.xml"), "--config", str(config)).exit_code == 0
    assert [name for name, _ in feeds_of(config)] == ["Wire", "Wire (2)"]


def test_bad_options_exit_2_before_any_fetch(server: FeedServer, config: Path) -> None:
    server.put("/news.xml", feed("Example News"))
    result = run("feeds", "add", server.url("/news.xml"), "--interval", "30s", "--config", str(config))
    assert result.exit_code == 2
    assert "shorter than the minimum 60s" in result.output
    assert run("feeds", "add", server.url("/news.xml"), "--name", " ", "--config", str(config)).exit_code == 2
    assert server.requests == 0
    assert config.read_text(encoding="utf-8") == CONFIG


def test_an_invalid_config_is_not_edited(server: FeedServer, write_config: Callable[[str], Path]) -> None:
    broken = CONFIG.replace('interval = "5m"', 'interval = "soon"')
    path = write_config(broken)
    server.put("/news.xml", feed("Example News"))
    result = run("feeds", "add", server.url("/news.xml"), "--config", str(path))
    assert result.exit_code == 2
    assert "feeds[0].interval" in result.output
    assert path.read_text(encoding="utf-8") == broken


def test_interleaved_tables_are_refused_rather_than_reordered(
    server: FeedServer, write_config: Callable[[str], Path]
) -> None:
    # tomlkit would move the second [[feeds]] above [[webhooks]]: refuse, keep the file.
    text = (
        'database = "m.db"\n[[feeds]]\nname = "A"\nurl = "http://a.invalid/"\n'
        '[[webhooks]]\nurl = "http://h.invalid/"\nsecret_env = "MONITOR_TEST_SECRET"\n'
        '[[feeds]]\nname = "B"\nurl = "http://b.invalid/"\n'
    )
    path = write_config(text)
    result = run("feeds", "remove", "A", "--config", str(path))
    assert result.exit_code == 2
    assert path.read_text(encoding="utf-8") == text


# --- remove --------------------------------------------------------------------------


def test_remove_keeps_comments_and_stored_items(server: FeedServer, config: Path) -> None:
    server.put("/news.xml", feed("Example News", n=3))
    assert run("feeds", "add", server.url("/news.xml"), "--config", str(config)).exit_code == 0
    assert run("run", "--once", "--config", str(config)).exit_code == 0
    stored = json.loads(run("items", "--json", "--feed", "Example News", "--config", str(config)).output)
    assert len(stored) == 3

    result = run("feeds", "remove", "Example News", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "its stored items stay in the database" in result.output
    assert [name for name, _ in feeds_of(config)] == ["Wire"]
    assert_lines_kept(CONFIG, config.read_text(encoding="utf-8"))
    again = json.loads(run("items", "--json", "--feed", "Example News", "--config", str(config)).output)
    assert [item["id"] for item in again] == [item["id"] for item in stored]
    assert run("run", "--once", "--config", str(config)).exit_code == 0
    table = run("feeds", "--config", str(config)).output.splitlines()
    removed = next(line for line in table if line.startswith("Example News"))
    assert "(removed)" in removed  # not a next poll that will never come
    listed = {r["name"]: r for r in json.loads(run("feeds", "--json", "--config", str(config)).output)}
    assert listed["Example News"]["active"] is False
    result = run("items", "--feed", "Example Newz", "--config", str(config))
    assert result.exit_code == 2  # a typo is not a quiet feed; the removed one is listed too
    assert "no such feed 'Example Newz'; the feeds are: 'Example News', 'Wire'" in result.output

    result = run("feeds", "remove", "Nope", "--config", str(config))
    assert result.exit_code == 2
    assert "feeds: no such feed 'Nope'; the feeds are: 'Wire'" in result.output


@pytest.mark.parametrize("count", [0, 1, config_edit.MAX_NAMES_SHOWN + 1])
def test_an_unknown_name_gets_the_same_words_from_remove_and_items(
    write_config: Callable[[str], Path], count: int
) -> None:
    """A user audit: `items --feed` said "no such feed" with its own hint, `feeds remove`
    "no feed named" with another; one helper now words both."""
    tables = "".join(f'[[feeds]]\nname = "f{n}"\nurl = "http://127.0.0.1:9/{n}.xml"\n' for n in range(count))
    path = write_config(f'database = "m.db"\n{tables}')
    assert run("run", "--once", "--config", str(path)).exit_code == 0  # the database `items` reads
    said = []
    for command in (["feeds", "remove", "Nope"], ["items", "--feed", "Nope"]):
        result = run(*command, "--config", str(path))
        assert result.exit_code == 2, result.output
        said.append(re.search(r"no such feed 'Nope'.*", result.output).group())  # type: ignore[union-attr]
    assert said[0] == said[1] == config_edit.no_such_feed("Nope", [f"f{n}" for n in range(count)])


def test_the_listing_still_works_and_takes_its_options(server: FeedServer, config: Path) -> None:
    server.put("/news.xml", feed("Example News"))
    assert run("feeds", "add", server.url("/news.xml"), "--config", str(config)).exit_code == 0
    assert run("run", "--once", "--config", str(config)).exit_code == 0
    rows = json.loads(run("feeds", "--json", "--config", str(config)).output)
    assert {row["name"]: row["status"] for row in rows} == {"Wire": None, "Example News": 200}
    assert run("feeds", "--csv", "--config", str(config)).output.startswith("name,")


# --- export and import ---------------------------------------------------------------


def test_export_then_import_round_trips(server: FeedServer, tmp_path: Path) -> None:
    names = ["Alpha & Omega", "Beta", "Γάμμα"]
    for i in range(len(names)):
        server.put(f"/{i}.xml?x=1&y=2", feed(f"title {i}"))
    source = tmp_path / "a" / "monitor.toml"
    source.parent.mkdir()
    tables = (
        f'\n[[feeds]]\nname = "{n}"\nurl = "{server.url(f"/{i}.xml?x=1&y=2")}"\n' for i, n in enumerate(names)
    )
    source.write_text('database = "m.db"\n' + "".join(tables), encoding="utf-8")
    exported = tmp_path / "feeds.opml"
    result = run("feeds", "export", "--output", str(exported), "--config", str(source))
    assert result.exit_code == 0, result.output
    assert run("feeds", "export", "--config", str(source)).stdout.encode() == exported.read_bytes()

    target = tmp_path / "b" / "monitor.toml"
    target.parent.mkdir()
    target.write_text('database = "m.db"\n')
    result = run("feeds", "import", str(exported), "--config", str(target))
    assert result.exit_code == 0, result.output
    assert "3 feeds: added 3, skipped 0, failed 0" in result.output
    assert feeds_of(target) == feeds_of(source)

    result = run("feeds", "import", str(exported), "--config", str(target))  # a second time: all known
    assert "added 0, skipped 3, failed 0" in result.output
    assert "already configured as 'Beta'" in result.output


NESTED_OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>reader export</title></head><body>
  <outline text="News">
    <outline text="Wire again" type="rss" xmlUrl="http://127.0.0.1:9/feed.xml?utm_medium=rss"/>
    <outline text="World">
      <outline text="Good one" type="rss" xmlUrl="{good}"/>
      <outline title="Only a title" type="rss" xmlUrl="{atom}"/>
    </outline>
  </outline>
  <outline text="Tech" title="Tech">
    <outline text="Gone" type="rss" xmlUrl="{gone}"/>
    <outline text="A page" type="rss" xmlUrl="{page}"/>
    <outline text="Not web" type="rss" xmlUrl="ftp://example.org/feed"/>
    <outline text="Good one, twice" type="rss" xmlUrl="{good}"/>
  </outline>
</body></opml>"""


def test_import_nested_outlines_with_failures(server: FeedServer, config: Path, tmp_path: Path) -> None:
    server.put("/good.xml", feed("Good"))
    server.put("/atom.xml", ATOM, "application/atom+xml")
    server.put("/page", b"<html><body>not a feed</body></html>", HTML)
    file = tmp_path / "subs.opml"
    urls = {k: server.url(f"/{k}") for k in ("good.xml", "atom.xml", "gone.xml", "page")}
    file.write_text(
        NESTED_OPML.format(
            good=urls["good.xml"], atom=urls["atom.xml"], gone=urls["gone.xml"], page=urls["page"]
        ),
        encoding="utf-8",
    )
    result = run("feeds", "import", str(file), "--config", str(config))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "7 feeds: added 2, skipped 2, failed 3" in out
    assert (
        "skipped: 'Wire again' http://127.0.0.1:9/feed.xml?utm_medium=rss: already configured as 'Wire'"
        in out
    )
    assert (
        f"skipped: 'Good one, twice' {urls['good.xml']}: listed twice in the file (first as 'Good one')"
        in out
    )
    assert f"failed: 'Gone' {urls['gone.xml']}: HTTP 404" in out
    assert f"failed: 'A page' {urls['page']}: not a feed: text/html" in out
    assert "failed: 'Not web' ftp://example.org/feed: xmlUrl is not an http:// or https:// URL" in out
    assert feeds_of(config)[1:] == [("Good one", urls["good.xml"]), ("Only a title", urls["atom.xml"])]
    assert_lines_kept(CONFIG, config.read_text(encoding="utf-8"))


def test_import_without_check_fetches_nothing(server: FeedServer, config: Path, tmp_path: Path) -> None:
    file = tmp_path / "subs.opml"
    file.write_bytes(opml.write([("", server.url("/x.xml")), ("Y", server.url("/y.xml"))]))
    result = run("feeds", "import", "--no-check", str(file), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "added 2, skipped 0, failed 0" in result.output
    assert server.requests == 0
    assert [name for name, _ in feeds_of(config)] == ["Wire", "127.0.0.1", "Y"]  # no name: the host


def test_import_says_which_feeds_it_renamed(server: FeedServer, config: Path, tmp_path: Path) -> None:
    """A name already taken is made unique, and the summary says so: the user looks for
    the name of their OPML and must learn the feed is under another."""
    for name in ("x", "y", "z"):
        server.put(f"/{name}.xml", feed(name))
    server.put("/untitled.xml", feed("Wire"))
    urls = [server.url(f"/{n}.xml") for n in ("x", "y", "z")]
    untitled = server.url("/untitled.xml")  # no name in the OPML: its title, taken too
    file = tmp_path / "subs.opml"
    file.write_bytes(opml.write([("Wire", urls[0]), ("Wire", urls[1]), ("Beta", urls[2]), ("", untitled)]))
    result = run("feeds", "import", str(file), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "4 feeds: added 4, skipped 0, failed 0" in result.output
    renamed = [line.strip() for line in result.output.splitlines() if "renamed" in line]
    assert renamed == [
        f"renamed: 'Wire' {urls[0]}: the name is taken; added as 'Wire (2)'",
        f"renamed: 'Wire' {urls[1]}: the name is taken; added as 'Wire (3)'",
        f"renamed: 'Wire' {untitled}: the name is taken; added as 'Wire (4)'",
    ]
    assert [name for name, _ in feeds_of(config)] == ["Wire", "Wire (2)", "Wire (3)", "Beta", "Wire (4)"]


def test_the_progress_bar_is_on_stderr_and_honours_no_color(
    server: FeedServer, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_feeds, "Console", functools.partial(Console, force_terminal=True))
    monkeypatch.setenv("NO_COLOR", "1")
    server.put("/good.xml", feed("Good"))
    file = tmp_path / "subs.opml"
    file.write_bytes(opml.write([("Good", server.url("/good.xml"))]))
    result = run("feeds", "import", str(file), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "checking feeds" in result.stderr
    assert result.stdout == ""
    assert re.search(r"\x1b\[(?:3\d|9\d|38;)", result.stderr) is None  # no colour codes


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><body><outline text="&lol3;" xmlUrl="http://example.org/feed"/></body></opml>"""


def test_an_opml_with_an_entity_declaration_is_refused(config: Path, tmp_path: Path) -> None:
    file = tmp_path / "evil.opml"
    file.write_bytes(BILLION_LAUGHS)
    result = run("feeds", "import", "--no-check", str(file), "--config", str(config))
    assert result.exit_code == 2
    assert "DOCTYPE and entity declarations refused" in result.output
    assert config.read_text(encoding="utf-8") == CONFIG


def test_not_opml_is_refused(config: Path, tmp_path: Path) -> None:
    file = tmp_path / "feed.xml"
    file.write_bytes(feed("x"))
    result = run("feeds", "import", str(file), "--config", str(config))
    assert result.exit_code == 2
    assert "not OPML: the root element is <rss>" in result.output


# --- the pure modules ----------------------------------------------------------------


def test_feed_links_honour_base_rel_tokens_and_preference() -> None:
    page = """<html><head><base href="https://cdn.example.org/site/">
      <link rel="alternate feed" type="application/rss+xml; charset=utf-8" href="rss.xml#top">
      <link rel="alternate" type="application/feed+json" href="feed.json">
      <link rel="alternate" type="application/rdf+xml" href="/rdf">
      <link rel="alternate" type="application/atom+xml" href="https://other.example/atom">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
      <link rel="alternate" type="application/rss+xml" href="rss.xml">"""
    links = discover.feed_links(page, "https://example.org/post/1")
    assert [(link.url, link.preferred) for link in links] == [
        ("https://cdn.example.org/site/rss.xml", True),
        ("https://other.example/atom", True),
        ("https://cdn.example.org/rdf", False),
    ]


def test_opml_read_keeps_categories_and_refuses_external_entities() -> None:
    feeds = opml.read(
        NESTED_OPML.format(good="http://g/", atom="http://a/", gone="http://x/", page="http://p/").encode()
    )
    assert [(f.name, f.category) for f in feeds][:3] == [
        ("Wire again", "News"),
        ("Good one", "News/World"),
        ("Only a title", "News/World"),
    ]
    with pytest.raises(OpmlError, match="DOCTYPE"):
        opml.read(b'<!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml/>')
    with pytest.raises(OpmlError, match="not well-formed"):
        opml.read(b"<opml><body>")


def test_config_edit_keeps_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_bytes(CONFIG.replace("\n", "\r\n").encode())
    config_edit.add_feeds(path, [config_edit.NewFeed("New", "http://new.invalid/")])
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    config_edit.remove_feed(path, "New")
    assert path.read_bytes() == CONFIG.replace("\n", "\r\n").encode()
