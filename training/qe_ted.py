"""Segment-level figures of a QE weights file on the TED development set (zh→en MQM).

Runs the runtime ``qe`` scorer (int8, with its result cache) on every MT item of
``../shared/benchmarks/mqm-ted21.zh-en.jsonl`` and prints Kendall tau-b against the MQM
penalty (minor 1, major 5, as ``mtqc eval``) over all items and within a source sentence
(mean over the sources whose translations differ in MQM) for each segment output: the
runtime risk ``qe_risk`` (mean of P(major) and the scaled MQM), ``qe_reg``, ``qe_major_p``,
``qe_sum_p``, and the MT length as a floor. TED is never trained on.

    HF_HUB_OFFLINE=1 .venv/bin/python -m training.qe_ted [--weights FILE] [--ref] [--n N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from training.qe_train import kendall_b, within_taus

ROOT = Path(__file__).resolve().parents[1]
TED = ROOT.parent / "shared" / "benchmarks" / "mqm-ted21.zh-en.jsonl"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=None, help="qe.safetensors (default: the shipped one)")
    ap.add_argument("--ref", action="store_true", help="read the reference too")
    ap.add_argument("--n", type=int, default=0, help="first N MT items only")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from mtqc.model import Segment
    from mtqc.scorers.combine import qe_risk
    from mtqc.scorers.qe import QEScorer

    items = [json.loads(line) for line in TED.open(encoding="utf-8")]
    items = [r for r in items if not r["is_human"]]
    if a.n:
        items = items[: a.n]
    segs = [
        Segment(id=r["id"], mt=r["hyp"], src=r["src"], ref=r["ref"] if a.ref else None)
        for r in items
    ]
    scorer = QEScorer(weights=a.weights)
    t = time.time()
    outs = scorer.score(segs)
    took = time.time() - t
    y = np.array([sum(5.0 if s["severity"] == "major" else 1.0 for s in r["spans"]) for r in items])
    group = np.array([hash((r["doc"], r["seg"])) for r in items])
    cols = {
        "qe_risk": [qe_risk(o.metrics) for o in outs],
        "qe_reg": [o.metrics["qe_reg"] for o in outs],
        "qe_major_p": [o.metrics["qe_major_p"] for o in outs],
        "qe_sum_p": [o.metrics["qe_sum_p"] for o in outs],
        "mt_length": [len(r["hyp"]) for r in items],
    }
    print(
        f"{len(items)} TED MT items, {'src+mt+ref' if a.ref else 'src+mt'}, {a.weights or 'shipped'}, {took:.0f} s"
    )
    for name, x in cols.items():
        x = np.asarray(x, float)
        taus = within_taus(x, y, group)
        print(
            f"  {name:11s} Kendall all {kendall_b(x, y):6.3f}  within {np.mean(taus):6.3f} ({len(taus)} sources)"
        )


if __name__ == "__main__":
    main()
