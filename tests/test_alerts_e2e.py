"""Issue 4 end to end: corpus rounds from a loopback feed server, alerts to a real receiver.

The receiver (tests/receiver.py) verifies every delivery with the independent
`standardwebhooks` package. One alert per statement event, none for anything else.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from monitor import evaluate
from monitor.watch import shipped_watch
from tests.conftest import SECRET
from tests.receiver import Receiver


def rows(shared: Path, scenario: str) -> list[dict[str, Any]]:
    lines = (shared / "corpus" / "items.jsonl").read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r["scenario"] == scenario]


@pytest.mark.parametrize("scenario", ["A", "B"])
def test_one_verified_webhook_per_statement_event(shared: Path, scenario: str) -> None:
    chosen = rows(shared, scenario)
    events = {r["event"] for r in chosen if r["label"] == "statement"}
    with Receiver(SECRET) as receiver:
        stored, alerts, _ = asyncio.run(
            evaluate.replay(chosen, [shipped_watch()], hook_url=receiver.url, secret=SECRET)
        )
        assert receiver.wait_for(len(events))
        requests = receiver.requests
    assert not receiver.failures, [r.error for r in receiver.failures]
    assert len(requests) == len(events)  # once per statement, not once per outlet
    assert len(set(receiver.accepted_ids)) == len(events)

    by_id = {item["id"]: item for item in stored}
    labels = {r["id"]: r for r in chosen}
    raised = Counter(labels[by_id[a["item"]]["guid"]]["event"] for a in alerts)
    assert raised == Counter(dict.fromkeys(events, 1))

    for request in requests:
        body = request.payload
        assert body["type"] == "statement.detected"
        data = body["data"]
        assert data["watch"] == "lecun-meta"
        assert data["speaker"] in {"Yann LeCun", "Meta"}
        assert data["stance"] in {"confirms", "denies", "declines", "other"}
        assert data["evidence"]
        assert {"id", "title", "link", "feed", "published"} <= data["item"].keys()
        raiser = labels[by_id[data["item"]["id"]]["guid"]]
        assert raiser["label"] == "statement"  # the item that raised it reports the statement
        assert data["sources"]
        assert data["seed_context"]

    # Every later item about the same statement joined its alert instead of raising one.
    for item in stored:
        label = labels[item["guid"]]
        if label["label"] == "statement":
            assert item["alert"] is not None, label["title"]
        else:
            assert item["alert"] is None, label["title"]
