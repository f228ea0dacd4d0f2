"""Decide whether a statement raises a new alert or joins one, and what the alert says.

Pure: the store answers "is there an alert for this statement already?" and this
module decides. One alert per statement: the statement's key is (watch, speaker,
stance), so every outlet, translation and next-day analysis of "LeCun confirms he is
leaving" joins the first alert, while Meta's own confirmation (another speaker) or a
later denial (another stance) is a new alert.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor import deliver
from monitor.types import AlertDecision, Statement
from monitor.watch import Watch

__all__ = ["decide", "payload", "seed_context"]


def decide(statement: Statement, existing_alert: int | None) -> AlertDecision:
    """Join the alert already raised for this statement, else raise a new one."""
    return AlertDecision(statement=statement, join=existing_alert)


def payload(parts: Mapping[str, Any], watches: Sequence[Watch]) -> dict[str, Any]:
    """The webhook body for one alert, from the store's `alert_payload_parts`."""
    item = parts["item"]
    return deliver.payload(
        alert_id=parts["id"],
        timestamp=datetime.fromisoformat(parts["created"]),
        watch=parts["watch"],
        speaker=parts["speaker"],
        stance=parts["stance"],
        item_id=item["id"],
        title=item["title"],
        link=item["link"],
        feed=item["feed"],
        published=datetime.fromisoformat(item["published"]),
        evidence=json.loads(parts["evidence"] or "[]"),
        sources=[_source(row) for row in parts["sources"]],
        seed_context=seed_context(parts["watch"], watches),
    )


def seed_context(watch_name: str, watches: Sequence[Watch]) -> str | None:
    """What the user already knew: the watch's open question and its seed stories, in one line."""
    watch = next((w for w in watches if w.name == watch_name), None)
    if watch is None:
        return None
    seeds = "; ".join(f"{s.title} ({s.source or s.name})" for s in watch.seeds)
    question = getattr(watch, "question", "") or ""
    return f"{question} Seeds: {seeds}".strip()


def _source(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("id", "feed", "title", "link", "published")}
