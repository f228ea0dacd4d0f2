"""Parse: a fetched body and its response headers → `ParsedFeed` of `RawEntry`s.

Pure (no IO, no clock) and made of picklable values, so it can run in a process pool.

    body ─▶ trim whitespace/BOM before "<?xml"
         ─▶ refuse empty bodies and XML entity declarations (scan of the prolog only)
         ─▶ repair a UTF-8 body's few invalid bytes (read as windows-1252), noted in warnings
         ─▶ feedparser.parse(stream, response_headers=…)
         ─▶ refuse what is not a feed (HTML page, no version and no entries)
         ─▶ one RawEntry per feedparser entry, nothing dropped

Every refusal is a `ParseError` whose message is the one-line reason shown to the operator.
"""

from __future__ import annotations

import codecs
import html
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from monitor.exceptions import ParseError
from monitor.normalise import plain_text
from monitor.types import ParsedFeed, RawEntry

__all__ = [
    "ENTITIES_REFUSED",
    "MAX_INVALID_UTF8_SHARE",
    "MAX_WARNINGS",
    "MAX_WARNING_CHARS",
    "capped_warnings",
    "header_charset",
    "parse",
]

ENTITIES_REFUSED = "XML entity declarations refused"

_UTF8_BOM = b"\xef\xbb\xbf"
# Whitespace (and stray BOMs) before "<?xml" make expat refuse the document, and then
# feedparser's loose parser guesses; 19 real snapshots in shared/feeds do this.
_LEADING_JUNK = re.compile(rb"(?:\xef\xbb\xbf|[ \t\r\n])+")
# Encodings in which "<" is not the byte 0x3C; the prolog scan reads those decoded.
# Prefixes as in XML 1.0 appendix F; UTF-32 before UTF-16, whose BOM is its prefix.
_WIDE_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16"),
    (b"\xff\xfe", "utf-16"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"Lo\xa7\x94", "cp037"),  # "<?xm" in EBCDIC
)
_DOCTYPE_TOKEN = re.compile(rb"[\"'\[>]")
_SUBSET_TOKEN = re.compile(rb"<!--|<\?|[\"'\]]")
# What feedparser itself takes for the end of the prolog (sanitizer.replace_doctype).
_FIRST_TAG = re.compile(rb"<\w")
_ROOT_NAME = re.compile(rb"<(?:[\w.-]+:)?([\w.-]+)")
# A UTF-8 document with a few bytes in another encoding (a Latin-1 "été" pasted into one
# entry) is not valid UTF-8, and feedparser then decodes the *whole* document as
# windows-1252 or iso-8859-2, garbling every other entry ("杨立昆" became "ć ¨çŤ‹ć˜†", so a
# statement went unseen). When a body declared or sniffed as UTF-8 has at most this share
# of its non-ASCII bytes invalid, it is read as UTF-8 and only those bytes as windows-1252.
# Share measured (invalid bytes ÷ non-ASCII bytes, whole documents):
#   UTF-8 + stray bytes   0.006-0.043  a Chinese corpus item + a Latin-1 "Unrelated été" item
#                         0.167        a French corpus item's title and summary + the same (worst
#                                      of 13); feedparser's encoding/bozo_invalid-bytes-with-bom
#                         0.143        feedparser's encoding/bozo_linenoise
#   legacy encodings      0.559        EUC-JP, feedparser's illformed/chardet (lowest found)
#                         0.59-0.84    the corpus's Chinese items in GB2312, Big5, EUC-JP,
#                                      Shift_JIS, EUC-KR; chardet's TIS-620, EUC-KR, Big5 cases
#                         1.0          single-byte encodings (windows-125x, Latin-x, KOI8-R…):
#                                      a high byte followed by ASCII is never valid UTF-8
# 0.3 sits between the two groups with a margin of about 1.8 on each side; above it
# feedparser decodes the whole document, as before.
MAX_INVALID_UTF8_SHARE = 0.3
_ASCII_BYTES = bytes(range(0x80))
# surrogateescape decodes each invalid byte 0xXY as U+DCXY.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# windows-1252 as browsers read it (WHATWG Encoding): its five unassigned bytes (0x81, 0x8D,
# 0x8F, 0x90, 0x9D) are the C1 controls of the same number, so every byte has a character.
_WINDOWS_1252 = {
    0xDC00 + byte: bytes([byte]).decode("cp1252", "ignore") or chr(byte) for byte in range(0x80, 0x100)
}
# Where feedparser reads a declared encoding (encodings.RE_XML_PI_ENCODING): the first "<?…?>".
_XML_ENCODING = re.compile(rb"""<\?[^>]*?encoding=['"]([^'"]*)['"]""")
_XML_DECLARATION = re.compile(rb"<\?xml\s[^>]*>")
_UTF8_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'

# Warnings are stored with the feed at each poll that reads a document and shown by
# `monitor feeds`, and their text is partly the server's: feedparser quotes the charset a
# Content-Type header names (any length) and its XML errors. The longest of the 320 warnings
# the 4,510 documents of ../shared/feeds give is 87 characters (a CharacterEncodingOverride
# naming "csmacintosh"); 200 keeps every one of them whole with a margin of 2.3, and a
# longer one is cut, saying so.
MAX_WARNING_CHARS = 200
# parse makes at most two (its repair note, feedparser's bozo exception); the cap keeps a
# later source of notes from growing a feed's row without bound, and says what it left out.
MAX_WARNINGS = 5

# RSS text has no type attribute, so feedparser guesses: text/plain unless every tag is on
# its whitelist, which makes "<script>x()</script><b>Hi</b>" plain text to be kept verbatim.
# A closing tag is markup in any feed we have seen; only Atom's declared type="text" wins.
_CLOSING_TAG = re.compile(r"</[a-zA-Z][\w:-]*\s*>")

# feedparser's sanitizer and URI resolution rewrite HTML that normalise reduces to plain
# text anyway (dropping script and style bodies itself); skipping them saves ~1/3 of the time.
_FEEDPARSER_OPTIONS: dict[str, Any] = {"sanitize_html": False, "resolve_relative_uris": False}


def parse(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """Parse the feed document `body` fetched from `url` with response `headers`.

    Raises ParseError when the body is empty, declares XML entities, or is not a feed.
    """
    body = _trim(body)
    if not body:
        raise ParseError("empty body")
    view = _ascii_view(body)
    prolog_end = _prolog_end(view)
    if _declares_entities(view, prolog_end):
        raise ParseError(ENTITIES_REFUSED)
    body, repair = _utf8_repaired(body, headers)
    result = _feedparser(body, _response_headers(headers))
    _check_is_feed(result, headers, _root_name(view, prolog_end), view[:1])
    return ParsedFeed(
        title=plain_text(_text_of(result.feed, "title")),
        entries=tuple(_raw_entry(entry, url, _type_guessed(result)) for entry in result.entries),
        warnings=capped_warnings((repair, *_warnings(result)) if repair else _warnings(result)),
    )


# --- before feedparser ---------------------------------------------------------------


def _trim(body: bytes) -> bytes:
    """`body` without leading whitespace; a UTF-8 BOM among it is kept, at the front."""
    junk = _LEADING_JUNK.match(body)
    if junk is None:
        return body
    rest = body[junk.end() :]
    # The BOM still tells feedparser the encoding; only its position was the problem.
    return _UTF8_BOM + rest if rest and _UTF8_BOM in junk.group() else rest


def _ascii_view(body: bytes) -> bytes:
    """`body` in an ASCII-compatible encoding, for the byte-level prolog scan."""
    for prefix, codec in _WIDE_ENCODINGS:
        if body.startswith(prefix):
            return body.decode(codec, "replace").encode("utf-8")
    return body


def _prolog_end(data: bytes) -> int:
    """Offset of the root element: after the XML declaration, comments, PIs and DOCTYPE."""
    pos = 0
    while (lt := data.find(b"<", pos)) >= 0:
        if data.startswith(b"<?", lt):
            pos = _after(data, b"?>", lt + 2)
        elif data.startswith(b"<!--", lt):
            pos = _after(data, b"-->", lt + 4)
        elif data[lt : lt + 9].upper() == b"<!DOCTYPE":
            pos = _doctype_end(data, lt + 9)
        else:
            return lt
    return len(data)


def _doctype_end(data: bytes, pos: int) -> int:
    """Offset just after a DOCTYPE that starts before `pos`, quoted strings and subset skipped."""
    while (token := _DOCTYPE_TOKEN.search(data, pos)) is not None:
        found = token.group()
        if found == b">":
            return token.end()
        pos = _subset_end(data, token.end()) if found == b"[" else _after(data, found, token.end())
    return len(data)


def _subset_end(data: bytes, pos: int) -> int:
    """Offset just after the "]" closing an internal subset that starts at `pos`."""
    closers = {b"<!--": b"-->", b"<?": b"?>"}
    while (token := _SUBSET_TOKEN.search(data, pos)) is not None:
        found = token.group()
        if found == b"]":
            return token.end()
        pos = _after(data, closers.get(found, found), token.end())
    return len(data)


def _after(data: bytes, closer: bytes, pos: int) -> int:
    """Offset just after the next `closer`; an unterminated construct runs to the end."""
    end = data.find(closer, pos)
    return len(data) if end < 0 else end + len(closer)


def _declares_entities(data: bytes, prolog_end: int) -> bool:
    # Any "<!ENTITY" counts, even in a comment or quoted string: feedparser finds entity
    # declarations with a line regex over everything before its own idea of the first tag,
    # so both its view and the real prolog are searched.
    first_tag = _FIRST_TAG.search(data)
    end = max(prolog_end, first_tag.end() if first_tag else 0)
    return data.find(b"<!ENTITY", 0, end) >= 0


def _root_name(data: bytes, prolog_end: int) -> str:
    root = _ROOT_NAME.match(data, prolog_end)
    return root.group(1).decode("ascii", "replace").lower() if root else ""


def _utf8_repaired(body: bytes, headers: Mapping[str, str]) -> tuple[bytes, str | None]:
    """`body` with its few invalid UTF-8 bytes read as windows-1252, and a note saying so.

    Only for a body meant as UTF-8 and mostly valid (MAX_INVALID_UTF8_SHARE); any other
    body is returned as it is, for feedparser to decode (a valid one after one strict
    decode, so a normal feed pays almost nothing).
    """
    if body.isascii() or _is_utf8(body) or not _meant_as_utf8(body, headers):
        return body, None
    escaped = body.removeprefix(_UTF8_BOM).decode("utf-8", "surrogateescape")
    text, invalid = _ESCAPED_BYTE.subn(_windows_1252, escaped)
    if invalid > MAX_INVALID_UTF8_SHARE * len(body.translate(None, _ASCII_BYTES)):
        return body, None
    return _declared_utf8(text.encode("utf-8")), f"{invalid} byte(s) not valid UTF-8 read as windows-1252"


def _windows_1252(escaped: re.Match[str]) -> str:
    return _WINDOWS_1252[ord(escaped.group())]


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _meant_as_utf8(body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the response names UTF-8 for `body`, or names nothing (XML's default).

    The charset parameter first (it overrides the document for XML media types, RFC 7303
    section 3), then a UTF-8 BOM, then the XML declaration. A UTF-16/32 or EBCDIC body is
    never UTF-8, whatever it names.
    """
    if any(body.startswith(prefix) for prefix, _ in _WIDE_ENCODINGS):
        return False
    label = header_charset(headers)
    if label is None:
        if body.startswith(_UTF8_BOM):
            return True
        declared = _XML_ENCODING.match(body)
        label = declared.group(1).decode("ascii", "replace") if declared else None
    return label is None or _is_utf8_label(label)


def _is_utf8_label(label: str) -> bool:
    try:
        return codecs.lookup(label).name in {"utf-8", "utf-8-sig"}
    except LookupError:  # a label Python does not know is not UTF-8 either
        return False


def header_charset(headers: Mapping[str, str]) -> str | None:
    """The charset parameter of the Content-Type header, if it has one (`discover` too)."""
    for key, value in headers.items():
        if key.lower() == "content-type":
            for parameter in value.split(";")[1:]:
                name, _, label = parameter.partition("=")
                label = label.strip().strip("\"'")
                if name.strip().lower() == "charset" and label:
                    return label
    return None


def _declared_utf8(body: bytes) -> bytes:
    """`body` (UTF-8 now) with an XML declaration that says so, as feedparser itself writes
    one after decoding. Without it feedparser would guess again for an undeclared body:
    us-ascii for text/xml, ISO-8859-1 when there is no Content-Type (RFC 3023)."""
    declaration = _XML_DECLARATION.match(body)
    rest = body[declaration.end() :] if declaration else b"\n" + body
    return _UTF8_DECLARATION + rest


def _response_headers(headers: Mapping[str, str]) -> dict[str, str]:
    # feedparser reads lower-case keys. We do not add the URL as Content-Location: with a
    # base, feedparser joins every href and RSS guid against it (a third of its time on a
    # big feed, and guids that change when the feed moves); _link joins the one link we use.
    return {key.lower(): value for key, value in headers.items()}


# --- feedparser ----------------------------------------------------------------------


def _feedparser(body: bytes, headers: dict[str, str]) -> Any:
    # A stream, never bytes: given bytes, feedparser first tries them as a *file name*, so
    # a server answering "/etc/passwd" would make it read a local file.
    try:
        return feedparser.parse(io.BytesIO(body), response_headers=headers, **_FEEDPARSER_OPTIONS)
    except Exception as error:  # feedparser promises not to raise; hostile input may still
        raise ParseError(f"feedparser failed: {type(error).__name__}: {error}") from error


def _check_is_feed(result: Any, headers: Mapping[str, str], root: str, body_start: bytes) -> None:
    """Raise ParseError unless feedparser recognised a feed or found entries in it."""
    if result.get("version") or result.entries:
        return
    media_type = _media_type(headers)
    if root == "html" or media_type in {"text/html", "application/xhtml+xml"}:
        raise ParseError(f"not a feed: {media_type or 'text/html'}")
    if "json" in media_type or body_start == b"{":
        raise ParseError("not a feed: JSON (JSON Feed is not supported)")
    error = result.get("bozo_exception")
    # feedparser's own notes (missing Content-Type, encoding overrides) are not why a
    # document is no feed; an XML error is.
    if result.get("bozo") and not isinstance(error, feedparser.ThingsNobodyCaresAboutButMe):
        raise ParseError(f"not a feed: {_one_line(error)}")
    raise ParseError(f"not a feed: unknown root element <{root}>" if root else "not a feed: no XML element")


def _media_type(headers: Mapping[str, str]) -> str:
    for key, value in headers.items():
        if key.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return ""


def _warnings(result: Any) -> tuple[str, ...]:
    # A bozo feed that still has a version or entries is kept; the operator sees why.
    return (_one_line(result.get("bozo_exception")),) if result.get("bozo") else ()


def capped_warnings(warnings: tuple[str, ...]) -> tuple[str, ...]:
    """At most MAX_WARNINGS warnings of at most MAX_WARNING_CHARS each; the last line says
    how many were left out, and a cut warning says it was shortened."""
    if len(warnings) > MAX_WARNINGS:
        left_out = len(warnings) - MAX_WARNINGS + 1
        warnings = (*warnings[: MAX_WARNINGS - 1], f"... and {left_out} more warnings, not kept")
    return tuple(_shortened(warning) for warning in warnings)


def _shortened(warning: str) -> str:
    if len(warning) <= MAX_WARNING_CHARS:
        return warning
    note = f"... (shortened from {len(warning):,} characters)"
    return warning[: MAX_WARNING_CHARS - len(note)] + note


def _one_line(error: object) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}" if isinstance(error, Exception) else text


# --- entries -------------------------------------------------------------------------


def _type_guessed(result: Any) -> bool:
    """Whether feedparser guessed the text types (RSS, RDF) rather than read them (Atom)."""
    return not str(result.get("version") or "").startswith("atom")


def _raw_entry(entry: dict[str, Any], url: str, guessed: bool = False) -> RawEntry:
    summary, content_type = _summary(entry, guessed)
    published, published_raw = _published(entry)
    return RawEntry(
        guid=_text_of(entry, "id") or None,
        title=_text_of(entry, "title", guessed),
        link=_absolute(_link(entry), url),
        summary=summary,
        published=published,
        published_raw=published_raw,
        content_type=content_type,
    )


def _text_of(element: dict[str, Any], key: str, guessed: bool = False) -> str:
    """`element[key]` as HTML: a text/plain value is escaped, so "a <b> c" stays literal."""
    value = dict.get(element, key)  # dict.get: FeedParserDict's aliases would warn
    if not isinstance(value, str):
        return ""
    detail = dict.get(element, f"{key}_detail") or {}
    plain = _media(detail.get("type"), value, guessed) == "text/plain"
    return html.escape(value, quote=False) if plain else value


def _media(declared: str | None, value: str, guessed: bool) -> str | None:
    """The text's media type, overriding a guess of text/plain for text with closing tags."""
    if declared == "text/plain" and guessed and _CLOSING_TAG.search(value):
        return "text/html"
    return declared


def _summary(entry: dict[str, Any], guessed: bool = False) -> tuple[str, str]:
    """The entry's summary, else its first content, with its media type."""
    summary = dict.get(entry, "summary")
    if isinstance(summary, str) and summary:
        detail = dict.get(entry, "summary_detail") or {}
        return summary, _media(detail.get("type"), summary, guessed) or "text/html"
    for content in dict.get(entry, "content") or ():
        if isinstance(content.get("value"), str):
            return content["value"], content.get("type") or "text/html"
    return "", "text/html"


def _link(entry: dict[str, Any]) -> str | None:
    """The rel=alternate link, else feedparser's `link` (which may be a guid permalink)."""
    for link in dict.get(entry, "links") or ():
        if link.get("rel") == "alternate" and isinstance(link.get("href"), str) and link["href"]:
            return str(link["href"])
    value = dict.get(entry, "link")
    return value if isinstance(value, str) and value else None


def _absolute(link: str | None, url: str) -> str | None:
    """`link` resolved against the feed's URL when it is relative ("/2024/post")."""
    try:
        return link if link is None or not url or urlsplit(link).scheme else urljoin(url, link)
    except ValueError:  # "http://[::1" and the like; normalise refuses it as a link
        return link


def _published(entry: dict[str, Any]) -> tuple[datetime | None, str | None]:
    """The entry's date (published, else updated) in UTC, and the string it came from."""
    for key in ("published", "updated"):
        parsed = _utc(dict.get(entry, f"{key}_parsed"))
        if parsed is not None:
            return parsed, _raw_date(entry, key)
    return None, _raw_date(entry, "published") or _raw_date(entry, "updated")


def _raw_date(entry: dict[str, Any], key: str) -> str | None:
    value = dict.get(entry, key)
    return value if isinstance(value, str) and value else None


def _utc(parsed: Any) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime; None when it cannot be one."""
    try:
        year, month, day, hour, minute, second = (int(field) for field in tuple(parsed)[:6])
        # A leap second (":60") is valid in a feed but not in a datetime.
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
