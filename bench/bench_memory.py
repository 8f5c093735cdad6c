"""Peak memory and throughput of `mtqc check` on large plain-text feeds (issue 12).

Usage: python bench/bench_memory.py [--sizes 10,100,1000] [--dir /tmp/mtqc-bench]
                                    [--batch-size N] [--log FILE]

For each size (MB) it generates a feed of news-like English lines into --dir (never into
the repository): the seed article's sentences of 12+ words, each with a running number
so that no two lines are equal, blank lines between paragraphs of 5 lines. It then runs
``mtqc check FEED -f jsonl -o DIR/out-SIZE.jsonl --fail-on none`` (rules only,
target-only) as a child process and reports its wall time, segments/s, MB/s and peak
resident memory (``ru_maxrss`` of that child via ``wait4``). While it runs, every 30 s a
progress line (read position in the feed, current and peak RSS) goes to --log, so a long run can
be reported before it ends.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_rules import news_lines  # the same news sentences as the rules bench


def generate(path: Path, megabytes: int) -> int:
    """Write a feed of about ``megabytes`` MB; return its number of segments."""
    base = news_lines()
    target = megabytes * 1_000_000
    size = n = 0
    with path.open("w", encoding="utf-8") as f:
        while size < target:
            line = f"{base[n % len(base)]} (item {n})\n"
            if n % 5 == 4:
                line += "\n"
            f.write(line)
            size += len(line.encode("utf-8"))
            n += 1
    return n


def _proc(pid: int, feed: Path) -> dict[str, int]:
    """Current and peak RSS (MB) and the read position in the feed (bytes)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) // 1024
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            if os.readlink(fd) == str(feed.resolve()):
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                out["pos"] = int(info.split("pos:")[1].split()[0])
    except OSError:
        pass
    return out


def run(feed: Path, out: Path, segments: int, batch: int | None, log) -> dict[str, float]:
    cmd = [sys.executable, "-m", "mtqc.cli", "check", str(feed), "-f", "jsonl", "-o", str(out)]
    cmd += ["--fail-on", "none"]
    if batch:
        cmd += ["--batch-size", str(batch)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    total = feed.stat().st_size
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(1)
        if int(time.perf_counter() - t0) % 30 == 0:
            p = _proc(proc.pid, feed)
            done = min(1.0, p.get("pos", 0) / total)
            el = time.perf_counter() - t0
            print(
                f"{dt.datetime.now():%H:%M:%S} {feed.name}: {el:7.0f} s, input {done:6.1%}, "
                f"~{done * segments / el:6.0f} seg/s, RSS {p.get('VmRSS', 0)} MB, "
                f"peak {p.get('VmHWM', 0)} MB",
                file=log,
                flush=True,
            )
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    return {
        "exit": code,
        "wall_s": wall,
        "seg_s": segments / wall,
        "mb_s": total / 1e6 / wall,
        "peak_mb": usage.ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000", help="feed sizes in MB")
    ap.add_argument("--dir", default="/tmp/mtqc-bench")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--log", default=None, help="progress log (default: stderr)")
    args = ap.parse_args()
    d = Path(args.dir)
    d.mkdir(parents=True, exist_ok=True)
    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stderr  # noqa: SIM115
    print(f"date: {dt.date.today()}  python: {sys.version.split()[0]}  cpus: {os.cpu_count()}")
    print("| feed | segments | wall | segments/s | MB/s | peak RSS | exit |")
    print("|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        feed = d / f"feed-{size}MB.txt"
        count = d / f"feed-{size}MB.count"
        if not feed.exists() or not count.exists():
            count.write_text(str(generate(feed, size)))
        segments = int(count.read_text())
        r = run(feed, d / f"out-{size}MB.jsonl", segments, args.batch_size, log)
        print(
            f"| {size} MB | {segments:,} | {r['wall_s']:.0f} s | {r['seg_s']:.0f} | "
            f"{r['mb_s']:.2f} | {r['peak_mb']:.0f} MB | {r['exit']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
