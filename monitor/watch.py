"""A watch: the story being followed, as data (seeds, parties, subject, cues).

The shipped LeCun/Meta watch lives in `config/watches/lecun-meta.toml`; a user adds
`[[watches]]` tables to their config for another story. Nothing here is LeCun-specific.

(Skeleton written first so the stages can be built against it; the classify stage
owns the cue fields and their loading.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["Party", "Seed", "Watch"]


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
class Watch:
    """One watched story."""

    name: str
    seeds: tuple[Seed, ...]
    parties: tuple[Party, ...]
    subject: tuple[str, ...]
