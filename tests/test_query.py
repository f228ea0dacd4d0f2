"""Rendering and filter parsing for read commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.query import TABLE_TEXT_WIDTH, item_view, parse_since, render
from tests.conftest import NOW

ROWS = [
    {"id": 2, "title": "A\x1b[31m red\nline", "statement": None},
    {"id": 1, "title": "B, with comma", "statement": None},
]


def test_formats() -> None:
    assert json.loads(render(ROWS, "json")) == ROWS
    assert [json.loads(line)["id"] for line in render(ROWS, "nl").splitlines()] == [2, 1]
    assert render(ROWS, "csv").splitlines()[2] == '1,"B, with comma",'
    table = render(ROWS, "table", ["id", "title"])
    assert table.splitlines()[0].split() == ["id", "title"]
    assert "line" in table.splitlines()[2]  # newlines inside a cell are folded into one line
    assert render([], "table") == "(none)"


def test_csv_neutralises_formulas_in_text_cells_only() -> None:
    """A feed's title must not become a live formula in the user's spreadsheet (OWASP CSV injection)."""
    rows: list[dict[str, Any]] = [
        {"id": -3, "score": -0.5, "title": '=HYPERLINK("http://evil","x")'},
        {"id": 2, "score": 1.0, "title": "+cmd|' /C calc'!A0"},
        {"id": 3, "score": None, "title": "-3 dead"},
        {"id": 4, "score": None, "title": "@SUM(A1)"},
        {"id": 5, "score": None, "title": "\t =1+1"},  # folded to "=1+1": checked after folding
        {"id": 6, "score": None, "title": "\r=1+1"},
        {"id": 7, "score": None, "title": "Plain - not a formula"},
    ]
    lines = render(rows, "csv").splitlines()
    assert lines[1:] == [
        '-3,-0.5,"\'=HYPERLINK(""http://evil"",""x"")"',  # numbers are left alone
        "2,1.0,'+cmd|' /C calc'!A0",
        "3,,'-3 dead",
        "4,,'@SUM(A1)",
        "5,,'=1+1",
        "6,,'=1+1",
        "7,,Plain - not a formula",
    ]
    assert json.loads(render(rows, "json")) == rows  # other formats stay exact
    assert [json.loads(line) for line in render(rows, "nl").splitlines()] == rows
    assert "'" not in render(rows[:1], "table", ["title"]).splitlines()[2]


def test_empty_csv_is_its_header_row() -> None:
    """A script reading the export sees the columns even when nothing matched."""
    assert render([], "csv", fields=("id", "title")) == "id,title"
    assert render(ROWS, "csv", fields=("other",)).splitlines()[0] == "id,title,statement"


def test_long_cells_are_cut_in_tables_only() -> None:
    rows = [{"title": "x" * 500}]
    assert "…" in render(rows, "table")
    assert json.loads(render(rows, "json"))[0]["title"] == "x" * 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", NOW - timedelta(hours=2)),
        ("3d", NOW - timedelta(days=3)),
        ("2025-11-11", datetime(2025, 11, 11, tzinfo=UTC)),
        ("2025-11-11T10:00:00+01:00", datetime(2025, 11, 11, 9, tzinfo=UTC)),
        ("yesterday", None),
        ("99999999999d", datetime.min.replace(tzinfo=UTC)),  # before any date: everything
    ],
)
def test_parse_since(text: str, expected: datetime | None) -> None:
    assert parse_since(text, NOW) == expected


def test_item_view_decodes_the_statement() -> None:
    view = item_view({"id": 1, "statement": '{"speaker": "Meta"}', "fingerprint": "x"})
    assert view["statement"] == {"speaker": "Meta"}
    assert "fingerprint" not in view


def test_a_long_channel_display_is_cut_in_the_middle_keeping_its_fingerprint() -> None:
    # Two Apprise channels on one host differ only in the fingerprint at the end.
    long = "mailtos://user:****@smtp.example.com/?to=" + "a-long-list-of-recipients," * 4 + "#1a2b3c"
    row = {"id": 1, "channel": long}
    cell = render([row], "table", ["id", "channel"]).splitlines()[2].split(None, 1)[1]
    assert len(cell) == TABLE_TEXT_WIDTH
    assert cell.endswith("…#1a2b3c")
    assert cell.startswith("mailtos://user:****@smtp.example.com/?to=")
    title = {"id": 2, "channel": "x" * 100}  # any other long text ends on the ellipsis
    assert render([title], "table", ["id", "channel"]).splitlines()[2].endswith("x…")
