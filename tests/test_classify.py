"""Statement detection over the shared corpus, plus held-out wordings the corpus lacks."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.classify import classify
from monitor.types import Item, Statement
from monitor.watch import Party, Seed, Watch, shipped_watch
from tests.conftest import text_item as make_item

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "items.jsonl"
MIN_RECALL = 0.9
# Speed is measured by benchmarks/ (never asserted here): about 0.1 ms per item.
# Who speaks and with which stance, per event. "Meta says LeCun remains chief AI scientist"
# denies the reported departure without a word on the startup: `denies`, not `other`,
# because an alert reader needs to know the company pushed back on the record.
EXPECTED = {
    "A-lecun-confirms": ("Yann LeCun", "confirms"),
    "A-meta-confirms": ("Meta", "confirms"),
    "B-lecun-no-comment": ("Yann LeCun", "declines"),
    "B-meta-remains": ("Meta", "denies"),
}

WATCH = shipped_watch()


def speaker_and_stance(title: str, summary: str = "") -> tuple[str, str] | None:
    """Who the shipped watch hears say what in an item of this text (None: no statement)."""
    statement = classify(make_item(title, summary), WATCH)
    return None if statement is None else (statement.speaker, statement.stance)


@pytest.fixture(scope="module")
def corpus() -> list[tuple[dict[str, Any], Item]]:
    if not CORPUS.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row, corpus_item(row)) for row in rows]


def corpus_item(row: dict[str, Any]) -> Item:
    item = make_item(row["title"], row["summary"], feed=row["outlet"], official=row["official"])
    published = datetime.fromisoformat(row["published"])
    return Item(
        **{**{f: getattr(item, f) for f in item.__slots__}, "published": published, "link": row["link"]}
    )


@pytest.fixture(scope="module")
def decided(corpus: list[tuple[dict[str, Any], Item]]) -> list[tuple[dict[str, Any], Statement | None]]:
    return [(row, classify(item, WATCH)) for row, item in corpus]


# ── The shared corpus ───────────────────────────────────────────────────────────────
def test_no_false_positives(decided: list[tuple[dict[str, Any], Statement | None]]) -> None:
    wrong = [(row["id"], row["title"], s) for row, s in decided if row["label"] != "statement" and s]
    assert wrong == []


def test_recall_per_language_and_event(decided: list[tuple[dict[str, Any], Statement | None]]) -> None:
    found: dict[str, list[bool]] = defaultdict(list)
    for row, statement in decided:
        if row["label"] == "statement":
            for group in ("all", f"lang={row['lang']}", f"event={row['event']}"):
                found[group].append(statement is not None)
    for group, hits in sorted(found.items()):
        print(f"recall {group}: {sum(hits)}/{len(hits)} = {sum(hits) / len(hits):.2f}")
    assert sum(found["all"]) / len(found["all"]) >= MIN_RECALL
    assert {g for g in found if g.startswith("event=")} == {f"event={e}" for e in EXPECTED}


def test_every_event_is_caught_by_its_first_and_official_items(
    decided: list[tuple[dict[str, Any], Statement | None]],
) -> None:
    first: dict[str, tuple[dict[str, Any], Statement | None]] = {}
    for row, statement in sorted(decided, key=lambda d: d[0]["published"]):
        if row["label"] != "statement":
            continue
        first.setdefault(row["event"], (row, statement))
        if row["official"]:
            assert statement is not None, row["title"]
    assert set(first) == set(EXPECTED)
    for event, (row, statement) in first.items():
        assert statement is not None, (event, row["title"])


def test_speaker_and_stance_per_event(decided: list[tuple[dict[str, Any], Statement | None]]) -> None:
    for row, statement in decided:
        if row["label"] == "statement" and statement is not None:
            assert (statement.speaker, statement.stance) == EXPECTED[row["event"]], row["title"]
            assert statement.watch == "lecun-meta"
            assert statement.score >= WATCH.threshold
            text = f"{row['title']} {row['summary']}".replace("’", "'")
            assert statement.evidence
            phrases = [part for e in statement.evidence for part in e.split(" … ")]
            assert all(p in text for p in phrases), statement.evidence


# ── Held out: wordings not in the corpus ────────────────────────────────────────────
HELD_OUT_STATEMENTS = [
    ("Meta spokesperson Andy Stone confirmed LeCun's departure in an email", "", "Meta", "confirms"),
    ("LeCun: 'I am not leaving Meta'", "", "Yann LeCun", "denies"),
    ("Zuckerberg says in memo LeCun will depart", "", "Meta", "confirms"),
    (
        "Meta a confirmé jeudi le départ de Yann LeCun",
        "Le groupe travaillera avec sa nouvelle société.",
        "Meta",
        "confirms",
    ),
    ("Yann LeCun annonce qu'il quittera Meta à la fin de l'année", "", "Yann LeCun", "confirms"),
    ("Meta发言人证实，杨立昆将于年底离职创业", "", "Meta", "confirms"),
    ("杨立昆否认离开Meta：“我仍在Meta工作”", "", "Yann LeCun", "denies"),
    ("'I will leave Meta at the end of the year,' LeCun wrote on Threads", "", "Yann LeCun", "confirms"),
    ("LeCun's exit was confirmed by Meta on Thursday", "", "Meta", "confirms"),
]
HELD_OUT_QUIET = [
    "LeCun declined to comment on his plans",
    "Meta confirms Threads outage",
    "LeCun says JEPA beats LLMs",
    "Sources: LeCun to raise €500M",
    "Meta did not respond to a request for comment about LeCun's exit",
    "Hinton says LeCun will leave Meta soon",
    "Reuters could not confirm that LeCun will leave Meta",
    "Meta's chief AI scientist is said to be leaving, according to people familiar",
    "Yann Le Cunff confirme son départ de la conserverie",
    "A meta-analysis confirms walking helps; researchers will leave the study open",
    "MetaMask confirms it will leave the Ethereum testnet",
    "Meta confirms senior AI researcher will leave for OpenAI, sources say",
    "消息称杨立昆将离开Meta，Meta暂未置评",
]


# ── Other wordings: a user audit's (tests/golden/other_wordings.jsonl, through `eval`,
# in test_evaluate) and the grammar each needed, in wordings of our own ─────────────────
GRAMMAR_STATEMENTS = [
    # A denial in the speaker's words, after the reporter's question quoting the rumour.
    (
        "Zuckerberg on LeCun exit talk: 'Yann's still here'",
        "Asked on a podcast about reports that Yann LeCun is leaving, Mark Zuckerberg said:"
        " 'Yann's still here.'",
        "Meta",
        "denies",
    ),
    ("LeCun shoots down exit reports: 'I'm staying put'", "", "Yann LeCun", "denies"),
    ("Meta spokesperson says Yann LeCun remains 'our chief AI scientist'", "", "Meta", "denies"),
    ("Yann LeCun / @ylecun: I will leave Meta at the end of the year", "", "Yann LeCun", "confirms"),
    ("LeCun, who joined Facebook in 2013, says he will leave Meta", "", "Yann LeCun", "confirms"),
    ("Meta bestätigt: Yann LeCun verlässt den Konzern zum Jahresende", "", "Meta", "confirms"),
    ("Yann LeCun niega que vaya a dejar Meta", "", "Yann LeCun", "denies"),
    ("Yann LeCun refuses to confirm or deny exit reports", "", "Yann LeCun", "declines"),
    (
        "Meta on LeCun reports",
        "Days after reports of his departure, a Meta spokesperson said they were inaccurate and"
        " that LeCun is staying.",
        "Meta",
        "denies",
    ),
    (
        "After 12 years, my last day at Meta will be December 31, says Yann LeCun",
        "",
        "Yann LeCun",
        "confirms",
    ),
    (
        "Andrew Bosworth on LeCun: 'I'm not going to get into his plans'",
        "",
        "Meta",
        "declines",
    ),
    # The passive's agent in other languages (the English "confirmed by Meta" is above).
    ("La salida de Yann LeCun, confirmada por Meta", "", "Meta", "confirms"),
    # An interview's headline: the name, a colon, his words in the first person, unquoted.
    ("Yann LeCun: I'm leaving Meta to build AMI", "", "Yann LeCun", "confirms"),
    # Why he leaves takes the leaving as given.
    ("LeCun says Zuckerberg's reorganization pushed him to leave", "", "Yann LeCun", "confirms"),
    ("Yann LeCun explains why he is leaving Meta", "", "Yann LeCun", "confirms"),
    ("Asked about his future, LeCun says he has 'nothing to announce'", "", "Yann LeCun", "declines"),
    # The company names its own people by given name; `about` accepts it.
    ("Meta pushes back: 'Yann is not leaving'", "", "Meta", "denies"),
    # The passive's agent a few words on, with a title before the name.
    (
        "LeCun's departure was confirmed late on Friday in an email from Chief Communications"
        " Officer Dave Arnold",
        "LeCun will leave in December.",
        "Meta",
        "confirms",
    ),
    # A negative cue keeps its meaning after its language's own negation.
    ("Meta sobre la salida de Yann LeCun: «No tenemos nada que anunciar»", "", "Meta", "declines"),
    # A headline that opens on a quote, a colon, then who said it.
    ("'For me to announce, not the press': Yann LeCun on exit rumours", "", "Yann LeCun", "declines"),
    # A name inside the opening quotation is not the one who said it.
    ("« Je reste chez Meta » : Yann LeCun dément les rumeurs", "", "Yann LeCun", "denies"),
    ("Yann LeCun dans « Quotidien » : « Je ne quitte pas Meta »", "", "Yann LeCun", "denies"),
    # A word for the person the clause opens on, as the verb's subject, refers back to him.
    (
        "LeCun will step down in December to found a company, the 65-year-old scientist wrote",
        "",
        "Yann LeCun",
        "confirms",
    ),
    ("Yann LeCun is not leaving Meta, he said in an interview", "", "Yann LeCun", "denies"),
    # A company's voice refers back to the company the clause opens on (not to LeCun).
    ("Meta will neither confirm nor deny LeCun exit reports, a spokesperson says", "", "Meta", "declines"),
    # "According to a statement" is the party on the record, not hearsay.
    ("LeCun exit confirmed, according to a statement from Meta", "", "Meta", "confirms"),
    # One rumour or one speculation, not only the plural.
    ("Meta says it won't comment on rumor about its AI chief Yann LeCun", "", "Meta", "declines"),
    ("Yann LeCun: 'I'm staying at Meta, full stop'", "", "Yann LeCun", "denies"),
    ("Yann LeCun rules out a departure from Meta this year", "", "Yann LeCun", "denies"),
    # German interviews quote with »…«, and the first person stays: "ich bleibe bei".
    ("Yann LeCun: »Ich bleibe bei Meta, daran ändert sich nichts«", "", "Yann LeCun", "denies"),
]
GRAMMAR_QUIET = [
    # French elides "ne": "ni … ni … n'ont confirmé" is nobody confirming.
    "Départ de Yann LeCun : ni le chercheur ni Meta n'ont confirmé l'information",
    "Yann LeCun n'a jamais confirmé son départ de Meta",
    "Yann LeCun rules out AGI from language models alone",  # ruling out something else
    "A Zuckerberg confidant says LeCun is leaving",  # the confidant speaks, not Meta
    "Meta engineers say LeCun will leave",
    "Meta confirms its head of EU public policy will step down",  # not LeCun's departure
    "Yann LeCun confirms V-JEPA 2 weights will stay open",  # staying open is not staying
    "LeCun insists he is staying focused on world models",
    "Asked about reports that LeCun is leaving, Zuckerberg praised FAIR",  # the rumour, quoted
    "In January 2018, Facebook confirmed LeCun would step down as head of FAIR",  # history
    "Meta won't confirm or deny LeCun exit until year-end review, insider says",
    # Another departure, with LeCun's only in a trailing time clause.
    "Meta confirms AI infrastructure VP Priya Raman is leaving, days after report on LeCun",
    "Meta confirms Yann Martel will leave Instagram",  # another Yann: a surname follows
    "Meta's Zuckerberg: I'm leaving the metaverse behind",  # his words, not about LeCun
    "Le départ de LeCun, non confirmé par Meta, agite la Silicon Valley",  # negated
    "LeCun says he has nothing to announce on Llama 5",  # not the departure
    "LeCun refused to discuss his departure, saying only that FAIR is in good hands",
    "'I'm leaving': LeCun's colleague Joelle Pineau confirms her exit",  # the colleague speaks
    "LeCun leaves Meta stage at Web Summit: 'I'm leaving the hype to others'",  # leaving what
    "Meta says it has nothing to announce on layoffs, as LeCun exit talk swirls",  # on what
    "In a new interview, LeCun explains the reasons for his departure from Bell Labs",
    "Reports of LeCun's exit were denied by sources close to Meta",  # not the agent
    "Zuckerberg: 'We will move on to build superintelligence' as LeCun exits",
    # The verb has its own subject after the comma: the newspaper, the source speaks.
    "LeCun is leaving Meta, the Financial Times said",
    "LeCun will leave Meta at year-end, the person said",
    "Hinton thinks LeCun will leave Meta, he said",  # "he" is Hinton
    "LeCun will leave Meta, the rival firm's founder said",
    "LeCun will leave Meta at year-end, the company said",  # the company is not LeCun
    # A fifth audit's hard negatives: silence so far, and a quote from another time.
    "LeCun exit: Meta has so far neither confirmed nor denied the report",
    "Le départ de LeCun ? Meta n'a pour l'instant ni confirmé ni démenti",
    "'I am not leaving Facebook,' LeCun said back then",
]


# A fact about the `about` party's new company, told on the record by a watched party, takes
# the departure as given: no stance word is needed. The company is the watch's `venture`
# nouns, owned by him: "his", "my" when he speaks, or his name's possessive for anyone.
VENTURE_STATEMENTS = [
    ("LeCun says his startup will open offices in New York and Montreal", "", "Yann LeCun", "confirms"),
    (
        "Yann LeCun said his world-model venture would hire its first 40 researchers",
        "",
        "Yann LeCun",
        "confirms",
    ),
    ("Meta says it will license Llama to LeCun's new company", "", "Meta", "confirms"),
    ("Meta to invest in Yann LeCun's new AI startup, Zuckerberg says", "", "Meta", "confirms"),
    ("Yann LeCun : « Ma start-up recrutera d'abord à Paris »", "", "Yann LeCun", "confirms"),
    ("Yann LeCun sagt, sein neues Unternehmen werde in Paris sitzen", "", "Yann LeCun", "confirms"),
    ("杨立昆表示，他的新公司将在巴黎设立总部", "", "Yann LeCun", "confirms"),
    # "his" passes over a title-case headline's verb and an apposition's company.
    ("LeCun Says His Startup Will Hire In Montreal", "", "Yann LeCun", "confirms"),
    ("Yann LeCun, Meta's chief AI scientist, said his startup would stay open", "", "Yann LeCun", "confirms"),
    # With a stance word, the stance word speaks: a refusal about the company is a refusal.
    ("Meta has nothing to say about LeCun's new company, a spokesperson said", "", "Meta", "declines"),
    ("Yann LeCun denies his startup will be based in London", "", "Yann LeCun", "denies"),
    # The item names the company once by its noun; a later clause by its name alone.
    (
        "Yann LeCun's startup Orbis names its chief executive",
        "LeCun said Orbis will be run day to day by a former Nabla executive.",
        "Yann LeCun",
        "confirms",
    ),
]
VENTURE_QUIET = [
    "LeCun says a startup will beat the big labs to human-level AI",  # no owner
    "Hinton says LeCun's startup will be worth billions",  # not a watched party speaking
    "Zuckerberg says his startup years taught him to move fast",  # his, not LeCun's
    "LeCun says his startup advice to students is to build on open models",  # a modifier
    "LeCun says his former student's startup is one to watch",  # the student's
    "LeCun backs Fei-Fei Li's World Labs, says her startup is on the right track",  # Li's
    "LeCun says reports of his new company are premature",  # what others report
    "Yann LeCun says his startups in the 1990s taught him patience",  # plural: not the one
    "LeCun declined to comment on his startup",  # an absence
    # A hypothesis, an old company, an academic lab, a denial of knowing: no new company.
    "LeCun says if he ever left, his startup would be in Paris",
    "Zuckerberg says LeCun's startup would be welcome to use Llama, if he ever starts one",
    "LeCun says his former startup Element Inc. was sold in 2000",
    "LeCun says his new lab at NYU will hire",
    "Meta says it knows nothing of LeCun's new company",
    # A name the item does not give his company is not his company.
    "LeCun said Orbis will be run by a former Nabla executive",
    # Title case: what follows the noun is not a name to look for.
    "LeCun's New Startup Will Hire In Paris. Meta Said Will Be Quiet",
    # A party's name after the noun is not the company's.
    "LeCun's startup, Meta's partner on Llama research, draws investors. Meta says it is proud of FAIR",
]


# German puts the verb second: a clause that opens on something else has its subject right
# after the verb. English puts a name there as an object or a reported clause's subject.
VERB_SECOND = [
    ("LeCun gründet ein Start-up", "Dies bestätigte eine Meta-Sprecherin am Dienstag.", "Meta", "confirms"),
    (
        "Wirbel um Yann LeCun",
        "„Die Berichte über seinen Abschied sind unzutreffend“, erklärte ein Meta-Sprecher am Montag.",
        "Meta",
        "denies",
    ),
    # The name before the verb is the object of another verb: the company says it.
    ("Yann LeCun verlässt Meta zum Jahresende, teilte Meta am Mittwoch mit", "", "Meta", "confirms"),
    ("Abschied von Yann LeCun", "Am Mittwoch bestätigte LeCun seinen Abschied.", "Yann LeCun", "confirms"),
    (
        "Abschied von Yann LeCun",
        "Den Abgang zum Jahresende bestätigte Konzernchef Mark Zuckerberg am Mittwoch.",
        "Meta",
        "confirms",
    ),
]
VERB_SECOND_QUIET = [
    "Reuters confirmed Meta will partner with LeCun on a startup",  # a reported clause's subject
    "Hinton told Meta on Monday that LeCun is leaving",  # the one told
    "Hinton told Meta: LeCun is leaving",
    "LeCun is leaving, Hinton told Meta.",
    "Hinton confirmed LeCun, not Sutskever, will leave Meta",  # a comma is no mark
    "Hinton confirmed Meta. LeCun will leave Meta",  # nor is a full stop
]


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), VERB_SECOND)
def test_a_verb_second_clause_has_its_speaker_after_the_verb(
    title: str, summary: str, speaker: str, stance: str
) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize("title", VERB_SECOND_QUIET)
def test_a_name_after_an_english_verb_is_not_its_speaker(title: str) -> None:
    assert classify(make_item(title), WATCH) is None


# Why he leaves takes the leaving as given only when what he leaves is the company or his
# role, or is not said: leaving a social network or academia is not the departure.
WHY_LEAVING = [
    ("Yann LeCun: why I decided to leave Meta", "", "Yann LeCun", "confirms"),
    ("Yann LeCun explains why he left Facebook for a startup", "", "Yann LeCun", "confirms"),
    ("LeCun: why I'm leaving, and what comes next", "", "Yann LeCun", "confirms"),
]
WHY_LEAVING_QUIET = [
    "Yann LeCun: why I'm leaving X for Bluesky",
    "LeCun explains why he quit Twitter",
    "Yann LeCun: why I left academia for industry",
    "LeCun says Musk's antics pushed him to quit X",
]


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), WHY_LEAVING)
def test_why_he_leaves_the_company_confirms(title: str, summary: str, speaker: str, stance: str) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize("title", WHY_LEAVING_QUIET)
def test_why_he_leaves_something_else_is_quiet(title: str) -> None:
    assert classify(make_item(title), WATCH) is None


# Staying until a date is leaving after it: a departure, not a denial of one. Unbounded or
# bounded by no date ("through at least 2027", "until further notice"), it stays a denial.
BOUNDED_STAYS = [
    ("Meta says LeCun will remain at the company until the end of 2025", "", "Meta", "confirms"),
    ("Yann LeCun says he is staying at Meta through year-end", "", "Yann LeCun", "confirms"),
    ("LeCun is not leaving until December, Meta says", "", "Meta", "confirms"),
    ("Meta affirme que Yann LeCun reste chez Meta jusqu'à la fin de l'année", "", "Meta", "confirms"),
    (
        "Meta confirms LeCun's departure",
        "A Meta spokesperson said LeCun will stay at Meta through the end of the year.",
        "Meta",
        "confirms",
    ),
    ("Meta says LeCun will stay at the company through at least 2027", "", "Meta", "denies"),
    ("Meta says LeCun remains at Meta until further notice of nothing", "", "Meta", "denies"),
    ("Yann LeCun says he is staying at Meta", "", "Yann LeCun", "denies"),
    ("Meta says LeCun remains at Meta through 2025's reorganisation", "", "Meta", "denies"),  # an event
]


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), BOUNDED_STAYS)
def test_staying_until_a_date_is_a_departure(title: str, summary: str, speaker: str, stance: str) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), VENTURE_STATEMENTS)
def test_a_fact_about_his_new_company_confirms(title: str, summary: str, speaker: str, stance: str) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize("title", VENTURE_QUIET)
def test_a_company_not_his_or_not_told_by_a_party_is_quiet(title: str) -> None:
    assert classify(make_item(title), WATCH) is None


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), HELD_OUT_STATEMENTS + GRAMMAR_STATEMENTS)
def test_held_out_statements(title: str, summary: str, speaker: str, stance: str) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize("title", HELD_OUT_QUIET + GRAMMAR_QUIET)
def test_held_out_quiet(title: str) -> None:
    assert classify(make_item(title), WATCH) is None


def test_first_party_posts_speak_for_their_party() -> None:
    post = make_item(
        "Some news", "I'm leaving Meta to start AMI.", feed="Yann LeCun (Threads)", official=True
    )
    statement = classify(post, WATCH)
    assert statement is not None
    assert (statement.speaker, statement.stance) == ("Yann LeCun", "confirms")
    # The same words from an unofficial feed name no speaker.
    assert classify(make_item("Some news", "I'm leaving Meta to start AMI."), WATCH) is None
    newsroom = make_item(
        "Introducing SAM 3", "We're releasing new models today.", feed="Meta Newsroom", official=True
    )
    assert classify(newsroom, WATCH) is None


def test_a_first_person_refusal_on_the_partys_own_channel_needs_no_subject_term() -> None:
    """What a party is asked on its own channel is the watched question: "I have nothing to
    announce." there refuses it. Not with an object ("…to discuss the benchmarks") or a
    topic elsewhere in the clause, not a refusal to speculate (on anything), not in the
    third person, not from another feed, not the other party's unnamed refusal."""
    threads, newsroom = "Yann LeCun (Threads)", "Meta Newsroom"
    for title, summary, feed in (
        ("To those asking: I have nothing to announce.", "Back to the lab.", threads),
        ("À ceux qui me le demandent : je n'ai rien à annoncer.", "", "Yann LeCun (LinkedIn)"),
    ):
        statement = classify(make_item(title, summary, feed=feed, official=True), WATCH)
        assert statement is not None, title
        assert (statement.speaker, statement.stance) == ("Yann LeCun", "declines")
    for title, feed, official in (
        ("To those asking: I have nothing to announce.", "Tech Wire", False),
        ("I'm not going to discuss the Llama 4 benchmarks.", threads, True),
        # Only "nothing to announce": a refusal to speculate may be about anything.
        ("I won't speculate.", threads, True),
        # Named in another part of the clause, the topic is that one.
        ("No comment on Llama 5, I have nothing to announce.", threads, True),
        ("Meta has nothing to announce.", threads, True),
        ("We have nothing to announce.", newsroom, True),
    ):
        assert classify(make_item(title, feed=feed, official=official), WATCH) is None, title


def test_a_watch_without_cues_finds_nothing() -> None:
    bare = Watch("bare", (), WATCH.parties, WATCH.subject)
    assert classify(make_item("Meta confirms Yann LeCun will leave"), bare) is None


def test_a_first_party_feed_named_by_its_handle_speaks_for_its_party() -> None:
    post = make_item(
        "Yes, the reports are right",
        "I will leave Meta at the end of the year.",
        feed="ylecun@mastodon.social",
        official=True,
    )
    statement = classify(post, WATCH)
    assert statement is not None
    assert (statement.speaker, statement.stance) == ("Yann LeCun", "confirms")


def test_without_about_another_partys_statement_need_not_name_anyone() -> None:
    unbound = Watch("w", (), WATCH.parties, WATCH.subject, speech=WATCH.speech, confirms=WATCH.confirms)
    statement = classify(make_item("Meta confirms its head of EU public policy will step down"), unbound)
    assert statement is not None
    assert (statement.speaker, statement.stance) == ("Meta", "confirms")


def test_a_statement_the_seeds_already_report_is_no_news() -> None:
    """A user audit's second watch: its seed said "the company said it does not comment on
    market rumours", and a rewrite of that seed alerted as a refusal."""
    seed = Seed(
        "board-search",
        "Nordlys board said to sound out successors",
        "Nordlys Energy's board has approached external candidates to replace chief executive"
        " Helga Brandt, people close to the company say. Neither Brandt nor Nordlys has issued an"
        " official statement; the company said it does not comment on market rumours.",
    )
    parties = (Party("Helga Brandt", ("Brandt",)), Party("Nordlys Energy", ("Nordlys",)))
    cues: dict[str, Any] = {
        "speech": ("said", "says", "confirms"),
        "confirms": ("confirms", "will step down"),
        "declines": ("re:(?:do|does|did) not comment on (?:market )?rumou?rs",),
    }
    watch = Watch("nordlys", (seed,), parties, ("step down", "successor", "successors", "rumours"), **cues)
    rewrite = make_item(
        "Nordlys board sounds out successors to CEO Brandt",
        "Nordlys said it does not comment on market rumours.",
    )
    assert classify(rewrite, watch) is None
    news = make_item("Nordlys confirms CEO Helga Brandt will step down")
    statement = classify(news, watch)
    assert statement is not None
    assert (statement.speaker, statement.stance) == ("Nordlys Energy", "confirms")
    # Without the seed, the rewrite's refusal is a statement: the seed is what made it known.
    unseeded = Watch("nordlys", (), parties, watch.subject, **cues)
    assert classify(rewrite, unseeded) is not None


# The seventh, eighth and ninth audits' lessons, in wordings of our own (each audit's items
# are measured in test_evaluate.py).
FOUND_IN_OUR_WORDINGS = [
    # The seventh audit: the one a verb credits or thanks is its object, not the next verb's
    # speaker; Italian, Portuguese and Japanese.
    ("Zuckerberg thanked LeCun and said his last day is December 31", "", "Meta", "confirms"),
    ("Meta smentisce: LeCun resta a Meta", "", "Meta", "denies"),
    ("Yann LeCun ha confermato che lascerà Meta a fine anno", "", "Yann LeCun", "confirms"),
    ("Yann LeCun confirmou que vai deixar a Meta", "", "Yann LeCun", "confirms"),
    ("ルカン氏、Metaを年内で退社へ　自身の投稿で表明", "", "Yann LeCun", "confirms"),
    ("ルカン氏、退社報道を否定", "ルカン氏はXへの投稿で報道を否定した。", "Yann LeCun", "denies"),
    # After a comma, the one named right after the verb speaks, before a name earlier in the
    # clause; but a reported clause after the verb is not its speaker.
    ("LeCun will leave Meta, confirmed Meta spokesperson Dave Arnold", "", "Meta", "confirms"),
    ("LeCun will leave Meta, said Meta's Chris Cox", "", "Meta", "confirms"),
    ('"I am leaving Meta," said LeCun', "", "Yann LeCun", "confirms"),
    (
        "Yann LeCun, qui présidera sa société, a confirmé que son dernier jour chez Meta serait le 31",
        "",
        "Yann LeCun",
        "confirms",
    ),
    ("Yann LeCun names his new startup, says Paris will be its home", "", "Yann LeCun", "confirms"),
    # Named by his title alone (aliases in the shipped watch).
    ("Meta's chief AI scientist says he will leave the company at year-end", "", "Yann LeCun", "confirms"),
    ("Meta dementiert Weggang seines KI-Chefforschers", "", "Meta", "denies"),
    # The conditional after a party's own "a confirmé que" is reported speech, not hearsay.
    ("LeCun a confirmé que son départ de Meta serait effectif fin décembre", "", "Yann LeCun", "confirms"),
    ("Meta ha confermato che LeCun sarebbe rimasto fino a fine anno, poi lascerà", "", "Meta", "confirms"),
    # The eighth audit: a refusal to talk about his plans, Meta's CTO by surname, Dutch and
    # German, a name inside a compound ("post-Meta") is nobody speaking.
    ("LeCun: 'I'm not going to comment on my plans this week'", "", "Yann LeCun", "declines"),
    ("Yann LeCun en Madrid: «No voy a hablar de mis planes»", "", "Yann LeCun", "declines"),
    ("LeCun non conferma né smentisce: «Non parlo dei miei progetti»", "", "Yann LeCun", "declines"),
    ("Bosworth says Meta will be a partner to LeCun's new company", "", "Meta", "confirms"),
    ("Meta bevestigt vertrek van Yann LeCun", "", "Meta", "confirms"),
    ("Meta hat den Bericht über LeCuns Abgang zurückgewiesen", "LeCun bleibe.", "Meta", "denies"),
    ("Yann LeCun unveils his post-Meta startup, says Paris will be its home", "", "Yann LeCun", "confirms"),
    # The ninth audit: a name after "whether" is the question's subject, not the speaker;
    # Japanese 認めた and 明言, Spanish "deja claro", "seguirá siendo", German "letzter Arbeitstag".
    ("Meta won't say whether LeCun is leaving: 'Yann continues in his role'", "", "Meta", "denies"),
    (
        "If and when I have news about my plans, that's for me to announce, LeCun says",
        "",
        "Yann LeCun",
        "declines",
    ),
    ("ルカン氏、年末での退社を認めた", "", "Yann LeCun", "confirms"),
    ("米Meta、ルカン氏の残留を明言", "", "Meta", "denies"),
    ("Meta deja claro que LeCun seguirá siendo su científico jefe", "", "Meta", "denies"),
    ("Meta bestätigt: LeCuns letzter Arbeitstag ist der 31. Dezember", "", "Meta", "confirms"),
    # The tenth audit. The company's own words for his title; the new company's facts
    # with "he" the one whose company it is; a quotation, and two clauses one attribution
    # ends, are one clause; the refusal's other verb forms; a name given only as a regex
    # alias speaks for its party; Korean particles and sentences, Polish, Turkish, Russian.
    ("Meta rejects report that its chief AI scientist is leaving", "", "Meta", "denies"),
    ("Meta's top AI scientist will depart in December, he told staff", "", "Yann LeCun", "confirms"),
    ("LeCun's new startup will hire 40 people in Paris, he said on Monday", "", "Yann LeCun", "confirms"),
    (
        "LeCun at the Collège de France",
        "'I'm leaving Meta in December, and yes, I'm founding a company,' LeCun told the audience.",
        "Yann LeCun",
        "confirms",
    ),
    (
        "Meta and LeCun part ways",
        "Meta will invest in the company LeCun is setting up, and his last day is December 31,"
        " a company spokeswoman said on Friday.",
        "Meta",
        "confirms",
    ),
    ("LeCun says he won't be commenting on his plans for now", "", "Yann LeCun", "declines"),
    ("Yann LeCun ne dit ni oui ni non sur son départ", "", "Yann LeCun", "declines"),
    ("メタ、ルカン氏の退社を認めた", "", "Meta", "confirms"),
    ("메타, 르쿤 퇴사 확인", "메타 대변인은 르쿤이 연말에 회사를 떠난다고 확인했다.", "Meta", "confirms"),
    ("얀 르쿤은 스레드에 거취를 말하지 않겠다고 밝혔다.", "", "Yann LeCun", "declines"),
    ("르쿤은 연말에 메타를 떠난다고 밝혔다", "", "Yann LeCun", "confirms"),
    ("Meta zaprzecza: LeCun nie odchodzi", "Rzeczniczka Meta zaprzeczyła doniesieniom.", "Meta", "denies"),
    ("LeCun ayrılık haberlerini yalanladı", "", "Yann LeCun", "denies"),
    ("Лекун подтвердил, что покинет Meta", "", "Yann LeCun", "confirms"),
    # A spokesperson named by role alone speaks for the company the headline opens on or
    # gives as its source.
    (
        "Meta sets out LeCun's last day",
        "That was confirmed on Friday by a company spokeswoman.",
        "Meta",
        "confirms",
    ),
    (
        "LeCun stays put, according to Meta",
        "A spokesperson said the reports were inaccurate.",
        "Meta",
        "denies",
    ),
    ("Meta und LeCun", "Ein Sprecher sagte, LeCun bleibe bei Meta.", "Meta", "denies"),
]
QUIET_IN_OUR_WORDINGS = [
    # A question states nothing; hearsay in the conditional; "メタバース" is not Meta.
    "Will Yann LeCun confirm he is leaving Meta?",
    "Is Meta about to confirm LeCun's exit? What we know",
    "Yann LeCun lascerebbe Meta, secondo fonti vicine al ricercatore",
    "LeCun teria decidido deixar a Meta, segundo pessoas próximas",
    "関係者によると、ルカン氏はMetaを退社する",
    "メタバース事業の責任者が退社を表明",
    # After a comma, someone else's name speaks ("…, said Hinton" was LeCun confirming).
    "LeCun is leaving Meta, said Hinton on Monday",
    "LeCun is leaving Meta, said a former FAIR researcher, Jane Doe",
    "LeCun verlässt Meta zum Jahresende, sagte Geoffrey Hinton",
    # Another company's title, hearsay, no stance.
    "Google's chief AI scientist says he will leave the company at year-end",
    "Meta's chief AI scientist reportedly plans to leave",
    "Meta's chief AI scientist says LLMs will not reach human-level intelligence",
    # The conditional alone is hearsay.
    "Yann LeCun préparerait une start-up et quitterait Meta",
    "Meta aurait confirmé le départ de LeCun",
    "LeCun lascerebbe Meta: sarebbe pronta una nuova società",
    # No one speaks of him; not a party.
    "Meta made no announcement about its research reorganisation",
    "LeCun will leave Meta, says Paris-based investor Anne Roux",
    # A stance only supposed (the ninth audit's two false alerts were of this kind).
    "Should LeCun confirm his exit, Meta would lose its best-known scientist",
    "Traders put 60% odds on Meta confirming LeCun's exit",
    "Analysts wonder whether Meta will confirm LeCun is leaving",
    "If LeCun confirms he is leaving, who runs FAIR?",
    # The tenth audit's grammar, quiet: "he" after a company's possessive is not the
    # company; a name before a startup only qualifies it; a plan to leave in the third
    # person is the rumour; Korean possessive and hearsay; sentences split after a quote.
    "Meta's new AI lab will open in Paris, he said",
    "A Yann LeCun startup? Investors say they would back it",
    "LeCun is planning to leave Meta, people familiar with the matter said",
    "메타의 르쿤 퇴사설, 소식통에 따르면 연말 발표",
    "Hinton called LeCun 'a friend.' Asked whether LeCun is leaving, Hinton said he had nothing to announce.",
]
# A spokesperson named by role alone whose company is not the headline's, or not said.
QUIET_ROLES = [
    (
        "Meta loses LeCun to a startup",
        "A spokesperson for Nvidia confirmed it will invest in LeCun's new company.",
    ),
    ("LeCun's next move: a startup in Paris", "A spokesperson confirmed the company will be based in Paris."),
]


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), FOUND_IN_OUR_WORDINGS)
def test_found_in_wordings_of_our_own(title: str, summary: str, speaker: str, stance: str) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize("title", QUIET_IN_OUR_WORDINGS)
def test_quiet_in_wordings_of_our_own(title: str) -> None:
    assert classify(make_item(title), WATCH) is None


@pytest.mark.parametrize(("title", "summary"), QUIET_ROLES)
def test_a_role_alone_speaks_only_for_the_headlines_company(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


# "he said", "il a fait savoir", "sagte er", "the scientist said": the verb's subject only
# refers to someone, and the clauses before say who (the eleventh stop's rule; the ninth
# audit's "'Yes, I'm leaving Meta…,' he said" was missed without it).
REFERRED = [
    (
        "Yann LeCun takes questions after a talk in Lyon",
        "Most of the hour went to world models. Asked about the reports, 'Yes, I am leaving"
        " Meta at the end of the year,' he said.",
        "Yann LeCun",
        "confirms",
    ),
    (
        "Yann LeCun à Lyon",
        "Le chercheur a surtout parlé d'IA. « Je reste chez Meta », a-t-il précisé.",
        "Yann LeCun",
        "denies",
    ),
    (
        "Yann LeCun in Berlin",
        "Der Forscher sprach über Weltmodelle. „Ich bleibe bei Meta“, sagte er.",
        "Yann LeCun",
        "denies",
    ),
    (
        "Yann LeCun in Lyon",
        "The researcher spoke about world models for an hour. Asked about Meta, the scientist said"
        " he is staying put.",
        "Yann LeCun",
        "denies",
    ),
    # A clause that opens on something other than a name keeps the referent ("Sur Threads").
    (
        "Yann LeCun in Lyon",
        "LeCun spoke about world models. Sur Threads, il a fait savoir qu'il reste chez Meta.",
        "Yann LeCun",
        "denies",
    ),
    # One of a party's people is its voice: "he" is Zuckerberg, so Meta speaks.
    (
        "Yann LeCun's future",
        "Mark Zuckerberg spoke after him. 'Yann is staying put,' he said.",
        "Meta",
        "denies",
    ),
    # After the verb (the eleventh audit): "teilte der Wissenschaftler mit"; and what a
    # party is said to have refused, or told someone in reported speech.
    (
        "Yann LeCun in Hamburg",
        "Der Forscher sprach über Weltmodelle. Er bleibe bei Meta, teilte der Wissenschaftler am Abend mit.",
        "Yann LeCun",
        "denies",
    ),
    (
        "Yann LeCun keeps the room guessing",
        "Asked about reports that he is leaving Meta, the Turing Award winner refused to confirm them.",
        "Yann LeCun",
        "declines",
    ),
    (
        "Yann LeCun at NeurIPS",
        "The Turing Award winner told the hall that he would leave Meta at the end of December.",
        "Yann LeCun",
        "confirms",
    ),
]
# Someone else was the last subject named; Italian's "il" before a noun is an article.
REFERRED_QUIET = [
    ("Yann LeCun in Lyon", "Geoffrey Hinton spoke after him. 'He is staying put,' he said."),
    ("Yann LeCun's future", "Dana Whitfield, an investor, praised LeCun. 'He is staying put,' she said."),
    ("Yann LeCun e Meta", "Il ministro ha detto che LeCun resta a Meta."),
    # Someone's, or whom someone told; "he would leave" with no party to say it.
    ("Yann LeCun in Lyon", "A friend of the researcher said he is staying put."),
    ("Yann LeCun in Lyon", "The company told the researcher he is staying put."),
    ("Yann LeCun at NeurIPS", "Analysts said he would leave Meta at the end of December."),
    # The clause's own subject, before the pronoun, is someone else.
    ("Yann LeCun speaks in Lyon", "Hinton thinks he is staying put, he said."),
]


# The twelfth audit's grammar, in wordings of our own: an interview's "A:" is the one
# interviewed; after a clause on the subject, a speaker referred back to answers on it;
# a communications head speaks like a spokesperson.
ANSWERS = [
    (
        "Yann LeCun takes questions in Lyon",
        "The scientist spoke to reporters after his talk. Q: Are you leaving Meta? A: When"
        " there's something to say, I'll say it.",
        "Yann LeCun",
        "declines",
    ),
    (
        "Yann LeCun à Lyon",
        "Interrogé sur son départ de Meta, Yann LeCun esquive. « Quand il y aura quelque chose à"
        " annoncer, vous le saurez », répond-il.",
        "Yann LeCun",
        "declines",
    ),
    (
        "Meta on Yann LeCun",
        "The company's head of communications said on Tuesday that he is staying put.",
        "Meta",
        "denies",
    ),
    # Japanese: a name marked が after a subject marked は is a subordinate clause's subject.
    ("メタは、ルカン氏が年内に退社すると発表した", "", "Meta", "confirms"),
    ("ルカン氏が年内に退社すると発表した", "", "Yann LeCun", "confirms"),
]
ANSWERS_QUIET = [
    # The question, or the clause before, is on something else; the answer is another's.
    (
        "Yann LeCun takes questions in Lyon",
        "Q: What do you think of LLMs? A: When there's something to say, I'll say it.",
    ),
    (
        "Yann LeCun à Lyon",
        "Interrogé sur les LLM, Yann LeCun esquive. « Quand il y aura quelque chose à annoncer,"
        " vous le saurez », répond-il.",
    ),
    ("Yann LeCun in Lyon", "Q: Are you leaving Meta? Hinton: When there's something to say, he'll say it."),
    # "di Meta" is whose the title is, not Meta speaking.
    ("Il capo scientifico di Meta in Italia", "Il capo scientifico di Meta ha detto che LeCun resta a Meta."),
    # What the outlet could not verify is not on the record.
    (
        "Read the memo: Yann LeCun tells staff he is leaving Meta",
        "The outlet could not independently verify the memo.",
    ),
]


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), ANSWERS)
def test_an_answer_speaks_on_the_question_before_it(
    title: str, summary: str, speaker: str, stance: str
) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize(("title", "summary"), ANSWERS_QUIET)
def test_an_answer_on_something_else_or_unverified_is_quiet(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


def test_a_partys_post_names_him_by_a_pronoun_that_refers_to_him() -> None:
    """A statement of a party other than the `about` one must name him; "his new venture"
    does, when he was the last subject named (the eleventh audit's Meta Newsroom post)."""
    post = make_item(
        "An update on our research lab",
        "Yann LeCun will conclude his time at Meta at the end of the year. We are grateful for"
        " everything he built, and we will partner with his new venture.",
        feed="Meta Newsroom",
        official=True,
    )
    someone_else = make_item(
        "An update on our research lab",
        "Dana Whitfield joins FAIR. We are grateful, and we will partner with his new venture.",
        feed="Meta Newsroom",
        official=True,
    )
    statement = classify(post, WATCH)
    assert statement is not None
    assert (statement.speaker, statement.stance) == ("Meta", "confirms")
    assert classify(someone_else, WATCH) is None


def test_a_month_a_few_months_back_places_the_statement_in_the_past() -> None:
    """ "…wrote on LinkedIn in November that he would leave", in a January list of founders,
    recalls his statement (it joins that statement's alert); in December it may, in May it
    is too far back to tell from next year's November, in November it is this month's."""
    item = make_item(
        "The founders to watch",
        "No. 1: Yann LeCun. The Turing Award winner wrote on LinkedIn in November that he would"
        " leave Meta at the end of the year.",
    )
    recalled = {}
    for year, month in ((2026, 1), (2025, 12), (2025, 11), (2026, 5)):
        statement = classify(replace(item, published=datetime(year, month, 6, tzinfo=UTC)), WATCH)
        assert statement is not None
        recalled[month] = statement.recalled
    assert recalled == {1: True, 12: True, 11: False, 5: False}


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), REFERRED)
def test_he_or_the_researcher_is_the_last_subject_named(
    title: str, summary: str, speaker: str, stance: str
) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize(("title", "summary"), REFERRED_QUIET)
def test_he_is_no_party_when_someone_else_was_named_last(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


# A party's own channel speaks for it, with no name before a verb.
OWN_CHANNEL = [
    (
        "For the record: I have no announcement to make about my future at Meta.",
        "",
        "Yann LeCun (Threads)",
        ("Yann LeCun", "declines"),
    ),
    (
        "Our research agenda for next year",
        "Amid recent speculation, to be clear: Yann LeCun remains Meta's Chief AI Scientist.",
        "Meta AI Blog",
        ("Meta", "denies"),
    ),
]


@pytest.mark.parametrize(("title", "summary", "feed", "decided"), OWN_CHANNEL)
def test_a_partys_own_post(title: str, summary: str, feed: str, decided: tuple[str, str]) -> None:
    statement = classify(make_item(title, summary, feed=feed, official=True), WATCH)
    assert statement is not None
    assert (statement.speaker, statement.stance) == decided


def test_a_statement_the_item_dates_in_the_past_is_recalled() -> None:
    """ "Last week LeCun said …" reports an earlier statement (alerts joins it to that
    statement's alert however late it comes); "on Monday" does not say it is an old one."""
    recalled = classify(make_item("Last week LeCun said he is leaving Meta to found a startup"), WATCH)
    fresh = classify(make_item("LeCun said on Monday he is leaving Meta to found a startup"), WATCH)
    assert recalled is not None
    assert fresh is not None
    assert (recalled.recalled, fresh.recalled) == (True, False)


# The thirteenth audit's grammar, in wordings of our own: a transcript's speaker labels; a
# yes or a no right after a question on the subject; a plan in his own words; a name after
# "outside" is an object; Ukrainian and Dutch.
TRANSCRIPTS = [
    (
        "Episode 40: Yann LeCun on world models and on leaving Meta",
        "HOST: Straight to it. Is it true you're leaving Meta? LECUN: Yes. I'll stay until"
        " December, then I start something of my own.",
        "Yann LeCun",
        "confirms",
    ),
    (
        "Town hall transcript",
        "MODERATOR: Is LeCun staying at Meta? BOSWORTH: Yes. He's doing the research he wants.",
        "Meta",
        "denies",
    ),
    (
        "The Sunday interview: Yann LeCun",
        "Q: Is Yann LeCun leaving Meta to start a company? A: No. I'm happy where I am.",
        "Yann LeCun",
        "denies",
    ),
    # A plan to leave, in his own words, and French's first person future.
    ("Yann LeCun: 'I plan to leave Meta when the year ends'", "", "Yann LeCun", "confirms"),
    ("Yann LeCun : « Je quitterai Meta en décembre »", "", "Yann LeCun", "confirms"),
    # "outside Meta" is where, not who: "he told" is LeCun.
    (
        "Why world models need a new lab",
        'It is a bet Yann LeCun now means to make outside Meta: "I will leave Meta in December,"'
        " he told a French daily.",
        "Yann LeCun",
        "confirms",
    ),
    ("Meta підтвердила, що Ян Лекун залишає компанію", "", "Meta", "confirms"),
    (
        "Meta over Yann LeCun",
        "Een woordvoerder van het bedrijf liet woensdag weten dat LeCun gewoon bij Meta blijft.",
        "Meta",
        "denies",
    ),
    ("Meta says LeCun is at work as usual, won't address reports he is leaving", "", "Meta", "declines"),
    # The question turn runs on past its "?" and names no one after it: the answer answers
    # the whole turn, which names him.
    (
        "Five questions for Meta's press office",
        "Q: Is Yann LeCun leaving the company? Everyone in Paris says so. Meta spokesperson: Yes.",
        "Meta",
        "confirms",
    ),
    # A yes or a no opening the clause after the question answers it, whoever the clause
    # names; after a claim, "he is" / "he isn't" does.
    ("Meta on LeCun", 'Is Yann LeCun leaving Meta? "No," a Meta spokesperson said.', "Meta", "denies"),
    (
        "Le Monde's interview",
        "Is Yann LeCun leaving Meta? Yes, LeCun told Le Monde.",
        "Yann LeCun",
        "confirms",
    ),
    (
        "Meta on LeCun",
        "Reports say Yann LeCun is leaving Meta. He isn't, a Meta spokesperson said.",
        "Meta",
        "denies",
    ),
]
TRANSCRIPTS_QUIET = [
    # A claim echoed by no party, and a "he is not" that answers nothing.
    ("Meta on LeCun", "Reports say Yann LeCun is leaving Meta. He is, according to three people."),
    ("Meta on LeCun", "Reports say Yann LeCun is leaving Meta. He is not the first to go, Meta said."),
    # The same run-on question, answered by no party.
    (
        "Five questions on Meta",
        "Q: Is Yann LeCun leaving the company? Everyone in Paris says so. Analyst: Yes.",
    ),
    # The label is no party's; the question is on something else; one label is no transcript.
    ("Episode 40: a panel on leaving Meta", "HOST: Is LeCun leaving Meta? GUEST: Yes. Everyone says so."),
    ("Episode 41: Yann LeCun", "HOST: Do you like LLMs? LECUN: No. They cannot plan."),
    ("Update: Yann LeCun", "Is LeCun leaving Meta? Yes, according to people familiar with his plans."),
    ("Ep. 9", "HOST: Are you leaving Meta? LECUN: Next question. HOST: Fine."),
]


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), TRANSCRIPTS)
def test_a_transcripts_labels_and_answers_say_who_says_what(
    title: str, summary: str, speaker: str, stance: str
) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize(("title", "summary"), TRANSCRIPTS_QUIET)
def test_a_yes_from_no_party_or_to_another_question_is_quiet(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


# The fourteenth audit's grammar, in wordings of our own: a claim he rebuts is not his
# stance; on a party's own channel its Q&A's answers are its; a transcript's answer
# answers the whole turn before; a Japanese topic is its sentence's subject however far;
# "da" is an object's preposition; a participle's "que" is reported speech.
REBUTTALS = [
    (
        "Headlines keep claiming I'm leaving Meta for a startup.",
        "I'm not. Still here, still chief AI scientist, still building world models.",
        "Yann LeCun (Threads)",
        ("Yann LeCun", "denies"),
    ),
    (
        "Friday AMA: smart glasses, Llama and the lab",
        "Q: Is LeCun leaving Meta? A: No. He has the job he wants. Q: Glasses in Europe? A: Soon.",
        "Instagram — @boztank",
        ("Meta", "denies"),
    ),
]
FOURTEENTH = [
    (
        "Yann LeCun in conversation",
        "INTERVIEWER: Everyone says you will leave Meta. Will you? LECUN: I have not made any"
        " decision. Ask me next year.",
        "Yann LeCun",
        "declines",
    ),
    (
        "米メタは2日、基礎研究を率いるヤン・ルカン主任AI科学者が来月退社することを確認した",
        "",
        "Meta",
        "confirms",
    ),
    (
        "LeCun, ultimo giorno venerdì",
        "Nella lettera letta da Business Insider, lo scienziato ha scritto che il suo ultimo giorno"
        " sarà venerdì.",
        "Yann LeCun",
        "confirms",
    ),
    (
        "Yann LeCun à Davos",
        "« Nous serons à Paris », a-t-il déclaré, confirmant que sa start-up serait dirigée par un ancien"
        " de Nabla.",
        "Yann LeCun",
        "confirms",
    ),
    (
        "LeCun geht",
        "Er werde Meta im Dezember verlassen, schrieb LeCun auf LinkedIn.",
        "Yann LeCun",
        "confirms",
    ),
    (
        "مقابلة مع صحيفة ألمانية",
        "قال يان ليكون إنه لم يتخذ أي قرار بترك الشركة.",
        "Yann LeCun",
        "declines",
    ),
]
FOURTEENTH_QUIET = [
    # No answer: a word of its own after the yes or no, or nobody's label.
    ("Yann LeCun at the Q&A", "Q: Is LeCun leaving Meta? A: No idea, ask him."),
    ("Yann LeCun at the Q&A", "Q: Is LeCun leaving Meta? A: No comment from me."),
    # Others' claims, with no one of the parties rebutting them.
    ("Analysts keep claiming LeCun is leaving Meta", "The stories cite people familiar with his plans."),
]


@pytest.mark.parametrize(("title", "summary", "feed", "decided"), REBUTTALS)
def test_a_claim_he_rebuts_and_his_channels_answers(
    title: str, summary: str, feed: str, decided: tuple[str, str]
) -> None:
    statement = classify(make_item(title, summary, feed=feed, official=True), WATCH)
    assert statement is not None
    assert (statement.speaker, statement.stance) == decided


@pytest.mark.parametrize(("title", "summary", "speaker", "stance"), FOURTEENTH)
def test_answers_topics_and_reported_speech_of_the_fourteenth_audit(
    title: str, summary: str, speaker: str, stance: str
) -> None:
    assert speaker_and_stance(title, summary) == (speaker, stance)


@pytest.mark.parametrize(("title", "summary"), FOURTEENTH_QUIET)
def test_no_idea_no_comment_and_others_claims_are_quiet(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


def test_a_claim_alone_on_his_channel_is_not_his() -> None:
    """ "Claiming I'm leaving" is what others claim: on his own channel, with nothing after
    it, it is no confirmation (it was one, and the fourteenth audit's rebuttal read as one)."""
    post = make_item(
        "Some outlets are claiming I'm leaving Meta.", "", feed="Yann LeCun (Threads)", official=True
    )
    assert classify(post, WATCH) is None


# The fifteenth audit's grammar, in wordings of our own: a short answer in a pronoun and its
# verb, after a question turn that runs on past its "?"; Swedish, Danish and Norwegian.
FIFTEENTH = [
    (
        "Ask me anything: the lab, Llama, Yann",
        "Q: Is Yann leaving Meta? The rumor is everywhere. A: He isn't. We talk every week.",
        "Andrew Bosworth (Instagram)",
        True,
        ("Meta", "denies"),
    ),
    (
        "Reader questions, answered",
        "Q: Is LeCun really leaving Meta this year? A: He is. More on that soon.",
        "Meta Newsroom",
        True,
        ("Meta", "confirms"),
    ),
    (
        "The Sunday interview: Yann LeCun",
        "HOST: Are you leaving Meta to start a company? LECUN: I'm not. I like it here.",
        "Podcast",
        False,
        ("Yann LeCun", "denies"),
    ),
    ("Meta förnekar: LeCun lämnar inte bolaget", "", "Dagens Industri", False, ("Meta", "denies")),
    ("LeCun bekräftar att han lämnar Meta vid årsskiftet", "", "SvD", False, ("Yann LeCun", "confirms")),
    ("Meta afviser rygterne om LeCun", "", "Politiken", False, ("Meta", "denies")),
    ("LeCun bekrefter at han forlater Meta", "", "E24", False, ("Yann LeCun", "confirms")),
]
FIFTEENTH_QUIET = [
    # An answer to a question on something else; a reporter's "will not comment" in Swedish
    # and Danish is silence, not a refusal on the record.
    ("Ask me anything", "Q: Is the new headset shipping in Europe? A: It is not. Q: Yann? A: Ask him."),
    ("LeCun lämnar Meta, uppger källor", "Meta vill inte kommentera uppgifterna.", "DN"),
    ("LeCun forlader Meta, ifølge kilder", "Meta afviser at kommentere rygterne.", "Børsen"),
]


@pytest.mark.parametrize("texts", FIFTEENTH_QUIET)
def test_other_answers_and_nordic_silence_are_quiet(texts: tuple[str, ...]) -> None:
    title, summary, *feed = texts
    assert classify(make_item(title, summary, feed=feed[0] if feed else "Wire"), WATCH) is None


# The sixteenth audit's grammar, in wordings of our own: a party's own "we do not comment"
# in German; "moving on" and one's "own company"; the company's "our chief AI scientist";
# a Korean title of several words before the genitive; what people present say he said.
SIXTEENTH = [
    (
        "Meta äußert sich nicht zu LeCun",
        "Ein Meta-Sprecher sagte: „Zu Spekulationen über seine Zukunft äußern wir uns nicht.“",
        "Handelsblatt",
        False,
        ("Meta", "declines"),
    ),
    (
        "About our chief AI scientist",
        "Since you keep asking: he's moving on in December to start his own company, and we will"
        " work with it.",
        "Threads — Andrew Bosworth",
        True,
        ("Meta", "confirms"),
    ),
    (
        "메타 CTO, 르쿤 퇴사 확인",
        "앤드루 보즈워스 메타 CTO가 얀 르쿤 수석 AI 과학자의 퇴사를 공식 확인했다.",
        "Wire",
        False,
        ("Meta", "confirms"),
    ),
]
SIXTEENTH_QUIET = [
    (
        "Inside Yann LeCun's meeting with his lab",
        "He spoke to a dozen researchers on Tuesday. One of the people said LeCun confirmed he is"
        " leaving Meta when asked.",
    ),
    ("What Yann LeCun told FAIR this week", "Attendees said LeCun confirmed he will leave Meta in December."),
    ("Yann LeCun on research", "LeCun says the field is moving on from LLMs, and Meta should too."),
]


@pytest.mark.parametrize(("title", "summary"), SIXTEENTH_QUIET)
def test_what_people_present_say_he_said_is_quiet(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


# The seventeenth audit's false alert and duplicate, in wordings of our own: "ni … ni" with
# words between the second "ni" and the verb; a Turkish name in the genitive is not the
# verb's subject (the spokesperson before it is).
SEVENTEENTH_QUIET = [
    ("¿Dejará LeCun Meta?", "Ni LeCun ni Meta han confirmado la información del Financial Times."),
    ("LeCun deixa a Meta?", "Nem LeCun nem a Meta confirmaram a notícia até agora."),
    ("Verlässt LeCun Meta?", "Weder LeCun noch Meta haben den Bericht bisher bestätigt."),
]


@pytest.mark.parametrize(("title", "summary"), SEVENTEENTH_QUIET)
def test_neither_nor_with_words_before_the_verb_is_quiet(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


def test_a_turkish_name_in_the_genitive_is_not_the_speaker() -> None:
    """ "LeCun'un" is LeCun's: the reports of his leaving are what Meta's spokesperson denied."""
    assert speaker_and_stance(
        "Meta'dan yalanlama",
        "Meta sözcüsü Yann LeCun'un şirketten ayrılacağı yönündeki haberleri yalanladı.",
    ) == ("Meta", "denies")


# Turkish object clauses: a verb made a noun in the accusative ("ayrılacağını", that he will
# leave) is the subject's object; the subject written before it, after a comma, speaks.
TURKISH = [
    ("Meta sözcüsü, Dave Arnold, LeCun'un şirketten ayrılacağını doğruladı.", ("Meta", "confirms")),
    ("Meta sözcüsü Dave Arnold, LeCun'un şirketten ayrılacağını doğruladı.", ("Meta", "confirms")),
    ("Meta, LeCun'un şirketten ayrılmayacağını açıkladı.", ("Meta", "denies")),
    ("LeCun'un Meta'dan ayrılacağını Financial Times doğruladı.", None),  # the FT speaks
]


@pytest.mark.parametrize(("summary", "decided"), TURKISH)
def test_turkish_object_clauses(summary: str, decided: tuple[str, str] | None) -> None:
    assert speaker_and_stance("Meta ve LeCun", summary) == decided


# The eighteenth audit's grammar, in wordings of our own: Meta's executives by title and
# its CFO by name; a party saying the departure is done; Finnish "neither confirmed nor
# denied"; Romanian and Thai cues.
EIGHTEENTH = [
    (
        "Earnings call, questions and answers",
        "Analyst: What does the research roadmap look like now? Susan Li: Yann has already left"
        " Meta, and our plans are unchanged.",
        ("Meta", "confirms"),
    ),
    (
        "A saída de LeCun, diz CFO da Meta",
        "LeCun has left the company, the Meta CFO said on a call.",
        ("Meta", "confirms"),
    ),
    (
        "Metan johtaja LeCunista",
        "Metan teknologiajohtaja ei vahvistanut eikä kiistänyt LeCunin lähtöä koskevia tietoja.",
        ("Meta", "declines"),
    ),
    ("Meta transmite că LeCun rămâne la conducerea laboratorului FAIR", "", ("Meta", "denies")),
    ("Meta ยืนยัน LeCun ยังอยู่ต่อ", "", ("Meta", "denies")),
]
EIGHTEENTH_QUIET = [
    # Leaving somewhere else, long ago; a CFO on something else; a Thai report of a rumour.
    ("LeCun on his career", "LeCun has left Bell Labs behind him, he said in 2003."),
    ("Meta's CFO on capex", "Susan Li said capital expenditures will rise in 2026."),
    ("ข่าวลือ LeCun ลาออกจาก Meta", "แหล่งข่าวระบุว่า LeCun อาจลาออก"),
]


# A clause that takes up the one before it with a pronoun and its speech verb: the speaker
# it names says what the clause before says ("LeCun bleibt bei Meta. Das bestätigte ein
# Sprecher" is a denial); a verb with German's "nicht" at the clause's end is negated.
TAKEN_UP = [
    (
        "LeCun und Meta",
        "LeCun verlässt Meta zum Jahresende. Das bestätigte ein Meta-Sprecher am Dienstag.",
        ("Meta", "confirms"),
    ),
    ("LeCun und Meta", "LeCun bleibt bei Meta. Das bestätigte ein Meta-Sprecher.", ("Meta", "denies")),
    (
        "LeCun und Meta",
        "LeCun verlässt Meta, berichtet die FT. Das dementierte Meta am Dienstag.",
        ("Meta", "denies"),
    ),
    (
        "LeCun to leave",
        "LeCun will leave Meta at the end of the year. That was confirmed by a Meta spokesperson.",
        ("Meta", "confirms"),
    ),
    (
        "LeCun quitte Meta",
        "LeCun quittera Meta en décembre. Cela a été confirmé par un porte-parole de Meta.",
        ("Meta", "confirms"),
    ),
    ("LeCun und Meta", "Meta bestätigte, dass LeCun das Unternehmen nicht verlässt.", ("Meta", "denies")),
    ("LeCun und Meta", "Meta bestätigte LeCuns Abgang am Dienstag.", ("Meta", "confirms")),
    ("LeCun", "Meta подтвердила уход Лекуна.", ("Meta", "confirms")),
    ("LeCun", "Meta can confirm that Yann is leaving, a spokesperson said.", ("Meta", "confirms")),
    # The name after a Swedish verb and its negation is its object.
    ("LeCun", "LeCun lämnar inte Meta, säger han.", ("Yann LeCun", "denies")),
    # Dutch: the subject inverted after the verb, a role named by it; the perfect's
    # participle last; the passive's agent after "door".
    ("LeCun", "LeCun verlaat Meta. Dat bevestigde een woordvoerder van Meta dinsdag.", ("Meta", "confirms")),
    (
        "LeCun",
        "LeCun vertrekt bij Meta. Dat heeft een woordvoerder van Meta bevestigd.",
        ("Meta", "confirms"),
    ),
    ("LeCun", "Het vertrek van LeCun is bevestigd door Meta.", ("Meta", "confirms")),
    ("LeCun", "LeCun blijft bij Meta. Dat heeft een woordvoerder van Meta bevestigd.", ("Meta", "denies")),
    (
        "LeCun",
        "LeCun verlässt Meta zum Jahresende. Das hat ein Meta-Sprecher bestätigt.",
        ("Meta", "confirms"),
    ),
    ("LeCun on X", "LeCun on X: 'I'm set to leave Meta at the end of the year.'", ("Yann LeCun", "confirms")),
    # ...while a departure that is his, or no one's named, is still the one watched.
    ("LeCun to leave Meta, FT says", "Meta confirmed his departure.", ("Meta", "confirms")),
    ("LeCun to leave Meta, FT says", "Meta confirmed Yann's departure.", ("Meta", "confirms")),
    (
        "LeCun to leave Meta, FT says",
        "Meta a confirmé le départ de Meta de son chercheur.",
        ("Meta", "confirms"),
    ),
    (
        "LeCun to leave Meta, FT says",
        "Meta bestätigte den Abgang von Chefwissenschaftler LeCun.",
        ("Meta", "confirms"),
    ),
    # A cue that is itself negative survives the negation Romanian requires.
    (
        "LeCun rămâne la Meta",
        "Meta a declarat că nu există nicio schimbare în rolul lui LeCun.",
        ("Meta", "denies"),
    ),
]
TAKEN_UP_QUIET = [
    # A negation after the verb (Scandinavian, Dutch), before it in other languages, and
    # English's "has yet to": each of these was a confirmation until 2026-11-25.
    ("LeCun", "Meta bekräftade inte uppgifterna om LeCuns avgång."),
    ("LeCun", "Meta bekræftede ikke rygterne om LeCuns afgang."),
    ("LeCun", "Meta bekreftet ikke at LeCun forlater selskapet."),
    ("LeCun", "Meta bevestigde niet dat LeCun vertrekt."),
    ("LeCun", "Meta не подтвердила уход Лекуна."),
    ("LeCun", "Meta nie potwierdziła odejścia LeCuna."),
    ("LeCun", "Meta has yet to confirm LeCun's departure."),
    ("LeCun", "A Meta não confirmou a saída de LeCun."),
    # A statement still to come is none yet.
    ("LeCun", "Meta stopped short of confirming LeCun's departure."),
    ("LeCun", "Meta is expected to confirm LeCun's departure next week."),
    ("LeCun", "Meta may confirm LeCun's exit at its earnings call."),
    ("LeCun", "Once Meta confirms LeCun's exit, shares could move."),
    # Someone else's departure, named by his: the watch's off-subject cue.
    ("LeCun's deputy to leave", "Meta confirmed that LeCun's deputy is leaving the company."),
    ("LeCun und Meta", "Meta bestätigte den Bericht über LeCuns Abgang zunächst nicht."),
    ("LeCun und Meta", "LeCun verlässt Meta zum Jahresende. Das bestätigte Meta bislang nicht."),
    ("LeCun en Meta", "Meta bevestigde het vertrek van LeCun niet."),
    ("LeCun en Meta", "LeCun verlaat Meta, meldt de FT. Dat is door Meta nog niet bevestigd."),
    ("LeCun en Meta", "Dat bevestigde een woordvoerder van Google over de storing."),
    # Someone else's departure, named, under a headline about his: each was a
    # confirmation until 2026-11-25.
    ("LeCun to leave Meta, FT says", "Meta confirmed Joelle Pineau's departure on Friday."),
    ("LeCun to leave Meta, FT says", "Meta confirmed the departure of Joelle Pineau on Friday."),
    ("LeCun to leave Meta, FT says", "Meta confirmed its CFO's departure on Friday."),
    ("LeCun to leave Meta, FT says", "Meta confirmed a spokesperson's departure on Friday."),
    ("LeCun to leave Meta, FT says", "Meta confirmed that Joelle Pineau is leaving the company."),
    ("LeCun to leave Meta, FT says", "A Meta spokesperson confirmed that its CFO is stepping down."),
    ("LeCun to leave Meta, FT says", "Meta bestätigte den Abgang von Joelle Pineau."),
    ("LeCun to leave Meta, FT says", "Meta a confirmé le départ de Joelle Pineau."),
    # In the third person, "set to leave" is the rumour's own wording.
    ("LeCun", "LeCun is set to leave Meta, the FT reports."),
    (
        "LeCun to leave",
        "LeCun will leave Meta at the end of the year. That was confirmed by people close to him.",
    ),
    ("LeCun to leave", "LeCun will leave Meta, the FT reports. This week Meta confirmed an outage."),
]


@pytest.mark.parametrize(("title", "summary", "decided"), TAKEN_UP + EIGHTEENTH)
def test_taken_up_clauses_and_the_eighteenth_audits_grammar(
    title: str, summary: str, decided: tuple[str, str]
) -> None:
    assert speaker_and_stance(title, summary) == decided


@pytest.mark.parametrize(("title", "summary"), TAKEN_UP_QUIET + EIGHTEENTH_QUIET)
def test_negated_expected_or_elsewhere_statements_are_quiet(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


@pytest.mark.parametrize(("title", "summary", "feed", "official", "decided"), FIFTEENTH + SIXTEENTH)
def test_the_fifteenth_and_sixteenth_audits_grammar(
    title: str, summary: str, feed: str, official: bool, decided: tuple[str, str]
) -> None:
    statement = classify(make_item(title, summary, feed=feed, official=official), WATCH)
    assert statement is not None
    assert (statement.speaker, statement.stance) == decided


# The nineteenth audit's grammar, in wordings of our own: a role after its verb, whose
# company the headline names; Scandinavian quotes and refusals; Portuguese, Korean and
# Chinese cues.
NINETEENTH = [
    (
        "Wie Meta auf den Abgang reagiert",
        "LeCun werde das Unternehmen verlassen, teilte eine Sprecherin auf Anfrage mit.",
        ("Meta", "confirms"),
    ),
    (
        "La réplica de Meta",
        "Tras publicarse su salida, un portavoz de la tecnológica salió al paso: «LeCun sigue siendo"
        " nuestro científico jefe».",
        ("Meta", "denies"),
    ),
    (
        "Meta om LeCun",
        "Företaget vill varken bekräfta eller förneka uppgifterna. ”Vi spekulerar inte i Yanns planer."
        " Om det finns något att säga kommer han att säga det själv”, säger en talesperson för Meta.",
        ("Meta", "declines"),
    ),
    (
        "Meta giver et svar om LeCun",
        "En talsperson for selskabet siger, at man hverken vil be- eller afkræfte oplysningerne om, at"
        " han forlader Meta.",
        ("Meta", "declines"),
    ),
    (
        "LeCun responde",
        "Yann LeCun escreveu que não vai deixar a Meta nem está a angariar dinheiro.",
        ("Yann LeCun", "denies"),
    ),
    ("被追问去留，杨立昆：“我还在Meta，有消息我会自己说”", "", ("Yann LeCun", "declines")),
    (
        '메타 "르쿤 퇴사설 사실 아냐"',
        '메타 대변인은 "퇴사 관련 보도는 정확하지 않다"고 밝혔다.',
        ("Meta", "denies"),
    ),
]
# ...and what they must not take: a company's rank, a market, a role of another company.
NINETEENTH_QUIET = [
    ("LeCun", "LeCun said Meta is still at the frontier of open models."),
    ("LeCun", "Analysts say Meta is still the leader in open models."),
    ("LeCun", "Vi spekulerar inte i marknaden, säger en talesperson för Meta."),
    ("LeCun", "En talsperson for Google siger, at de hverken vil bekræfte eller afkræfte rygterne."),
    (
        "LeCun to leave Meta, FT says",
        "Dat bevestigde een woordvoerder van Meta over de storing bij Instagram.",
    ),
    ("LeCun to leave Meta, FT says", "Der Konzern bestätigte die Entlassungen bei Reality Labs."),
    ("LeCun to leave Meta, FT says", "Meta confirmed the date of LeCun's NeurIPS talk."),
    ("LeCun to leave Meta, FT says", "Meta confirms layoffs at FAIR, the lab LeCun founded."),
    ("LeCun to leave Meta, FT says", "Zuckerberg confirmed LeCun will keynote the developer conference."),
    ("LeCun to leave Meta, FT says", "The tech giant confirmed it had received the FT's questions."),
    ("LeCun to leave Meta, FT says", "LeCun did not confirm or deny the report in a post on X."),
    # A reported clause or an infinitive on something else, any company's startup.
    ("LeCun to leave Meta, FT says", "Meta confirmó que los servicios se restablecieron."),
    ("LeCun to leave Meta, FT says", "Meta bevestigde dat de dienst weer werkt."),
    ("LeCun to leave Meta, FT says", "Meta confirmed plans for a new data center in Louisiana."),
    ("LeCun to leave Meta, FT says", "Meta dementierte Berichte über einen Börsengang von Scale AI."),
    ("LeCun to leave Meta, FT says", "Meta a démenti toute fuite de données."),
    ("LeCun to leave Meta, FT says", "LeCun confirmed he will give the keynote at NeurIPS."),
    ("LeCun to leave Meta, FT says", "LeCun confirmed his attendance at the AI summit in Paris."),
    ("LeCun to leave Meta, FT says", "Meta a démenti vouloir racheter une start-up française."),
    ("LeCun to leave Meta, FT says", "Meta dementierte, ein Start-up übernehmen zu wollen."),
    ("LeCun", "Meta denied reports that it would acquire a chip startup."),
    ("LeCun", "Meta confirmed it is in talks to invest in a robotics startup."),
    ("LeCun", "A Meta spokesperson confirmed the company's venture arm led the round."),
    ("LeCun", "LeCun wrote that he is not leaving the debate on open source."),
    # Someone else's departure, with him named as the speaker.
    ("LeCun", "LeCun confirmed that his student is leaving for OpenAI."),
    ("LeCun", "LeCun confirmed that his former postdoc is leaving Meta to join Mistral."),
    # A trip, a board, the stage, a hype train, a talk: his, but not his departure.
    ("LeCun", '"I\'m leaving for Paris tomorrow to speak at VivaTech," LeCun said.'),
    ("LeCun", "LeCun said he is leaving for Davos on Monday."),
    ("LeCun", "LeCun confirmed he will step down from the board of the foundation."),
    ("LeCun", "LeCun quitte la scène après sa conférence, a confirmé Meta."),
    ("LeCun to leave Meta, FT says", '"I\'m not going anywhere near that hype train," LeCun wrote.'),
    ("LeCun to leave Meta, FT says", "Meta confirmed LeCun's talk at NeurIPS will go ahead."),
    # Leaving a stage, a platform: the verb's object is not his employer.
    ("LeCun", "LeCun verlässt die Bühne nach seinem Vortrag, bestätigte Meta."),
    ("LeCun to leave Meta, FT says", "LeCun deja el escenario tras su charla, confirmó Meta."),
    ("LeCun to leave Meta, FT says", "LeCun lascia il palco dopo il suo intervento, ha confermato Meta."),
    ("LeCun to leave Meta, FT says", "LeCun verlaat het podium na zijn lezing, bevestigde Meta."),
    ("LeCun to leave Meta, FT says", "LeCun reist am Montag nach Davos, bestätigte ein Sprecher."),
    ("LeCun", "LeCun abandona Twitter, confirmó."),
    # Staying with an opinion is no staying at Meta.
    ("LeCun to leave Meta, FT says", "LeCun bleibt bei seiner Kritik an LLMs, sagte er."),
    ("LeCun to leave Meta, FT says", "LeCun sigue siendo escéptico con los LLM, dijo."),
    # Who no longer speaks for Meta, a post passed on, a verb with nothing for its object.
    ("LeCun", "Former Meta CTO Mike Schroepfer said LeCun is leaving."),
    ("LeCun", "A former Meta spokesperson said LeCun will leave the company."),
    ("LeCun", "Zuckerberg liked a post saying LeCun is leaving."),
    ("LeCun to leave Meta, FT says", "Meta confirmed nothing about LeCun's plans."),
]
# A verb of confirming whose object is the story still confirms under such a headline.
STORY_OBJECTS = [
    "Meta confirmed the news on Tuesday.",
    "Meta confirmed it on Tuesday.",
    "Meta bestätigte den Bericht am Dienstag.",
    "Meta a confirmé l'information mardi.",
    "Meta confirmó la noticia el martes.",
    "Meta bevestigde het nieuws dinsdag.",
    "Meta confirmed the FT's report.",
    "Meta confirmed as much in a statement.",
    "Meta confirmed reports on Tuesday.",
    # ...and his company is his, named or by "his" or "he".
    "Meta confirmed it will invest in LeCun's startup.",
    "Meta confirmed he will leave to found a startup.",
    # His departure beside another's is still his.
    "Meta confirmed that LeCun and Joelle Pineau are leaving.",
    # A report before its attribution, when it is on the story or only says yes.
    "He will join a new venture, Meta confirmed.",
    "Das stimmt, bestätigte ein Meta-Sprecher.",
    "C'est exact, a confirmé un porte-parole de Meta.",
    "LeCun will leave the company at the end of the year, a spokesperson confirmed.",
]


@pytest.mark.parametrize(("title", "summary", "decided"), NINETEENTH)
def test_the_nineteenth_audits_grammar(title: str, summary: str, decided: tuple[str, str]) -> None:
    assert speaker_and_stance(title, summary) == decided


@pytest.mark.parametrize(("title", "summary"), NINETEENTH_QUIET)
def test_ranks_markets_and_other_objects_are_quiet(title: str, summary: str) -> None:
    assert classify(make_item(title, summary), WATCH) is None


@pytest.mark.parametrize("summary", STORY_OBJECTS)
def test_a_verb_whose_object_is_the_story_confirms(summary: str) -> None:
    assert speaker_and_stance("LeCun to leave Meta, FT says", summary) == ("Meta", "confirms")
