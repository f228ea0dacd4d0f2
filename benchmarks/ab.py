"""A/B: the monitor's polls from several checkouts (or Pythons), alternating, on one farm.

python -m benchmarks.ab --feeds 300 --repeat 3 --phases first,304,304 ../base .
python -m benchmarks.ab --feeds 300 /usr/bin/python3:. .venv-bench/bin/python:.

Each argument is a checkout directory, or PYTHON:DIRECTORY. Runs alternate between them
(A B A B …) so that this machine's drift between minutes lands on every side alike; the
medians per phase are printed at the end. For changes too small for the full run's noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict

from benchmarks.farm import Farm, FarmServer


def _side(spec: str) -> tuple[str, str]:
    python, _, directory = spec.rpartition(":")
    return python or sys.executable, directory


def _run(spec: str, port: int, feeds: int, phases: str) -> list[dict[str, float]]:
    python, directory = _side(spec)
    command = [python, "-m", "benchmarks.contenders", "monitor", "--port", str(port), "--feeds", str(feeds)]
    out = subprocess.run(
        [*command, "--phases", phases],
        cwd=directory,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": directory},
        check=True,
    )
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ab")
    parser.add_argument("sides", nargs="+", help="checkout directories, or PYTHON:DIRECTORY")
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--phases", default="first", help="comma list of first, 304, advanced")
    args = parser.parse_args()
    walls: dict[tuple[str, str], list[float]] = defaultdict(list)
    cpus: dict[tuple[str, str], list[float]] = defaultdict(list)
    with FarmServer(Farm(feeds=args.feeds, items=args.items, hosts=16)) as server:
        for run in range(args.repeat):
            for side in args.sides:
                rows = _run(side, server.port, args.feeds, args.phases)
                for row in rows:
                    walls[(side, str(row["phase"]))].append(row["wall"])
                    cpus[(side, str(row["phase"]))].append(row["cpu"])
                summary = ", ".join(
                    f"{r['phase']} {r['wall']:.2f} s {r['peak_mib']:.0f} MiB (PSS {r['peak_pss_mib']:.0f})"
                    for r in rows
                )
                print(f"run {run + 1} {side}: {summary}", flush=True)
    for (side, phase), values in walls.items():
        wall, cpu = statistics.median(values), statistics.median(cpus[(side, phase)])
        print(f"{side} {phase}: median {wall:.3f} s, CPU {cpu:.3f} s, over {len(values)}")


if __name__ == "__main__":
    main()
