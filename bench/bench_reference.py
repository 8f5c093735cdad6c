"""Reference mode against sacrebleu, side by side in one run.

Usage (from the repository root)::

    .venv/bin/python bench/bench_reference.py [--repeats 3] [--per-rule] [--all-metrics]

Writes the MT items of the development benchmark
(``../shared/benchmarks/mqm-ted21.zh-en.jsonl``, or ``$MTQC_BENCHMARK``: 6,877 lines) as
two plain-text files, ``hyp`` and ``ref``, into ``$TMPDIR`` and times, alternately and
``--repeats`` times each, the two real command lines:

* ``sacrebleu REF -i HYP -m chrf --sentence-level``
* ``mtqc check HYP --ref REF -f json -o /dev/null`` (every rule + the default metrics,
  chrF; the JSON report rendered), the bar's command line;
* the same with ``--src-lang zh`` (the source language known: the Dutch→English rules,
  which assume a Dutch source when none is named, stand down)

It prints the median wall time and CPU time (user + system of the child) of each and
their ratio (the bar: mtqc <= 1.5x sacrebleu). mtqc's modules are byte-compiled first
(``compileall``), as a wheel install and ``make setup`` leave them: sacrebleu's are, and an
editable install under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile ~100 modules
in every run. The FreeDict parse is cached by the first run (as for any user). ``--all-metrics`` adds a run with
``--metrics chrf,bleu,ter``. ``--per-rule`` times each rule in this process over the same
segments (first pass, with the rule's one-time data loading, and a second, warm pass).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(
    os.environ.get(
        "MTQC_BENCHMARK", ROOT.parent / "shared" / "benchmarks" / "mqm-ted21.zh-en.jsonl"
    )
)
BIN = Path(sys.executable).parent


def write_files(folder: Path) -> tuple[Path, Path, int]:
    """The benchmark's MT items as ``hyp`` / ``ref`` text files (one segment a line)."""
    rows = [json.loads(line) for line in BENCH.open(encoding="utf-8")]
    mt = [r for r in rows if not r.get("is_human")]
    hyp, ref = folder / "ted-mt.hyp.txt", folder / "ted-mt.ref.txt"
    for path, key in ((hyp, "hyp"), (ref, "ref")):
        with path.open("w", encoding="utf-8") as f:
            for r in mt:
                text = " ".join(r[key].split("\n"))
                f.write(text + "\n")
    return hyp, ref, len(mt)


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child, exit status)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def per_rule(hyp: Path, ref: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from mtqc.checks._apply import flag_from_hit
    from mtqc.config import Config
    from mtqc.engine import active_rules
    from mtqc.readers import read_segments

    segs = list(read_segments(str(hyp), ref=str(ref)))
    for s in segs:
        s.tgt_lang = "en"
    rules = active_rules(Config())
    times: dict[str, list[float]] = {}
    for _ in range(2):
        for ar in rules:
            t0 = time.perf_counter()
            for s in segs:
                if ar.rule.needs and not all(getattr(s, x) for x in ar.rule.needs):
                    continue
                for hit in ar.rule.func(s, ar.options):
                    flag_from_hit(ar.rule, s, hit, ar.severity_of(hit.severity))
            times.setdefault(ar.rule.code, []).append(time.perf_counter() - t0)
    names = {ar.rule.code: ar.rule.name for ar in rules}
    total1 = sum(t[0] for t in times.values())
    total2 = sum(t[1] for t in times.values())
    print(f"\nper rule over {len(segs)} segments (s; first pass incl. data loading, warm pass)")
    print("| rule | name | first pass s | warm pass s | share of first |")
    print("|---|---|---|---|---|")
    for code, (t1, t2) in sorted(times.items(), key=lambda kv: -kv[1][0]):
        if t1 >= 0.05:
            print(f"| {code} | {names[code]} | {t1:.2f} | {t2:.2f} | {t1 / total1:.0%} |")
    print(f"| all {len(rules)} rules | | {total1:.2f} | {total2:.2f} | |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--per-rule", action="store_true")
    ap.add_argument("--all-metrics", action="store_true")
    args = ap.parse_args()
    folder = Path(os.environ.get("TMPDIR", tempfile.gettempdir()))
    hyp, ref, n = write_files(folder)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "mtqc")], check=False)
    cmds = {
        "sacrebleu -m chrf --sentence-level": [
            str(BIN / "sacrebleu"),
            str(ref),
            "-i",
            str(hyp),
            "-m",
            "chrf",
            "--sentence-level",
        ],
        "mtqc check --ref (rules + chrF, -f json)": [
            str(BIN / "mtqc"),
            "check",
            str(hyp),
            "--ref",
            str(ref),
            "-f",
            "json",
            "-o",
            "/dev/null",
            "--fail-on",
            "none",
        ],
    }
    # the same run told the source language (zh): the Dutch→English rules stand down
    cmds["mtqc check --ref --src-lang zh"] = [
        *cmds["mtqc check --ref (rules + chrF, -f json)"],
        "--src-lang",
        "zh",
    ]
    if args.all_metrics:
        cmds["mtqc check --ref --metrics chrf,bleu,ter"] = [
            *cmds["mtqc check --ref (rules + chrF, -f json)"],
            "--metrics",
            "chrf,bleu,ter",
        ]
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
    for _ in range(args.repeats):
        for label, cmd in cmds.items():
            wall, cpu, rc = timed(cmd)
            if rc != 0:
                sys.exit(f"{label}: exit {rc}")
            runs[label].append((wall, cpu))
    base_label = next(iter(cmds))
    base_wall = statistics.median(w for w, _ in runs[base_label])
    base_cpu = statistics.median(c for _, c in runs[base_label])
    load = os.getloadavg()[0]
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {n} segments, "
        f"median of {args.repeats}, load average {load:.1f}"
    )
    print("| command | wall s | CPU s | × sacrebleu (wall) | × sacrebleu (CPU) |")
    print("|---|---|---|---|---|")
    for label, xs in runs.items():
        wall = statistics.median(w for w, _ in xs)
        cpu = statistics.median(c for _, c in xs)
        print(
            f"| `{label}` | {wall:.2f} | {cpu:.2f} | {wall / base_wall:.2f} | {cpu / base_cpu:.2f} |"
        )
    if args.per_rule:
        per_rule(hyp, ref)


if __name__ == "__main__":
    main()
