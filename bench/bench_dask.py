"""The Dask engine against the single-process run (issue 13).

Usage: python bench/bench_dask.py [--segments 100000] [--model-segments 5000]
                                  [--models tagger] [--workers 1,2] [--skip-models]
                                  [--repeat R]

Writes a JSON-lines feed of news-length English lines (the seed article's sentences of
12+ words, ``bench_rules.news_lines``, numbered so that no two are alike, 50 to a
document) into a temporary folder and times whole runs of
``mtqc check FEED -f jsonl -o OUT --fail-on none`` as child processes: the
single-process engine, then ``--engine dask --workers N`` for each N (a local cluster:
its start and stop are in the time). Rules only (target-only) on ``--segments``, then
with ``--models`` on ``--model-segments`` (the model scorers are ~100× slower than the
rules; 100k segments with a model would take hours on two cores). Every Dask output is
compared byte for byte with the single-process one.

Prints a markdown table: segments/s, the overhead against the single-process run
(wall time / single-process wall time - 1), the CPU seconds of all the run's processes
(user + system, workers included) and their overhead (medians of ``--repeat``
interleaved rounds), the 1-minute load average before and after the runs (min–max), and whether the output is identical. The machine is shared: say the
load with every figure (on a busy machine the CPU figures are the steadier ones).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rules import cpu_model, news_lines  # noqa: E402


def write_feed(path: Path, n: int) -> None:
    """``n`` JSON lines ``{"id", "doc", "mt"}``: the news sentences, numbered."""
    base = news_lines()
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            mt = f"{base[i % len(base)]} (item {i})"
            f.write(json.dumps({"id": f"s{i}", "doc": f"d{i // 50}", "mt": mt}) + "\n")


def timed_run(feed: Path, out: Path, extra: list[str]) -> dict:
    """One ``mtqc check`` child process: wall seconds, load before/after, output digest."""
    cmd = [sys.executable, "-m", "mtqc", "check", str(feed), "-f", "jsonl"]
    cmd += ["-o", str(out), "--fail-on", "none", *extra]
    load_before = os.getloadavg()[0]
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    env = {**os.environ, "MTQC_NO_CACHE": "1"}  # no model results from an earlier run
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.unlink()
    return {
        "wall": wall,
        # every process of the run (the workers are reaped by the run's own process)
        "cpu": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
        "load": (load_before, os.getloadavg()[0]),
        "digest": digest,
    }


def series(
    feed: Path,
    n: int,
    label: str,
    extra: list[str],
    workers: list[int],
    tmp: Path,
    repeat: int,
) -> list[list[str]]:
    """The single-process run and a Dask run per cluster size, ``repeat`` rounds
    interleaved (so that a busy spell of the machine hits all alike); medians."""
    configs = [("single process", [])]
    for w in workers:
        name = f"Dask, {w} local worker{'s' if w > 1 else ''}"
        configs.append((name, ["--engine", "dask", "--workers", str(w)]))
    runs: dict[str, list[dict]] = {name: [] for name, _ in configs}
    for _ in range(repeat):
        for name, engine in configs:
            runs[name].append(timed_run(feed, tmp / "out.jsonl", extra + engine))
            r = runs[name][-1]
            print(
                f"{label} | {name}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, load "
                f"{r['load'][0]:.1f} → {r['load'][1]:.1f}",
                file=sys.stderr,
                flush=True,
            )
    local_digest = runs["single process"][0]["digest"]
    local_wall = statistics.median(r["wall"] for r in runs["single process"])
    local_cpu = statistics.median(r["cpu"] for r in runs["single process"])
    rows = []
    for name, _ in configs:
        wall = statistics.median(r["wall"] for r in runs[name])
        cpu = statistics.median(r["cpu"] for r in runs[name])
        loads = [x for r in runs[name] for x in r["load"]]
        same = all(r["digest"] == local_digest for r in runs[name])
        first = name == "single process"
        rows.append(
            [
                label,
                name,
                f"{n:,}",
                f"{wall:.1f}",
                f"**{n / wall:,.0f}**",
                "—" if first else f"{(wall / local_wall - 1) * 100:+.0f} %",
                f"{cpu:.1f}",
                "—" if first else f"{(cpu / local_cpu - 1) * 100:+.0f} %",
                f"{min(loads):.1f}–{max(loads):.1f}",
                "—" if first else ("yes" if same else "NO"),
            ]
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--segments", type=int, default=100_000)
    ap.add_argument("--model-segments", type=int, default=5_000)
    ap.add_argument("--models", default="tagger")
    ap.add_argument("--workers", default="1,2", help="local cluster sizes, comma-separated")
    ap.add_argument("--skip-models", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved rounds (medians)")
    args = ap.parse_args()
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    print(
        f"date: {_dt.date.today()}; machine: {cpu_model()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average (1/5/15 min) at start: "
        + " / ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    header = [
        "run",
        "engine",
        "segments",
        "wall s",
        "segments/s",
        "overhead vs single process (wall)",
        "CPU s (all processes)",
        "CPU overhead",
        "load (1 min), min–max",
        "same output",
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mtqc-bench-dask-") as tmp_name:
        tmp = Path(tmp_name)
        feed = tmp / "feed.jsonl"
        write_feed(feed, args.segments)
        rows += series(feed, args.segments, "rules only", [], workers, tmp, args.repeat)
        if not args.skip_models:
            write_feed(feed, args.model_segments)
            label = f"rules + `--models {args.models}`"
            models = ["--models", args.models]
            rows += series(feed, args.model_segments, label, models, workers, tmp, args.repeat)
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
