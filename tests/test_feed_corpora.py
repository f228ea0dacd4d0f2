"""Every document of the shared feed corpora through parse + normalise.

The corpora (shared/feeds/README.md) hold feedparser's and the W3C validator's test
cases plus real snapshots. For each file we check that:

- nothing raises except ParseError (a crash would take a poll down with it);
- an accepted document loses no entry: feedparser's own parse yields as many entries
  as we produce items;
- for feedparser's `wellformed/` cases, whose `Expect:` line is a Python expression over
  feedparser's result, our stored guid/title/link/date agree with what the line asserts
  about entries[i]. The line is evaluated as feedparser's tests/runtests.py does (it is
  test data from a trusted corpus), once over feedparser's result as the file claims,
  and once with our values in place of the fields we store.

Where we differ on purpose the file is in EXCLUSIONS with the reason. The summary is
printed (run with -s); nothing is written.
"""

from __future__ import annotations

import io
import mimetypes
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from monitor.exceptions import ParseError
from monitor.normalise import normalise, plain_text
from monitor.parse import parse
from monitor.types import Item

pytestmark = pytest.mark.slow

FEEDS = Path(__file__).parents[2] / "shared" / "feeds"
NOW = datetime(2025, 1, 1, tzinfo=UTC)
# feedparser's test server; its http cases (and their Expect lines) assume this base.
TEST_SERVER = "http://127.0.0.1:8097/tests/"

_WE_REFUSE_ENTITIES = "we refuse documents that declare XML entities (billion laughs, XXE)"

# file (relative to shared/feeds) → why our stored item deliberately differs from feedparser.
EXCLUSIONS: dict[str, str] = {
    "feedparser/wellformed/rss/entity_in_doctype.xml": _WE_REFUSE_ENTITIES,
    "feedparser/wellformed/base/http_entry_id_base_docuri.xml": (
        "we keep a guid as written; feedparser resolves a relative <id> against the feed URL,"
        " which would give every entry a new identity when the feed moves"
    ),
    "feedparser/wellformed/sanitize/entry_title_crazy.xml": (
        "our plain text drops the whole <script> body; feedparser's sanitiser leaves part of it"
        " ('function executeMe() { /*') as text, which the file asserts"
    ),
}

_HEADER_LINE = re.compile(rb"^Header:\s+([^:]+):(.+)$", re.MULTILINE)
_EXPECT = re.compile(rb"Description:\s*(.*?)\s*Expect:\s*(.*)\s*-->")
# The fields of entries[i] that an Item stores; others (summary_detail, tags, …) we do not.
_ASSERTED_FIELD = re.compile(r"entries\[(\d+)\]\['(id|guid|title|link|published_parsed|updated_parsed)'\]")
_EVAL_GLOBALS = {"time": time, "datetime": __import__("datetime"), "feedparser": feedparser}


@dataclass
class Outcome:
    """What happened to one corpus file."""

    path: str
    seconds: float = 0.0
    feedparser_entries: int = 0
    items: int = 0
    rejected: str | None = None
    crash: str | None = None
    asserted: bool = False
    disagreements: list[str] = field(default_factory=list)


@dataclass
class Corpus:
    outcomes: list[Outcome]
    seconds: float

    @property
    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.rejected is None and o.crash is None]


def _corpus_files() -> Iterator[Path]:
    for path in sorted(FEEDS.rglob("*")):
        if path.is_file():  # README and LICENSE files too: not feeds, so they must be refused
            yield path


def _served_as(relative: str, raw: bytes) -> tuple[dict[str, str], str]:
    """Response headers and URL of a file, as feedparser's test server would serve it."""
    if "http" not in relative:
        return {}, ""  # the suite opens these by path: no headers, no base URL
    headers = {
        key.decode().strip().lower(): value.decode().strip() for key, value in _HEADER_LINE.findall(raw)
    }
    headers.pop("status", None)
    headers.setdefault("content-type", mimetypes.guess_type(relative)[0] or "application/octet-stream")
    return headers, TEST_SERVER + relative.removeprefix("feedparser/")


def _reference(raw: bytes, headers: dict[str, str], url: str) -> Any:
    """feedparser alone, with its default options, as its own test suite runs it."""
    location = {"content-location": url} if url else {}
    return feedparser.parse(io.BytesIO(raw), response_headers={**headers, **location})


def _run_file(path: Path) -> Outcome:
    relative = path.relative_to(FEEDS).as_posix()
    outcome = Outcome(relative)
    raw = path.read_bytes()
    headers, url = _served_as(relative, raw)
    reference = _reference(raw, headers, url)
    outcome.feedparser_entries = len(reference.entries)
    started = time.perf_counter()
    try:
        items = [
            normalise(e, feed="corpus", official=False, now=NOW) for e in parse(raw, headers, url).entries
        ]
    except ParseError as error:
        outcome.rejected = str(error)
        items = []
    except Exception as error:  # the point of the test: count it, do not stop at the first
        outcome.crash = f"{type(error).__name__}: {error}"
        items = []
    outcome.seconds = time.perf_counter() - started
    outcome.items = len(items)
    if relative.startswith("feedparser/wellformed/"):
        _compare_with_expect(outcome, raw, reference, items)
    return outcome


def _compare_with_expect(outcome: Outcome, raw: bytes, reference: Any, items: list[Item]) -> None:
    expect = _EXPECT.search(raw)
    if expect is None:
        return
    expression = expect.group(2).decode().strip()
    fields = _ASSERTED_FIELD.findall(expression)
    if not fields or not _holds(expression, dict(reference)):
        return  # asserts nothing we store, or is not true of feedparser here (not our concern)
    outcome.asserted = True
    if outcome.rejected is not None:
        outcome.disagreements.append(f"refused: {outcome.rejected}")
        return
    for index, name in sorted(set(fields)):
        if not _agrees(expression, reference, items, int(index), name):
            outcome.disagreements.append(name)


def _holds(expression: str, env: dict[str, Any]) -> bool:
    try:
        return bool(eval(expression, _EVAL_GLOBALS, env))  # trusted test data, see docstring
    except Exception:  # a failing lookup (IndexError, KeyError) means "does not hold"
        return False


def _agrees(expression: str, reference: Any, items: list[Item], index: int, name: str) -> bool:
    """Whether the Expect line still holds with our stored value for entries[index][name]."""
    if index >= len(items):
        return False
    entries = list(reference.entries)
    ours = feedparser.FeedParserDict(entries[index])
    dict.__setitem__(ours, _stored_key(name), _our_value(items[index], name))
    entries[index] = ours
    if _holds(expression, {**reference, "entries": entries}):
        return True
    # Titles: we store the plain text of what the file asserts (markup and entities gone).
    return name == "title" and items[index].title == plain_text(reference.entries[index].get("title", ""))


def _stored_key(name: str) -> str:
    return "id" if name == "guid" else name


def _our_value(item: Item, name: str) -> object:
    if name in {"id", "guid"}:
        return item.guid
    if name in {"published_parsed", "updated_parsed"}:
        return None if item.date_note else item.published.utctimetuple()
    return item.title if name == "title" else item.link


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    if not FEEDS.is_dir():
        pytest.skip(f"feed corpora not found at {FEEDS} (shared/feeds beside the project)")
    started = time.perf_counter()
    outcomes = [_run_file(path) for path in _corpus_files()]
    result = Corpus(outcomes, time.perf_counter() - started)
    _print_summary(result)
    return result


def _print_summary(corpus: Corpus) -> None:
    outcomes = corpus.outcomes
    accepted = corpus.accepted
    rejected = Counter(_reason_group(o.rejected) for o in outcomes if o.rejected)
    slowest = max(outcomes, key=lambda o: o.seconds)
    print(f"\n== feed corpora: {len(outcomes)} files in {corpus.seconds:.1f} s (incl. reference parses)")
    print(f"   crashes: {sum(1 for o in outcomes if o.crash)}")
    print(f"   accepted: {len(accepted)} documents")
    fp_entries = sum(o.feedparser_entries for o in accepted)
    print(f"   entries feedparser yields: {fp_entries}; items produced: {sum(o.items for o in accepted)}")
    print(f"   rejected: {sum(rejected.values())} documents")
    for reason, count in rejected.most_common():
        print(f"     {count:5}  {reason}")
    refused = [o for o in outcomes if o.rejected and o.feedparser_entries]
    print(f"   rejected documents in which feedparser finds entries: {len(refused)}")
    for outcome in refused:
        print(f"     {outcome.path}: {outcome.feedparser_entries} entries; {outcome.rejected}")
    print(f"   slowest: {slowest.path} {slowest.seconds * 1000:.0f} ms")
    checked = [o for o in outcomes if o.asserted]
    print(f"   wellformed files asserting guid/title/link/date: {len(checked)}, excluded: {len(EXCLUSIONS)}")
    for path, reason in EXCLUSIONS.items():
        print(f"     excluded {path}: {reason}")
    for outcome in outcomes:
        if outcome.crash or (outcome.disagreements and outcome.path not in EXCLUSIONS):
            print(f"   ! {outcome.path}: {outcome.crash or outcome.disagreements}")


def _reason_group(reason: str | None) -> str:
    # "not a feed: SAXParseException: <unknown>:12:3: mismatched tag" → one group per error kind.
    return re.sub(r"<unknown>:\d+:\d+: ", "", reason or "")


def test_no_document_crashes(corpus: Corpus) -> None:
    crashes = [(o.path, o.crash) for o in corpus.outcomes if o.crash]
    assert crashes == []


def test_accepted_documents_lose_no_entry(corpus: Corpus) -> None:
    lost = [
        (o.path, o.feedparser_entries, o.items) for o in corpus.accepted if o.items < o.feedparser_entries
    ]
    assert lost == []


def test_stored_fields_agree_with_expect_lines(corpus: Corpus) -> None:
    assert sum(1 for o in corpus.outcomes if o.asserted) > 50  # the comparison did run
    unexplained = {o.path: o.disagreements for o in corpus.outcomes if o.disagreements}
    for path in EXCLUSIONS:
        unexplained.pop(path, None)
    assert unexplained == {}


def test_every_exclusion_is_still_needed(corpus: Corpus) -> None:
    differing = {o.path for o in corpus.outcomes if o.disagreements}
    assert sorted(set(EXCLUSIONS) - differing) == []


def test_corpus_runs_in_reasonable_time(corpus: Corpus) -> None:
    # Measured ~10 s on 2 cores; the budget leaves room for slow CI machines.
    assert corpus.seconds < 120
