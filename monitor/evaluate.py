"""`monitor eval LABELS.jsonl`: replay labelled items through the real pipeline and score it.

The labelled format is the shared corpus's (`LABELS.md`): one JSON object a line with
id, scenario, round, outlet, official, title, summary, link, published, lang, label
(statement / seed_duplicate / related / unrelated), event (for statements) and dup_of.

Each scenario runs alone in a temporary database. Each outlet becomes a feed on a
loopback feed server; round by round, every feed document grows by that round's items
(as a real feed does) and `run --once` polls them all: real HTTP, conditional GET,
parse, normalise, store, dedupe, classify, alert, and signed webhooks to a loopback
receiver. Then every stored item is compared with its label.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.config import Config
from monitor.exceptions import ConfigError, ConfigProblem
from monitor.loopback import FeedServer, HookRecorder, rss
from monitor.store import ItemFilter, Store
from monitor.types import FeedConfig, WebhookConfig
from monitor.watch import Watch

__all__ = ["Report", "load_labels", "replay", "run"]

_REQUIRED = ("id", "scenario", "round", "outlet", "title", "label")
_LABELS = {"statement", "seed_duplicate", "related", "unrelated"}


@dataclass(slots=True)
class Report:
    """Every figure of one evaluation, and the items it got wrong."""

    items: int = 0
    seed: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    copies: Counter[str] = field(default_factory=Counter)
    statements: Counter[str] = field(default_factory=Counter)
    events: dict[str, int] = field(default_factory=dict)
    false_alerts: int = 0
    duplicate_alerts: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)
    wrong: list[dict[str, Any]] = field(default_factory=list)

    def seed_scores(self, lang: str) -> dict[str, float | int | None]:
        c = self.seed[lang]
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
        return {"precision": precision, "recall": recall, "tp": c["tp"], "fp": c["fp"], "fn": c["fn"]}

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "seed": {lang: self.seed_scores(lang) for lang in sorted(self.seed)},
            "copies": {
                "recognised": self.copies["hit"],
                "total": self.copies["total"],
                "false": self.copies["false"],
            },
            "statements_flagged_as_seed": self.statements["as_seed"],
            "statement_items": {
                "detected": self.statements["detected"],
                "total": self.statements["total"],
                "false": self.statements["false"],
            },
            "events": {
                "alerted": sum(1 for n in self.events.values() if n),
                "total": len(self.events),
                "alerts_per_event": dict(sorted(self.events.items())),
            },
            "false_alerts": self.false_alerts,
            "duplicate_alerts": self.duplicate_alerts,
            "deliveries": {"received": self.deliveries["received"], "verified": self.deliveries["verified"]},
            "wrong": self.wrong,
        }

    def text(self) -> str:
        d = self.as_dict()
        lines = [f"items: {self.items}"]
        for lang, s in d["seed"].items():
            lines.append(
                f"seed [{lang}]: precision {_pct(s['precision'])}  recall {_pct(s['recall'])}"
                f"  (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})"
            )
        c = d["copies"]
        lines.append(f"exact copies recognised: {c['recognised']}/{c['total']}  (false copies: {c['false']})")
        s = d["statement_items"]
        lines.append(
            f"statement items detected: {s['detected']}/{s['total']}  (false statements: {s['false']})"
        )
        lines.append(f"statements flagged as seed duplicates: {d['statements_flagged_as_seed']}")
        e = d["events"]
        lines.append(f"statement events alerted: {e['alerted']}/{e['total']}  {e['alerts_per_event']}")
        lines.append(f"false alerts: {d['false_alerts']}  duplicate alerts: {d['duplicate_alerts']}")
        lines.append(
            f"webhooks received: {d['deliveries']['received']} (signature ok: {d['deliveries']['verified']})"
        )
        lines.append(f"wrong items: {len(self.wrong)}")
        lines += [
            f"  {w['id']} [{w['lang']}] {w['label']}: {w['problem']} | {w['title'][:90]}" for w in self.wrong
        ]
        return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def load_labels(path: Path) -> list[dict[str, Any]]:
    """Read and check a labelled JSONL file; every bad line is reported at once."""
    rows, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(ConfigProblem(f"line {number}", f"not JSON: {e}"))
            continue
        missing = [k for k in _REQUIRED if k not in row]
        if missing or row.get("label") not in _LABELS:
            problems.append(
                ConfigProblem(
                    f"line {number}", f"needs {', '.join(_REQUIRED)} and a label in {sorted(_LABELS)}"
                )
            )
            continue
        rows.append(row)
    if problems:
        raise ConfigError(str(path), problems)
    return rows


def run(
    path: Path, watches: Sequence[Watch], *, hook_url: str | None = None, secret: str | None = None
) -> Report:
    """Evaluate every scenario of the labelled file at `path` against `watches`.

    Deliveries go to a built-in loopback recorder, or to `hook_url` (signed with `secret`)
    when a caller brings its own receiver, as the end-to-end test does.
    """
    rows = load_labels(path)
    report = Report()
    for scenario in sorted({str(r["scenario"]) for r in rows}):
        chosen = [r for r in rows if str(r["scenario"]) == scenario]
        stored, alerts, hooks = asyncio.run(replay(chosen, watches, hook_url=hook_url, secret=secret))
        _score(report, chosen, stored, alerts, hooks)
    return report


async def replay(
    rows: Sequence[Mapping[str, Any]],
    watches: Sequence[Watch],
    *,
    hook_url: str | None = None,
    secret: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    """Serve the rows round by round and poll after each round; return items, alerts, hooks."""
    from monitor.pipeline import Poller  # noqa: PLC0415 - pipeline imports every stage

    secret = secret or "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    outlets = _outlets(rows)
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server, HookRecorder(secret) as recorder:
        url = hook_url or recorder.url
        config = Config(
            source=Path(tmp) / "eval.toml",
            database=Path(tmp) / "eval.db",
            feeds=tuple(
                FeedConfig(name, server.url(path), official) for name, (path, official) in outlets.items()
            ),
            webhooks=(WebhookConfig(url, secret),),
            watches=tuple(watches),
        )
        store = Store.open(config.database)
        poller = Poller(store, config, processes=0)
        try:
            for round_no in sorted({int(r["round"]) for r in rows}):
                _publish(server, rows, outlets, round_no)
                await poller.poll_once()
        finally:
            await poller.aclose()
        stored = store.items(ItemFilter(limit=None))
        alerts = store.alerts()
        store.close()
        return stored, alerts, list(recorder.hooks)


def _outlets(rows: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, bool]]:
    outlets: dict[str, tuple[str, bool]] = {}
    for row in rows:
        name = str(row["outlet"])
        outlets.setdefault(name, (f"/feed/{len(outlets)}.xml", bool(row.get("official"))))
    return outlets


def _publish(
    server: FeedServer,
    rows: Sequence[Mapping[str, Any]],
    outlets: Mapping[str, tuple[str, bool]],
    round_no: int,
) -> None:
    """Each outlet's feed holds its items of every round so far, newest first."""
    for name, (path, _official) in outlets.items():
        entries = [_entry(r) for r in rows if r["outlet"] == name and int(r["round"]) <= round_no]
        entries.sort(key=lambda e: e["published"], reverse=True)
        server.put(path, rss(name, entries))


def _entry(row: Mapping[str, Any]) -> dict[str, Any]:
    published = datetime.fromisoformat(row["published"]) if row.get("published") else None
    return {
        "guid": row["id"],
        "title": row["title"],
        "link": row.get("link"),
        "summary": row.get("summary", ""),
        "published": published,
    }


# ----------------------------------------------------------------- scoring ---


def _score(
    report: Report,
    rows: Sequence[Mapping[str, Any]],
    stored: Sequence[Mapping[str, Any]],
    alerts: Sequence[Mapping[str, Any]],
    hooks: Sequence[Any],
) -> None:
    scorer = _Scorer(report, {r["id"]: r for r in rows}, {s["id"]: s["guid"] for s in stored})
    by_guid = {s["guid"]: s for s in stored}
    for row in rows:
        report.items += 1
        if (item := by_guid.get(row["id"])) is None:
            scorer.wrong(row, "not stored")
        else:
            scorer.item(row, item)
    scorer.alerts(rows, alerts)
    report.deliveries["received"] += len(hooks)
    report.deliveries["verified"] += sum(1 for h in hooks if h.verified)


@dataclass(slots=True)
class _Scorer:
    """Compares one scenario's stored items and alerts with their labels."""

    report: Report
    labels: Mapping[str, Mapping[str, Any]]  # corpus id → labelled row
    corpus_id: Mapping[int, str]  # stored item id → corpus id (the served guid)

    def item(self, row: Mapping[str, Any], item: Mapping[str, Any]) -> None:
        lang, label = str(row.get("lang") or "?"), row["label"]
        is_seed, got_seed = label == "seed_duplicate", item["seed"] is not None
        outcome = "tp" if is_seed and got_seed else "fp" if got_seed else "fn" if is_seed else "tn"
        self.report.seed[lang][outcome] += 1
        if got_seed != is_seed:
            self.wrong(row, f"seed={item['seed']!r} score={item['seed_score']}")
        self.statement(row, item, got_seed)
        self.copy(row, item)

    def statement(self, row: Mapping[str, Any], item: Mapping[str, Any], got_seed: bool) -> None:
        counts = self.report.statements
        if row["label"] == "statement":
            counts["total"] += 1
            counts["detected"] += item["statement"] is not None
            counts["as_seed"] += got_seed
            if item["statement"] is None:
                self.wrong(row, "statement not detected")
        elif item["statement"] is not None:
            counts["false"] += 1
            self.wrong(row, f"false statement {item['statement']}")

    def copy(self, row: Mapping[str, Any], item: Mapping[str, Any]) -> None:
        original = self.root(row["id"]) if row.get("dup_of") else None
        got = self.corpus_id.get(item["duplicate_of"]) if item["duplicate_of"] else None
        if original is not None:
            self.report.copies["total"] += 1
            if got is not None and self.root(got) == original:
                self.report.copies["hit"] += 1
            else:
                self.wrong(row, f"copy of {row['dup_of']} not recognised (duplicate_of={got})")
        elif got is not None:
            self.report.copies["false"] += 1
            self.wrong(row, f"marked a copy of {got}, which it is not")

    def root(self, corpus_id: str) -> str:
        """The original a copy (of a copy…) stands for."""
        seen = set()
        while self.labels.get(corpus_id, {}).get("dup_of") and corpus_id not in seen:
            seen.add(corpus_id)
            corpus_id = self.labels[corpus_id]["dup_of"]
        return corpus_id

    def alerts(self, rows: Sequence[Mapping[str, Any]], alerts: Sequence[Mapping[str, Any]]) -> None:
        events = self.report.events
        for event in {r["event"] for r in rows if r["label"] == "statement" and r.get("event")}:
            events.setdefault(event, 0)
        for alert in alerts:
            row = self.labels.get(self.corpus_id.get(alert["item"], ""), {})
            event = row.get("event")
            if row.get("label") != "statement" or not event:
                self.report.false_alerts += 1
                self.wrong(row, f"false alert {alert['id']}")
                continue
            events[event] = events.get(event, 0) + 1
            if events[event] > 1:
                self.report.duplicate_alerts += 1
                self.wrong(row, f"second alert for {event}")

    def wrong(self, row: Mapping[str, Any], problem: str) -> None:
        self.report.wrong.append(
            {
                "id": row.get("id"),
                "lang": row.get("lang"),
                "label": row.get("label"),
                "title": row.get("title", ""),
                "problem": problem,
            }
        )
