"""Profile the monitor's first poll with py-spy (parse workers included) and summarise it.

python -m benchmarks.profile --feeds 100 --items 50 [--out prof.txt] [--rate 200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from benchmarks.collapse import summarise
from benchmarks.farm import Farm, FarmServer


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--out", default="prof.txt")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    args = parser.parse_args()
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
            "first",
        ]
        subprocess.run(
            ["py-spy", "record", "-f", "raw", "-o", args.out, "-s", "-r", str(args.rate), "--", *command],
            check=True,
        )
    print(summarise(args.out, 30))
    print("\nwithin the writer (Processor._item = 100 %):")
    print(summarise(args.out, 30, prefix="Processor._item"))


if __name__ == "__main__":
    main()
