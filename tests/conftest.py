"""Shared fixtures: fixed clocks, shared-corpus locations, config files in tmp_path."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.types import Item

SHARED = Path(__file__).resolve().parents[2] / "shared"
NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture
def shared() -> Path:
    """The shared material beside the project; tests that need it skip without it."""
    if not SHARED.is_dir():
        pytest.skip(f"shared material not found at {SHARED}")
    return SHARED


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a monitor.toml into tmp_path and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "monitor.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def text_item(title: str, summary: str = "", *, feed: str = "Wire", official: bool = False) -> Item:
    """An item made of its text alone, keyed by it: what the classify and watch tests judge."""
    digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return Item(
        feed=feed,
        key=digest[:16],
        guid=None,
        title=title,
        link=None,
        canonical_link=None,
        summary=summary,
        published=NOW,
        date_note=None,
        fingerprint=digest,
        official=official,
    )
