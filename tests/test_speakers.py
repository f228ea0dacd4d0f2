"""monitor.speakers: who speaks in a clause, asked directly with the shipped watch's names
and verbs (test_classify asks it through whole items)."""

from __future__ import annotations

import pytest

from monitor.speakers import (
    Referents,
    headline_voice,
    named_speaker,
    negated,
    referred_speaker,
    role_speaker,
    title_case,
)
from monitor.watch import shipped_watch

WATCH = shipped_watch()
M = WATCH.matchers
ABOUT = WATCH.about


def named(clause: str) -> str | None:
    found = named_speaker(clause, M, WATCH.speaker_window, ABOUT)
    return None if found is None else found[0]


@pytest.mark.parametrize(
    ("clause", "party"),
    [
        ("Meta confirms LeCun will leave at the end of the year", "Meta"),
        ("Yann LeCun: 'I am leaving Meta'", "Yann LeCun"),
        ("Das bestätigte ein Meta-Sprecher am Mittwoch", "Meta"),
        ("LeCun's last day is December 31, confirmed Meta spokesperson Dave Arnold", "Meta"),
        # An object, a possessive's owner, someone else after the comma: no party speaks.
        ("Reports say he is leaving Meta", None),
        ("Meta's chief scientist for robotics says he is staying", None),
        ("LeCun is leaving Meta, said Hinton on Monday", None),
    ],
)
def test_a_named_speaker_is_the_subject_of_the_speech_cue(clause: str, party: str | None) -> None:
    assert named(clause) == party


def test_a_role_alone_speaks_for_the_headlines_company_or_its_own_owner() -> None:
    clause = "a company spokeswoman said he is staying"
    assert headline_voice("Meta sets out LeCun's last day", M, ABOUT) == "Meta"
    assert role_speaker(clause, M, "Meta") == ("Meta", "spokeswoman … said")
    assert role_speaker(clause, M, None) is None
    assert role_speaker("a spokesperson for Nvidia said he is staying", M, "Meta") is None


def test_referents_follow_the_last_subject_named() -> None:
    clauses = [
        "Yann LeCun in Lyon",
        "LeCun spoke about world models.",
        "Afterwards, we asked him about the reports.",
        "Geoffrey Hinton spoke next.",
        "Mark Zuckerberg closed the day.",
    ]
    referents = Referents(clauses, M, ABOUT, names_from=1)
    assert [referents.at(i) for i in range(len(clauses))] == [
        None,
        "Yann LeCun",
        "Yann LeCun",
        "Yann LeCun",
        None,  # Hinton: no party
    ]


@pytest.mark.parametrize(
    ("clause", "said"),
    [
        ("'Yes, I'm leaving,' he said.", "he … said"),
        ("« Je reste chez Meta », a-t-il précisé.", "a-t-il précisé"),
        ("„Ich bleibe bei Meta“, sagte er.", "sagte er"),
        ("A: When there's something to say, I'll say it.", "A:"),
    ],
)
def test_a_pronoun_or_an_answer_speaks_for_the_referent(clause: str, said: str) -> None:
    assert referred_speaker(clause, M, lambda: ABOUT, ABOUT) == (ABOUT, said)
    assert referred_speaker(clause, M, lambda: None, ABOUT) is None


def test_a_clause_that_opens_on_someone_else_keeps_its_pronoun() -> None:
    assert referred_speaker("Hinton thinks he is staying put, he said.", M, lambda: ABOUT, ABOUT) is None


def test_negation_and_title_case() -> None:
    text = "Meta could not confirm"
    assert negated(text, text.index("confirm"))
    assert not negated("Meta confirms", len("Meta "))
    assert title_case("Meta Confirms Yann LeCun Is Leaving")
    assert not title_case("Meta confirms Yann LeCun is leaving")
