"""Profile the monitor's polls with py-spy (parse workers included) and summarise them.

python -m benchmarks.profile --feeds 100 --items 50 [--out prof.txt] [--rate 200]
python -m benchmarks.profile --feeds 1000 --items 2 --phases first,304,304,304,304,304
python -m benchmarks.profile --feeds 300 --items 50 --gil   # the main process, GIL held

--gil samples only the main process, and only while a thread of it holds the interpreter
lock: where the single writer and the event loop spend the time they compete for.

The first poll by default; with few items the first poll is short and repeated 304 polls
dominate the samples (py-spy cannot profile one phase of a run alone).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.collapse import summarise
from benchmarks.farm import Farm, FarmServer


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--out", default="prof.txt")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--phases", default="first", help="as benchmarks.contenders takes them")
    parser.add_argument("--gil", action="store_true", help="the main process only, while it holds the GIL")
    args = parser.parse_args()
    # py-spy is installed beside this interpreter (benchmarks/requirements.txt), which need
    # not be on PATH: the README runs .venv-bench/bin/python without activating it.
    beside = Path(sys.executable).with_name("py-spy")
    py_spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if py_spy is None:
        sys.exit("py-spy not found: pip install -r benchmarks/requirements.txt")
    scope = ["--gil"] if args.gil else ["-s"]  # -s: the parse workers too
    with FarmServer(Farm(feeds=args.feeds, items=args.items, hosts=16)) as server:
        command = [
            sys.executable,
            "-m",
            "benchmarks.contenders",
            "monitor",
            "--port",
            str(server.port),
            "--feeds",
            str(args.feeds),
            "--phases",
            args.phases,
        ]
        subprocess.run(
            [py_spy, "record", "-f", "raw", "-o", args.out, *scope, "-r", str(args.rate), "--", *command],
            check=True,
        )
    print(summarise(args.out, 30))
    print("\nwithin the writer (Processor._item = 100 %):")
    print(summarise(args.out, 30, prefix="Processor._item"))


if __name__ == "__main__":
    main()
