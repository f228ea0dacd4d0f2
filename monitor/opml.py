"""OPML: read and write feed lists, the format feed readers import and export.

Pure: bytes in, feeds out, and back. Reading takes every `<outline>` with an `xmlUrl`,
at any depth (readers nest feeds in category outlines), and keeps the category path for
messages. OPML files are user input like feeds are, so any DOCTYPE is refused: OPML never
needs one, and refusing it rules out entity expansion ("billion laughs") and external
entities. Writing gives OPML 2.0 with `text`/`title` = the feed's name, `xmlUrl` and
`type="rss"`, which `read` takes back unchanged.

Spec: http://opml.org/spec2.opml
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from monitor.exceptions import OpmlError

__all__ = ["DOCTYPE_REFUSED", "OpmlFeed", "read", "write"]

DOCTYPE_REFUSED = "DOCTYPE and entity declarations refused (OPML needs none)"


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline of an OPML file; from `read` to `monitor feeds import`."""

    name: str  # the outline's text, else its title; may be empty
    url: str  # xmlUrl, trimmed
    category: str = ""  # the enclosing outlines' names joined with "/", for messages


def read(data: bytes) -> tuple[OpmlFeed, ...]:
    """Every feed outline in an OPML document, in document order.

    Raises OpmlError when the document declares a DOCTYPE, is not well-formed XML, or is
    not OPML.
    """
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(data)
        root = parser.close()
    except _DoctypeRefusedError:
        raise OpmlError(DOCTYPE_REFUSED) from None
    except ET.ParseError as e:
        raise OpmlError(f"not well-formed XML: {e}") from e
    if root.tag != "opml":
        raise OpmlError(f"not OPML: the root element is <{root.tag}>, expected <opml>")
    body = root.find("body")
    return tuple(_feeds(body, ())) if body is not None else ()


def write(feeds: Iterable[tuple[str, str]], title: str = "monitor feeds") -> bytes:
    """An OPML 2.0 document listing `feeds` as (name, url) pairs."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    for name, url in feeds:
        ET.SubElement(body, "outline", text=name, title=name, type="rss", xmlUrl=url)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _feeds(parent: ET.Element, path: tuple[str, ...]) -> Iterator[OpmlFeed]:
    for outline in parent.iterfind("outline"):
        attributes = {key.lower(): value.strip() for key, value in outline.attrib.items()}
        name = " ".join((attributes.get("text") or attributes.get("title") or "").split())
        if attributes.get("xmlurl"):
            yield OpmlFeed(name=name, url=attributes["xmlurl"], category="/".join(path))
        yield from _feeds(outline, (*path, name) if name else path)


class _DoctypeRefusedError(Exception):
    """Raised from inside the parser to stop at a DOCTYPE."""


class _NoDoctype(ET.TreeBuilder):
    """ElementTree's own tree builder, stopping at the start of any DOCTYPE.

    expat reports the DOCTYPE before reading its internal subset, so no entity is ever
    declared, let alone expanded.
    """

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeRefusedError
