"""Three kinds of sameness for a new item: the same article, a seed rehash, the same story.

Pure decisions: no IO, no SQLite. The store computes `features(item, seeds)` once, saves the
keys, fetches candidates with the queries below, and calls `decide`.

    item ──features()──▶ Features ──(store: candidate lookup)──▶ Sequence[Candidate]
    Features + Candidates + SeedIndex ──decide()──▶ Sameness ──▶ store

What the store queries (`Store.candidates`: the ids in one statement, then their rows):

1. ``canonical_link == item.canonical_link`` at any age (skip when None): a copy is a
   copy however old. Index on ``items(canonical_link)``.
2. ``title_key == features.title_key`` within the window. Index on ``items(title_key)``.
3. For each key in ``features.blocking_keys`` (at most `MAX_BLOCKING_KEYS` text keys plus
   one party key per watch), the `PER_KEY_CANDIDATES` newest items sharing it within
   `STORY_WINDOW` of the new item's ``published`` (not of `now`: a backfill or a replayed
   corpus has old dates), `MAX_CANDIDATES` in all. Index on ``item_keys(key, published)``.
   One LIMITed range scan per key costs O(log N) however popular the key is; a single
   ``key IN (...) ORDER BY`` would sort every match and grow with N.

Each candidate comes with what dedupe saved when it arrived (tokens, names, principal
parties, normalised lead: `Features.tokens`/`names`/`parties`/`lead`), so comparing with it
costs set operations, not text work; rows stored before those columns existed are worked
out from their text. Measured (benchmarks/, scenario 5, store in the disk cache): about
1.0–1.1 ms per new item from 10k to 1M stored, from ~10 ms when every candidate's text was
re-tokenised.

How each decision is made:

- duplicate_of: same canonical link, or the same normalised headline and either a
  similar lead or a lead that merely repeats the headline (aggregators such as Google
  News publish "headline  Outlet" as the summary). A site's home page, or a link that
  entries of one feed share under different headlines (a blog's day page whose posts
  differ only by #fragment), is a hub, not an article: it proves nothing. The earliest such
  candidate wins and a duplicate of a duplicate points at the original. When unsure:
  not a duplicate.
- story: the best candidate whose weighted token overlap passes `STORY_MIN_SCORE`,
  among candidates naming the same principal parties of a watch (so "Meta confirms an
  outage" never joins "Meta confirms LeCun's exit"). Items naming no party have no such
  gate: they must also share `STORY_MIN_SHARED` tokens besides their feed document's
  boilerplate (`boilerplate()`), so posts alike only in what a site prints on every
  entry do not chain into one story. A duplicate joins its original's story.
- seed: the item names the seed's principal parties, most of its content words are in
  the seed (`SEED_MIN_SCORE`), and it carries no sign of news: no first-party post, no
  one speaking now (says/told/confirms…) other than the seeds' own sources, no quote or
  number the seed lacks. Statements about the departure share most words with the seed;
  it is the speaking that separates them, so that test does not need the classifier.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache
from itertools import combinations
from typing import Protocol
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from monitor.types import Candidate, Item, Sameness, Statement
from monitor.watch import CuePattern, Party, Watch

__all__ = [
    "DUPLICATE_WINDOW",
    "MAX_BLOCKING_KEYS",
    "MAX_CANDIDATES",
    "PER_KEY_CANDIDATES",
    "STORY_WINDOW",
    "Features",
    "Packed",
    "SeedIndex",
    "SeedMatch",
    "boilerplate",
    "decide",
    "edited_entry",
    "features",
    "is_revision",
    "normalise_text",
    "pack",
    "seed_match",
    "text_features",
    "unpack",
]

# ── Retrieval limits ────────────────────────────────────────────────────────────────
# A developing story is rewritten for days and followed up for weeks (the corpus story
# runs 11–25 Nov); past a month a new item opens a new story rather than reviving one.
STORY_WINDOW = timedelta(days=30)
# Syndicated copies and aggregator entries follow the original within hours (corpus:
# at most 4 h); a week leaves room for slow feeds yet keeps recurring headlines apart.
DUPLICATE_WINDOW = timedelta(days=7)
# Story ids propagate from member to member, so the newest few members of a story are
# enough to join it. Cost is linear in candidates (benchmark scenario 5: 50 → ~10 ms per
# item, 20 → ~1.5 ms); the corpus (eval) scores the same at 20 as at 50.
MAX_CANDIDATES = 20
# Newest items read per blocking key: a rewrite shares several keys with its story, so a
# few per key find it while a popular key (a name pair in every item) cannot flood the list.
PER_KEY_CANDIDATES = 3
# 5 salient tokens give 10 pairs; more keys only add index probes.
SALIENT_TOKENS = 5
MAX_BLOCKING_KEYS = 10

# ── Text limits ─────────────────────────────────────────────────────────────────────
LEAD_CHARS = 300  # the lead: first sentences up to about this many characters
BODY_CHARS = 1200  # what the content checks read; feeds that ship whole articles are cut

# ── Thresholds (0–100, rapidfuzz scale) with their evidence on the shared corpus ────
# DUPLICATE_LEAD_MIN: fuzz.ratio of two normalised leads under the same headline.
#   copies (Yahoo, Flipboard, Techmeme)   100
#   same headline, different article      none in the corpus; hand cases score 30–60
DUPLICATE_LEAD_MIN = 90.0
# TRIVIAL_LEAD_MIN: fuzz.partial_ratio of headline within a short lead.
#   Google News "headline  Outlet" summaries   100
#   real leads (shortest 17 words)             < 60
TRIVIAL_LEAD_MIN = 95.0
# STORY_MIN_SCORE: weighted overlap (see `_overlap`) with the best same-party candidate.
#   EN story items vs their best candidate     lowest 28 (Hinton comment); FR 29–47
#   unrelated items vs their best other item    22–42 without the party gate (a DeepMind
#   researcher "leaving to start a world-model company" scores 42 against the LeCun
#   items): the gate on principal parties, not this number, keeps them apart
STORY_MIN_SCORE = 25.0
# STORY_MIN_SHARED: tokens two items must share to be one story when they name no principal
# party of a watch: short texts score high on a few common words, and with no party gate
# nothing else stands behind the score.
#   corpus story joins in one script (all party-gated)   6 or more shared tokens
#   real-world snapshots (shared/feeds/realworld), joins   2–3: Reddit's "submitted by …
#   of distinct posts on boilerplate                       [link] [comments]" (27 pairs),
#                                                          "Good morning …", "description/title";
#   ungated joins sharing 4+ there: the same event         (Slack insider sales, a State of
#   in two outlets' or one feed's items                    the Union, a Markoff interview)
STORY_MIN_SHARED = 4
# Tokens carried by at least this share of one feed document's entries are that site's
# boilerplate ("submitted by … [link] [comments]", "Continue reading…", a podcast's name)
# and do not count towards STORY_MIN_SHARED. Real-world snapshots, ≥ 6 entries, at 0.5:
# Reddit {comment, link, submit}, The Guardian {continu, read}, Macworld {articl, click,
# full, pleas, read}, podcasts {giant, bombcast}, {taverncast}, and a topic feed's topic
# (Google Alerts for Slack: {shar, slack, work}); party-gated items never consult it.
BOILERPLATE_SHARE = 0.5
BOILERPLATE_MIN_ENTRIES = 6
# SEED_MIN_SCORE: weighted share (`_coverage`) of the item's content tokens in the seed.
#   EN seed rehashes                                  lowest 61, then 64, 64, 70
#   EN non-rehashes where no one speaks (not official) highest 52 (a World Labs launch),
#   related 31–33; speaking items (statements, comments) reach 82, so the speech test
#   decides those, not this number
SEED_MIN_SCORE = 58.0
# A Chinese item meets an English one on Latin names only; fewer than 3 ("AI", "Meta")
# say nothing (corpus: ZH items of the story carry 3–6: Meta, AI, FAIR, LeCun, Wang, AMI).
CROSS_SCRIPT_MIN_TOKENS = 3
# Items in another language than the seeds (French, Chinese rehashes of English seeds):
# word coverage means nothing there, so a rehash is judged on what crosses languages:
# it names the seed's principal parties, states the watch's subject, speaks no news,
# quotes nothing new, gives no number the seed lacks, and the Latin-script names it
# carries are the seed's. Share of those names the seed has, on the corpus:
#   FR/ZH rehashes                      67–100   (AI→"IA", outlet names cost a little)
#   FR/ZH follow-ups with new people    ≤ 45     (Nabla, Alex LeBrun, Wit.ai)
CROSS_LANGUAGE_MIN_NAMES = 60.0
# A text is "another language" when it is mostly CJK, or when French function words
# outnumber English ones by this factor (both lists are short and unambiguous).
FOREIGN_FUNCTION_WORD_RATIO = 2.0
# Proper names (people, companies, places) say more about sameness than common words.
NAME_WEIGHT = 2.0
# A lead that repeats the headline adds at most an outlet name (corpus: "  Reuters").
TRIVIAL_LEAD_EXTRA = 40
# A quote is new when under half its words are in the seed ('dead end', "I don't comment…").
QUOTE_MAX_KNOWN = 0.5
# A party is principal for a seed when it is named at least this share as often as the
# seed's most-named party (LeCun 1.0 and Meta 0.8 vs Zuckerberg 0.2 in the seeds).
PRINCIPAL_PARTY_SHARE = 0.4


# ── Normalisation ───────────────────────────────────────────────────────────────────
def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOP_WORDS = _word_set(
    """
    a an and are as at be been being but by can could did do does doing for from had has
    have having he her here hers him his how i if in into is it its just me more most my
    no nor not of off on once only or our out over own s same she should so some such t
    than that the their them then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    also about after again against all am any because before below between both down
    during each few further other re ve ll d m o y us per via
    au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais
    me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur
    ta te tes toi ton tu un une vos votre vous c j l n qu est sont été être ont a été
    cette cet sans selon chez comme plus
    """
)
# " - Reuters", " | TechCrunch", " — Bloomberg", "  Financial Times": a separator then up to
# five words with no sentence punctuation, at the very end of a title.
_OUTLET_SUFFIX = re.compile(r"(?:\s+[-–—|]\s+|\s{2,})[\w.&'’ ]{2,40}$")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_LETTERS = rf"[^\W\d_{_CJK}]+"  # letters of alphabetic scripts; CJK runs are split apart
_TOKEN = re.compile(rf"[{_CJK}]+|[$€£¥]?\d+(?:[.,]\d+)*|{_LETTERS}(?:['’-]{_LETTERS})*")
_FRENCH_ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


def normalise_text(text: str) -> str:
    """Casefolded content words, space-separated: no punctuation, stop words or outlet suffix.

    CJK runs have no spaces between words, so they become overlapping character bigrams.
    """
    return " ".join(_words(_strip_outlet(text)))


def _strip_outlet(text: str) -> str:
    stripped = _OUTLET_SUFFIX.sub("", text.strip())
    return stripped if len(stripped) >= len(text) / 3 else text


def _words(text: str) -> list[str]:
    words: list[str] = []
    for raw in _TOKEN.findall(unicodedata.normalize("NFKC", text)):
        words.extend(_split_raw(raw.casefold()))
    return [w for w in words if w not in _STOP_WORDS]


@lru_cache(maxsize=65536)  # a word-level cache: the vocabulary of news is small and repeats
def _split_raw(raw: str) -> tuple[str, ...]:
    if _CJK_RUN.match(raw):
        return tuple(_bigrams(raw))
    if raw[0].isdigit() or raw[0] in "$€£¥":
        return (raw.lstrip("$€£¥").replace(",", ""),)
    raw = _FRENCH_ELISION.sub("", raw.replace("’", "'"))
    raw = raw.removesuffix("'s")
    return tuple(_split_hyphens(raw.replace("'", "")))


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def _split_hyphens(word: str) -> list[str]:
    # "start-up", "co-founder" are one word in other spellings; "world-model" is two.
    parts = word.split("-")
    if len(parts) == 2 and min(len(parts[0]), len(parts[1])) <= 2:
        return [parts[0] + parts[1]]
    return [p for p in parts if p]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A light suffix stripper: "leaving", "leaves", "leave" → "leav"; "companies" → "company"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    else:
        word = _strip_plural(word)
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _strip_plural(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# ── Money amounts: "$600 billion", "$600B", "€3 milliards" all become "600b" / "3b" ──────
_SCALES = {"billion": "b", "bn": "b", "b": "b", "milliard": "b", "milliards": "b"}
_SCALES |= {"million": "m", "millions": "m", "m": "m", "mn": "m", "billions": "b", "trillion": "t"}
_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(billions?|bn|b|milliards?|millions?|mn|m|trillion)\b", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _numbers(text: str) -> frozenset[str]:
    """Numbers in `text`, with money scales folded in ("600b"), so they compare across styles."""
    found = {f"{n.replace(',', '.')}{_SCALES[s.casefold()]}" for n, s in _AMOUNT.findall(text)}
    bare = _AMOUNT.sub(" ", text)
    found.update(n.replace(",", ".") for n in _NUMBER.findall(bare))
    return frozenset(found)


def _new_numbers(numbers: frozenset[str], known: frozenset[str]) -> bool:
    """Numbers the seed lacks. A bare number may match an amount's figure ("600 jobs" after
    "$600B"); an amount must match exactly ("€3 billion" is not "3 years")."""
    figures = known | {k.rstrip("bmt") for k in known}
    return any(n not in (figures if n[-1].isdigit() else known) for n in numbers)


# ── Features ────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class Features:
    """What dedupe needs of one item, computed once from title and summary."""

    title: str  # normalised headline
    lead: str  # normalised lead (first sentences of the summary)
    tokens: frozenset[str]  # stemmed content words of title and body
    names: frozenset[str]  # stemmed tokens written as proper names (weighted higher)
    title_key: str  # hash of the normalised headline, for the exact-headline lookup
    blocking_keys: tuple[str, ...]  # pairs of salient tokens, for the story lookup
    text: str  # the raw title and body, for the cue patterns (case matters)
    cjk: bool = False  # mostly Chinese/Japanese/Korean: compared with others on names only
    parties: str = ""  # the principal parties it names, per watch (see SeedIndex.parties)


def features(item: Item, seeds: SeedIndex) -> Features:
    """Features of a new item: its text's, plus one key per watch for the parties it names.

    The party key ("@lecun-meta:Meta+Yann LeCun") finds the newest items about the same
    principal parties even when the wording shares no pair of salient tokens (another
    language, a first-party post that never names its author).
    """
    base = text_features(item.title, item.summary)
    principals = seeds.principals(item.feed, base.text)
    return replace(
        base,
        blocking_keys=base.blocking_keys + seeds.party_keys(principals),
        parties=seeds.encode(principals),
    )


def text_features(title: str, summary: str) -> Features:
    """Features from title and summary alone: what `decide` recomputes for candidates."""
    return _features(title, summary[:BODY_CHARS])


@lru_cache(maxsize=256)  # rescans and pre-migration-2 candidates; new items meet it once
def _features(title: str, body: str) -> Features:
    norm_title = normalise_text(title)
    text = _text(title, body)
    tokens = frozenset(_stem(w) for w in _words(text))
    names = _name_tokens(title, body)
    return Features(
        title=norm_title,
        lead=normalise_text(_lead(body)),
        tokens=tokens,
        names=names,
        title_key=_title_key(norm_title),
        blocking_keys=_blocking_keys(tokens, names),
        text=text,
        cjk=_mostly_cjk(tokens),
    )


def _text(title: str, body: str) -> str:
    return f"{_strip_outlet(title)}.\n{body}"


@dataclass(frozen=True, slots=True)
class Packed:
    """Features as a parse worker sends them to the writer: each token bag one space-joined
    string, and no text (the item carries it). A bag as a set is some sixty string objects
    to pickle, unpickle in the writer's process and hold while the outcome waits; as one
    string it is also what the store saves, so the writer joins nothing. The blocking keys
    too are one string, apart by the ASCII unit separator (a party key holds spaces: "Yann
    LeCun"). An outcome waiting for the writer held 311 KB per 50-item feed unpacked, 140 KB
    packed."""

    title: str
    lead: str
    tokens: str
    names: str
    title_key: str
    blocking_keys: str
    cjk: bool
    parties: str

    @property
    def saved(self) -> tuple[str, str, str, str]:
        """What the store keeps with the item for later comparisons (`Store.insert_item`'s
        `saved`): tokens, names, parties, lead."""
        return (self.tokens, self.names, self.parties, self.lead)


_KEY_SEPARATOR = "\x1f"


def boilerplate(token_bags: Sequence[str]) -> frozenset[str]:
    """The tokens most entries of one feed document carry (`BOILERPLATE_SHARE`), from their
    packed token bags; nothing for a document too short to tell."""
    if len(token_bags) < BOILERPLATE_MIN_ENTRIES:
        return frozenset()
    counts = Counter(token for bag in token_bags for token in bag.split())
    floor = BOILERPLATE_SHARE * len(token_bags)
    return frozenset(token for token, n in counts.items() if n >= floor)


def pack(feats: Features) -> Packed:
    return Packed(
        feats.title,
        feats.lead,
        " ".join(feats.tokens),
        " ".join(feats.names),
        feats.title_key,
        _KEY_SEPARATOR.join(feats.blocking_keys),
        feats.cjk,
        feats.parties,
    )


def unpack(packed: Packed, item: Item) -> Features:
    """The Features `pack` was given, for `item` (whose title and summary made them)."""
    return Features(
        title=packed.title,
        lead=packed.lead,
        tokens=frozenset(packed.tokens.split()),
        names=frozenset(packed.names.split()),
        title_key=packed.title_key,
        blocking_keys=tuple(packed.blocking_keys.split(_KEY_SEPARATOR)) if packed.blocking_keys else (),
        text=_text(item.title, item.summary[:BODY_CHARS]),
        cjk=packed.cjk,
        parties=packed.parties,
    )


def _lead(summary: str) -> str:
    lead = ""
    for sentence in _SENTENCE_END.split(summary.strip()):
        if lead and len(lead) + len(sentence) > LEAD_CHARS:
            break
        lead = f"{lead} {sentence}".strip()
    return lead[: LEAD_CHARS * 2]


# The capital is looked for first: without it the lookbehinds ran at every character
# (twice as slow over the farm's and the corpus's text, same matches).
_NAME = re.compile(r"(?=[A-Z])(?<![.!?]\s)(?<!^)\b([A-Z][\w'’-]*[A-Z][\w'’-]*|[A-Z][a-z][\w'’-]*)")


def _name_tokens(title: str, summary: str) -> frozenset[str]:
    """Tokens capitalised mid-sentence (or in mixed case, "LeCun"): likely proper names.

    Title Case headlines capitalise everything, so the headline only counts when its
    capitals are sparse.
    """
    sources = [summary]
    words = title.split()
    if words and sum(w[:1].isupper() for w in words) <= len(words) / 2:
        sources.append(title)
    # One tokenising pass over the matches, joined: no token spans the space between them.
    matches = " ".join(m for src in sources for m in _NAME.findall(src))
    return frozenset(_stem(w) for w in _words(matches))


def _blocking_keys(tokens: frozenset[str], names: frozenset[str]) -> tuple[str, ...]:
    """Sorted pairs of the most salient tokens: names first, then the longest words.

    Rewrites of a story keep its names (people, companies) while rewording the rest, so two
    rewrites almost always share a pair; unrelated items rarely share two names.
    """
    ranked = sorted(tokens, key=lambda t: (t not in names, -len(t), t))[:SALIENT_TOKENS]
    pairs = ("|".join(sorted(p)) for p in combinations(ranked, 2))
    return tuple(sorted(pairs))[:MAX_BLOCKING_KEYS]


# ── Parties ─────────────────────────────────────────────────────────────────────────
_LATIN = r"0-9A-Za-z\u00c0-\u024f_"


def _alias_pattern(party: Party) -> re.Pattern[str]:
    """Whole-word match of any alias; case-sensitive unless the alias is all lower case.

    Case matters for names that are also words: "Meta" the company, "the meta" in games.
    A hyphen after the name ("Meta-analysis") is not the name either. Only Latin letters
    bound a name: CJK text runs into it ("Meta首席").
    """
    names = sorted({party.name, *party.aliases} - {""}, key=len, reverse=True)
    parts = [re.escape(n) if n != n.casefold() else f"(?i:{re.escape(n)})" for n in names]
    return re.compile(rf"(?<![{_LATIN}-])(?:{'|'.join(parts)})(?![{_LATIN}-])")


@dataclass(frozen=True, slots=True)
class _Parties:
    """A watch's parties and which of them its seeds are about."""

    watch: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    principal: frozenset[str]  # named in the seeds at least PRINCIPAL_PARTY_SHARE of the top

    def named(self, text: str) -> frozenset[str]:
        return _named(self.patterns, text)


@lru_cache(maxsize=256)  # a parse worker asks twice per item (its parties, then its seed)
def _named(patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> frozenset[str]:
    return frozenset(name for name, pattern in patterns if pattern.search(text))


def _rank_parties(watch: Watch) -> _Parties:
    seed_text = "\n".join(f"{s.title}\n{s.text}" for s in watch.seeds)
    counted = [(len(_alias_pattern(p).findall(seed_text)), p) for p in watch.parties]
    counted.sort(key=lambda np: -np[0])
    top = counted[0][0] if counted else 0
    principal = frozenset(p.name for n, p in counted if n and n >= PRINCIPAL_PARTY_SHARE * top)
    patterns = tuple((p.name, _alias_pattern(p)) for _, p in counted)
    return _Parties(watch.name, patterns, principal)


# ── Signs of news: someone speaking now, new quotes, new numbers ────────────────────
# Verbs of saying (EN, FR; ZH verbs are matched as substrings). "argued" and "reported"
# are left out: rehashes are full of "has long argued" and "the FT reported".
_SPEECH = re.compile(
    r"(says?|said|saying|tells?|told|confirm(?:s|ed|ing)?|announc(?:e|es|ed|ing|ement)|"
    r"den(?:y|ies|ied)|insists?|insisted|speaking|posted|wrote|"
    r"confirme|confirmé|annonc\w*|affirm\w*|assur\w*|déclar\w*|répond\w*|dément\w*|précis\w*)",
    re.IGNORECASE,
)
_ZH_SPEECH = re.compile(r"回应|官宣|确认|表示|宣布|发文|透露")
# New unnamed sources in French and Chinese: the "sources say" of a fresh scoop. (A seed's
# own source citing "people familiar" is the seed retold, which is why the Chinese list
# holds only phrasings that open a new report, not 援引知情人士, "the FT, citing insiders".)
_NEW_SOURCES = re.compile(
    r"selon (?:des|plusieurs|nos|de(?:ux|s)?) sources|sources? proches? d|据知情人士透露|消息人士(?:称|透露)",
    re.IGNORECASE,
)
# A negation a few characters before the verb ("均未对此回应", "未回应") makes it absence.
_ZH_NEGATION = re.compile(r"[未不没]")
_ZH_NEGATION_REACH = 4
# Words just before a verb that make it background, not news: negation ("did not
# respond", "declined to say", "saying nothing"), the perfect of habit ("has long said",
# "has spent years saying") and the passive of rumour ("is said to").
_NOT_NEWS_BEFORE = _word_set(
    """not n't never no nor neither didn't won't wouldn't doesn't hasn't declined refused
    without has have had is are was were be ne pas ni jamais refuse"""
)
_NOT_NEWS_AFTER = frozenset({"nothing", "rien"})
# Attribution scaffolding every report carries ("declined to comment", "according to people
# familiar with the matter"): not content, so it neither makes nor breaks a rehash.
_BOILERPLATE = frozenset(
    _stem(w)
    for w in _word_set(
        """according familiar matter person people declined comment respond request
        immediately report reportedly sources spokesperson representative publicly address
        verify confirm independently reach told said say"""
    )
)
_REPORT_WORDS = frozenset({"report", "reports", "reported", "reportedly", "sources"})
_WORD = re.compile(r"[\w'’-]+")
_LOOKBACK = 4  # words before a verb searched for its subject or a negation
_QUOTE = re.compile(r"(?<![\w])['‘\"“«「『](.{6,}?)['’\"”»」』](?![\w])")
_CAPITALS = r"(?:[A-Z][\w&]*\s+)*[A-Z][\w&]*"
_SEED_SOURCE = re.compile(
    rf"({_CAPITALS}(?:\s+and\s+(?:the\s+)?{_CAPITALS})*)\s+(?:report|reports|reported)\b(?!\s+to\b)"
)


def _seed_sources(text: str) -> frozenset[str]:
    """Who the seeds cite ("the Financial Times reports", "Reuters and the FT reported").

    Those names speaking again is the seed's report retold; their initials count too.
    """
    names: set[str] = set()
    for line in re.split(r"[\n.:;!?]", text):
        for match in _SEED_SOURCE.finditer(line.replace("*", "")):
            for name in re.split(r"\s+and\s+(?:the\s+)?", match.group(1)):
                run = name.split()
                names.add(" ".join(run).casefold())
                if len(run) > 1:
                    names.add("".join(w[0] for w in run).casefold())
    return frozenset(n for n in names if len(n) > 1)


class _Cues:
    """Detects the signs that an item carries news rather than retelling the seeds."""

    def __init__(self, sources: frozenset[str]) -> None:
        self._sources = sources
        self._source_words = frozenset(w for s in sources for w in s.split())

    def speaks(self, text: str) -> bool:
        """Someone other than the seeds' sources says, confirms or announces something."""
        if _NEW_SOURCES.search(text):
            return True
        if any(
            not _ZH_NEGATION.search(text[max(0, m.start() - _ZH_NEGATION_REACH) : m.start()])
            for m in _ZH_SPEECH.finditer(text)
        ):
            return True
        words = [w.casefold().replace("’", "'") for w in _WORD.findall(text)]
        return any(self._is_news_verb(words, i) for i, w in enumerate(words) if _SPEECH.fullmatch(w))

    def _is_news_verb(self, words: list[str], i: int) -> bool:
        before = words[max(0, i - _LOOKBACK) : i]
        after = words[i + 1 : i + 2]
        if any(w in _NOT_NEWS_BEFORE or w.endswith("n't") for w in before[-3:]):
            return False
        if any(w in _NOT_NEWS_AFTER for w in after) or (words[i] == "said" and after == ["to"]):
            return False  # "saying nothing"; "said to be leaving" is the rumour itself
        # "sources say" is a new scoop; "the FT reports" / "a report says" is the seed again.
        return not any(w in self._source_words or w in _REPORT_WORDS - {"sources"} for w in before)


def _new_quote(text: str, seed_tokens: frozenset[str]) -> bool:
    """A quotation whose words are mostly not in the seed: someone said something new."""
    for quoted in _QUOTE.findall(text):
        tokens = [_stem(w) for w in _words(quoted)]
        if len(tokens) >= 2 and sum(t in seed_tokens for t in tokens) < QUOTE_MAX_KNOWN * len(tokens):
            return True
    return False


# ── Seeds ───────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class _Seed:
    name: str
    tokens: frozenset[str]
    numbers: frozenset[str]
    parties: _Parties
    subject: CuePattern | None


class SeedIndex:
    """Every watch's seeds and parties, prepared once for scoring items against them."""

    def __init__(self, watches: Iterable[Watch]) -> None:
        self._parties: list[_Parties] = []
        self._seeds: list[_Seed] = []
        sources: set[str] = set()
        for watch in watches:
            parties = _rank_parties(watch)
            self._parties.append(parties)
            for seed in watch.seeds:
                full = f"{seed.title}\n{seed.text}"
                tokens = frozenset(_stem(w) for w in _words(full))
                subject = watch.matchers.subject
                self._seeds.append(_Seed(seed.name, tokens, _numbers(full), parties, subject))
                sources.update(_seed_sources(full))
        self.cues = _Cues(frozenset(sources))
        # The watches that have seeds, each once: what `best` searches an item for.
        self._seed_parties = tuple({s.parties.watch: s.parties for s in self._seeds}.values())

    def party_keys(self, principals: tuple[frozenset[str], ...]) -> tuple[str, ...]:
        """One blocking key per watch whose principal parties an item names."""
        named = zip(self._parties, principals, strict=True)
        return tuple(f"@{p.watch}:{'+'.join(sorted(n))}" for p, n in named if n)

    def encode(self, principals: tuple[frozenset[str], ...]) -> str:
        """The principal parties as one string, stored with the item and compared as is."""
        named = zip(self._parties, principals, strict=True)
        return "|".join(f"{p.watch}:{'+'.join(sorted(n))}" for p, n in named)

    @staticmethod
    def names_a_party(encoded: str) -> bool:
        """Whether an `encode`d string names a principal party of any watch."""
        return any(segment.partition(":")[2] for segment in encoded.split("|"))

    def principals(self, feed: str, text: str) -> tuple[frozenset[str], ...]:
        """For each watch, the principal parties (those its seeds are about) the item names.

        The feed's name counts: a first-party feed ("Yann LeCun (Threads)") speaks for its
        party even when the post never names it. Searched apart from the text (no alias
        spans a line), so the text's own search is the one `best` asks for again.
        """
        return tuple((p.named(feed) | p.named(text)) & p.principal for p in self._parties)

    def best(self, feats: Features, *, official: bool) -> tuple[str | None, float | None]:
        """The seed this item only retells, with its score; (None, None) when it brings news.

        A first-party post, or an item in which someone speaks, is news whatever its words.
        """
        if official:
            return None, None
        # A rehash names who its seed is about. Tested first: it is a few regex searches,
        # and most items in a news feed name no watched party, so the word-by-word
        # `speaks` scan below (a tenth of a parse worker's time) runs only for the rest.
        named = {p.watch: p.named(feats.text) for p in self._seed_parties}
        about = [s for s in self._seeds if s.parties.principal <= named[s.parties.watch]]
        if not about or self.cues.speaks(feats.text):
            return None, None
        foreign = _foreign(feats)
        scored = [
            (_score_seed(feats, s, foreign=foreign), s)
            for s in about
            if self._retells(feats, s, foreign=foreign)
        ]
        if not scored:
            return None, None
        score, seed = max(scored, key=lambda ss: ss[0])
        threshold = CROSS_LANGUAGE_MIN_NAMES if foreign else SEED_MIN_SCORE
        return (seed.name, score) if score >= threshold else (None, None)

    def _retells(self, feats: Features, seed: _Seed, *, foreign: bool) -> bool:
        if _new_numbers(_numbers(feats.text), seed.numbers):
            return False  # a valuation, a head count, a date the seed does not have
        # A quote in another language than the seed's is never "in the seed"; across
        # languages, new people are caught by the names test instead.
        return foreign or not _new_quote(feats.text, seed.tokens)


def _score_seed(feats: Features, seed: _Seed, *, foreign: bool) -> float:
    """How much of the item the seed already holds: its words, or across languages its names."""
    if not foreign:
        return _coverage(feats, seed.tokens)
    if seed.subject is None or seed.subject.search(feats.text) is None:
        return 0.0  # a portrait or profile of the parties is not the seed's story
    names = {t for t in feats.names if t.isascii()} - _BOILERPLATE
    if not names:
        return 0.0
    return 100.0 * len(names & seed.tokens) / len(names)


_EN_FUNCTION = _word_set("the of and to in is for on that with his has from by are was")
_FR_FUNCTION = _word_set("le la les des du une est sur pour dans qui que sa son ses aux avec selon")


def _foreign(feats: Features) -> bool:
    """Is the item in another language than the (English) seeds? See FOREIGN_FUNCTION_WORD_RATIO."""
    if feats.cjk:
        return True
    words = [w.casefold() for w in _WORD.findall(feats.text)]
    english = sum(w in _EN_FUNCTION for w in words)
    french = sum(w in _FR_FUNCTION for w in words)
    return french > FOREIGN_FUNCTION_WORD_RATIO * max(english, 1)


def _weight(token: str, names: frozenset[str]) -> float:
    return NAME_WEIGHT if token in names else 1.0


def _mostly_cjk(tokens: frozenset[str]) -> bool:
    if "".join(tokens).isascii():  # one C call: most items are all ASCII
        return False
    foreign = [t for t in tokens if not t.isascii()]
    half = len(tokens) / 2
    return len(foreign) > half and sum(bool(_CJK_RUN.match(t)) for t in foreign) > half


def _coverage(feats: Features, known: frozenset[str]) -> float:
    """Weighted share (0–100) of the item's content tokens that `known` contains."""
    content = feats.tokens - _BOILERPLATE
    total = sum(_weight(t, feats.names) for t in content)
    hit = sum(_weight(t, feats.names) for t in content if t in known)
    return 100.0 * hit / total if total else 0.0


class _Bag(Protocol):
    """What `_overlap` reads: a new item's Features, or a stored candidate's saved tokens."""

    @property
    def tokens(self) -> frozenset[str]: ...
    @property
    def names(self) -> frozenset[str]: ...
    @property
    def cjk(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class _Stored:
    """A candidate's tokens as the store saved them when it arrived."""

    tokens: frozenset[str]
    names: frozenset[str]
    cjk: bool
    parties: str


def _overlap(a: _Bag, b: _Bag) -> float:
    """Weighted Dice overlap (0–100) of two items' tokens; names weigh more than words.

    Across scripts (a Chinese item against an English one) only the Latin tokens can meet:
    the score is the share of the CJK item's Latin tokens (names, mostly) the other has.
    Counted with set sizes: a token weighs NAME_WEIGHT when either item writes it as a name.
    """
    if a.cjk != b.cjk:
        cjk, other = (a, b) if a.cjk else (b, a)
        latin = {t for t in cjk.tokens if t.isascii()}
        if len(latin) < CROSS_SCRIPT_MIN_TOKENS:
            return 0.0
        return 100.0 * len(latin & other.tokens) / len(latin)
    names = a.names | b.names
    extra = NAME_WEIGHT - 1.0
    shared = a.tokens & b.tokens
    weighted_shared = len(shared) + extra * len(shared & names)
    total = len(a.tokens) + extra * len(a.tokens & names) + len(b.tokens) + extra * len(b.tokens & names)
    return 200.0 * weighted_shared / total if total else 0.0


# ── Decisions ───────────────────────────────────────────────────────────────────────
SeedMatch = tuple[str | None, float | None]  # (seed's short name, score), or (None, None)


def seed_match(item: Item, features: Features, seeds: SeedIndex, *, statement: Statement | None) -> SeedMatch:
    """The seed story `item` only retells, with its score. An item reporting a statement is
    news, never a seed duplicate. Needs no store: the parse workers decide it."""
    return (None, None) if statement else seeds.best(features, official=item.official)


def decide(
    item: Item,
    features: Features,
    candidates: Sequence[Candidate],
    seeds: SeedIndex,
    *,
    statement: Statement | None,
    seed: SeedMatch | None = None,
    boilerplate: frozenset[str] = frozenset(),
) -> Sameness:
    """Decide the three samenesses of `item` against the stored `candidates`.

    `seed` is `seed_match`'s answer when the caller has it already (the parse workers do);
    `boilerplate` the tokens of the item's feed document that say nothing (`boilerplate()`).
    """
    dup, dup_score, copies = _duplicate(item, features, candidates)
    if dup is not None:
        story, story_score = dup.story, dup_score
    elif copies:  # this is the original of articles stored before it: it joins their story
        story, story_score = copies[0].story, 100.0
    else:
        story, story_score = _story(item, features, candidates, seeds, boilerplate)
    seed_name, seed_score = (
        seed if seed is not None else seed_match(item, features, seeds, statement=statement)
    )
    return Sameness(
        duplicate_of=None if dup is None else (dup.duplicate_of or dup.id),
        duplicate_score=dup_score,
        seed=seed_name,
        seed_score=seed_score,
        story=story,
        story_score=story_score if story is not None else None,
        copies=tuple(c.id for c in copies),
    )


def _duplicate(
    item: Item, feats: Features, candidates: Sequence[Candidate]
) -> tuple[Candidate | None, float | None, list[Candidate]]:
    """The earliest candidate that is the same article and how sure (0–100); or, when every
    such candidate was published after `item`, those candidates: they are its copies.

    The original is the one published first, not the one polled first: a wire story fetched
    after its syndicated copy is still the original.
    """
    later: list[Candidate] = []
    by_link = not _hub_link(item, feats, candidates)
    for cand in sorted(candidates, key=lambda c: (c.published, c.id)):
        score = _same_article(item, feats, cand, by_link=by_link)
        if score is None:
            continue
        if cand.published <= item.published:
            return cand, score, []
        later.append(cand)
    return None, None, later


def _hub_link(item: Item, feats: Features, candidates: Sequence[Candidate]) -> bool:
    """Whether `item`'s link is a hub rather than an article: a site's home page, or a link
    that entries of one feed share under different headlines.

    An aggregator's entry that links to an article under its own headline is a copy of it;
    a feed whose entries all link to one page is not publishing one article many times.
    The shared feed corpora hold 5,829 such pairs of distinct entries (a podcast linking
    every episode to its home page, Scripting News posts differing only by #fragment,
    Daring Fireball's linked posts), headlines as close as fuzz.ratio 97 ("… 58 B …" /
    "… 58 …"): only a different headline, however slight, tells them apart.
    """
    link = item.canonical_link
    sharing = [c for c in candidates if c.canonical_link == link]
    if not link or not sharing:
        return False
    if _home_page(link):
        return True  # seen before its feed shows a second entry with it
    headlines: dict[str, set[str]] = {item.feed: {feats.title_key}}
    for cand in sharing:
        key = cand.title_key or _article(cand.title, cand.summary[:BODY_CHARS]).title_key
        headlines.setdefault(cand.feed, set()).add(key)
    return any(len(keys) > 1 for keys in headlines.values())


def _home_page(link: str | None) -> bool:
    return link is not None and urlsplit(link)[2:4] == ("/", "")


def _same_article(item: Item, feats: Features, cand: Candidate, *, by_link: bool) -> float | None:
    if by_link and item.canonical_link and item.canonical_link == cand.canonical_link:
        return 100.0
    if cand.title_key is not None and cand.title_key != feats.title_key:
        return None  # the common case, decided without reading the candidate's text
    if abs(item.published - cand.published) > DUPLICATE_WINDOW:
        return None
    other = _candidate_article(cand, feats)
    if other.title_key != feats.title_key or not feats.title:
        return None
    if _trivial_lead(feats) or _trivial_lead(other):
        return 100.0
    score = fuzz.ratio(feats.lead, other.lead)
    return score if score >= DUPLICATE_LEAD_MIN else None


def is_revision(item: Item, feats: Features, stored: Candidate) -> bool:
    """Whether `item`, which arrived under the identity (guid) of the `stored` entry of its
    feed with another text, is that entry edited, or another article the feed gave the
    same identity.

    An edit keeps its page: wire services rewrite a headline from "… sources say" to
    "… confirms" under one URL. A feed that recycles its guids (the home page, a slot
    number, a day's date) moves the link to each new article. So the same link, or none
    on either side, is an edit; a moved link, or a site's home page (a slot's only link on
    some sites: it proves nothing, as in `_hub_link`), is an edit only if the text is still
    the same article by the duplicate test (a headline kept, the URL's slug changed). When
    unsure: another article, stored as its own item, so that nothing is folded out of sight.
    """
    if item.canonical_link == stored.canonical_link and not _home_page(item.canonical_link):
        return True
    return _same_article(item, feats, stored, by_link=False) is not None


def edited_entry(item: Item, feats: Features, entries: Sequence[Candidate]) -> Candidate | None:
    """Which of `entries`, articles its feed gave `item`'s identity, `item` is an edit of,
    if any (`entries` newest first; `item`'s text is none of theirs).

    Articles sharing an identity often share a page as well (a blog's posts of one day
    under the day's URL), so the link, which settles `is_revision` for one stored entry,
    cannot tell them apart: the text decides first (the same article by the duplicate
    test), the link only when it matches one of them alone. Unsure: another article.
    """
    same_text = [e for e in entries if _same_article(item, feats, e, by_link=False) is not None]
    if same_text:
        return same_text[0]
    by_link = [e for e in entries if is_revision(item, feats, e)]
    return by_link[0] if len(by_link) == 1 else None


@dataclass(frozen=True, slots=True)
class _Article:
    """What the same-article check reads of a stored candidate: headline and lead only."""

    title: str
    lead: str
    title_key: str


def _candidate_article(cand: Candidate, feats: Features) -> _Article:
    """The candidate's headline and lead: as saved at insert, else worked out from its text.

    A saved lead comes with its title_key, already found equal to the new item's: the same
    key is the same normalised headline, so the new item's stands in for it.
    """
    if cand.lead is not None and cand.title_key == feats.title_key:
        return _Article(feats.title, cand.lead, feats.title_key)
    return _article(cand.title, cand.summary[:BODY_CHARS])


@lru_cache(maxsize=1024)  # a story's copies meet the same original again and again
def _article(title: str, body: str) -> _Article:
    """As `_features` makes them, without tokenising the text (a fifth of the writer's time
    went to tokenising candidates only to read their headline and lead)."""
    norm_title = normalise_text(title)
    return _Article(norm_title, normalise_text(_lead(body)), _title_key(norm_title))


def _title_key(norm_title: str) -> str:
    return hashlib.sha256(norm_title.encode()).hexdigest()[:32]


def _stored(cand: Candidate, seeds: SeedIndex) -> _Stored:
    """A candidate's tokens and parties: as saved at insert, else worked out from its text."""
    if cand.tokens is not None and cand.parties is not None:
        return _saved(cand.tokens, cand.names or "", cand.parties)
    other = text_features(cand.title, cand.summary)
    parties = seeds.encode(seeds.principals(cand.feed, other.text))
    return _Stored(other.tokens, other.names, other.cjk, parties)


@lru_cache(maxsize=2048)  # the same stored items come back as candidates item after item
def _saved(tokens: str, names: str, parties: str) -> _Stored:
    bag = frozenset(tokens.split())
    return _Stored(bag, frozenset(names.split()), _mostly_cjk(bag), parties)


def _trivial_lead(feats: Features | _Article) -> bool:
    """The summary only repeats the headline (plus an outlet name), as aggregators do."""
    extra = len(feats.lead) - len(feats.title)
    return extra <= TRIVIAL_LEAD_EXTRA and fuzz.partial_ratio(feats.title, feats.lead) >= TRIVIAL_LEAD_MIN


def _story(
    item: Item,
    feats: Features,
    candidates: Sequence[Candidate],
    seeds: SeedIndex,
    boilerplate: frozenset[str],
) -> tuple[int | None, float | None]:
    """The story of the most similar recent candidate naming the same principal parties.

    The feed's name counts: a first-party feed ("Yann LeCun (Threads)") speaks for its
    party even when the post never names it.
    """
    mine = feats.parties or seeds.encode(seeds.principals(item.feed, feats.text))
    gated = SeedIndex.names_a_party(mine)
    best: tuple[float, int] | None = None
    for cand in candidates:
        if cand.story is None or abs(item.published - cand.published) > STORY_WINDOW:
            continue
        other = _stored(cand, seeds)
        if other.parties != mine:
            continue  # "Meta confirms an outage" is not "Meta confirms LeCun's exit"
        score = _overlap(feats, other)
        if score < STORY_MIN_SCORE or (best is not None and score <= best[0]):
            continue
        if gated or len((feats.tokens & other.tokens) - boilerplate) >= STORY_MIN_SHARED:
            best = (score, cand.story)
    return (None, None) if best is None else (best[1], best[0])
