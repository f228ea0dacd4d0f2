"""`monitor eval`: the targets of issues 3 and 4 on the shared corpus, and any file in its format."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor import evaluate
from monitor.cli import cli
from monitor.watch import shipped_watch


def test_shared_corpus_meets_the_targets(shared: Path) -> None:
    report = evaluate.run(shared / "corpus" / "items.jsonl", [shipped_watch()]).as_dict()
    english = report["seed"]["en"]
    assert english["precision"] >= 0.95
    assert english["recall"] >= 0.95
    assert report["copies"]["recognised"] == report["copies"]["total"]
    assert report["copies"]["false"] == 0
    assert report["statements_flagged_as_seed"] == 0
    assert report["events"]["alerted"] == report["events"]["total"] == 4
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["deliveries"]["received"] == report["deliveries"]["verified"] == 4


def test_the_command_takes_any_file_in_the_format(tmp_path: Path) -> None:
    rows = [
        {
            "id": "x1",
            "scenario": "S",
            "round": 1,
            "outlet": "Wire",
            "official": False,
            "lang": "en",
            "title": "Acme shares rise after earnings beat",
            "summary": "Shares rose 4%.",
            "link": "https://wire.example/acme",
            "published": "2025-11-11T10:00:00+00:00",
            "label": "unrelated",
            "event": None,
            "dup_of": None,
        },
        {
            "id": "x2",
            "scenario": "S",
            "round": 2,
            "outlet": "Mirror",
            "official": False,
            "lang": "en",
            "title": "Acme shares rise after earnings beat",
            "summary": "Shares rose 4%.",
            "link": "https://wire.example/acme?utm_source=mirror",
            "published": "2025-11-11T11:00:00+00:00",
            "label": "unrelated",
            "event": None,
            "dup_of": "x1",
        },
    ]
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(labels), "--json"], obj={})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["items"] == 2
    assert report["copies"] == {"recognised": 1, "total": 1, "false": 0}
    assert report["false_alerts"] == 0


def test_a_malformed_labels_file_names_every_bad_line(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "a"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(labels)], obj={})
    assert result.exit_code == 2
    assert "line 1: needs" in result.output
    assert "line 2: not JSON" in result.output
