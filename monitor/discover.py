"""Discover: find the feeds a web page advertises, for `monitor feeds add PAGE-URL`.

Pure: HTML text in, links out. Sites announce their feeds in the page head with

    <link rel="alternate" type="application/rss+xml" href="/feed.xml" title="…">

(the RSS autodiscovery convention, also used for Atom). Relative hrefs are resolved
against the page's URL, or its `<base href>` when it has one (HTML §4.2.3). RSS and Atom
links come first, in document order; RDF and generic XML types are kept as a fallback. JSON
Feed links are ignored: `parse` does not read JSON Feed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from monitor.parse import header_charset

__all__ = ["FEED_TYPES", "FeedLink", "decode_html", "feed_links", "looks_like_html"]

# Media types of feed links, most preferred first; the position is the preference.
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
_PREFERRED = 2  # the first two, RSS and Atom, are what we look for; the rest is a fallback

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed a page advertises: absolute URL, media type and title; from discover to the CLI."""

    url: str
    type: str
    title: str = ""

    @property
    def preferred(self) -> bool:
        """True for RSS and Atom links, the ones autodiscovery is about."""
        return self.type in FEED_TYPES[:_PREFERRED]


def looks_like_html(headers: Mapping[str, str], body: bytes) -> bool:
    """True when a response is a web page: an HTML media type, or a body that starts as HTML."""
    media_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if media_type.split(";", 1)[0].strip().lower() in _HTML_TYPES:
        return True
    return _HTML_START.match(body[:4096]) is not None


def decode_html(body: bytes, headers: Mapping[str, str]) -> str:
    """The page as text: the charset of Content-Type, else of a <meta> tag, else UTF-8.

    Undecodable bytes become U+FFFD; feed hrefs are ASCII in practice, so nothing we need
    is lost to a wrong guess.
    """
    for candidate in (header_charset(headers), _meta_charset(body)):
        if candidate:
            try:
                return body.decode(candidate, "replace")
            except LookupError:  # an unknown charset name: try the next source
                continue
    return body.decode("utf-8", "replace")


def feed_links(html: str, page_url: str) -> tuple[FeedLink, ...]:
    """Every feed link `html` advertises, absolute, RSS/Atom first, duplicates dropped."""
    finder = _LinkFinder()
    finder.feed(html)
    finder.close()
    base = urljoin(page_url, finder.base) if finder.base else page_url
    links: dict[str, FeedLink] = {}
    for href, media_type, title in finder.found:
        url = _absolute(base, href)
        if url is not None and url not in links:
            links[url] = FeedLink(url, media_type, title)
    # RSS and Atom in document order (the page's own order of preference), then the rest.
    return tuple(
        sorted(links.values(), key=lambda link: 0 if link.preferred else FEED_TYPES.index(link.type))
    )


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])  # HTML §4.2.5.4: must be in the first 1024 bytes
    return match.group(1).decode("ascii") if match else None


def _absolute(base: str, href: str) -> str | None:
    """`href` joined to `base` without its fragment, if the result is an http(s) URL."""
    try:
        url = urljoin(base, href.strip())
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" and the like
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts._replace(fragment="").geturl()


class _LinkFinder(HTMLParser):
    """Collects `<link rel=alternate>` feed links and the first `<base href>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "link":
            self._link(values)

    def _link(self, values: dict[str, str]) -> None:
        rel = values.get("rel", "").lower().split()  # rel is a set of space-separated tokens
        media_type = values.get("type", "").split(";", 1)[0].strip().lower()
        href = values.get("href", "").strip()
        if "alternate" in rel and media_type in FEED_TYPES and href:
            self.found.append((href, media_type, " ".join(values.get("title", "").split())))
