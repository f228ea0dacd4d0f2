"""End to end: a real feed server on 127.0.0.1, the real `monitor` command, a real SQLite file.

RSS 2.0, Atom 1.0, RSS 1.0 and an ISO-8859-1 feed, all with ETags; `monitor run --once`
stores their items; `monitor items --json` shows them; a second run gets 304s and stores
nothing new.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from monitor.loopback import FeedServer
from tests.conftest import SECRET
from tests.receiver import Receiver

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title>
<item><title>Markets rally as &lt;b&gt;chip&lt;/b&gt; stocks climb</title>
<link>https://wire.example/markets-rally?utm_source=rss&amp;id=7</link>
<description>&lt;p&gt;Stocks rose on &lt;i&gt;Tuesday&lt;/i&gt;.&lt;/p&gt;</description>
<pubDate>Tue, 11 Nov 2025 13:25:00 GMT</pubDate><guid>wire-1</guid></item>
<item><title>Second wire story</title><link>https://wire.example/second</link>
<description>Plain text.</description><pubDate>Tue, 11 Nov 2025 14:00:00 +0100</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:blog</id>
<updated>2025-11-12T10:00:00Z</updated>
<entry><id>urn:blog:1</id><title type="html">Caf&#233; &amp;amp; research</title>
<link rel="alternate" href="https://blog.example/cafe#comments"/>
<updated>2025-11-12T10:00:00Z</updated><summary>World models, explained.</summary></entry>
</feed>"""

RSS1 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example/"><title>RDF</title><link>https://rdf.example/</link>
<description>d</description></channel>
<item rdf:about="https://rdf.example/a"><title>RDF item</title><link>https://rdf.example/a</link>
<description>An RSS 1.0 entry.</description><dc:date>2025-11-10T08:00:00Z</dc:date></item>
</rdf:RDF>"""

LATIN1 = """<?xml version="1.0" encoding="iso-8859-1"?>
<rss version="2.0"><channel><title>Journal</title>
<item><title>Yann LeCun quitterait Meta, selon la presse : réactions à Paris</title>
<link>https://journal.example/lecun</link><description>Le chercheur français a été cité.</description>
<pubDate>Wed, 12 Nov 2025 09:00:00 +0100</pubDate><guid>j-1</guid></item>
</channel></rss>""".encode("iso-8859-1")


def monitor(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONITOR_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_poll_store_query_and_conditional_get(write_config: Callable[[str], Path]) -> None:
    with FeedServer() as server:
        docs = {"/rss2.xml": RSS2, "/atom.xml": ATOM, "/rss1.xml": RSS1, "/latin1.xml": LATIN1}
        for path, body in docs.items():
            server.put(path, body, "application/xml")
        feeds = "\n".join(
            f'[[feeds]]\nname = "{path.strip("/").split(".")[0]}"\nurl = "{server.url(path)}"\n'
            for path in docs
        )
        config = write_config(f'database = "e2e.db"\n{feeds}')

        first = monitor("run", "--once", config=config)
        assert first.returncode == 0, first.stderr
        items = json.loads(monitor("items", "--json", config=config).stdout)
        assert len(items) == 5
        by_title = {i["title"]: i for i in items}

        wire = by_title["Markets rally as chip stocks climb"]
        assert wire["feed"] == "rss2"
        assert wire["summary"] == "Stocks rose on Tuesday."
        assert wire["published"] == "2025-11-11T13:25:00Z"
        assert wire["link"].startswith("https://wire.example/markets-rally")
        assert wire["canonical_link"] == "https://wire.example/markets-rally?id=7"
        assert by_title["Second wire story"]["published"] == "2025-11-11T13:00:00Z"  # +0100 → UTC
        assert by_title["Café & research"]["canonical_link"] == "https://blog.example/cafe"
        assert by_title["RDF item"]["published"] == "2025-11-10T08:00:00Z"
        french = by_title["Yann LeCun quitterait Meta, selon la presse : réactions à Paris"]
        assert french["summary"] == "Le chercheur français a été cité."
        for item in items:
            assert {"id", "feed", "title", "link", "published", "first_seen", "summary"} <= item.keys()
        assert [i["published"] for i in items] == sorted((i["published"] for i in items), reverse=True)

        requests_before = server.requests
        second = monitor("run", "--once", config=config)
        assert second.returncode == 0, second.stderr
        assert server.not_modified == len(docs)  # every feed answered 304 to our validators
        assert server.requests - requests_before == len(docs)
        assert len(json.loads(monitor("items", "--json", config=config).stdout)) == 5

        feeds_report = json.loads(monitor("feeds", "--json", config=config).stdout)
        assert {f["name"]: f["status"] for f in feeds_report} == {
            "rss2": 304,
            "atom": 304,
            "rss1": 304,
            "latin1": 304,
        }
        assert all(f["last_error"] is None and f["failures"] == 0 for f in feeds_report)
        assert {f["name"]: f["items"] for f in feeds_report} == {"rss2": 2, "atom": 1, "rss1": 1, "latin1": 1}

        searched = json.loads(monitor("items", "--json", "--search", "quitterait", config=config).stdout)
        assert [i["feed"] for i in searched] == ["latin1"]


def test_failing_feed_is_recorded_and_the_run_still_succeeds(write_config: Callable[[str], Path]) -> None:
    with FeedServer() as server:
        server.put("/ok.xml", RSS2)
        server.put("/page.html", b"<!doctype html><html><body>hello</body></html>", "text/html")
        config = write_config(
            f'database = "e2e.db"\n[[feeds]]\nname = "ok"\nurl = "{server.url("/ok.xml")}"\n'
            f'[[feeds]]\nname = "page"\nurl = "{server.url("/page.html")}"\n'
            f'[[feeds]]\nname = "gone"\nurl = "{server.url("/missing.xml")}"\n'
        )
        result = monitor("run", "--once", config=config)
        assert result.returncode == 0, result.stderr
        report = {f["name"]: f for f in json.loads(monitor("feeds", "--json", config=config).stdout)}
        assert report["ok"]["last_error"] is None
        assert report["ok"]["items"] == 2
        assert report["page"]["last_error"].startswith("not a feed")
        assert report["page"]["failures"] == 1
        # The server answered 200 with a web page: the status says what answered (it was
        # null, as if nothing had), the error why it is not a feed.
        assert report["page"]["status"] == 200
        table = monitor("feeds", config=config).stdout.splitlines()
        assert next(line for line in table if line.startswith("page")).split()[1] == "200"
        assert report["gone"]["status"] == 404
        assert "404" in report["gone"]["last_error"]


def _shared_guid_feed(extra: str = "") -> bytes:
    # Scripting News gave two posts of a day the guid of the day's page (shared/feeds).
    guid = "<guid>http://scripting.com/2017/06/25.html#a080631</guid>"
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Scripting</title>'
        f"{extra}"
        f"<item><title>Dropbox could be king</title><description>In 2015 I wrote.</description>{guid}"
        "<pubDate>Sun, 25 Jun 2017 12:32:31 GMT</pubDate></item>"
        f"<item><title>Good morning</title><description>Good morning, Internet.</description>{guid}"
        "<pubDate>Sun, 25 Jun 2017 12:27:31 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()


def test_entries_sharing_a_guid_are_both_kept_and_not_rewritten_at_each_poll(
    write_config: Callable[[str], Path],
) -> None:
    with FeedServer() as server:
        server.put("/scripting.xml", _shared_guid_feed())
        config = write_config(
            f'database = "e2e.db"\n[[feeds]]\nname = "scripting"\nurl = "{server.url("/scripting.xml")}"\n'
        )
        first = monitor("run", "--once", config=config)
        assert "2 new items, 0 updated" in first.stderr  # under one key, the second overwrote the first
        server.put(
            "/scripting.xml",
            _shared_guid_feed(
                "<item><title>A new post</title><guid>http://scripting.com/2017/06/26.html#a1</guid>"
                "<pubDate>Mon, 26 Jun 2017 09:00:00 GMT</pubDate></item>"
            ),
        )
        second = monitor("run", "--once", config=config)
        assert second.returncode == 0, second.stderr
        assert "1 new items, 0 updated" in second.stderr  # the other two are known as they were
        items = json.loads(monitor("items", "--json", config=config).stdout)
        assert sorted(i["title"] for i in items) == ["A new post", "Dropbox could be king", "Good morning"]
        assert all(i.get("updated") is None for i in items)  # neither overwrote the other


def test_an_entry_keyed_beside_a_namesake_is_found_again_when_shown_alone_and_the_reverse(
    write_config: Callable[[str], Path],
) -> None:
    """A document shows two entries under one guid, the next only one of them: it is the
    entry stored at the first poll, not a new item; and an article stored alone under a
    recycled guid is found again when the document later shows it beside the other."""
    both = _shared_guid_feed()
    morning_only = both[: both.index(b"<item>")] + both[both.index(b"<item><title>Good") :]
    with FeedServer() as server:
        server.put("/s.xml", both)
        config = write_config(f'database = "e2e.db"\n[[feeds]]\nname = "s"\nurl = "{server.url("/s.xml")}"\n')
        assert "2 new items, 0 updated" in monitor("run", "--once", config=config).stderr
        server.put("/s.xml", morning_only)
        alone = monitor("run", "--once", config=config)
        assert "0 new items, 0 updated" in alone.stderr, alone.stderr  # before: 1 new (stored twice)
        server.put("/s.xml", morning_only.replace(b"Good morning, Internet.", b"Good morning, Internet!"))
        assert "0 new items, 1 updated" in monitor("run", "--once", config=config).stderr  # an edit of it
        assert len(json.loads(monitor("items", "--json", config=config).stdout)) == 2
    rally = _wire("Markets rally as chip stocks climb", "Stocks rose.", "https://n.example/rally", "latest")
    storm = _wire("Storm closes airports", "Flights were grounded.", "https://n.example/storm", "latest")
    both_articles = rally.replace(
        b"</channel>", storm[storm.index(b"<item>") : storm.index(b"</channel>")] + b"</channel>"
    )
    with FeedServer() as server:
        server.put("/n.xml", rally)
        config = write_config(f'database = "n.db"\n[[feeds]]\nname = "n"\nurl = "{server.url("/n.xml")}"\n')
        monitor("run", "--once", config=config)
        server.put("/n.xml", storm)  # the guid recycled: a new article
        assert "1 new items, 0 updated" in monitor("run", "--once", config=config).stderr
        server.put("/n.xml", both_articles)  # both at once: each keyed by its title and date
        together = monitor("run", "--once", config=config)
        assert "0 new items, 0 updated" in together.stderr, together.stderr  # before: 1 new (rally again)
        assert len(json.loads(monitor("items", "--json", config=config).stdout)) == 2


def test_an_entry_keyed_beside_a_namesake_then_shown_alone_and_edited_is_an_edit(
    write_config: Callable[[str], Path],
) -> None:
    """Two entries under one guid (and one link: the day's page) are keyed by title and
    date; the next document shows one alone with its headline edited, under neither key:
    it is that entry edited, not a third item, and the other keeps its text."""
    both = _shared_guid_feed()
    morning_only = both[: both.index(b"<item>")] + both[both.index(b"<item><title>Good") :]
    edited = morning_only.replace(b"<title>Good morning</title>", b"<title>Good morning!</title>")
    with FeedServer() as server:
        server.put("/s.xml", both)
        config = write_config(f'database = "e2e.db"\n[[feeds]]\nname = "s"\nurl = "{server.url("/s.xml")}"\n')
        monitor("run", "--once", config=config)
        server.put("/s.xml", edited)
        polled = monitor("run", "--once", config=config)
        assert "0 new items, 1 updated" in polled.stderr, polled.stderr  # before: 1 new, 0 updated
        assert "0 new items, 0 updated" in monitor("run", "--once", config=config).stderr  # found again
        items = json.loads(monitor("items", "--json", config=config).stdout)
        assert sorted(i["title"] for i in items) == ["Dropbox could be king", "Good morning!"]


def _wire(
    title: str,
    summary: str,
    link: str = "https://wire.example/lecun-meta",
    guid: str = "wire-lecun-1",
    date: str = "Wed, 12 Nov 2025 09:00:00 GMT",
) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        f"<item><title>{title}</title><description>{summary}</description>"
        f"<link>{link}</link><guid>{guid}</guid>"
        f"<pubDate>{date}</pubDate></item></channel></rss>"
    ).encode()


def test_a_guid_recycled_for_another_article_stores_each_article(
    write_config: Callable[[str], Path],
) -> None:
    """A feed that gives every new article the same guid (a "latest" slot) moves the link: each
    article is an item of its own, found again at later polls, and edited in place."""
    storm = "Storm closes airports across the north"
    rally = _wire(
        "Markets rally as chip stocks climb", "Stocks rose on Tuesday.", "https://n.example/rally", "latest"
    )
    second = _wire(
        storm, "Flights were grounded.", "https://n.example/storm", "latest", "Thu, 13 Nov 2025 09:00:00 GMT"
    )
    with FeedServer() as server:
        server.put("/latest.xml", rally)
        config = write_config(
            f'database = "e2e.db"\n[[feeds]]\nname = "n"\nurl = "{server.url("/latest.xml")}"\n'
        )
        assert "1 new items, 0 updated" in monitor("run", "--once", config=config).stderr
        server.put("/latest.xml", second)
        recycled = monitor("run", "--once", config=config)
        assert "1 new items, 0 updated" in recycled.stderr, recycled.stderr  # before: 0 new, 1 updated
        server.put("/latest.xml", second + b" ")  # a new ETag, the same entry
        assert "0 new items, 0 updated" in monitor("run", "--once", config=config).stderr
        edited = second.replace(b"grounded.", b"grounded until Friday.")
        server.put("/latest.xml", edited)
        assert "0 new items, 1 updated" in monitor("run", "--once", config=config).stderr
        server.put("/latest.xml", rally)  # the slot shows the first article again
        assert "0 new items, 0 updated" in monitor("run", "--once", config=config).stderr
        items = {i["title"]: i for i in json.loads(monitor("items", "--json", config=config).stdout)}
        assert sorted(items) == ["Markets rally as chip stocks climb", storm]
        assert items[storm]["summary"] == "Flights were grounded until Friday."
        assert items[storm]["earlier_versions"] == 1
        assert items["Markets rally as chip stocks climb"]["earlier_versions"] == 0
        found = json.loads(monitor("items", "--search", "airports", "--json", config=config).stdout)
        assert [i["title"] for i in found] == [storm]
        (shown,) = json.loads(
            monitor("items", "--search", "airports", "--versions", "--json", config=config).stdout
        )
        assert [(v["title"], v["summary"]) for v in shown["versions"]] == [(storm, "Flights were grounded.")]
        table = monitor("items", "--versions", config=config).stdout.splitlines()
        assert table[0].split()[-1] == "versions"
        row = next(line for line in table if "airports" in line)
        assert row.count(storm) == 2  # its title, and last the one its edit replaced
        assert row.endswith(storm)


def test_an_edited_item_is_compared_with_later_items_by_its_new_text(
    write_config: Callable[[str], Path],
) -> None:
    """After a wire story is rewritten in place, an outlet's copy of the new version is a
    duplicate of it: dedupe compares with what the item says now, not its first headline."""
    confirmed = "Yann LeCun confirms he is leaving Meta to start a new company"
    lead = "LeCun said on Wednesday he will leave Meta at the end of the year to found a start-up."
    with FeedServer() as server:
        server.put(
            "/wire.xml", _wire("Yann LeCun plans to leave Meta, sources say", "People familiar said so.")
        )
        server.put(
            "/copy.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>C</title></channel></rss>'
        )
        config = write_config(
            f'database = "e2e.db"\n[[feeds]]\nname = "wire"\nurl = "{server.url("/wire.xml")}"\n'
            f'[[feeds]]\nname = "copy"\nurl = "{server.url("/copy.xml")}"\n'
        )
        assert "1 new items, 0 updated" in monitor("run", "--once", config=config).stderr
        server.put("/wire.xml", _wire(confirmed, lead))
        assert "0 new items, 1 updated" in monitor("run", "--once", config=config).stderr
        server.put(
            "/copy.xml",
            _wire(confirmed, lead, "https://copy.example/lecun", "copy-1", "Wed, 12 Nov 2025 10:00:00 GMT"),
        )
        assert "1 new items, 0 updated" in monitor("run", "--once", config=config).stderr
        items = {i["feed"]: i for i in json.loads(monitor("items", "--json", config=config).stdout)}
        assert items["copy"]["duplicate_of"] == items["wire"]["id"]  # before: None (the old headline's key)


def test_a_story_updated_in_place_to_report_the_statement_alerts_once(
    write_config: Callable[[str], Path],
) -> None:
    """Wire services update a story under its guid as it develops: the edit that adds the
    statement must alert, and a later edit of that same statement must not alert again."""
    with FeedServer() as server, Receiver(SECRET) as receiver:
        server.put(
            "/wire.xml",
            _wire(
                "Yann LeCun plans to leave Meta, sources say",
                "LeCun is expected to found a world-model start-up, people familiar with the matter said.",
            ),
        )
        config = write_config(
            f'database = "e2e.db"\n[[feeds]]\nname = "wire"\nurl = "{server.url("/wire.xml")}"\n'
            f'[[webhooks]]\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
        )
        assert "0 alerts" in monitor("run", "--once", config=config).stderr
        statement = (
            "Yann LeCun said on Wednesday that he is leaving Meta at the end of the year to found a"
            ' start-up focused on world models. "I am creating a new company," LeCun wrote in a post.'
        )
        server.put(
            "/wire.xml", _wire("Yann LeCun confirms he is leaving Meta to start a new company", statement)
        )
        edited = monitor("run", "--once", config=config)
        assert "0 new items, 1 updated, 1 alerts" in edited.stderr, edited.stderr
        assert receiver.wait_for(1)
        server.put(
            "/wire.xml", _wire("Yann LeCun confirms he is leaving Meta to start a new company.", statement)
        )
        again = monitor("run", "--once", config=config)
        assert "0 new items, 1 updated, 0 alerts" in again.stderr, again.stderr
        assert len(receiver.requests) == 1
        assert receiver.requests[0].payload["data"]["speaker"] == "Yann LeCun"
        (alert,) = json.loads(monitor("alerts", "--json", config=config).stdout)
        assert alert["stance"] == "confirms"
        assert [d["state"] for d in alert["deliveries"]] == ["delivered"]
        table = monitor("alerts", config=config).stdout.splitlines()
        assert table[2].endswith("webhook delivered")  # the state, not JSON cut at 70 characters
        (item,) = json.loads(monitor("items", "--json", config=config).stdout)
        assert item["earlier_versions"] == 2  # the "sources say" headline and the first statement


# Read, but not as served: an unescaped "&" makes the XML not well-formed, so feedparser's
# loose parser reads it; a Latin-1 "été" in a UTF-8 document is read as windows-1252.
NOT_WELL_FORMED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Chips</title>'
    b"<item><title>Fish & Chips</title><link>https://chips.example/1</link><guid>c1</guid>"
    b"<pubDate>Tue, 11 Nov 2025 13:25:00 GMT</pubDate></item></channel></rss>"
)
STRAY_BYTE = (
    (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        "<item><title>杨立昆 à Paris</title><guid>w1</guid>"
        "<pubDate>Tue, 11 Nov 2025 13:25:00 GMT</pubDate></item><item><title>Unrelated "
    ).encode()
    + "été".encode("latin-1")
    + b"</title><guid>w2</guid></item></channel></rss>"
)


def test_what_the_parser_repaired_or_tolerated_is_logged_stored_and_shown_until_a_clean_poll(
    write_config: Callable[[str], Path],
) -> None:
    with FeedServer() as server:
        server.put("/chips.xml", NOT_WELL_FORMED)
        server.put("/wire.xml", STRAY_BYTE)
        server.put("/clean.xml", RSS2)
        urls = {name: server.url(f"/{name}.xml") for name in ("chips", "wire", "clean")}
        config = write_config(
            'database = "e2e.db"\n'
            + "".join(f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n' for name, url in urls.items())
        )

        first = monitor("run", "--once", config=config)
        assert first.returncode == 0, first.stderr
        warned = [line for line in first.stderr.splitlines() if " WARNING " in line]
        # One line a poll (the UTF-8 feed has two items), naming the feed and its URL.
        assert len(warned) == 2, first.stderr
        chips = next(line for line in warned if "'chips'" in line)
        assert urls["chips"] in chips
        assert "not well-formed (invalid token)" in chips
        wire = next(line for line in warned if "'wire'" in line)
        assert urls["wire"] in wire
        assert "2 byte(s) not valid UTF-8 read as windows-1252" in wire

        report = {f["name"]: f for f in json.loads(monitor("feeds", "--json", config=config).stdout)}
        assert report["chips"]["warnings"] == [
            "SAXParseException: <unknown>:1:105: not well-formed (invalid token)"
        ]
        assert report["wire"]["warnings"] == ["2 byte(s) not valid UTF-8 read as windows-1252"]
        assert report["clean"]["warnings"] == []
        assert all(f["last_error"] is None for f in report.values())  # read, not failed
        table = monitor("feeds", config=config).stdout
        assert "warnings" in table.splitlines()[0]
        assert "read as windows-1252" in next(line for line in table.splitlines() if line.startswith("wire"))

        # An unchanged document (304) still has what it had, and is not logged again.
        again = monitor("run", "--once", config=config)
        assert server.not_modified == 3
        assert " WARNING " not in again.stderr, again.stderr
        report = {f["name"]: f for f in json.loads(monitor("feeds", "--json", config=config).stdout)}
        assert report["wire"]["warnings"] == ["2 byte(s) not valid UTF-8 read as windows-1252"]
        assert report["chips"]["warnings"]

        # Fixed by the publisher: the next poll that reads the document clears them.
        server.put("/chips.xml", NOT_WELL_FORMED.replace(b" & ", b" &amp; "))
        server.put("/wire.xml", STRAY_BYTE.replace("été".encode("latin-1"), "été".encode()))
        fixed = monitor("run", "--once", config=config)
        assert fixed.returncode == 0, fixed.stderr
        assert " WARNING " not in fixed.stderr, fixed.stderr
        report = {f["name"]: f for f in json.loads(monitor("feeds", "--json", config=config).stdout)}
        assert {name: f["warnings"] for name, f in report.items()} == {"chips": [], "wire": [], "clean": []}
