"""Normalise: turn one `RawEntry` from parse into the `Item` the store keeps.

Pure functions; the clock is the `now` argument. The stage decides four things:

    text      HTML → plain text: tags, script/style bodies, entities, mojibake, control
              and terminal escape sequences removed, whitespace collapsed, length bounded
    identity  key = "guid:…", else "link:<canonical link>", else "hash:sha1(title, date)";
              entries of one document that share a key but differ get a key of their own
    date      the feed's date in UTC, or `now` with a `date_note` saying why not
    links     `link` is the feed's link if it is http(s); `canonical_link` also drops
              the fragment, default port and tracking parameters, for dedupe
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import SplitResult, urlsplit, urlunsplit

import ftfy

from monitor.types import KEY_TIEBREAK, Item, ItemText, RawEntry

__all__ = [
    "EARLIEST_DATE",
    "FALLBACK_TITLE_CHARS",
    "MAX_FUTURE_SKEW",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "TRACKING_PARAMS",
    "canonical_link",
    "clean_link",
    "distinct_keys",
    "keeps_replaced_text",
    "normalise",
    "other_key",
    "plain_text",
    "recycled_key",
]

# Bounds on what we store: a title is a line, a summary is a few paragraphs. A feed that
# puts a whole book in <description> still fits in a webhook payload and a terminal.
MAX_TITLE_CHARS = 1_000
MAX_SUMMARY_CHARS = 20_000
# An entry without a title gets the start of its summary, cut at a word (see _fallback_title).
FALLBACK_TITLE_CHARS = 100
# Markup is rarely more than ~8x the text it wraps; cutting the HTML there bounds the
# time html.parser spends on a giant summary without losing text we would keep.
_MAX_HTML_CHARS = 8 * MAX_SUMMARY_CHARS
# Clocks drift and feeds mislabel time zones by hours; a day ahead is already wrong.
MAX_FUTURE_SKEW = timedelta(days=1)
# RSS 0.90 appeared in 1999 and its ancestors in 1995; an earlier date is a bogus default
# (1970-01-01, 1900, year 1) rather than a real publication time.
EARLIEST_DATE = datetime(1995, 1, 1, tzinfo=UTC)
_NOTE_RAW_CHARS = 100

# Query parameters that only say where a click came from; they differ between copies of
# the same story (newsletter vs. social share), so they must not make two links differ.
# utm_* (Google Analytics) is matched by prefix in _is_tracking.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "gclsrc",
        "dclid",  # Google Display
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # Twitter/X
        "igshid",  # Instagram
        "mc_cid",  # Mailchimp campaign / member
        "mc_eid",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "ocid",  # Microsoft/MSN
        "cmpid",  # campaign id (Reuters, BBC, many others)
        "icid",  # internal campaign id
        "ref_src",  # Twitter embeds
        "ref_url",
        "wt.mc_id",  # Webtrends
        "s_cid",  # Adobe
        "__twitter_impression",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Elements whose content is code or metadata, never text to show.
# Only elements that a browser never shows either; an unclosed one hides the rest, as in a browser.
_SKIPPED_ELEMENTS = frozenset({"script", "style", "template", "noscript"})
# Elements that break a line when rendered; without a space "<p>a</p><p>b</p>" reads "ab".
_BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip

# Terminal escape sequences (ECMA-48): CSI "ESC [ … final", OSC "ESC ] … BEL|ST", the 8-bit
# CSI, and two-byte "ESC x". A title like "\x1b]8;;http://evil\x07" would otherwise rewrite
# the operator's terminal or a hyperlink in it.
_TERMINAL_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -~]?"
)
# C0 and C1 controls and DEL; tab/newline/CR also go, as whitespace is collapsed anyway.
# Lone surrogates (from "&#xD800;") cannot be encoded, so SQLite and JSON would refuse them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]+")
# UTF-8 read as windows-1252/latin-1 leaves a lead byte (Â-ô) before a continuation byte
# (0x80-0xBF shown as C1, Latin-1 punctuation or one of cp1252's 0x80-0x9F letters).
# ftfy costs ~0.3 ms per KB of non-ASCII text; this search costs microseconds, so ftfy
# only sees text that shows the pattern.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# Only the encoding repair: we unescape HTML ourselves, and width/quote/ligature changes
# would rewrite legitimate text (full-width CJK punctuation the watch matches on).
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    explain=False,
)


def normalise(entry: RawEntry, *, feed: str, official: bool, now: datetime) -> Item:
    """Turn one parsed entry of `feed` into the item the store keeps, as seen at `now`."""
    summary = _bounded(_entry_text(entry.summary, entry.content_type), MAX_SUMMARY_CHARS)
    title = _bounded(plain_text(entry.title), MAX_TITLE_CHARS) or _fallback_title(summary)
    guid = entry.guid.strip() if entry.guid and entry.guid.strip() else None
    canonical = canonical_link(entry.link)
    published, date_note = _published(entry.published, entry.published_raw, now)
    return Item(
        feed=feed,
        key=_identity(guid, canonical, title, entry.published_raw),
        guid=guid,
        title=title,
        link=clean_link(entry.link),
        canonical_link=canonical,
        summary=summary,
        published=published,
        date_note=date_note,
        fingerprint=_fingerprint(title, summary),
        official=official,
    )


# --- text ----------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, skipping script/style bodies and comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skipping += 1
        elif tag in _BLOCK_ELEMENTS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <script/> opens nothing, so it must not start skipping.
        if tag in _BLOCK_ELEMENTS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_ELEMENTS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(text: str) -> str:
    """The readable text of an HTML fragment, safe to print on a terminal.

    html.parser (stdlib) rather than a regex: it knows that "<script>" bodies are raw
    text, that "a < b" is not a tag, and unescapes every HTML5 entity; it is forgiving of
    broken markup, which feeds are full of.
    """
    if "<" in text or "&" in text:
        text = _strip_markup(text[:_MAX_HTML_CHARS] if len(text) > _MAX_HTML_CHARS else text)
    return _clean(text)


def _clean(text: str) -> str:
    """Mojibake repaired, escape sequences and controls removed, whitespace collapsed."""
    if not text.isascii() and _MOJIBAKE_HINT.search(text):
        text = ftfy.fix_text(text, _FTFY_CONFIG)
    text = _CONTROL.sub(" ", _TERMINAL_ESCAPE.sub("", text))
    return " ".join(text.split())


def _strip_markup(fragment: str) -> str:
    # A cut in the middle of a tag would leave "<a href=…" behind as text.
    if fragment.rfind("<") > fragment.rfind(">"):
        fragment = fragment[: fragment.rfind("<")]
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    return "".join(extractor.parts)


def _entry_text(text: str, content_type: str) -> str:
    # text/plain is already the text: "a <b> c" there is literal, not a tag.
    if content_type == "text/plain":
        return _clean(text[:_MAX_HTML_CHARS])
    return plain_text(text)


def _bounded(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    # Only back off to a word boundary when one is near; CJK text has no spaces.
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _fallback_title(summary: str) -> str:
    # Entries without a title exist (RSS 2.0 requires title *or* description, and
    # microblog feeds use only the latter); the start of the summary is what a reader
    # would call its title.
    return _bounded(summary, FALLBACK_TITLE_CHARS)


# --- identity ------------------------------------------------------------------------


def _identity(guid: str | None, canonical: str | None, title: str, published_raw: str | None) -> str:
    """The entry's stable key within its feed; the prefix says what it was made from."""
    if guid:
        return f"guid:{guid}"
    if canonical:
        return f"link:{canonical}"
    return f"hash:{_digest(title, published_raw or '')}"


def _digest(title: str, date: str) -> str:
    basis = f"{title}\x1f{date}".encode("utf-8", "surrogatepass")
    return hashlib.sha1(basis, usedforsecurity=False).hexdigest()


def distinct_keys(items: Sequence[Item]) -> list[Item]:
    """One document's items, with a key of their own for entries that share one but differ.

    Feeds do give one guid to different entries: Scripting News two posts of a day, a
    podcast two episodes with one enclosure URL (both in ../shared/feeds/realworld).
    Under one key the writer would store one of them and overwrite it with the other at
    every poll, so each such entry is keyed by its title and date as well, and by its
    text when even those are equal. An entry repeated word for word keeps its key (the
    writer stores it once). Nothing here depends on an entry's position, so the keys stay
    the same from one poll to the next.
    """
    keyed = list(items)
    for tiebreak in (_title_and_date, _text):
        texts: dict[str, set[str]] = defaultdict(set)
        for item in keyed:
            texts[item.key].add(item.fingerprint)
        if all(len(fingerprints) == 1 for fingerprints in texts.values()):
            break
        keyed = [
            replace(item, key=_tiebroken(item.key, tiebreak(item))) if len(texts[item.key]) > 1 else item
            for item in keyed
        ]
    return keyed


def recycled_key(item: Item) -> Item:
    """`item` under a key of its own: its feed gave its identity to another article first
    (a guid recycled from poll to poll; see `dedupe.is_revision`). The key is the one
    `distinct_keys` gives when both articles are in one document, so either way the
    article is stored once."""
    return replace(item, key=_tiebroken(item.key, _title_and_date(item)))


def other_key(item: Item) -> str:
    """The key an earlier poll may have stored `item` under: its identity's own key when it
    now has one of `distinct_keys`' (or `recycled_key`'s) keys, or that key when it now has
    its identity's own. A document shows an entry beside a namesake, the next one alone, or
    the reverse; the writer looks up both so that the entry is stored once."""
    base, tiebroken, _ = item.key.rpartition(KEY_TIEBREAK)
    return base if tiebroken else _tiebroken(item.key, _title_and_date(item))


def _tiebroken(key: str, tiebreak: str) -> str:
    return f"{key}{KEY_TIEBREAK}{tiebreak}"  # `Store.find_recycled` finds them by the prefix


def _title_and_date(item: Item) -> str:
    # Without a usable feed date, `published` is the time of this poll: the note (which
    # carries the feed's raw text, if any) is what stays the same from poll to poll.
    date = item.date_note if item.date_note is not None else item.published.isoformat()
    return _digest(item.title, date)[:16]


def _text(item: Item) -> str:
    return item.fingerprint


def _fingerprint(title: str, summary: str) -> str:
    """A short digest of the visible text, so an edit under the same key is noticed."""
    digest = hashlib.blake2b(f"{title}\x1f{summary}".encode(), digest_size=8)
    return digest.hexdigest()


# --- edits ---------------------------------------------------------------------------

# Digits, masked when asking whether an edit changed only numbers.
_DIGITS = re.compile(r"\d+")


def keeps_replaced_text(
    current: ItemText,
    new: ItemText,
    kept: tuple[ItemText, datetime] | None,
    *,
    first_seen: datetime,
    now: datetime,
) -> bool:
    """Whether an edit from the item's `current` text to `new` keeps `current` as a version
    of the item (`Store.update_item`); `kept` is the newest version kept so far and when
    it was replaced, `first_seen` when the item was first stored.

    Every text a word or link edit made is kept: wire stories are rewritten in place, and
    each headline is part of the record. A text that differs from the version before it
    only in numbers, and is replaced by another such, is a counter ticking (hnrss's
    "Points: 112 # Comments: 48", a live page's "updated 14:32"), and a counter ticks at
    every poll: kept every time, one such entry polled every 10 minutes for a week left a
    thousand copies of itself. Those ticks are kept only when the last version has stood
    at least as long as the item had existed before it: about 10, 20, 40, 80… minutes
    after the first, 8 in a day, 10 in a week. The newest text is always the item's own;
    a figure revised twice in quick succession loses the middle value.
    """
    if kept is None or not _numbers_only(current, new) or not _numbers_only(kept[0], current):
        return True
    kept_at = kept[1]
    return now - kept_at >= kept_at - first_seen


def _numbers_only(before: ItemText, after: ItemText) -> bool:
    """The same text but for its digits (the same link, too)."""
    return before[2] == after[2] and all(
        _DIGITS.sub("0", b) == _DIGITS.sub("0", a) for b, a in zip(before[:2], after[:2], strict=True)
    )


# --- dates ---------------------------------------------------------------------------


def _published(published: datetime | None, raw: str | None, now: datetime) -> tuple[datetime, str | None]:
    """The entry's date in UTC, or `now` and a note saying why the feed's date was not used."""
    if now.tzinfo is None:
        raise ValueError("normalise needs an aware `now`")
    if published is None:
        return now, f"unparseable: {_note_raw(raw)}" if raw and raw.strip() else "missing"
    # A naive datetime from a caller other than parse is taken to be UTC, as feedparser's are.
    published = published.replace(tzinfo=UTC) if published.tzinfo is None else published.astimezone(UTC)
    if published > now + MAX_FUTURE_SKEW:
        return now, f"in the future: {_note_raw(raw) or published.isoformat()}"
    if published < EARLIEST_DATE:
        return now, f"before 1995: {_note_raw(raw) or published.isoformat()}"
    return published, None


def _note_raw(raw: str | None) -> str:
    # The raw date is feed text and ends up in `monitor items`: clean and bound it.
    return _bounded(plain_text(raw or ""), _NOTE_RAW_CHARS)


# --- links ---------------------------------------------------------------------------


def clean_link(url: str | None) -> str | None:
    """The link as the feed gave it, trimmed, if it is an absolute http(s) URL; else None."""
    parts = _split_web_url(url)
    return url.strip() if parts is not None and url is not None else None


def canonical_link(url: str | None) -> str | None:
    """A comparable form of an http(s) link: case, default port, fragment and trackers removed.

    Path and parameter values are kept byte for byte (servers may treat them as case- and
    encoding-sensitive); only the parameter order is normalised, by sorting.
    """
    parts = _split_web_url(url)
    if parts is None:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", _clean_query(parts.query), ""))


def _split_web_url(url: str | None) -> SplitResult | None:
    """`url` split, if it is an absolute http(s) URL with a host and a valid port."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError on a port out of range or not a number
    except ValueError:
        return None  # e.g. "http://[::1" or "http://host:99999"
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts


def _clean_query(query: str) -> str:
    # The raw "k=v" pairs are kept as written: decoding and re-encoding would turn
    # "%20" into "+" and make equal links differ.
    pairs = [pair for pair in query.split("&") if pair and not _is_tracking(pair)]
    return "&".join(sorted(pairs))


def _is_tracking(pair: str) -> bool:
    name = pair.split("=", 1)[0].lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS
