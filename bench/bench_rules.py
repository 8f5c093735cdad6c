"""Rules-only checking speed on news-length lines, one core.

Usage: python bench/bench_rules.py [--segments N] [--repeat R]

Takes the sentences of the seed article that are at least 12 words long (news
sentences, ~22 words on average), repeats them to N segments with distinct ids, and
times ``check_segments`` in target-only mode and, with each line as its own reference
lightly edited, in reference mode (rules + sacrebleu metrics). Prints segments/s (best
of R runs) and the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import time
from pathlib import Path

from mtqc.engine import EngineSettings, check_segments
from mtqc.model import Segment

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpora" / "seed" / "000_901a9486359773a6.txt"


def news_lines() -> list[str]:
    """The seed article's sentences of at least 12 words (paragraphs split at ". ")."""
    out = []
    for para in SEED.read_text(encoding="utf-8").splitlines():
        for sent in re.split(r"(?<=[.!?”])\s+(?=[“A-Z])", para.strip()):
            if len(sent.split()) >= 12:
                out.append(sent)
    return out


def make_segments(n: int, with_ref: bool) -> list[Segment]:
    base = news_lines()
    segs = []
    for i in range(n):
        mt = base[i % len(base)]
        ref = mt.replace(" the ", " a ", 1) if with_ref else None
        segs.append(Segment(id=str(i), mt=mt, ref=ref, line=i + 1, doc_id=f"d{i // 50}"))
    return segs


def best_rate(segs: list[Segment], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        check_segments(segs, EngineSettings())
        best = min(best, time.perf_counter() - t0)
    return len(segs) / best


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--segments", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    words = sum(len(s.split()) for s in news_lines()) / len(news_lines())
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores "
        f"(pinned to one), Python {platform.python_version()}"
    )
    print(f"segments: {args.segments}, mean {words:.1f} words per line")
    target = best_rate(make_segments(args.segments, False), args.repeat)
    print(f"target-only rules:           {target:8.0f} segments/s")
    ref = best_rate(make_segments(args.segments, True), args.repeat)
    print(f"reference rules + sacrebleu: {ref:8.0f} segments/s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
