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
from typing import Any

from monitor.types import AlertDecision, Statement
from monitor.watch import Watch

__all__ = ["EVENT_TYPE", "decide", "payload"]

EVENT_TYPE = "statement.detected"


def decide(statement: Statement, existing_alert: int | None) -> AlertDecision:
    """Join the alert already raised for this statement, else raise a new one."""
    return AlertDecision(statement=statement, join=existing_alert)


def payload(parts: Mapping[str, Any], watches: Sequence[Watch], timestamp: str) -> dict[str, Any]:
    """The Standard Webhooks body for one alert, from the store's `alert_payload_parts`."""
    item = parts["item"]
    return {
        "type": EVENT_TYPE,
        "timestamp": timestamp,
        "data": {
            "alert_id": parts["id"],
            "watch": parts["watch"],
            "speaker": parts["speaker"],
            "stance": parts["stance"],
            "item": _item(item),
            "evidence": json.loads(parts["evidence"] or "[]"),
            "score": parts["score"],
            "sources": [_item(source) for source in parts["sources"]],
            "seed_context": seed_context(parts["watch"], watches),
        },
    }


def seed_context(watch_name: str, watches: Sequence[Watch]) -> dict[str, Any]:
    """What the user already knew: the watch's open question and its seed stories."""
    watch = next((w for w in watches if w.name == watch_name), None)
    if watch is None:
        return {"question": None, "seeds": []}
    return {
        "question": getattr(watch, "question", None),
        "seeds": [{"name": s.name, "title": s.title, "source": s.source} for s in watch.seeds],
    }


def _item(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("id", "title", "link", "feed", "published")}
