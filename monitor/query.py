"""Turn stored rows into what read commands print, and CLI words into filters.

Pure: rows in, text out. The store runs the queries; the CLI picks the format.
JSON is for programs (stable field names, the interface contract), the table for people.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from tabulate import tabulate

from monitor.channels import FINGERPRINT_DIGITS
from monitor.config import parse_duration

__all__ = [
    "ALERT_FIELDS",
    "ENDPOINT_FIELDS",
    "FEED_FIELDS",
    "ITEM_FIELDS",
    "STORY_FIELDS",
    "Format",
    "delivery_text",
    "endpoint_state",
    "entry_text",
    "item_view",
    "parse_since",
    "render",
]

Format = Literal["table", "json", "nl", "csv"]

# What `monitor items --json` shows, in this order. Internal columns (fingerprint,
# title_key) stay in the database for those who open it.
ITEM_FIELDS = (
    "id",
    "feed",
    "title",
    "link",
    "published",
    "first_seen",
    "summary",
    "guid",
    "canonical_link",
    "date_note",
    "updated",
    "earlier_versions",  # texts replaced by edits, kept in the item_versions table
    "duplicate_of",
    "duplicate_score",
    "seed",
    "seed_score",
    "story",
    "story_score",
    "statement",
    "alert",
)
# The fields of the other read commands' rows, in the store's order: the CSV header when
# no row is there to name them (tests/test_cli.py checks they match the rows).
FEED_FIELDS = (
    "name",
    "url",
    "official",
    "active",
    "last_polled",
    "status",
    "last_error",
    "warnings",  # what the parser repaired or tolerated in the latest document
    "failures",
    "next_poll",
    "etag",
    "last_modified",
    "items",
)
STORY_FIELDS = ("id", "size", "first", "latest", "outlets", "title")
ALERT_FIELDS = (
    "id",
    "watch",
    "speaker",
    "stance",
    "item",
    "created",
    "evidence",
    "score",
    "sources",
    "deliveries",
)
# `monitor notify`: each alert channel the database knows, with its deliveries by state.
ENDPOINT_FIELDS = (
    "kind",
    "endpoint",
    "entry",  # its config entry ("webhooks[1]"), as `notify test` names it; null: not in the config
    "disabled",
    "disabled_reason",
    "removed",
    "pending",
    "dead",
    "delivered",
    "state",
)
# A spreadsheet runs a cell that starts with one of these as a formula: a feed's title
# `=HYPERLINK(...)` would be live in the user's export. OWASP's advice: a leading `'`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Width the table gives long text columns before cutting them with an ellipsis.
TABLE_TEXT_WIDTH = 70
# The end of a channel's display (`channels.display`): "…#1a2b3c".
_FINGERPRINT_END = re.compile(rf"#[0-9a-f]{{{FINGERPRINT_DIGITS}}}$")


def item_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """An items row as the contract shows it: chosen fields, JSON columns decoded."""
    view = {name: row.get(name) for name in ITEM_FIELDS}
    if isinstance(view["statement"], str):
        view["statement"] = json.loads(view["statement"])
    return view


def endpoint_state(disabled: str | None, reason: str | None, removed: str | None = None) -> str:
    """How an alert channel stands, in words: "enabled", "disabled since WHEN (WHY)", or
    "not in the config since WHEN"."""
    if removed is not None:
        return f"not in the config since {removed}"
    if disabled is None:
        return "enabled"
    return f"disabled since {disabled} ({reason or 'no reason recorded'})"


def entry_text(entry: str | None, unread: Sequence[str]) -> str:
    """A channel's config entry for the `monitor notify` table: the entry, or why there is
    none. A url_env channel is matched only when its variable is set, so while some are
    not an unmatched Apprise channel may be one of them (short: the table cuts at 70)."""
    if entry is not None:
        return entry
    if unread:
        return f"not in the config, or {' or '.join(unread)} (url_env not set)"
    return "not in the config"


def delivery_text(delivery: Mapping[str, Any]) -> str:
    """One delivery in the alerts table: its channel's kind and its state; a delivery that
    waits for a disabled or removed channel says so, since "pending" would read as "on its way"."""
    if delivery["state"] != "delivered" and (delivery.get("disabled") or delivery.get("removed")):
        state = endpoint_state(delivery["disabled"], delivery.get("disabled_reason"), delivery.get("removed"))
        return (
            f"{delivery['kind']} {delivery['state']}, {state}"
            if delivery.get("removed")
            else f"{delivery['kind']} {state}"
        )
    return f"{delivery['kind']} {delivery['state']}"


def parse_since(text: str, now: datetime) -> datetime | None:
    """'2h' / '3d' (that long ago) or an ISO date or datetime; None if neither."""
    if duration := parse_duration(text):
        try:
            return now - duration
        except OverflowError:  # further back than a date goes: everything
            return datetime.min.replace(tzinfo=UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def render(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    columns: Sequence[str] | None = None,
    fields: Sequence[str] = (),
) -> str:
    """Rows in the chosen format; `columns` picks the table's columns (JSON has all fields).

    `fields` are the fields a row would have: the CSV header when there is no row.
    """
    renderers: dict[str, Callable[[], str]] = {
        "json": lambda: json.dumps(list(rows), ensure_ascii=False, indent=2, default=str),
        "nl": lambda: "\n".join(json.dumps(r, ensure_ascii=False, default=str) for r in rows),
        "csv": lambda: _csv(rows, fields),
        "table": lambda: _table(rows, columns),
    }
    return renderers[fmt]()


def _csv(rows: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> str:
    # The header even with no rows: a script reading the export still finds its columns.
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else list(fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return out.getvalue().rstrip("\n")


def _csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula.

    Only text is marked: a number such as -3 is data, and a leading `'` would change it.
    The check is on the cell as written (after whitespace folding), which is what the
    spreadsheet reads.
    """
    text = _cell(value, width=None)
    return f"'{text}" if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None) -> str:
    if not rows:
        return "(none)"
    names = list(columns or rows[0].keys())
    body = [[_cell(row.get(name), width=TABLE_TEXT_WIDTH) for name in names] for row in rows]
    return str(tabulate(body, headers=names, tablefmt="simple", disable_numparse=True))


def _cell(value: Any, *, width: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = " ".join(str(value).split())
    if width and len(text) > width:
        # A channel's fingerprint is what tells two channels on one host apart: it stays.
        kept = fingerprint.group() if (fingerprint := _FINGERPRINT_END.search(text)) else ""
        return text[: width - 1 - len(kept)] + "…" + kept
    return text
