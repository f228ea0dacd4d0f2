"""The watch as data: the shipped LeCun/Meta watch, validation, and a second story in TOML."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor import config
from monitor.classify import classify
from monitor.exceptions import ConfigError, ConfigProblem
from monitor.watch import Watch, compile_cues, load_seeds, load_watch, shipped_watch
from tests.conftest import text_item as item

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)

# A second story, written inline the way a user would in monitor.toml.
ACME_TOML = """
[[watches]]
name = "acme-ceo"
question = "Has Acme Corp or Jane Doe said on the record whether she is resigning?"
seeds = "acme-seeds"
subject = ["resign", "resigns", "resigning", "resignation", "step down", "steps down", "stay", "remains"]
absence = ["declined to comment", "reportedly", "sources say", "did not respond"]
off_subject = ["recall"]

[[watches.parties]]
name = "Jane Doe"
aliases = ["Jane Doe", "Doe"]

[[watches.parties]]
name = "Acme"
aliases = ["Acme", "Acme Corp", "an Acme spokesperson"]

[watches.cues]
speech = ["says", "said", "confirms", "denies", "re::\\\\s*['\\"]"]
confirms = ["confirms", "will step down", "will resign"]
denies = ["denies", "remains CEO", "not resigning"]
declines = ["re:(?:don't|do not) comment on rumou?rs"]
"""


def acme_watch(tmp_path: Path) -> Watch:
    seeds = tmp_path / "acme-seeds"
    seeds.mkdir()
    (seeds / "rumour.md").write_text(
        "# Acme CEO Jane Doe is said to plan to resign\n\nPeople familiar say Doe will step down.\n",
        encoding="utf-8",
    )
    table = tomllib.loads(ACME_TOML)["watches"][0]
    watch, problems = load_watch(table, base_dir=tmp_path, key="watches[0]")
    assert problems == []
    assert watch is not None
    return watch


def keys(problems: list[ConfigProblem]) -> set[str]:
    return {p.key for p in problems}


# ── The shipped watch ───────────────────────────────────────────────────────────────
def test_shipped_watch_loads_with_its_two_seeds_repaired() -> None:
    watch = shipped_watch()
    assert watch.name == "lecun-meta"
    assert watch.question
    assert [p.name for p in watch.parties] == ["Yann LeCun", "Meta"]
    assert len(watch.seeds) == 2
    for seed in watch.seeds:
        assert "â€" not in seed.text
        assert "isnât" not in seed.text
        assert "â" not in seed.title
        assert seed.title
        assert seed.source
    assert any("official statement" in s.text for s in watch.seeds)
    assert "yann lecun" in watch.entity_terms
    assert "startup" in watch.entity_terms


def test_seed_files_are_never_rewritten() -> None:
    paths = [s.path for s in shipped_watch().seeds if s.path is not None]
    before = {p: p.read_bytes() for p in paths}
    watch = shipped_watch()
    assert {p: p.read_bytes() for p in paths} == before
    repaired = [s for s in watch.seeds if s.path and "isnât" in s.path.read_text(encoding="utf-8")]
    assert len(repaired) == 1
    assert "isn’t" in repaired[0].text


def test_seed_defaults_come_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("\n\n## **Big** news\n\nBody.\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Plain title\nBody\n", encoding="utf-8")
    (tmp_path / "a.toml").write_text('source = "Wire"\npublished = 2025-11-11T21:00:00Z\n', encoding="utf-8")
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    seeds, problems = load_seeds(tmp_path, key="seeds")
    assert problems == []
    assert [(s.name, s.title, s.source) for s in seeds] == [
        ("a", "Plain title", "Wire"),
        ("b", "Big news", None),
    ]
    assert seeds[0].published == datetime(2025, 11, 11, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_missing_or_empty_seed_folder_is_a_problem(tmp_path: Path, make: str) -> None:
    folder = tmp_path / "seeds"
    if make == "empty":
        folder.mkdir()
    seeds, problems = load_seeds(folder, key="watches[0].seeds")
    assert seeds == ()
    assert keys(problems) == {"watches[0].seeds"}


# ── Validation: every problem at once, with its key path ────────────────────────────
def test_every_problem_is_reported_at_once_with_its_key_path(tmp_path: Path) -> None:
    table: Mapping[str, Any] = {
        "name": "broken",
        "colour": "red",
        "seeds": "no-such-folder",
        "subject": "leave",
        "threshold": "high",
        "venture": ["startup", "re:(unclosed"],
        "parties": [
            {"name": "Jane Doe", "aliases": ["Jane Doe"]},
            {"name": "Acme", "aliases": []},
            {"name": "Bob", "aliases": ["Bob", 3], "role": "cfo"},
        ],
        "cues": {"speech": ["says"], "confirms": ["re:(unclosed"], "maybe": ["x"]},
    }
    watch, problems = load_watch(table, base_dir=tmp_path, key="watches[0]")
    assert watch is None
    assert keys(problems) == {
        "watches[0].colour",
        "watches[0].seeds",
        "watches[0].subject",
        "watches[0].threshold",
        "watches[0].venture[1]",
        "watches[0].parties[1].aliases",
        "watches[0].parties[2].aliases[1]",
        "watches[0].parties[2].role",
        "watches[0].cues.confirms[0]",
        "watches[0].cues.maybe",
        "watches[0].cues",  # the only stance cue was invalid: none left
    }
    by_key = {p.key: p.message for p in problems}
    assert "'leave'" in by_key["watches[0].subject"]
    assert "list" in by_key["watches[0].subject"]
    assert "re:(unclosed" in by_key["watches[0].cues.confirms[0]"]
    assert "regular expression" in by_key["watches[0].cues.confirms[0]"]
    assert "expected one of" in by_key["watches[0].colour"]
    assert "no-such-folder" in by_key["watches[0].seeds"]


def test_cue_syntax() -> None:
    pattern = compile_cues(["Meta", "AMI", "step down", "quitt*", "says * report", "离职", r"re:\bsaid to\b"])
    assert pattern is not None

    def found(text: str) -> list[str]:
        return [m.group() for m in pattern.finditer(text)]

    assert found("Meta says; the meta shifts; MetaMask") == ["Meta"]  # capitals and word ends
    assert found("AMI Labs, mon ami") == ["AMI"]
    assert found("he will STEP  DOWN") == ["STEP  DOWN"]
    assert found("il quittera Meta") == ["quittera", "Meta"]
    assert found("Meta says the report is wrong") == ["Meta", "says the report"]
    assert found("杨立昆将离职") == ["离职"]
    assert found("he is said to plan") == ["said to"]
    aliases = compile_cues(["Meta"], alias=True)
    assert aliases is not None
    assert aliases.search("a meta-analysis; Meta-analysis") is None


# ── A second story needs no code ────────────────────────────────────────────────────
def test_a_second_watch_loads_and_classifies_its_own_story(tmp_path: Path) -> None:
    acme = acme_watch(tmp_path)
    assert [s.name for s in acme.seeds] == ["rumour"]
    assert acme.seeds[0].title == "Acme CEO Jane Doe is said to plan to resign"

    statement = classify(item("Acme confirms Doe will step down in March"), acme)
    assert statement is not None
    assert (statement.watch, statement.speaker, statement.stance) == ("acme-ceo", "Acme", "confirms")
    denial = classify(item("Jane Doe: 'I am not resigning'"), acme)
    assert denial is not None
    assert (denial.speaker, denial.stance) == ("Jane Doe", "denies")

    for quiet in (
        "Acme CEO Jane Doe reportedly plans to resign, sources say",
        "Acme declined to comment on Doe's resignation",
        "Acme confirms recall of toasters",
        "Yann LeCun confirms he will leave Meta to start a company",
    ):
        assert classify(item(quiet), acme) is None, quiet


def test_the_two_watches_ignore_each_other(tmp_path: Path) -> None:
    acme, lecun = acme_watch(tmp_path), shipped_watch()
    lecun_news = item("Meta confirms Yann LeCun will leave at the end of the year")
    acme_news = item("Acme confirms CEO Jane Doe will step down", "Doe said she will resign in March.")
    assert classify(lecun_news, lecun) is not None
    assert classify(lecun_news, acme) is None
    assert classify(acme_news, acme) is not None
    assert classify(acme_news, lecun) is None


def test_a_watch_built_in_code_compiles_its_cues() -> None:
    watch = Watch("w", (), (), ("leave",), speech=("says",), confirms=("will leave",))
    assert watch.matchers.aliases is None
    assert classify(item("Someone says he will leave"), watch) is None


def test_two_watches_of_one_name_are_a_problem_naming_both(tmp_path: Path) -> None:
    """Alerts are keyed by watch name: two watches so named merged their alerts, and the
    second's webhooks carried the first's question and seeds (a user audit)."""
    acme_watch(tmp_path)  # writes the seeds folder
    other = ACME_TOML.replace('name = "acme-ceo"', 'name = "acme-cfo"', 1)
    path = tmp_path / "monitor.toml"
    path.write_text(ACME_TOML + other + ACME_TOML, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert [str(p) for p in info.value.problems] == [
        "watches[2].name: 'acme-ceo' is already the name of watches[0]; watch names must be unique"
    ]
    path.write_text(ACME_TOML + other, encoding="utf-8")
    assert [w.name for w in config.load(path).watches] == ["acme-ceo", "acme-cfo"]
