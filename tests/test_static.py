"""The code's own rules, checked where CI runs them: ruff's lint and format, mypy --strict.

They run over `monitor/`, `tests/` and `benchmarks/` (pyproject.toml says which rules),
so a change that breaks them fails the suite, not only a reviewer's eye.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ("monitor", "tests", "benchmarks")


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", *CODE), ("ruff", "format", "--check", *CODE), ("mypy",)],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_the_code_keeps_its_rules(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, f"{' '.join(command)} found problems:\n{result.stdout}{result.stderr}"
