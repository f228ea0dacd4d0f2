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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.config import Config
from monitor.exceptions import ConfigError, ConfigProblem
from monitor.loopback import FeedServer, HookRecorder, rss
from monitor.store import ItemFilter, Store
from monitor.types import FeedConfig, WebhookConfig
from monitor.watch import Watch

__all__ = ["Report", "load_labels", "replay", "run"]

_LABELS = {"statement", "seed_duplicate", "related", "unrelated"}
_UNDATED = datetime.min.replace(tzinfo=UTC)


@dataclass(slots=True)
class Report:
    """Every figure of one evaluation, and the items it got wrong."""

    items: int = 0
    seed: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    copies: Counter[str] = field(default_factory=Counter)
    statements: Counter[str] = field(default_factory=Counter)
    events: dict[str, int] = field(default_factory=dict)
    # Per event, how many rounds after its first item the item came that raised its first
    # alert (0: in the same poll). An event whose own alert came late (its statement
    # joined another's alert, or only a later report was found) shows here, not in `events`.
    rounds_to_first_alert: dict[str, int] = field(default_factory=dict)
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
                "late": {e: n for e, n in sorted(self.rounds_to_first_alert.items()) if n},
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
        lines.append(f"events first alerted a round or more after their first item: {e['late'] or 'none'}")
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
    """Read and check a labelled JSONL file; every bad line is reported at once.

    Each problem is keyed `FILE:LINE` and names the field and what it must be, so a wrong
    type is a config error (exit 2) here rather than a crash, or a silently wrong score,
    halfway through a replay.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        at = data.count(b"\n", 0, e.start) + 1
        problem = f"not UTF-8 text (byte {data[e.start]:#04x}); expected JSON lines in UTF-8"
        raise ConfigError(str(path), [ConfigProblem(f"{path}:{at}", problem)]) from None
    rows: list[tuple[int, dict[str, Any]]] = []  # (line number, row)
    problems: list[ConfigProblem] = []
    first_line: dict[str, int] = {}  # id → the line that holds it
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        row, found = _parse_row(line)
        problems += [ConfigProblem(where, f) for f in found]
        if row is None or found:
            continue
        if (first := first_line.setdefault(row["id"], number)) != number:
            problems.append(ConfigProblem(where, f"field id {row['id']!r} is already the id of line {first}"))
            continue
        rows.append((number, row))
    problems += _cross_problems(path, rows)
    if problems:
        raise ConfigError(str(path), _capped(problems))
    return [row for _, row in rows]


@dataclass(frozen=True, slots=True)
class _Field:
    """What one field of a labelled line must be (LABELS.md)."""

    must_be: str
    check: Callable[[Any], bool]
    required: bool = False
    nullable: bool = False  # JSON null allowed, meaning "none"


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _aware_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


# Strict on purpose: `bool("no")` is True, and an int id never matches the guid the feed
# server serves (a string), so loose types gave wrong scores rather than errors.
_FIELDS: dict[str, _Field] = {
    "id": _Field("a non-empty string", _text, required=True),
    "scenario": _Field("a non-empty string", _text, required=True),
    "round": _Field("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool), required=True),
    "outlet": _Field("a non-empty string", _text, required=True),
    "title": _Field("a string", lambda v: isinstance(v, str), required=True),
    "label": _Field(f"one of {', '.join(sorted(_LABELS))}", lambda v: v in _LABELS, required=True),
    "official": _Field("true or false", lambda v: isinstance(v, bool)),
    "published": _Field(
        'an ISO 8601 date with a UTC offset, e.g. "2025-11-11T10:00:00+00:00"', _aware_date, nullable=True
    ),
    **{
        name: _Field("a string", lambda v: isinstance(v, str), nullable=True)
        for name in ("summary", "link", "lang", "event", "dup_of")
    },
}
# A wrong file (a CSV, a log) has a problem on every line; the first ones say what is wrong.
MAX_PROBLEMS = 50


def _parse_row(line: str) -> tuple[dict[str, Any] | None, list[str]]:
    """One line as a labelled row, or None, with what is wrong with it."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        return None, [f"not JSON: {e}"]
    if not isinstance(row, dict):
        return None, [f"must be a JSON object (one labelled item a line), got {_shown(row)}"]
    return row, [problem for name, spec in _FIELDS.items() if (problem := _field_problem(row, name, spec))]


def _field_problem(row: Mapping[str, Any], name: str, spec: _Field) -> str | None:
    if name not in row:
        return f"field {name} is missing; it must be {spec.must_be}" if spec.required else None
    value = row[name]
    if (value is None and spec.nullable) or (value is not None and spec.check(value)):
        return None
    nullable = " or null" if spec.nullable else ""
    return f"field {name} must be {spec.must_be}{nullable}, got {_shown(value)}"


def _shown(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _cross_problems(path: Path, rows: Sequence[tuple[int, Mapping[str, Any]]]) -> list[ConfigProblem]:
    """What no single line shows: a copy of an id the file lacks, an outlet official in one
    line and not in another (the feed is one or the other)."""
    problems = []
    ids = {row["id"] for _, row in rows}
    official: dict[str, tuple[bool, int]] = {}  # outlet → (official, its first line)
    for number, row in rows:
        where = f"{path}:{number}"
        if row.get("dup_of") is not None and row["dup_of"] not in ids:
            problems.append(ConfigProblem(where, f"field dup_of {row['dup_of']!r} is no id in this file"))
        is_official = row.get("official", False)
        first = official.setdefault(row["outlet"], (is_official, number))
        if first[0] != is_official:
            problems.append(
                ConfigProblem(
                    where,
                    f"field official is {str(is_official).lower()} but line {first[1]} says "
                    f"{str(first[0]).lower()} for outlet {row['outlet']!r}; an outlet is official or not",
                )
            )
    return problems


def _capped(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS], ConfigProblem("", f"... and {more} more problems")]


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
                # Every outlet every round, even one that failed: a replay, not a politeness matter.
                await poller.poll_once(everything=True)
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
        outlets.setdefault(name, (f"/feed/{len(outlets)}.xml", row.get("official") is True))
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
        # An undated entry sorts as the oldest (None does not compare with a datetime).
        entries.sort(key=lambda e: e["published"] or _UNDATED, reverse=True)
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
        first: dict[str, int] = {}  # each event's first round
        for r in rows:
            if r["label"] == "statement" and r.get("event"):
                events.setdefault(r["event"], 0)
                first[r["event"]] = min(first.get(r["event"], r["round"]), r["round"])
        for alert in alerts:
            row = self.labels.get(self.corpus_id.get(alert["item"], ""), {})
            event = row.get("event")
            if row.get("label") != "statement" or not event:
                self.report.false_alerts += 1
                self.wrong(row, f"false alert {alert['id']}")
                continue
            events[event] = events.get(event, 0) + 1
            self._first_alert(event, row, first)
            if events[event] > 1:
                self.report.duplicate_alerts += 1
                self.wrong(row, f"second alert for {event}")

    def _first_alert(self, event: str, row: Mapping[str, Any], first: Mapping[str, int]) -> None:
        late = int(row["round"]) - first[event]
        delays = self.report.rounds_to_first_alert
        delays[event] = min(delays.get(event, late), late)

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
