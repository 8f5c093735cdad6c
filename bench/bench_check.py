"""Whole ``mtqc check`` runs with model scorers: segments/s and peak memory, cold cache.

Usage (from the repository root, models extra installed)::

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_check.py [--n 400]

Takes a deterministic spread of ``--n`` MT items from the development benchmark
(``../shared/benchmarks/mqm-ted21.zh-en.jsonl``, or ``$MTQC_BENCHMARK``; every k-th MT
item, never hand-picked), writes them as a TSV (``id``, ``mt`` and, in reference mode,
``ref``), and times the real command line in a subprocess for each configuration: model
load, scoring, sacrebleu metrics and the JSON report included. The result cache is empty
for every run (a fresh ``MTQC_CACHE_DIR`` that only links the converted-model folder,
so no run pays a one-time GGUF conversion). Prints one README table row per
configuration: segments/s and the peak resident memory of the ``mtqc`` process.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
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

#: (label, with a reference, --models, config text)
CONFIGS = [
    ("reference, `--models tagger,align`", True, "tagger,align", ""),
    ("target-only, `--models tagger,lm`", False, "tagger,lm", ""),
    ("reference, `--models tagger,lm` (LM also reads the reference)", True, "tagger,lm", ""),
    (
        "reference, `--models tagger,lm`, `[model-options.lm] reference = false`",
        True,
        "tagger,lm",
        "[model-options.lm]\nreference = false\n",
    ),
]


def write_items(path: Path, n: int, with_ref: bool) -> None:
    """Every k-th MT item of the benchmark as a TSV."""
    rows = [json.loads(line) for line in BENCH.open(encoding="utf-8")]
    mt = [r for r in rows if not r.get("is_human")]
    picked = mt[:: max(1, len(mt) // n)][:n]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["id", "mt", "ref"] if with_ref else ["id", "mt"])
        for r in picked:
            row = [r["id"], r["hyp"]] + ([r["ref"]] if with_ref else [])
            w.writerow(row)


def run(tsv: Path, models: str, config: str, work: Path) -> tuple[float, float]:
    """Seconds and peak RSS (GB) of one cold-cache ``mtqc check``."""
    from mtqc.scorers.cache import cache_dir

    cache = Path(tempfile.mkdtemp(dir=work))
    shared_models = cache_dir() / "models"
    if shared_models.exists():
        (cache / "models").symlink_to(shared_models)
    cmd = [sys.executable, "-m", "mtqc", "check", str(tsv), "--models", models]
    cmd += ["-f", "json", "-o", str(work / "out.json"), "--fail-on", "none"]
    if config:
        cfg = work / "bench.toml"
        cfg.write_text(config, encoding="utf-8")
        cmd += ["--config", str(cfg)]
    env = {**os.environ, "MTQC_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    # a fresh wrapper per run: its children's peak RSS is this run's alone
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t0
    return seconds, int(done.stdout.split()[-1]) / 1024 / 1024


_WRAPPER = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400)
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {args.n} items")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for label, with_ref, models, config in CONFIGS:
            tsv = work / f"items-{'ref' if with_ref else 'tgt'}.tsv"
            if not tsv.exists():
                write_items(tsv, args.n, with_ref)
            seconds, gb = run(tsv, models, config, work)
            print(
                f"| whole `mtqc check`, {label}, {args.n} items incl. load "
                f"| {args.n / seconds:.1f} | {gb:.2f} GB |",
                flush=True,
            )


if __name__ == "__main__":
    main()
