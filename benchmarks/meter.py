"""Wall time, CPU time and peak RSS of this process and every process under it.

The monitor parses in a process pool (forkserver workers are grandchildren), so
`getrusage(RUSAGE_CHILDREN)` would miss them until exit. The meter walks the process tree
with psutil instead: CPU = user + system of every live process in the tree, plus what
each has collected from children it reaped; peak RSS = the largest sum of the tree's RSS
seen by a sampler thread (every 50 ms; the tree is
listed again every second) and at the end. Not ru_maxrss: Linux carries it across exec
from the parent, so a child would report its parent's peak.

Summed RSS counts the pages processes share (the interpreter, libraries, pages a forked
worker has not written) once per process, which overstates a five-process contender
against a one-process one. So the sampler also reads the tree's PSS (each shared page
divided among its sharers; /proc/PID/smaps_rollup) whenever the summed RSS reaches a
new peak, at most every PSS_EVERY seconds: reading it costs about a millisecond per
process, too much for every sample.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil

__all__ = ["Measure", "measure", "tree_cpu", "tree_pss", "tree_rss"]

SAMPLE_SECONDS = 0.05
PSS_EVERY = 0.5
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


def tree_pss(tree: list[psutil.Process]) -> int:
    total = 0
    for p in tree:
        try:
            total += p.memory_full_info().pss
        except (psutil.Error, AttributeError):  # AttributeError: no PSS on this platform
            continue
    return total


@dataclass(slots=True)
class Measure:
    wall: float = 0.0
    cpu: float = 0.0
    peak_mib: float = 0.0
    peak_pss_mib: float = 0.0


@contextmanager
def measure() -> Iterator[Measure]:
    """Measure the block: wall, tree CPU, and the peak of the tree's summed RSS."""
    result = Measure()
    peak = [tree_rss()]
    peak_pss = [tree_pss(_tree())]
    stop = threading.Event()

    def sample() -> None:
        tree, n, pss_read = _tree(), 0, 0.0
        while not stop.wait(SAMPLE_SECONDS):
            n += 1
            if n % TREE_EVERY == 0:
                tree = _tree()
            rss = tree_rss(tree)
            if rss > peak[0] and time.monotonic() - pss_read >= PSS_EVERY:
                peak_pss[0] = max(peak_pss[0], tree_pss(tree))
                pss_read = time.monotonic()
            peak[0] = max(peak[0], rss)

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
        result.peak_pss_mib = max(peak_pss[0], tree_pss(_tree())) / MiB
