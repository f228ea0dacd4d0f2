"""`monitor eval`: the targets of issues 3 and 4 on the shared corpus, and any file in its format."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from click.testing import CliRunner

from monitor import evaluate
from monitor.cli import cli
from monitor.exceptions import ConfigError
from monitor.watch import shipped_watch

GOLDEN = Path(__file__).parent / "golden"


class Figures(NamedTuple):
    """What an audit's test pins: alerts false and duplicated, events (alerted, of all)
    and statement items (found, of all); no event late and no statement item false."""

    false_alerts: int
    duplicates: int
    events: tuple[int, int]
    statements: tuple[int, int]


def figures(name: str) -> Figures:
    report = evaluate.run(GOLDEN / name, [shipped_watch()]).as_dict()
    events, items = report["events"], report["statement_items"]
    assert events["late"] == {}
    assert items["false"] == 0
    return Figures(
        report["false_alerts"],
        report["duplicate_alerts"],
        (events["alerted"], events["total"]),
        (items["detected"], items["total"]),
    )


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
    assert f"{labels}:1: field scenario is missing; it must be a non-empty string" in result.output
    assert f"{labels}:2: not JSON" in result.output


GOOD = {
    "id": "g1",
    "scenario": "S",
    "round": 1,
    "outlet": "Wire",
    "official": False,
    "title": "Acme shares rise",
    "summary": "Shares rose.",
    "link": "https://wire.example/acme",
    "published": "2025-11-11T10:00:00+00:00",
    "lang": "en",
    "label": "unrelated",
    "event": None,
    "dup_of": None,
}


def test_every_field_of_the_wrong_type_is_named_with_its_line(tmp_path: Path) -> None:
    """A user audit: these crashed with ValueError, AttributeError, TypeError, or scored
    every item `not stored` (integer ids or outlets), or took "no" for official."""
    bad = [
        {**GOOD, "id": "b1", "round": "first"},
        {**GOOD, "id": "b2", "published": "yesterday"},
        {**GOOD, "id": "b3", "title": None},
        5,
        {**GOOD, "id": 4},
        {**GOOD, "id": "b5", "outlet": 7},
        {**GOOD, "id": "b6", "official": "no"},
        {**GOOD, "id": "b7", "published": "2025-11-11T10:00:00"},  # no offset: which zone?
        {**GOOD, "id": "b8", "round": True, "summary": 3, "label": "spam"},
        {**GOOD, "id": "b9", "dup_of": "nowhere"},
        {**GOOD, "id": "g1"},  # the good line's id again
        {**GOOD, "id": "b10", "outlet": "Newsroom", "official": True},
        {**GOOD, "id": "b11", "outlet": "Newsroom"},  # official there, not here
    ]
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps(r) for r in [GOOD, *bad]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(labels)], obj={})
    assert result.exit_code == 2, result.output
    reported = [line.removeprefix("  - ") for line in result.output.splitlines()[1:]]
    expected = [
        ':2: field round must be an integer, got "first"',
        ":3: field published must be an ISO 8601 date with a UTC offset, "
        'e.g. "2025-11-11T10:00:00+00:00" or null, got "yesterday"',
        ":4: field title must be a string, got null",
        ":5: must be a JSON object (one labelled item a line), got 5",
        ":6: field id must be a non-empty string, got 4",
        ":7: field outlet must be a non-empty string, got 7",
        ':8: field official must be true or false, got "no"',
        ":9: field published must be an ISO 8601 date with a UTC offset, "
        'e.g. "2025-11-11T10:00:00+00:00" or null, got "2025-11-11T10:00:00"',
        ":10: field round must be an integer, got true",
        ':10: field label must be one of related, seed_duplicate, statement, unrelated, got "spam"',
        ":10: field summary must be a string or null, got 3",
        ":12: field id 'g1' is already the id of line 1",
        ":11: field dup_of 'nowhere' is no id in this file",
        ":14: field official is false but line 13 says true for outlet 'Newsroom'; "
        "an outlet is official or not",
    ]
    assert reported == [f"{labels}{e}" for e in expected]
    assert result.output.startswith(f"error: {labels}: {len(expected)} problem(s)")


def test_a_binary_file_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_bytes(json.dumps(GOOD).encode() + b"\n\x89PNG\r\n\x1a\n\x00\xff\xfe")
    result = CliRunner().invoke(cli, ["eval", str(labels)], obj={})
    assert result.exit_code == 2, result.output
    assert f"{labels}:2: not UTF-8 text (byte 0x89); expected JSON lines in UTF-8" in result.output


@pytest.mark.parametrize("lines", [[GOOD], ["not json"]], ids=["scored", "refused"])
def test_eval_gives_the_monitor_logger_its_level_back(
    tmp_path: Path, lines: list[dict[str, Any] | str]
) -> None:
    """A user audit: eval quietened the "monitor" logger (its report is the output) and left
    it at WARNING, so every later command in the same process (CliRunner) lost its INFO lines."""
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps(r) if isinstance(r, dict) else r for r in lines), encoding="utf-8")
    monitor_log = logging.getLogger("monitor")
    before = monitor_log.level
    result = CliRunner().invoke(cli, ["eval", str(labels)], obj={})
    assert result.exit_code == (0 if lines == [GOOD] else 2), result.output
    assert monitor_log.level == before
    assert monitor_log.isEnabledFor(logging.INFO)  # the level CliRunner's `cli` set on the root


def test_a_file_wrong_on_every_line_reports_the_first_problems(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("id,title\n" * 500, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        evaluate.load_labels(labels)
    assert len(info.value.problems) == evaluate.MAX_PROBLEMS + 1
    assert str(info.value.problems[-1]) == f"... and {500 - evaluate.MAX_PROBLEMS} more problems"


def test_undated_items_are_served_after_dated_ones(tmp_path: Path) -> None:
    rows = [GOOD, {**GOOD, "id": "g2", "published": None, "title": "Undated story"}]
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert evaluate.run(labels, [shipped_watch()]).as_dict()["items"] == 2


def test_other_wordings_meet_the_targets_too() -> None:
    """54 items a user audit wrote in wordings the shared corpus lacks (German, Spanish, a
    handle-named first-party feed, a career recap, a confidant, "insider says", a question
    quoting the rumour): before its grammar was added, 5 of 7 alerts were false and 4 of the
    5 statements swallowed by an earlier false alert of the same speaker and stance. Tuned
    on since, so no longer held out: it keeps those fixes from coming undone."""
    report = evaluate.run(GOLDEN / "other_wordings.jsonl", [shipped_watch()]).as_dict()
    assert report["events"]["alerted"] == report["events"]["total"] == 5
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["statements_flagged_as_seed"] == 0
    assert report["statement_items"] == {"detected": 32, "total": 32, "false": 0}
    assert report["copies"] == {"recognised": 8, "total": 8, "false": 0}


def test_a_second_audits_wordings_meet_the_targets_too() -> None:
    """49 items a second audit wrote blind to the rules above (held out when first run:
    3 of 5 events alerted, 1 false alert that swallowed a real one, 1 duplicate alert, 8 of
    16 statements found). Tuned on since. Its two events "LeCun announces" and "LeCun details
    the company in an interview" have one speaker and stance; they shared one alert until
    the interview, 37 hours after the post's last report, was a new statement
    (alerts.STATEMENT_QUIET_GAP). A French denial that names LeCun only as "Yann" is found
    since `about` accepts his given name."""
    report = evaluate.run(GOLDEN / "other_wordings_2.jsonl", [shipped_watch()]).as_dict()
    assert report["events"]["alerted"] == report["events"]["total"] == 5
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["statement_items"] == {"detected": 16, "total": 16, "false": 0}


def test_a_third_audits_wordings_meet_the_targets_too() -> None:
    """53 items a third audit wrote blind to both rounds of rules: held out when first run,
    3 of 5 events alerted, 11 of 18 statements found, no false or duplicate alert. The
    misses were statements without a stance word, tuned on since (the passive's agent in
    other languages, "Name: I…" headlines, why he leaves, "nothing to announce"). Left:
    "won't say whether he's leaving" is a reporter's word for a refusal, as "declined to
    say" is, and the podcast event's items give his reasons without naming him as speaker.
    The podcast, 45 hours after the LinkedIn post's last report, alerts on its own since
    alerts.STATEMENT_QUIET_GAP (it joined the post's alert before)."""
    report = evaluate.run(GOLDEN / "other_wordings_3.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["events"]["alerted"] == report["events"]["total"] == 5
    # 18 of 18 since the watch names him by his title too ("Meta's chief AI scientist").
    assert report["statement_items"] == {"detected": 18, "total": 18, "false": 0}


def test_a_fourth_audits_wordings_meet_the_targets_too() -> None:
    """51 items a fourth audit wrote blind to every rule above, asked for statements without
    a classic stance verb, first-name-only mentions, other languages, and hard negatives
    that look like them. Held out when first run: 3 of 5 events, 4 of 19 statements, no
    false or duplicate alert. Tuned on since: the passive's agent a few words on ("confirmed
    in a note to staff from Chief AI Officer Alexandr Wang"), "according to a statement",
    quote-colon-name headlines, negative concord ("No tenemos nada que anunciar"), "…, the
    Turing Award winner said", German verb-second order ("erklärte ein Meta-Sprecher").
    Its podcast event has the speaker and stance of its LinkedIn event; it joined that alert
    until a report 47 hours after the post's last was a new statement
    (alerts.STATEMENT_QUIET_GAP)."""
    report = evaluate.run(GOLDEN / "other_wordings_4.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["events"]["alerted"] == report["events"]["total"] == 5
    assert report["statement_items"] == {"detected": 15, "total": 19, "false": 0}


def test_a_fifth_audits_wordings_raise_no_false_alert() -> None:
    """56 items a fifth audit wrote blind to every rule above, as varied as real coverage.
    Kept as measured, never tuned on: 4 of 5 events alerted, 14 of 19 statements found, no
    false alert, one duplicate (a Techmeme headline's "LeCun will stay at the company through
    the end of 2025" reads as a denial). The same figures before and after the third and
    fourth audits' rules: they neither helped nor hurt here. The rule for facts about his new
    company ("his startup will…"), written from the README's description of the misses with
    wordings of our own, found 18 of 19; reading a stay until a date as the departure it
    implies took the duplicate away. Guards precision, and recall from falling below it."""
    report = evaluate.run(GOLDEN / "other_wordings_5.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["statement_items"]["false"] == 0
    # The interview, 84 hours after the post, alerts since alerts.STATEMENT_QUIET_GAP.
    assert report["events"]["alerted"] == report["events"]["total"] == 5
    assert report["statement_items"]["detected"] >= 18


def test_a_false_alert_hunts_hard_negatives_raise_no_false_alert() -> None:
    """76 items an audit wrote blind to every rule above to provoke false alerts (66 hard
    negatives: others' quotes, LeCun and Meta on other subjects, reporters' silence in four
    languages, old news retold, speculation; and 10 statements over 4 events). Held out when
    first run: 2 false alerts, from "Meta hat den Bericht bislang weder bestätigt noch
    dementiert" (silence so far, not a refusal given) and a 2018 quote "LeCun said at the
    time". Tuned on since: both are gone; the events all alert once. Its last missed item,
    LeCun's own post "I have nothing to announce. I'm at FAIR…" with no subject term, is
    found since a first-person refusal with no object on a party's own channel is on the
    subject."""
    report = evaluate.run(GOLDEN / "hard_negatives.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["events"]["alerted"] == report["events"]["total"] == 4
    assert report["statement_items"] == {"detected": 10, "total": 10, "false": 0}


def test_a_sixth_audits_wordings_raise_no_false_alert() -> None:
    """60 items a sixth audit wrote blind to every rule and every other set: 21 statements
    over 6 events (facts about the new company with no stance word, speakers named only by
    title, posts that never name their author, French, German and Spanish), 39 traps.
    Held out when first run, at 88157cd: 3 of 6 events, 5 of 21 statements, 1 false alert
    and 1 duplicate; after the fifth audit's rules (merged without seeing it): 3 of 6, 6 of
    21, the false alert still there ("ni l'intéressé ni Meta n'ont confirmé", French negation
    without "pas"). Tuned on since: that negation, a singular "rumor", "I'm staying at",
    "rules out", German »…« quotes and "ich bleibe bei"; 4 of 6 events, 10 of 21. Its misses
    (the rest of the new company's facts, a speaker named only as "Meta's chief AI
    scientist", German compounds such as "LeCun-Abgang") are listed in the README. The
    interview about AMI, two weeks after his post, alerts since alerts.STATEMENT_QUIET_GAP."""
    report = evaluate.run(GOLDEN / "other_wordings_6.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["events"]["alerted"] == 5
    # 11 of 21 since the watch names him by his title too ("Meta's chief AI scientist").
    assert report["statement_items"] == {"detected": 11, "total": 21, "false": 0}


def test_a_seventh_audits_wordings_raise_no_false_alert() -> None:
    """60 items a seventh audit wrote blind to every rule and every other set: 20 statements
    over 6 events (a memo quoted in Italian and Portuguese, Japanese reports, a talk two
    weeks after the post, a podcast refusal), 40 traps ("Will Yann LeCun confirm?",
    third parties, LeCun and Meta on other subjects). Held out when first run, at 0959244:
    2 of 6 events, 11 of 20 statements, 1 false alert and 1 duplicate. The question's
    "confirm" raised a LeCun confirmation, which every later one of his then joined. Tuned
    on since: a question states nothing; "Wang credited LeCun with … and said" is Wang
    speaking (a name after "credited", "thanked" is their object); Italian, Portuguese and
    Japanese cues in the shipped watch; and the same speaker and stance after 36 quiet
    hours is a new statement (alerts.STATEMENT_QUIET_GAP): 6 of 6, 16 of 20; with his title
    as an alias ("KI-Chefforschers", "cientista-chefe"), 18 of 20; with "a confirmé que …
    serait" as reported speech, 19. Left: one duplicate (outlets read his podcast answer
    as a refusal, a French one as a denial) and a German report of the company's facts
    with no stance word and a noun the watch lacks ("Neugründung")."""
    report = evaluate.run(GOLDEN / "other_wordings_7.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 1
    assert report["events"]["alerted"] == report["events"]["total"] == 6
    # 18 of 20 since the watch names him by his title too ("KI-Chefforschers"), 19 since
    # "a confirmé que … serait" is reported speech, not hearsay.
    assert report["statement_items"] == {"detected": 19, "total": 20, "false": 0}


def test_an_eighth_audits_wordings_raise_no_false_alert() -> None:
    """64 items an eighth audit wrote blind to every rule, every other set and the README:
    22 statements over 7 events (a CTO's Instagram Q&A, Meta's newsroom post, a refusal on
    stage, his own "no announcement to make" post, a radio interview naming the company
    two months on; English, French, German, Spanish, Chinese, Korean, Dutch, Italian,
    Japanese), 42 traps. Held out when first run, at 037a9b7: 3 of 7 events, 7 of 22
    statements, no false or duplicate alert. Tuned on since: "no announcement to make",
    "not going to comment on my plans" (and in Spanish and Italian), "Bosworth", a first
    set of Dutch cues, German "zurückgewiesen" and the genitive "LeCuns", a name inside a
    compound ("post-Meta") is no speaker, and "…, says Paris will be HQ" is a reported
    clause, not Paris speaking: 7 of 7, 15 of 22; with the tenth audit's Korean and
    quotation rules, 16; with the eleventh stop's "he would leave" said by the one "the
    Turing Award winner" refers to, 17: a retrospective two months later, which joins the
    post's alert as it names the month it recalls ("in November"; classify.RECALLED_MONTHS).
    Left: a live blog whose speaker is "His answer:", the radio interview's French and
    German reports (the company's facts with no noun the watch knows), and a German
    retrospective."""
    report = evaluate.run(GOLDEN / "other_wordings_8.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["events"]["alerted"] == report["events"]["total"] == 7
    assert report["statement_items"] == {"detected": 17, "total": 22, "false": 0}


def test_a_ninth_audits_wordings_raise_no_false_alert() -> None:
    """60 items a ninth audit wrote blind to every rule, every other set and the README:
    21 statements over 6 events (an answer given after a fireside chat, a spokeswoman in
    the passive voice, a spokesperson named without her employer, posts on Bluesky and
    Meta's AI blog; ten languages, Polish and Turkish among them), 39 traps. Held out when
    first run, at a6b6ec8: 3 of 6 events, 9 of 21 statements and 2 false alerts, both a
    stance only supposed ("Should LeCun confirm the move, he would…", "72% odds LeCun
    confirms Meta exit"). Tuned on since: a stance under "if", "whether", an inverted
    conditional or a wager is none; a name after "whether" is not the speaker; "remains
    Meta's", "continues in his role", Japanese 認めた and 明言, Spanish "anunciara", "deja
    claro", "seguirá siendo", German "letzter Arbeitstag": 6 of 6, 15 of 21; with the
    tenth audit's Polish, Turkish and Korean cues, 18; with a spokesperson named by role
    alone ("confirmed by a company spokeswoman") speaking for the headline's company, 19.
    With "he" in a clause that names no one as the last subject named before it (the
    eleventh stop), 20. Left: a quoted denial whose speaker is given after it by a name
    the watch does not know. And one duplicate,
    which had hidden a late alert: his LinkedIn post came 34 hours after the first report
    of his Station F interview and joined its alert (the quiet gap), so the post's own
    alert came a week later, from a Spanish report that recalls it undated. Since a party's
    own post is its own occasion (alerts.OWN_POST_SAME_OCCASION) the post alerts on time,
    and that Spanish report is the duplicate it always was."""
    report = evaluate.run(GOLDEN / "other_wordings_9.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 1
    assert report["events"]["alerted"] == report["events"]["total"] == 6
    # The post's own alert comes in the post's own round: a round (a week) late before,
    # which the count of alerts per event had shown as a hit.
    assert report["events"]["late"] == {}
    assert report["statement_items"] == {"detected": 20, "total": 21, "false": 0}


def test_a_tenth_audits_wordings_raise_no_false_alert() -> None:
    """60 items a tenth audit wrote blind to every rule, every other set and the README:
    22 statements over 6 events (his LinkedIn post and its reports, a spokesperson's
    confirmation with a partnership, a talk at Station F naming the company, a denial,
    his refusal on Threads, Meta's CTO on a podcast; sixteen languages), 38 traps. Held out
    when first run, at a4d545d: 3 of 6 events, 3 of 22 statements, no false or duplicate
    alert; his own post ("I am planning to leave Meta…") among the misses. Tuned on since,
    with cases of our own in test_classify: a first-person plan to leave, "creating" a
    startup; "its chief AI scientist", "Meta's top AI researcher" (a regex alias, which
    now speaks for its party); "LeCun's new company will…, he said"; a quotation, and two
    clauses one attribution ends, are one clause; "won't be discussing"; "rejects
    reports"; first cues in Korean (with its particles and reported clauses), Polish,
    Turkish, Russian and Arabic: 6 of 6, 15 of 22; with a spokesperson named by role alone
    ("um porta-voz afirmou") speaking for the company the headline gives as its source
    ("segundo a Meta"), 16. Left: one duplicate (outlets read the CTO's answer as a
    refusal or as a denial: not folded, since in the first audit Meta's refusal and its
    denial 21 hours later were two statements), reports that name him only as "the
    researcher" or "本人", and Arabic's possessive suffix ("شركته", his company)."""
    report = evaluate.run(GOLDEN / "other_wordings_10.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 1
    assert report["events"]["alerted"] == report["events"]["total"] == 6
    assert report["statement_items"] == {"detected": 16, "total": 22, "false": 0}


def test_an_eleventh_audits_wordings_raise_no_false_alert() -> None:
    """60 items an eleventh audit wrote blind to every rule, every other set and the README:
    22 statements over 8 events (his LinkedIn post, Meta's CTO on Instagram, a named
    communications director's denial, his podcast non-answer, the CFO on an earnings call,
    a NeurIPS panel, a refusal on stage at Station F, a Meta Newsroom post signed by its
    Chief AI Officer; fifteen languages), 38 traps. Held out when first run, at fee6acc:
    6 of 8 events, 8 of 22 statements, no false or duplicate alert; the NeurIPS panel in
    four languages and the newsroom post itself among the misses. The same held out at
    b2e5756, after "he said" came to speak for the last subject named: 8 of 22. Tuned on
    since: a descriptor after the verb ("teilte der Wissenschaftler mit"), "his new venture"
    names him when he was the last subject named, "he would leave" in reported speech,
    "will conclude his time at", "refused to confirm them", Italian "non confermare né
    smentire", Korean 밝혀, Dutch pronouns: 7 of 8, 15 of 22; with the twelfth audit's "sale
    al paso" ("Meta sale al paso de los rumores", a rebuttal), 16; with the fourteenth's
    ("da" marks an object, a name the subject gives the company is no person), 17. Left: the
    CTO's "It was his call" (no stance word, and "the new company" is not said to be his),
    a German "Finanzchefin" the watch does not know, a German report of his post ("hat er
    es selbst geschrieben"), an Italian descriptor six words from its verb, and Japanese
    and Google News copies of the newsroom post."""
    assert figures("other_wordings_11.jsonl") == Figures(
        false_alerts=0, duplicates=0, events=(7, 8), statements=(17, 22)
    )


def test_a_twelfth_audits_wordings_raise_no_false_alert() -> None:
    """60 items a twelfth audit wrote blind to every rule, every other set and the README:
    22 statements over 8 events (his LinkedIn post, a spokesperson's thanks, a press
    conference's non-answer in a live blog and a Q&A, Meta confirming a leaked memo, the CTO
    on Instagram, his joking Threads post, a TV interview, a court filing; nineteen
    languages), 38 traps. Held out when first run, at b26be29 (and the same at fee6acc):
    4 of 8 events, 7 of 22 statements and **1 false alert**: a leaked memo the outlet
    "could not independently verify". Tuned on since: what an outlet could not verify is
    not on the record; an interview's "A:" is the one interviewed; after a clause on the
    subject, a speaker referred back to answers on it ("…, répond-il"); "répond-il" itself;
    a communications head speaks as a spokesperson does; Italian "di Meta" is an owner;
    "the reports were right", "isn't going anywhere", "when there's something to say",
    "He'll be with us through…", "Boz", his title with "longtime"; German, Polish, Spanish,
    French, Chinese cues: 7 of 8, 19 of 22, no false alert, one duplicate: a Japanese report
    whose verb's subject, Meta's PR head, is marked は, and his memo's author before the verb
    が, read as his own confirmation. Since a name marked が after a subject marked は is a
    subordinate clause's subject, that report has no speaker the watch knows: 18 of 22, no
    duplicate. Left: that report, a spokesperson six words before the verb, an Italian
    title with no subject term, and a Turkish filing report. The sixteenth audit's Korean
    rule (a title of several words before the genitive) gave the event whose one report it
    found its own alert: 8 of 8."""
    assert figures("other_wordings_12.jsonl") == Figures(
        false_alerts=0, duplicates=0, events=(8, 8), statements=(18, 22)
    )


def test_a_thirteenth_audits_wordings_raise_no_false_alert() -> None:
    """60 items a thirteenth audit wrote blind to every rule, every other set and the README:
    23 statements over 7 events (his LinkedIn post, Alexandr Wang's statement, a
    spokesperson's on-the-record refusal, his Le Monde interview, a podcast, the CTO's
    Instagram Q&A, a spokesperson's confirmation in an "Update:"; twenty-one languages), 37
    traps ("Hervé Le Cun", MetaMask, an imagined farewell column, a prediction market).
    Held out when first run, at fee6acc and at b26be29: 7 of 7 events, 16 of 23
    statements, no false alert, one duplicate; 17 of 23 after the twelfth audit's rules.
    Tuned on since: a transcript's speaker labels ("LECUN: Yes."), a yes or a no right
    after a question on the subject, a plan in his own words ("I plan to leave Meta",
    "Je quitterai Meta"), a name after "outside" is an object, a refusal "won't address
    reports", Ukrainian and Dutch cues: 22 of 23, no duplicate; with the fourteenth
    audit's Japanese topic (は, however far from the verb), Wang quoted in Japanese too:
    23 of 23."""
    report = evaluate.run(GOLDEN / "other_wordings_13.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["events"]["alerted"] == report["events"]["total"] == 7
    assert report["events"]["late"] == {}
    assert report["statement_items"] == {"detected": 23, "total": 23, "false": 0}


def test_a_fourteenth_audits_wordings_raise_no_false_alert() -> None:
    """60 items a fourteenth audit wrote blind to every rule, every other set and the
    README: 23 statements over 8 events (his LinkedIn post, a spokesperson's e-mail, his
    farewell note to staff, a Davos panel on his new company, a spokesperson's denial, his
    own Threads denial, the CTO's Instagram AMA, a German interview's "no decision"; twenty
    languages), 37 traps (Meta's SAM 3D post and quarterly results on official feeds,
    Apple's AI chief, Nabla, Samsung). Held out when first run, at 11f094f: 5 of 8 events,
    12 of 23 statements, no false alert, one duplicate: his own denial ("Lots of articles
    this week claiming I'm leaving Meta… I'm not.") read as a confirmation, the claim he
    rebuts taken for his words; 6 of 8, 13 of 23 after the thirteenth audit's rules. Tuned
    on since: what others are "claiming" is theirs, and "I'm not." answers it; on a party's
    own channel its Q&A's answers are its own (the CTO's handle "boztank" names it); a
    transcript's answer answers the whole turn before; a Japanese topic (は) is its
    sentence's subject however far from the verb; "da" marks an object; a participle's
    "confirmant que" is reported speech, not the conditional's hearsay; a verb-first
    clause's subject; "no decision" refusals; German "schrieb", Dutch, Italian, Arabic
    cues: 8 of 8, 20 of 23, no duplicate. Left: a Polish and a Hebrew report of his new
    company's facts with no stance word, and a Turkish report whose names all carry case
    endings ("LeCun'dan")."""
    report = evaluate.run(GOLDEN / "other_wordings_14.jsonl", [shipped_watch()]).as_dict()
    assert report["false_alerts"] == 0
    assert report["duplicate_alerts"] == 0
    assert report["events"]["alerted"] == report["events"]["total"] == 8
    assert report["events"]["late"] == {}
    assert report["statement_items"] == {"detected": 20, "total": 23, "false": 0}


def test_a_fifteenth_audit() -> None:
    """60 items a fifteenth audit wrote blind to every rule, every other set and the
    README: 23 statements over 8 events (his Threads post, a spokesperson on a partnership,
    Alexandr Wang's farewell on X, a Les Echos Q&A on his company, his X post rebutting the
    FT, a spokesperson's denial closing a share-price story, a Davos "no decision yet", the
    CTO's Instagram Q&A; twenty-seven languages), 37 traps (his years-old remarks about
    staying, Bengio "confirmed" he had spoken to him, NeurIPS confirming his talk). Held
    out through the thirteenth and fourteenth audits' rules: 4 of 8 events, 9 of 23
    statements, no false or duplicate alert at each. Tuned on since (a short answer in a
    pronoun and its verb, after a question turn that runs on; Swedish, Danish, Norwegian
    cues), so no longer held out: 5 of 8, 11 of 23."""
    assert figures("other_wordings_15.jsonl") == Figures(
        false_alerts=0, duplicates=0, events=(5, 8), statements=(11, 23)
    )


def test_a_sixteenth_audit() -> None:
    """60 items a sixteenth audit wrote blind to every rule, every other set and the
    README: 24 statements over 8 events (a spokesperson's on-the-record refusal, his
    LinkedIn post, the CTO's Threads post that never names him, a podcast on his company,
    a spokesperson's "he remains", his X denial, the Chief AI Officer in a live blog, a
    radio "no decision"; thirty languages), 36 traps. Held out when first run, at the
    commit before the fifteenth audit's rules and after them, the same: 8 of 8 events, 15
    of 24 statements, one false alert (attendees said he "confirmed the plan" to his
    researchers: hearsay, labelled not on the record) and one duplicate (a Korean report of
    the CTO's post read as LeCun's own confirmation, apart from Meta's). Tuned on since
    (what people present say he said is their account; a Korean title of several words
    before the genitive; a party's German "äußern wir uns nicht"; "moving on", one's "own
    company", "our chief AI scientist"): 17 of 24, no false or duplicate alert."""
    assert figures("other_wordings_16.jsonl") == Figures(
        false_alerts=0, duplicates=0, events=(8, 8), statements=(17, 24)
    )


def test_a_seventeenth_audit() -> None:
    """60 items a seventeenth audit wrote blind to every rule, every other set and the
    README: 22 statements over 8 events (the CTO's podcast refusal, his Threads post, the
    product chief's LinkedIn farewell that never names him, an earnings call, his X "no
    decision", a spokesperson's emailed denial, a Davos refusal on stage, the Chief AI
    Officer's X post; thirty languages), 38 traps (a parody account, attendees' accounts,
    a prediction market). Held out when first run, at the commit before the fifteenth
    audit's rules and after the sixteenth's, the same: 6 of 8 events, 11 of 22
    statements, one false alert (Spanish "Ni LeCun ni Meta han confirmado": the second
    "ni" two words before the verb) and one duplicate (a Turkish report of the denial read
    as LeCun's: his name in the genitive, "LeCun'un", before the verb). Rules since for
    those two alone ("ni … ni" a few words before the verb, German "weder … noch …
    bestätigt", a Turkish name with a case ending is not the subject): 6 of 8, 11 of 22,
    no false or duplicate alert. Its misses have no rule yet."""
    assert figures("other_wordings_17.jsonl") == Figures(
        false_alerts=0, duplicates=0, events=(6, 8), statements=(11, 22)
    )


def test_an_eighteenth_audit() -> None:
    """60 items an eighteenth audit wrote blind to every rule, every other set and the
    README, asked for wordings that are not the obvious ones: 24 statements over 8 events
    (his LinkedIn farewell, Meta's "Thank you, Yann" post, a podcast on his company, the
    CFO on an earnings call, a spokesperson who will neither confirm nor deny, his Threads
    denial, the CTO's "a question for Yann", a product chief's memo quoted on the record;
    twenty-nine languages), 36 traps. Held out when first run, the same at b91dfb7,
    before the rules written since the seventeenth audit: 4 of 8 events, 6 of 24
    statements, no false or duplicate alert. Tuned on since (Meta's executives by title,
    its CFO by name; a party saying he "has left Meta"; Finnish, Romanian and Thai cues;
    Finnish and Hungarian case endings on his name): 7 of 8, 10 of 24, no false or
    duplicate alert."""
    assert figures("other_wordings_18.jsonl") == Figures(
        false_alerts=0, duplicates=0, events=(7, 8), statements=(10, 24)
    )


def test_a_nineteenth_audit() -> None:
    """60 items a nineteenth audit wrote blind to every rule, every other set and the
    README, asked for wordings that are not the obvious ones (only 2 of 23 statements say
    "confirm", "announce" or "statement"): 23 statements over 8 events (his LinkedIn post,
    a spokeswoman's confirmation with a partnership, a Le Monde interview naming AMI, the
    CTO at a conference, a spokesperson's denial, his Threads denial, Meta's on-the-record
    "neither confirm nor deny", his NeurIPS Q&A refusal; thirty languages), 37 traps
    (four other people leaving Meta, a pastry chef named Lecun). Held out when first run,
    the same at 2f0f987, before the Dutch and someone-else's-departure rules: 2 of 8
    events, 2 of 23 statements, no false or duplicate alert. Tuned on since (a role after
    its verb, "teilte eine Sprecherin mit"; the headline's one company as a role's; Swedish
    and Danish quotes and refusals; German "Yanns"; Portuguese "não vai deixar"; Chinese
    full-width colons): 6 of 8, 11 of 23, no false or duplicate alert."""
    assert figures("other_wordings_19.jsonl") == Figures(
        false_alerts=0, duplicates=0, events=(6, 8), statements=(11, 23)
    )
