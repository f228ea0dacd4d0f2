"""A watch: the story being followed, as data (seeds, parties, subject, cues).

The shipped LeCun/Meta watch lives in `config/watches/lecun-meta.toml`; a user adds
`[[watches]]` tables to their config for another story. Nothing here is LeCun-specific:
every name, term and cue comes from the TOML, and `classify` only knows grammar.

    TOML table ──load_watch()──▶ Watch (cues compiled once, at construction) ──▶ classify
    seeds/*.txt|*.md (+ <stem>.toml) ──load_seeds()──▶ tuple[Seed, ...]

Cue syntax (the same for aliases, subject terms and every cue list):

- a plain phrase matches case-insensitively on word boundaries; spaces match any run of
  white space; a capital letter in the phrase must be a capital in the text ("Meta" is the
  company, "the meta" in a game is not) and an all-capitals word matches exactly ("AMI");
- CJK characters match as substrings (Chinese has no spaces to bound a word);
- `*` alone is any one word; `word*` is any word starting with "word";
- `re:` followed by a Python regular expression is used as written (case-insensitive);
  only bounded constructs, please: it runs on every item.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import ftfy

from monitor import resources
from monitor.exceptions import ConfigError, ConfigProblem
from monitor.types import Stance

__all__ = [
    "DEFAULT_SPEAKER_WINDOW",
    "DEFAULT_THRESHOLD",
    "STANCES",
    "CuePattern",
    "Matchers",
    "Party",
    "Seed",
    "Watch",
    "compile_cues",
    "load_seeds",
    "load_watch",
    "shipped_watch",
]

# Speaker attribution (one point) plus one stance cue (one point): the least evidence for
# a statement. Over the shared corpus every statement item scores >= 2 and no other item
# reaches a speaker and a stance in one clause, so the bar is not tuned finer than that.
DEFAULT_THRESHOLD = 2.0
# Words allowed between a speaker's name and the verb that makes them speak: covers an
# apposition ("LeCun, who joined Facebook in 2013 to set up FAIR, said"), not a new sentence.
DEFAULT_SPEAKER_WINDOW = 12

# Order matters when one item carries several stances: see classify.STANCE_PRECEDENCE.
STANCES: tuple[Stance, ...] = ("confirms", "denies", "declines")

_WATCH_KEYS = {
    "name",
    "question",
    "about",
    "seeds",
    "parties",
    "subject",
    "cues",
    "absence",
    "off_subject",
    "venture",
    "threshold",
    "speaker_window",
}
_PARTY_KEYS = {"name", "aliases"}
_CUE_KEYS = {"speech", *STANCES}
_SIDECAR_KEYS = {"name", "title", "source", "published"}
_SEED_SUFFIXES = (".txt", ".md")

# Latin letters and digits bound a word; CJK runs straight into Latin ("Meta首席").
_WORD_CHAR = "A-Za-z0-9\u00c0-\u024f"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


# ── Data ────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class Seed:
    """A seed story: what the user already knows. Text is mojibake-repaired at load."""

    name: str
    title: str
    text: str
    source: str | None = None
    published: datetime | None = None
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """A watched party (a person or an organisation) and every name it goes by."""

    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Matchers:
    """A watch's phrases compiled once; what classify runs over every item."""

    aliases: CuePattern | None
    party_of: Mapping[str, str]  # casefolded alias → party name
    subject: CuePattern | None
    speech: CuePattern | None
    stances: tuple[tuple[Stance, CuePattern], ...]
    any_stance: CuePattern | None  # every stance cue at once: the cheap second filter
    absence: CuePattern | None
    off_subject: CuePattern | None
    venture: CuePattern | None  # nouns for the `about` party's new company (see Watch)
    # The `about` party's names, if the watch has one: its aliases, and the given name of a
    # person's ("Yann" of "Yann LeCun"), which a company uses of its own people: "Meta
    # dément : « Yann n'a aucun projet de départ »". Not when another capitalised name
    # follows: "Yann Martel" is someone else.
    about: CuePattern | None = None
    seed_texts: tuple[str, ...] = ()  # each seed's title and text, casefolded: what is known
    # `re:` aliases, each with its party: a match is looked up by the pattern it matches.
    party_patterns: tuple[tuple[re.Pattern[str], str], ...] = ()

    def party(self, alias: str) -> str | None:
        """The party an alias (as matched in a text) belongs to."""
        party = self.party_of.get(_fold(alias))
        if party is None:
            party = next((p for pattern, p in self.party_patterns if pattern.fullmatch(alias)), None)
        return party


@dataclass(frozen=True, slots=True)
class Watch:
    """One watched story: who may speak, about what, and the words that mark a statement."""

    name: str
    seeds: tuple[Seed, ...]
    parties: tuple[Party, ...]
    subject: tuple[str, ...]
    question: str = ""
    # The party whose fate the question is about ("Yann LeCun"): another party's statement
    # counts only when it names them (see classify). Empty: no such requirement.
    about: str = ""
    speech: tuple[str, ...] = ()
    confirms: tuple[str, ...] = ()
    denies: tuple[str, ...] = ()
    declines: tuple[str, ...] = ()
    absence: tuple[str, ...] = ()
    off_subject: tuple[str, ...] = ()
    # Nouns for the new company the `about` party leaves to found ("startup", "new
    # company"): a fact about it, owned by him and told by a party, confirms (see classify).
    # Nouns, not its name: a story's watch is written before the name is known.
    venture: tuple[str, ...] = ()
    threshold: float = DEFAULT_THRESHOLD
    speaker_window: int = DEFAULT_SPEAKER_WINDOW
    matchers: Matchers = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled here, once, so a Watch built in code (tests, dedupe) is as usable as a
        # loaded one; load_watch validates every phrase first and reports bad ones.
        object.__setattr__(self, "matchers", _matchers(self))

    @property
    def entity_terms(self) -> tuple[str, ...]:
        """Lower-cased aliases and subject terms: what a feed search for this story uses."""
        terms = [a for p in self.parties for a in (p.name, *p.aliases)] + list(self.subject)
        return tuple(dict.fromkeys(t.casefold() for t in terms if not t.startswith("re:")))

    def stance_cues(self, stance: Stance) -> tuple[str, ...]:
        return {"confirms": self.confirms, "denies": self.denies, "declines": self.declines}.get(stance, ())


def _matchers(watch: Watch) -> Matchers:
    aliases = [a for p in watch.parties for a in dict.fromkeys((p.name, *p.aliases))]
    party_of = {_fold(a): p.name for p in watch.parties for a in (p.name, *p.aliases)}
    party_patterns = tuple(
        (re.compile(a[3:], re.IGNORECASE), p.name)
        for p in watch.parties
        for a in p.aliases
        if a.startswith("re:")
    )
    stances = tuple(
        (stance, pattern) for stance in STANCES if (pattern := compile_cues(watch.stance_cues(stance)))
    )
    return Matchers(
        aliases=compile_cues(aliases, alias=True),
        party_of=party_of,
        party_patterns=party_patterns,
        subject=compile_cues(watch.subject),
        speech=compile_cues(watch.speech),
        stances=stances,
        any_stance=compile_cues(c for s in STANCES for c in watch.stance_cues(s)),
        absence=compile_cues(watch.absence),
        off_subject=compile_cues(watch.off_subject),
        venture=compile_cues(watch.venture),
        about=compile_cues(_about_names(watch), alias=True),
        seed_texts=tuple(f"{s.title}\n{s.text}".replace("’", "'").casefold() for s in watch.seeds),
    )


def _about_names(watch: Watch) -> list[str]:
    names = [a for p in watch.parties if p.name == watch.about for a in (p.name, *p.aliases)]
    return names + [_given_name(n) for n in names if _is_person(n)]


def _is_person(alias: str) -> bool:
    """Several words, each capitalised: "Yann LeCun", "Yann Le Cun". A company's "Meta
    Platforms" passes too; its "Meta" is then an alias already."""
    words = alias.split()
    return len(words) > 1 and all(w[:1].isupper() and w.isalpha() for w in words)


def _given_name(alias: str) -> str:
    # A word boundary and the capital kept: "re:" phrases are otherwise case-insensitive.
    return rf"re:(?<![\w-])(?-i:{re.escape(alias.split(maxsplit=1)[0])})(?![\w-])(?!\s+(?-i:[A-ZÀ-Ý]))"


# ── Cue syntax ──────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class CuePattern:
    """A compiled cue list: one case-insensitive regex, then the capitals rule in Python.

    The word boundary is checked once before the whole alternation (not inside each
    phrase), which lets the regex engine skip ahead on first characters: about five
    times faster over the corpus than a boundary per phrase.
    """

    regex: re.Pattern[str]
    cased: Mapping[str, str]  # folded phrase → phrase, for phrases holding a capital

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return (m for m in self.regex.finditer(text) if self._case_ok(m.group()))

    def search(self, text: str) -> re.Match[str] | None:
        return next(self.finditer(text), None)

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        found = self.regex.match(text, pos)
        return found if found and self._case_ok(found.group()) else None

    def _case_ok(self, found: str) -> bool:
        phrase = self.cased.get(_fold(found))
        if phrase is None:
            return True
        pairs = zip(phrase.split(), found.replace("’", "'").split(), strict=False)
        return all(t.isupper() or not p.isupper() for pw, tw in pairs for p, t in zip(pw, tw, strict=False))


def compile_cues(phrases: Iterable[str], *, alias: bool = False) -> CuePattern | None:
    """One pattern for a cue list; raises `re.error` for a bad `re:` phrase.

    Plain phrases are merged into a trie ("confirm" and "confirms" share "confirm"), so at
    each position of a text the engine reads one character to rule most phrases out,
    where a flat alternation tries every phrase. `alias` adds: a name followed by a
    hyphen is another word ("Meta-analysis").
    """
    phrases = [p.strip().replace("’", "'") for p in phrases if p.strip()]
    if not phrases:
        return None
    latin: _Trie = {}
    cjk: _Trie = {}
    raw: list[str] = []
    for phrase in dict.fromkeys(phrases):
        if phrase.startswith("re:"):
            re.compile(phrase[3:])  # raise here, naming this phrase, not in the joined pattern
            raw.append(f"(?:{phrase[3:]})")
        else:
            _insert(cjk if _CJK.match(phrase[0]) or phrase[0] == "*" else latin, phrase)
    tail = "(?![-‐]\\w)" if alias else ""
    branches = [_trie_regex(cjk)] if cjk else []
    branches += [f"(?<![{_WORD_CHAR}]){_trie_regex(latin)}"] if latin else []
    branches += raw
    cased = {_fold(p): p for p in phrases if not p.startswith("re:") and p != p.casefold()}
    return CuePattern(re.compile(f"(?:{'|'.join(branches)}){tail}", re.IGNORECASE), cased)


# A trie over regex atoms; the key None marks where a phrase ends and holds its end check.
_Trie = dict[str | None, Any]


def _insert(trie: _Trie, phrase: str) -> None:
    node = trie
    for atom in _atoms(phrase):
        node = node.setdefault(atom, {})
    node[None] = "" if _CJK.match(phrase[-1]) else f"(?![{_WORD_CHAR}])"


def _atoms(phrase: str) -> list[str]:
    """Regex atoms of a plain phrase: one per character, `\\s+` between words, wildcards."""
    atoms: list[str] = []
    for i, word in enumerate(phrase.split()):
        if i:
            atoms.append(r"\s+")
        if word == "*":
            atoms.append(r"[^\s.,;:!?]+")
            continue
        stem = word.removesuffix("*")
        atoms += [re.escape(c) for c in stem.lower()]
        if word.endswith("*"):
            atoms.append(rf"[{_WORD_CHAR}']*")
    return atoms


def _trie_regex(node: _Trie) -> str:
    # Continuations come before the end of a shorter phrase: the longest phrase wins.
    alts = [atom + _trie_regex(child) for atom, child in node.items() if atom is not None]
    if None in node:
        alts.append(node[None])
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


def _fold(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


# ── Loading a watch ─────────────────────────────────────────────────────────────────
@dataclass
class _Checker:
    """Collects problems under one key prefix so each check stays one line."""

    key: str
    problems: list[ConfigProblem] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.problems.append(ConfigProblem(f"{self.key}.{path}" if path else self.key, message))

    def unknown(self, table: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
        for key in sorted(set(table) - allowed):
            self.add(f"{prefix}{key}", f"unknown key; expected one of: {', '.join(sorted(allowed))}")

    def text(self, table: Mapping[str, Any], key: str, *, required: bool, prefix: str = "") -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if isinstance(value, str) and value.strip():
            return value.strip()
        found = "missing" if value is None else f"{value!r} is not a non-empty string"
        self.add(f"{prefix}{key}", f"{found}; expected a non-empty string")
        return ""

    def phrases(self, value: Any, path: str, *, required: bool, alias: bool = False) -> tuple[str, ...]:
        """A list of cue phrases, each checked against the cue syntax."""
        if value is None and not required:
            return ()
        if not isinstance(value, list) or (required and not value):
            found = "missing" if value is None else f"{value!r}"
            self.add(path, f'{found}; expected a non-empty list of strings such as ["a phrase"]')
            return ()
        good: list[str] = []
        for i, phrase in enumerate(value):
            if not isinstance(phrase, str) or not phrase.strip():
                self.add(f"{path}[{i}]", f"{phrase!r} is not a non-empty string")
                continue
            try:
                compile_cues([phrase], alias=alias)
            except re.error as e:
                self.add(f"{path}[{i}]", f"{phrase!r} is not a valid regular expression: {e}")
                continue
            good.append(phrase.strip())
        return tuple(good)

    def number(self, table: Mapping[str, Any], key: str, default: float, *, integer: bool) -> float:
        value = table.get(key, default)
        kinds = (int,) if integer else (int, float)
        if isinstance(value, kinds) and not isinstance(value, bool) and value > 0:
            return value
        what = "a positive integer" if integer else "a positive number"
        self.add(key, f"{value!r} is not {what}; the default is {default}")
        return default


def load_watch(
    table: Mapping[str, Any], *, base_dir: Path, key: str
) -> tuple[Watch | None, list[ConfigProblem]]:
    """Validate one `[[watches]]` table; every problem is reported, with its key path."""
    check = _Checker(key)
    check.unknown(table, _WATCH_KEYS)
    name = check.text(table, "name", required=True)
    question = check.text(table, "question", required=False)
    parties = _parties(table.get("parties"), check)
    about = check.text(table, "about", required=False)
    if about and parties and about not in {p.name for p in parties}:
        names = ", ".join(repr(p.name) for p in parties)
        check.add("about", f"{about!r} is not the name of one of its parties ({names})")
    subject = check.phrases(table.get("subject"), "subject", required=True)
    cues = _cues(table.get("cues"), check)
    absence = check.phrases(table.get("absence"), "absence", required=False)
    off_subject = check.phrases(table.get("off_subject"), "off_subject", required=False)
    venture = check.phrases(table.get("venture"), "venture", required=False)
    threshold = check.number(table, "threshold", DEFAULT_THRESHOLD, integer=False)
    window = int(check.number(table, "speaker_window", DEFAULT_SPEAKER_WINDOW, integer=True))
    seeds = _watch_seeds(table.get("seeds"), base_dir, check)
    if check.problems:
        return None, check.problems
    watch = Watch(
        name=name,
        seeds=seeds,
        parties=parties,
        subject=subject,
        question=question,
        about=about,
        absence=absence,
        off_subject=off_subject,
        venture=venture,
        threshold=float(threshold),
        speaker_window=window,
        **cues,
    )
    return watch, []


def _parties(value: Any, check: _Checker) -> tuple[Party, ...]:
    if not isinstance(value, list) or not value:
        check.add("parties", f"{value!r}; expected one or more [[watches.parties]] tables")
        return ()
    parties: list[Party] = []
    for i, table in enumerate(value):
        where = f"parties[{i}]"
        if not isinstance(table, Mapping):
            check.add(where, f"{table!r}; expected a table with name and aliases")
            continue
        check.unknown(table, _PARTY_KEYS, f"{where}.")
        name = check.text(table, "name", required=True, prefix=f"{where}.")
        aliases = check.phrases(table.get("aliases"), f"{where}.aliases", required=True, alias=True)
        parties.append(Party(name=name, aliases=aliases))
    return tuple(parties)


def _cues(value: Any, check: _Checker) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        check.add(
            "cues", f"{value!r}; expected a [watches.cues] table with speech, confirms, denies, declines"
        )
        return {}
    check.unknown(value, _CUE_KEYS, "cues.")
    cues = {key: check.phrases(value.get(key), f"cues.{key}", required=False) for key in sorted(_CUE_KEYS)}
    if not cues["speech"]:
        check.add("cues.speech", "missing; a statement needs a verb that makes a party speak (says, said…)")
    if not any(cues[s] for s in STANCES):
        check.add("cues", f"no stance cues; expected at least one of {', '.join(STANCES)}")
    return cues


def _watch_seeds(value: Any, base_dir: Path, check: _Checker) -> tuple[Seed, ...]:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        check.add("seeds", f"{value!r} is not a folder path; expected a string relative to {base_dir}")
        return ()
    folder = resources.shipped_path("seeds") if value is None else base_dir / value
    seeds, problems = load_seeds(folder, key=f"{check.key}.seeds")
    check.problems.extend(problems)
    return seeds


# ── Seeds ───────────────────────────────────────────────────────────────────────────
def load_seeds(folder: Path, *, key: str) -> tuple[tuple[Seed, ...], list[ConfigProblem]]:
    """Every `*.txt`/`*.md` in `folder`, sorted, with its optional `<stem>.toml` sidecar."""
    if not folder.is_dir():
        return (), [ConfigProblem(key, f"{str(folder)!r} is not a folder; expected a folder of seed stories")]
    files = sorted(p for p in folder.iterdir() if p.suffix in _SEED_SUFFIXES and p.is_file())
    if not files:
        return (), [ConfigProblem(key, f"{str(folder)!r} holds no *.txt or *.md seed story")]
    seeds: list[Seed] = []
    problems: list[ConfigProblem] = []
    for path in files:
        seed = _seed(path, f"{key}[{path.name}]", problems)
        if seed is not None:
            seeds.append(seed)
    return tuple(seeds), problems


def _seed(path: Path, key: str, problems: list[ConfigProblem]) -> Seed | None:
    try:
        # The files are never rewritten: one shipped seed is mojibake, repaired in memory.
        text = _repair(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        problems.append(ConfigProblem(key, f"cannot read the seed story: {e}"))
        return None
    if not text.strip():
        problems.append(ConfigProblem(key, "the seed story is empty"))
        return None
    sidecar = _sidecar(path.with_suffix(".toml"), key, problems)
    return Seed(
        name=_optional_str(sidecar, "name", key, problems) or path.stem,
        title=_optional_str(sidecar, "title", key, problems) or _first_line(text),
        text=text,
        source=_optional_str(sidecar, "source", key, problems) or None,
        published=_published(sidecar.get("published"), f"{key}.published", problems),
        path=path,
    )


# UTF-8 once decoded as ISO-8859-2 with its C1 control bytes then dropped: "’" (E2 80 99)
# became "â" alone, an emoji (F0 9F …) "đ" plus a stray mark. ftfy cannot undo a lossy
# decode, so when its tell-tale ("isnât", "LeCunâs") survives ftfy, the punctuation is
# restored from where the "â" sits: inside a word an apostrophe, after one a closing
# quote, before one an opening quote, alone a dash.
_LOSSY_TELL = re.compile(r"[a-z]â(?:s|t|re|ll|ve|d|m)\b")
_LOSSY_FIXES = (
    (re.compile(r"(?<=\w)â(?=\w)"), "’"),
    (re.compile(r"(?<=[\w.,!?])â"), "”"),
    (re.compile(r"â(?=[\w*])"), "“"),
    (re.compile(r"â"), "—"),
    (re.compile(r"đ[^\w\s]?\s?"), ""),
)


def _repair(text: str) -> str:
    """Mojibake repaired in memory (the seed files are never rewritten)."""
    text = ftfy.fix_text(text)
    if _LOSSY_TELL.search(text):
        for pattern, replacement in _LOSSY_FIXES:
            text = pattern.sub(replacement, text)
    return text


def _sidecar(path: Path, key: str, problems: list[ConfigProblem]) -> Mapping[str, Any]:
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        problems.append(ConfigProblem(key, f"sidecar {path.name} is not valid TOML: {e}"))
        return {}
    for extra in sorted(set(table) - _SIDECAR_KEYS):
        problems.append(
            ConfigProblem(
                f"{key}.{extra}", f"unknown key; expected one of: {', '.join(sorted(_SIDECAR_KEYS))}"
            )
        )
    return table


def _optional_str(table: Mapping[str, Any], name: str, key: str, problems: list[ConfigProblem]) -> str:
    value = table.get(name)
    if value is None or (isinstance(value, str) and value.strip()):
        return (value or "").strip()
    problems.append(ConfigProblem(f"{key}.{name}", f"{value!r} is not a non-empty string"))
    return ""


def _published(value: Any, key: str, problems: list[ConfigProblem]) -> datetime | None:
    """A TOML date-time or ISO string; naive times are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        problems.append(ConfigProblem(key, "expected a date-time such as 2025-11-11T21:00:00Z"))
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_MARKDOWN_MARKS = re.compile(r"^[#>\s*_`-]+|[*_`]+")


def _first_line(text: str) -> str:
    """The first non-empty line, without markdown heading, quote, bold or list marks."""
    for line in text.splitlines():
        if cleaned := _MARKDOWN_MARKS.sub("", line).strip():
            return cleaned
    return ""


# ── The shipped watch ───────────────────────────────────────────────────────────────
SHIPPED_WATCH = "config/watches/lecun-meta.toml"


def shipped_watch() -> Watch:
    """The LeCun/Meta watch shipped with the monitor; ConfigError if that file is broken."""
    path = resources.shipped_path(SHIPPED_WATCH)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(str(path), [ConfigProblem("", f"the shipped watch cannot be read: {e}")]) from e
    tables: Sequence[Any] = raw.get("watches") or []
    if not tables or not isinstance(tables[0], Mapping):
        raise ConfigError(str(path), [ConfigProblem("watches", "the shipped file has no [[watches]] table")])
    watch, problems = load_watch(tables[0], base_dir=path.parent, key="watches[0]")
    if watch is None:
        raise ConfigError(str(path), problems)
    return watch
