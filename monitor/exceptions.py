"""The one exception tree of the monitor.

    MonitorError                 anything the monitor raises on purpose
    ├── ConfigError              the config file (or a CLI argument) is wrong; exit 2
    ├── StorageError             the database cannot be opened or written
    │   ├── ForeignDatabaseError the file is no monitor database this version can use (refused,
    │   │                        never touched; exit 2, as a config error)
    │   ├── DatabaseInUseError   another process polls and delivers from it (its lock is held)
    │   └── StorageUnavailableError  a write failed for now (locked, disk full…); retry
    ├── FeedError                one feed failed; recorded on the feed, never fatal to a poll
    │   ├── FetchError           transport, limits, redirects, refused addresses
    │   └── ParseError           the body is not a feed we accept
    ├── DeliveryError            one webhook attempt failed; recorded on the delivery
    └── OpmlError                an OPML file given to `monitor feeds import` is refused

Third-party errors are wrapped at the boundary and chained (`raise FetchError(...) from e`),
so callers only ever catch `MonitorError` subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "DatabaseInUseError",
    "DeliveryError",
    "FeedError",
    "FetchError",
    "ForeignDatabaseError",
    "MonitorError",
    "OpmlError",
    "ParseError",
    "StorageError",
    "StorageUnavailableError",
    "causes",
]


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One mistake in a config: where it is, what was found, what is expected."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class ConfigError(MonitorError):
    """The config is invalid; carries every problem found, not just the first."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


class StorageError(MonitorError):
    """The database could not be opened, migrated or written."""


class ForeignDatabaseError(StorageError):
    """The database path holds no monitor database this version can use: a folder, another
    program's file, a damaged database, a newer monitor's. The config is to be fixed (exit 2)."""


class DatabaseInUseError(StorageError):
    """Another process holds the database's lock (`store.lock_database`): it polls and
    delivers from it, and a second one would send every alert a second time.

    `pid` is the holder's, as it wrote it in the lock file (None if it has not yet);
    `holder` words it for every message that names it (this one, `alerts replay`'s).
    """

    def __init__(self, database: Path, lock_file: Path, pid: int | None) -> None:
        self.database, self.lock_file, self.pid = database, lock_file, pid
        # No PID: the instant between the holder's flock and its write of the lock file.
        self.holder = f"PID {pid}" if pid is not None else "a process that has not written its PID yet"
        super().__init__(
            f"{database}: in use by another monitor ({self.holder} holds {lock_file}); stop it,"
            " or point this config at another database"
        )


class StorageUnavailableError(StorageError):
    """A write transaction failed for a reason outside the data (another process holds the
    write lock, the disk is full, an I/O error, the file became read-only): nothing of it
    was written, and the same transaction may succeed later. The message says what to do."""


# A feed's error is stored in its row, logged at every failing poll and shown by `monitor
# feeds`; part of it can come from the server (a redirect's target, an error's text), so a
# hostile one could make it as long as its headers allow (64 KiB). The longest of the
# hostile-server tests' other reasons is 51 characters; a URL rarely passes 200.
MAX_FEED_ERROR_CHARS = 500


class FeedError(MonitorError):
    """One feed failed; the message is the one-line reason shown in `monitor feeds`, cut at
    MAX_FEED_ERROR_CHARS with a note that says so.

    `status` is the HTTP status when the failure came with a response (404, 503…).
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(_shortened(message))
        self.status = status


def _shortened(message: str) -> str:
    if len(message) <= MAX_FEED_ERROR_CHARS:
        return message
    note = f"... (shortened from {len(message):,} characters)"
    return message[: MAX_FEED_ERROR_CHARS - len(note)] + note


class FetchError(FeedError):
    """The feed could not be fetched: transport error, deadline, size cap, redirect policy."""


class ParseError(FeedError):
    """The body was fetched but is not a feed we accept (HTML, empty, XML entity declarations)."""


class DeliveryError(MonitorError):
    """One webhook delivery attempt failed."""


class OpmlError(MonitorError):
    """An OPML file is refused: not well-formed, not OPML, or declaring a DOCTYPE."""


def causes(exc: BaseException) -> list[BaseException]:
    """`exc` and everything it was raised from, outermost first (for naming the real cause)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
