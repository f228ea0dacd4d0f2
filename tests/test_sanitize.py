"""Text that reaches other systems: what we store and emit is plain text and web links only.

Fixtures: feedparser's `wellformed/sanitize/` cases (script, style, event handlers,
javascript: URLs, CSS expressions, crazy nesting) and the W3C validator's cases that
expect `SecurityRisk` or `ContainsHTML`, plus hand-made entries carrying terminal escape
sequences, C0/C1 controls, bidi overrides and `@everyone` mentions. Each goes through the
real pipeline (parse → normalise → store → dedupe → classify) into a real store, and we
check three outputs that leave the monitor:

- the stored rows, as `monitor items --json` prints them (the real CLI);
- the webhook body of an alert raised on every item (`alerts.payload` + `deliver.body`,
  the bytes that are signed and sent);
- for both: titles, summaries and evidence hold no HTML tag, no terminal escape, no C0
  or C1 control; link fields are absent or http(s).

Mentions: `@everyone`, `@here`, `<!channel>` are kept verbatim. A webhook payload is data
for a program, and rewriting the story's text would falsify the evidence; neutralising a
mention is the job of whatever renders text into a chat (Discord `allowed_mentions`,
Slack escaping), where the syntax is known. RELIABILITY.md records this decision.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor import alerts, deliver
from monitor import config as config_module
from monitor.exceptions import ParseError
from monitor.loopback import rss
from monitor.pipeline import Deciders, PollOutcome, Processor, parse_items
from monitor.store import Store
from monitor.types import FeedConfig, FeedState, Statement
from monitor.watch import shipped_watch

DECIDERS = Deciders.build([shipped_watch()])  # what a poll decides with, as in the daemon

ROOT = Path(__file__).resolve().parents[1]
FEEDS = Path(__file__).parents[2] / "shared" / "feeds"
NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)

# An HTML tag as a browser would see one: "<" then a name or "/" or "!".
TAG = re.compile(r"<\s*[/!]?\s*[a-zA-Z][^>]*>")
# C0 and C1 controls (ESC included, so every terminal escape sequence), DEL.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bidi overrides and isolates: text that displays in another order than it is stored.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
TEXT_FIELDS = ("title", "summary")
# Where "<…>" in our plain text is right: the feed's text had those characters as text.
LITERAL_BRACKETS = {
    "w3c/rss20/data-types-characterdata/recommendation-7.xml": (
        "'Nice &#x3C;gorilla&#x3E; what's he weigh?': the W3C case says it holds no HTML (!ContainsHTML)"
    ),
    "hand-made#html": "'&lt;i&gt;escaped&lt;/i&gt;' inside HTML is the text '<i>escaped</i>'",
    "hand-made#mention": "'<!channel>' is Slack's mention syntax, written as text",
    "feedparser/wellformed/sanitize/item_content_encoded_script_nested_cdata.xml": (
        "'<![CDATA[<script></script>]]&gt;' as HTML: html.parser (3.11) leaves the unterminated"
        " CDATA section as text, so '<![CDATA[<script>]]>' is shown as characters; no element"
        " survives (a browser would make it a bogus comment)"
    ),
}
LINK_FIELDS = ("link", "canonical_link")

HAND_MADE = [
    {
        "guid": "esc",
        "title": "Red \x1b[31malert\x1b[0m \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \x9b2J",
        "summary": "Bell\x07 backspace\x08 NUL\x00 DEL\x7f C1\x85\x90 done",
        "link": "javascript:alert(document.cookie)",
    },
    {
        "guid": "html",
        "title": "<script>alert(1)</script><b onmouseover='x()'>Bold</b> &lt;i&gt;escaped&lt;/i&gt;",
        "summary": "<img src=x onerror=alert(1)><a href='javascript:evil()'>link</a><style>p{}</style>text",
        "link": "data:text/html,<script>alert(1)</script>",
    },
    {
        "guid": "bidi",
        "title": "Invoice \u202egnp.exe\u202c and \u2066isolated\u2069",
        "summary": "plain",
        "link": "https://bidi.example/a",
    },
    {
        "guid": "mention",
        "title": "@everyone @here <!channel> LeCun news",
        "summary": "Ping @everyone",
        "link": "vbscript:msgbox(1)",
    },
]


def _sanitize_files() -> list[Path]:
    if not FEEDS.is_dir():
        return []
    feedparser_cases = sorted((FEEDS / "feedparser" / "wellformed" / "sanitize").glob("*.xml"))
    w3c_cases = [
        p
        for p in sorted((FEEDS / "w3c").rglob("*"))
        if p.is_file() and re.search(rb"Expect:[^\n]*(SecurityRisk|ContainsHTML)", p.read_bytes()[:2000])
    ]
    return feedparser_cases + w3c_cases


def _hand_made() -> bytes:
    entries = [{**e, "published": NOW - timedelta(hours=1)} for e in HAND_MADE]
    # rss() escapes its text; control characters must reach the parser as they would from a
    # hostile server, so they are written as character references where XML allows them.
    return rss("Hostile text", entries)


def _problems(value: Any, where: str, *, link: bool = False, literal: bool = False) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str):
        return [f"{where}: not a string"]
    found = []
    if link:
        if not value.lower().startswith(("http://", "https://")):
            found.append(f"{where}: not http(s): {value[:60]!r}")
    elif TAG.search(value) and not literal:
        found.append(f"{where}: HTML tag {TAG.search(value).group()[:40]!r}")  # type: ignore[union-attr]
    if CONTROL.search(value):
        found.append(f"{where}: control character in {value[:60]!r}")
    return found


@pytest.fixture(scope="module")
def stored(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[dict[str, Any]], list[tuple[str, bytes]], int]:
    files = _sanitize_files()
    if not files:
        pytest.skip(f"feed corpora not found at {FEEDS}")
    folder = tmp_path_factory.mktemp("sanitize")
    (folder / "monitor.toml").write_text('database = "s.db"\n', encoding="utf-8")
    config = config_module.load(folder / "monitor.toml")
    store = Store.open(config.database)
    documents = [(p.relative_to(FEEDS).as_posix(), p.read_bytes()) for p in files]
    documents.append(("hand-made", _hand_made()))
    feeds = [FeedConfig(name, f"https://feeds.example/{i}") for i, (name, _) in enumerate(documents)]
    refused = 0
    try:
        store.sync_feeds(feeds, NOW)
        processor = Processor(store, config)
        for feed, (_, body) in zip(feeds, documents, strict=True):
            try:
                items = parse_items(body, {}, feed.url, feed, NOW, deciders=DECIDERS).items
            except ParseError:
                refused += 1
                continue
            processor.process([PollOutcome(FeedState(feed.name, feed.url), items)], NOW)
        bodies = _webhook_bodies(store, config)
    finally:
        store.close()
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "items",
            "--json",
            "--limit",
            "0",
            "--config",
            str(folder / "monitor.toml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    rows: list[dict[str, Any]] = json.loads(shown.stdout)
    print(f"\n== sanitize: {len(documents)} documents ({refused} refused), {len(rows)} items,", end=" ")
    print(f"{len(bodies)} webhook bodies")
    return folder, rows, bodies, len(documents)


def _key(feed: str, guid: str | None) -> str:
    return f"{feed}#{guid}" if feed == "hand-made" else feed


def _webhook_bodies(store: Store, config: config_module.Config) -> list[tuple[str, bytes]]:
    """The signed bytes of an alert on every stored item, its own text as the evidence."""
    bodies = []
    rows = store.conn.execute("SELECT id, feed, guid FROM items ORDER BY id").fetchall()
    for item_id, feed, guid in rows:
        title = store.conn.execute("SELECT title FROM items WHERE id = ?", [item_id]).fetchone()[0]
        statement = Statement("lecun-meta", "Yann LeCun", "confirms", (title,), 1.0)
        with store.transaction():
            alert_id = store.create_alert(statement, item_id, NOW, (), lambda a, c: f"msg_{a}_{c}")
            store.set_item_alert(item_id, alert_id)
        parts = store.alert_payload_parts(alert_id)
        assert parts is not None
        bodies.append((_key(feed, guid), deliver.body(alerts.payload(parts, config.watches))))
    return bodies


def test_the_fixtures_went_in(
    stored: tuple[Path, list[dict[str, Any]], list[tuple[str, bytes]], int],
) -> None:
    _, rows, bodies, documents = stored
    assert documents > 800
    assert len(rows) > 600
    assert len(bodies) == len(rows)


def test_items_json_is_plain_text_with_web_links_only(
    stored: tuple[Path, list[dict[str, Any]], list[tuple[str, bytes]], int],
) -> None:
    _, rows, _, _ = stored
    problems = []
    for row in rows:
        where = f"{row['feed']}#{row['id']}"
        literal = _key(row["feed"], row["guid"]) in LITERAL_BRACKETS
        for name in TEXT_FIELDS:
            problems += _problems(row[name], f"{where}.{name}", literal=literal)
        for name in LINK_FIELDS:
            problems += _problems(row[name], f"{where}.{name}", link=True)
    assert problems == [], "\n".join(problems)


def _strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{path}[{i}]")]
    return []


def test_webhook_bodies_are_plain_text_with_web_links_only(
    stored: tuple[Path, list[dict[str, Any]], list[tuple[str, bytes]], int],
) -> None:
    _, _, bodies, _ = stored
    problems = []
    for key, body in bodies:
        for path, value in _strings(json.loads(body)):
            is_link = path.endswith(".link")
            problems += _problems(value, f"{key} {path}", link=is_link, literal=key in LITERAL_BRACKETS)
            if BIDI.search(value):
                problems.append(f"{path}: bidi control in {value!r}")
    assert problems == [], "\n".join(problems)


def test_hand_made_hostile_text_comes_out_clean(
    stored: tuple[Path, list[dict[str, Any]], list[tuple[str, bytes]], int],
) -> None:
    _, rows, _, _ = stored
    mine = {r["guid"]: r for r in rows if r["feed"] == "hand-made"}
    # The 8-bit CSI (U+009B) reaches us as "›": feedparser maps C1 code points to cp1252.
    assert mine["esc"]["title"] == "Red alert click ›2J"
    assert mine["esc"]["summary"] == "Bell backspace NUL DEL C1… done"
    assert mine["esc"]["link"] is None  # javascript: is not a link we keep
    assert mine["html"]["title"] == "Bold <i>escaped</i>"  # an escaped tag is text, and stays visible
    assert mine["html"]["summary"] == "linktext"
    assert mine["html"]["link"] is None
    assert mine["mention"]["link"] is None
    # Mentions are data: kept verbatim (see the module docstring).
    assert mine["mention"]["title"] == "@everyone @here <!channel> LeCun news"


def test_bidi_overrides_are_stored_but_never_sent(
    stored: tuple[Path, list[dict[str, Any]], list[tuple[str, bytes]], int],
) -> None:
    _, rows, bodies, _ = stored
    (bidi,) = [r for r in rows if r["guid"] == "bidi"]
    assert "\u202e" in bidi["title"]  # stored as the feed had it (FTS, audit) …
    sent = [json.loads(b) for _, b in bodies if b"gnp.exe" in b]
    assert sent
    assert "\u202e" not in sent[0]["data"]["item"]["title"]  # … and stripped from what leaves
