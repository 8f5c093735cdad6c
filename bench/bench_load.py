"""Model load time with converted weights cached, in a fresh process as a run sees it.

Usage (from the repository root, models extra and weight packages installed)::

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_load.py [--repeats 3]

For each configuration (``tagger``, ``align``, ``lm``, ``tagger,lm``) a new Python process
loads the scorers as ``mtqc check --models …`` does (``load_scorer(name).load()``, one
after the other) and reports: importing torch (as mtqc does it,
:func:`mtqc.scorers._lean.import_torch`), loading the scorers (weights, tokenizers,
heads; transformers' model classes only for a model the lean loaders do not cover), and
the whole (imports included), plus whether transformers was imported at all. The
``tagger,lm`` row is measured again with the scorers loaded side by side as ``mtqc
serve`` loads them (:class:`mtqc.service.CheckService`). The GGUF conversion is cached
beforehand (one untimed load), so no row pays it. Prints a README table row per
configuration, medians of ``--repeats`` processes, with the load average.
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
from mtqc.scorers._lean import import_torch
import_torch()
t1 = time.perf_counter()
names = sys.argv[1].split(",")
if sys.argv[2] == "service":
    from mtqc.service import CheckService
    CheckService(names)
else:
    from mtqc.scorers import load_scorer
    for name in names:
        load_scorer(name).load()
t2 = time.perf_counter()
print(json.dumps({"torch": t1 - t0, "load": t2 - t1, "total": t2 - t0,
                  "transformers": "transformers" in sys.modules}))
"""

CONFIGS = [("tagger", "check"), ("align", "check"), ("lm", "check"), ("tagger,lm", "check")]
CONFIGS.append(("tagger,lm", "service"))


def once(names: str, how: str) -> dict[str, float]:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, names, how],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    once("tagger,lm", "check")  # warm the conversion cache and the page cache
    start = os.getloadavg()[0]
    print("| `--models` | loaded as | import torch s | load s | total s | transformers imported |")
    print("|---|---|---|---|---|---|")
    for names, how in CONFIGS:
        runs = [once(names, how) for _ in range(args.repeats)]
        med = {k: statistics.median(r[k] for r in runs) for k in ("torch", "load", "total")}
        totals = ", ".join(f"{r['total']:.2f}" for r in runs)
        print(
            f"| `{names}` | {'mtqc serve (side by side)' if how == 'service' else 'mtqc check'} "
            f"| {med['torch']:.2f} | {med['load']:.2f} | **{med['total']:.2f}** ({totals}) "
            f"| {'yes' if any(r['transformers'] for r in runs) else 'no'} |"
        )
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, median of {args.repeats} processes, "
        f"load average {start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )


if __name__ == "__main__":
    main()
