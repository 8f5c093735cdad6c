#!/usr/bin/env python3
"""mtqc on the Dutch→English development set in all four modes, as a Markdown table.

Runs ``mtqc eval nlnews-dev.nl-en.jsonl --mode MODE --src-lang nl --format json`` for
target-only (MT alone), reference (+ref), source (+src) and round-trip (+src +bt), rules
only and, with ``--models``, once more per model configuration, then prints::

    | mode | configuration | spans found | major found | clean lines flagged | flag precision | line ROC-AUC |

Figures (definitions in ``mtqc/evaluation/run.py``, the same as
``../shared/tools/nlnews_dev_score.py``): a gold span is found when a minor-or-worse flag
on the MT overlaps it; clean lines flagged = lines without a gold span that get such a
flag; flag precision = such flags overlapping a gold span, of all such flags; line ROC-AUC
of the segment risk against "has any error" / against ``has_major`` (ties count half).

Usage::

    .venv/bin/python tools/nlnews_dev_eval.py                        # rules only
    .venv/bin/python tools/nlnews_dev_eval.py --models tagger,lm     # + rules with models
    .venv/bin/python tools/nlnews_dev_eval.py --json all.json        # + every figure

The dev set is a development signal only (see ../shared/benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "benchmarks" / "nlnews-dev.nl-en.jsonl"
MODES = ("target-only", "reference", "source", "round-trip")
HEADER = (
    "| mode | configuration | spans found | major found | clean lines flagged "
    "| flag precision | line ROC-AUC |"
)


def run_eval(dev: Path, mode: str, models: str | None, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "mtqc", "eval", str(dev), "--mode", mode, "--src-lang", "nl"]
    cmd += ["--format", "json", *extra]
    # the rules-only row names no model: `--models ""` (source runs default to qe otherwise)
    cmd += ["--models", models or ""]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-3000:])
        raise SystemExit(f"nlnews_dev_eval: `{' '.join(cmd)}` failed (exit {r.returncode})")
    return json.loads(r.stdout)


def _frac(d: dict[str, Any]) -> str:
    rate = d["rate"]
    pct = "" if rate is None else f" ({100 * rate:.0f}%)"
    return f"{d['hits']}/{d['total']}{pct}"


def _auc(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def row(mode: str, config: str, d: dict[str, Any]) -> str:
    fp = d["flag_precision"]
    precision = (
        "n/a (0 flags)" if not fp["total"] else f"{fp['rate']:.2f} ({fp['hits']}/{fp['total']})"
    )
    cells = [
        mode,
        config,
        _frac(d["spans"]["all"]),
        _frac(d["spans"]["major"]),
        f"{d['clean_segments_flagged']['hits']}/{d['clean_segments_flagged']['total']}",
        precision,
        f"{_auc(d['roc_auc']['any_error'])} / {_auc(d['roc_auc']['has_major'])}",
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, default=DEV, help=f"gold file (default {DEV})")
    ap.add_argument(
        "--models",
        action="append",
        default=[],
        metavar="LIST",
        help="also run with these model scorers (comma-separated; repeatable)",
    )
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of modes")
    ap.add_argument("--json", type=Path, help="also write every figure of every run here")
    ap.add_argument(
        "--eval-arg",
        action="append",
        default=[],
        help="extra argument for mtqc eval (repeatable), e.g. --eval-arg=--lm=gemma-3-270m",
    )
    a = ap.parse_args(argv)
    if not a.dev.exists():
        raise SystemExit(f"nlnews_dev_eval: {a.dev} not found (give --dev PATH)")
    modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    configs: list[str | None] = [None, *a.models]
    lines = [HEADER, "|---|---|---|---|---|---|---|"]
    everything: list[dict[str, Any]] = []
    for config in configs:
        for mode in modes:
            d = run_eval(a.dev, mode, config, a.eval_arg)
            label = "rules" if config is None else f"rules + {config}"
            lines.append(row(mode, label, d))
            everything.append({"mode": mode, "configuration": label, "result": d})
            print(f"  done: {mode}, {label}", file=sys.stderr)
    print("\n".join(lines))
    print(
        '\nline ROC-AUC: segment risk vs "has any error" / vs has_major (ties count half). '
        f"Gold: {a.dev.name}, {everything[0]['result']['counts']['scored_mt_items']} lines."
    )
    if a.json:
        a.json.write_text(json.dumps(everything, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
