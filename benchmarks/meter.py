"""Wall time, CPU time and peak RSS of this process and every process under it.

The monitor parses in a process pool (forkserver workers are grandchildren), so
`getrusage(RUSAGE_CHILDREN)` would miss them until exit. The meter walks the process tree
with psutil instead: CPU = user + system of every live process in the tree, plus what
each has collected from children it reaped; peak RSS = the largest sum of the tree's RSS
seen by a sampler thread (every 50 ms; the tree is
listed again every second), never below this process's own ru_maxrss growth.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil

__all__ = ["Measure", "measure", "tree_cpu", "tree_rss"]

SAMPLE_SECONDS = 0.05
# Listing the tree scans every /proc entry (psutil's ppid map): ~1 ms, so only now and then.
TREE_EVERY = 20
MiB = 1024 * 1024


def _tree() -> list[psutil.Process]:
    me = psutil.Process()
    try:
        return [me, *me.children(recursive=True)]
    except psutil.Error:
        return [me]


def tree_cpu() -> float:
    total = 0.0
    for p in _tree():
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def tree_rss(tree: list[psutil.Process] | None = None) -> int:
    total = 0
    for p in tree if tree is not None else _tree():
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


@dataclass(slots=True)
class Measure:
    wall: float = 0.0
    cpu: float = 0.0
    peak_mib: float = 0.0


@contextmanager
def measure() -> Iterator[Measure]:
    """Measure the block: wall, tree CPU, and the peak of the tree's summed RSS."""
    result = Measure()
    peak = [tree_rss()]
    stop = threading.Event()

    def sample() -> None:
        tree, n = _tree(), 0
        while not stop.wait(SAMPLE_SECONDS):
            n += 1
            if n % TREE_EVERY == 0:
                tree = _tree()
            peak[0] = max(peak[0], tree_rss(tree))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu0, wall0 = tree_cpu(), time.perf_counter()
    try:
        yield result
    finally:
        result.wall = time.perf_counter() - wall0
        result.cpu = tree_cpu() - cpu0
        stop.set()
        sampler.join()
        result.peak_mib = max(peak[0], tree_rss()) / MiB
