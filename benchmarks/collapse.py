"""Summarise py-spy's raw (collapsed) output: self and inclusive time per function.

py-spy record -f raw -o prof.txt -s -- python ...; python -m benchmarks.collapse prof.txt
"""

from __future__ import annotations

import collections
import re
import sys

_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def _name(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m['fn']} ({path})"


def summarise(path: str, top: int = 25, *, prefix: str = "") -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path, encoding="utf-8") as file:
        lines = file.read().splitlines()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not count.isdigit():
            continue
        frames = [_name(f) for f in stack.split(";")]
        if prefix and not any(prefix in f for f in frames):
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    out = [f"samples: {total}", "", "inclusive %  function"]
    out += [f"{100 * n / total:10.1f}  {f}" for f, n in inclusive.most_common(top)]
    out += ["", "self %  function"]
    out += [f"{100 * n / total:6.1f}  {f}" for f, n in own.most_common(top)]
    return "\n".join(out)


if __name__ == "__main__":
    print(summarise(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25))
