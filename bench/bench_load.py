"""Model load time with converted weights cached, in a fresh process as a run sees it.

Usage (from the repository root, models extra and weight packages installed)::

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_load.py [--repeats 3]

For each configuration (``tagger``, ``align``, ``lm``, ``tagger,lm``) a new Python process
loads the scorers as ``mtqc check --models …`` does (``load_scorer(name).load()``) and
reports three times: importing torch, importing the transformers model classes the
scorers use, and the whole load (imports included). The GGUF conversion is cached
beforehand (one untimed load), so no row pays it. Prints a README table row per
configuration, medians of ``--repeats`` processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
import transformers.models.bert.modeling_bert, transformers.models.llama.modeling_llama
t2 = time.perf_counter()
from mtqc.scorers import load_scorer
for name in sys.argv[1].split(","):
    load_scorer(name).load()
t3 = time.perf_counter()
print(json.dumps({"torch": t1 - t0, "transformers": t2 - t1, "weights": t3 - t2, "total": t3 - t0}))
"""

CONFIGS = ["tagger", "align", "lm", "tagger,lm"]


def once(names: str) -> dict[str, float]:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, names], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    once("tagger,lm")  # warm the conversion cache and the page cache
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, median of {args.repeats} processes, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("| `--models` | import torch s | import transformers models s | weights s | total s |")
    print("|---|---|---|---|---|")
    for names in CONFIGS:
        runs = [once(names) for _ in range(args.repeats)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"| `{names}` | {med['torch']:.2f} | {med['transformers']:.2f} | "
            f"{med['weights']:.2f} | **{med['total']:.2f}** |"
        )


if __name__ == "__main__":
    main()
