"""The small frozen types that cross stage boundaries.

Each says where it comes from and where it goes. Times are aware UTC datetimes.

    config ──FeedConfig──▶ fetch ──FetchResult──▶ parse ──RawEntry──▶ normalise ──Item──▶ store
    store ──Candidate──▶ dedupe ──Sameness──▶ store
    Watch + Item ──▶ classify ──Statement──▶ alerts ──AlertDecision──▶ store (outbox) ──▶ deliver
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

__all__ = [
    "KEY_TIEBREAK",
    "AlertDecision",
    "AlertSpan",
    "Candidate",
    "Channel",
    "FeedConfig",
    "FeedState",
    "FetchResult",
    "Item",
    "ItemText",
    "ParsedFeed",
    "RawEntry",
    "Sameness",
    "Stance",
    "Statement",
    "Validators",
    "WebhookConfig",
]

Stance = Literal["confirms", "denies", "declines", "other"]


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One `[[feeds]]` table of the config; goes to the store and the scheduler."""

    name: str
    url: str
    official: bool = False
    interval: timedelta = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """One `[[webhooks]]` table; `secret` is the `whsec_…` string, already resolved from env."""

    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Channel:
    """Where alerts go: a signed webhook or an Apprise URL; from the config to the outbox.

    The outbox keys deliveries by `id`, a hash of kind and URL, and keeps only `display`
    (the URL with secrets hidden, and a fingerprint telling channels on one host apart):
    channel URLs often carry tokens. Both are made by `channels.channel`. `source` is the
    config entry it came from (`webhooks[1]`), for the listings made from the config.
    """

    id: str
    kind: Literal["webhook", "apprise"]
    url: str
    display: str
    secret: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class Validators:
    """Conditional-GET validators persisted per feed; from the store to fetch and back."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store knows about a feed between polls; read by the scheduler and fetch.

    `warnings` are what the parser repaired or tolerated in the latest document read
    (`ParsedFeed.warnings`); a poll that reads none (304, an error) leaves them as they were.
    """

    name: str
    url: str
    validators: Validators = Validators()
    last_polled: datetime | None = None
    status: int | None = None
    last_error: str | None = None
    failures: int = 0
    next_poll: datetime | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What fetch got for one feed: an HTTP response whose body was read within the limits.

    `url` is the final URL after redirects; `permanent_url` is set when every hop was a
    permanent redirect (301/308), so the store should remember the new address.
    `headers` keys are lower-case. `body` is the decoded (decompressed) body, empty for 304.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float
    permanent_url: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One feed entry as feedparser gave it, reduced to what we use; from parse to normalise.

    Text fields are as the feed had them (may hold HTML); `published` is feedparser's
    parsed struct turned into an aware UTC datetime, or None when absent or unparseable,
    with the original string kept in `published_raw`.
    """

    guid: str | None
    title: str
    link: str | None
    summary: str
    published: datetime | None
    published_raw: str | None
    content_type: str = "text/html"


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document: its title and entries, plus non-fatal warnings; from parse."""

    title: str
    entries: tuple[RawEntry, ...]
    warnings: tuple[str, ...] = ()


# Between an entry's identity and the digest that tells it from another entry of the same
# identity: normalise makes such keys, the store finds them by this prefix.
KEY_TIEBREAK = " ~"


@dataclass(frozen=True, slots=True)
class Item:
    """One normalised entry of one feed; from normalise to the store and the deciders.

    `key` is the stable identity within the feed: guid, else canonical link, else a hash
    of title and date; followed by `KEY_TIEBREAK` and a digest for an entry that shares
    its identity with another (see `normalise.distinct_keys`). `published` is aware UTC;
    when the feed gave no usable date it is the first-seen time and `date_note` says why
    ("missing", "unparseable: …", "in the future", …).
    `fingerprint` hashes title and summary, so an edit under the same guid is noticed.
    """

    feed: str
    key: str
    guid: str | None
    title: str
    link: str | None
    canonical_link: str | None
    summary: str
    published: datetime
    date_note: str | None
    fingerprint: str
    official: bool = False


# An item's visible text as an edit compares it: title, summary, link.
ItemText = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored item offered to dedupe for comparison; from the store.

    `title_key`, `tokens`, `names`, `parties` and `lead` (the normalised lead) are what
    dedupe saved when the item arrived (space-separated tokens), so comparing needs no text
    work; None for rows stored before they were saved, which dedupe then works out from
    the text.
    """

    id: int
    feed: str
    canonical_link: str | None
    title: str
    summary: str
    published: datetime
    story: int | None
    duplicate_of: int | None
    title_key: str | None = None
    tokens: str | None = None
    names: str | None = None
    parties: str | None = None
    lead: str | None = None


@dataclass(frozen=True, slots=True)
class Sameness:
    """What dedupe decided for a new item; to the store.

    `story` is an existing story id to join, or None to open a new story. `copies` are
    stored items that turn out to be later copies of this (older) item, which arrived after
    them: the store re-points them at it. Scores are 0–100 (rapidfuzz scale).
    """

    duplicate_of: int | None = None
    duplicate_score: float | None = None
    seed: str | None = None
    seed_score: float | None = None
    story: int | None = None
    story_score: float | None = None
    copies: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Statement:
    """An on-the-record statement by a watched party, found in an item; from classify.

    `speaker` is the party's name as the watch defines it ("Yann LeCun", "Meta");
    `evidence` holds the phrases that decided it, verbatim from the item; `recalled` is
    true when the item places the statement in the past ("last week LeCun said"), a
    report of an earlier statement rather than news of a new one.
    """

    watch: str
    speaker: str
    stance: Stance
    evidence: tuple[str, ...]
    score: float
    recalled: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """Items with the same key report the same statement and share one alert."""
        return (self.watch, self.speaker, self.stance)


@dataclass(frozen=True, slots=True)
class AlertSpan:
    """An alert raised for a statement, and when the items that joined it were published
    (None: none has joined yet); from the store, for alerts.decide."""

    id: int
    first: datetime | None
    last: datetime | None
    official: bool = False  # whether a party's own post (an official feed's item) has joined it


@dataclass(frozen=True, slots=True)
class AlertDecision:
    """What alerts decided for an item carrying a statement; to the store.

    Either join an existing alert (`join` is its id) or raise a new one (`join` is None).
    """

    statement: Statement
    join: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
