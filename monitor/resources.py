"""Where the files shipped with the monitor (seeds, the default watch) are found.

In a wheel they sit inside the package (`monitor/_shipped/…`, see pyproject's
force-include); in a checkout or an editable install they sit at the repository's
top level, where users look for them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["shipped_path"]

_PACKAGE = Path(__file__).resolve().parent


def shipped_path(relative: str) -> Path:
    """The shipped file or folder `relative` (e.g. "seeds", "config/watches/lecun-meta.toml")."""
    for root in (_PACKAGE / "_shipped", _PACKAGE.parent):
        candidate = root / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shipped file {relative!r} is missing from this installation")
