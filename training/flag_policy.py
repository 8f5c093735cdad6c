"""Calibrate which model flags are shown: the precision of each model flag code by score.

A translator reads every flag, so a model flag is shown at its own severity only at a
score where it is usually right; below that it is kept in the report as an ``info``
hint (it still feeds nothing: the model metrics carry the scorer's evidence to the risk).
This script measures, on a gold JSONL with ``spans`` (default: the Dutch→English
development set), the precision of each model flag code (M001–M006) at every score
threshold — a flag is right when it overlaps a gold span, as in ``mtqc eval`` — and
writes ``mtqc/scorers/weights/flag_policy.json``: for each code, the lowest threshold
at which precision over the flags at or above it is >= ``--min-precision`` (0.6) for
every prefix of at least ``--min-flags`` (10) flags from the top (so one lucky run of
flags does not set it), or ``null`` (never shown above info) when none is.

Usage (after ``mtqc check GOLD --mode source --models tagger,lm,qe -f jsonl -o OUT``)::

    python -m training.flag_policy OUT.jsonl [--gold FILE] [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOLD = ROOT.parent / "shared" / "benchmarks" / "nlnews-dev.nl-en.jsonl"
POLICY = ROOT / "mtqc" / "scorers" / "weights" / "flag_policy.json"
MODEL_CODES = ("M001", "M002", "M003", "M004", "M005", "M006")


def overlaps(flag: dict, spans: list[dict]) -> bool:
    return any(flag["start"] < s["end"] and flag["end"] > s["start"] for s in spans)


def precision_table(gold: list[dict], pred: list[dict]) -> dict[str, list[tuple[float, bool]]]:
    """``{code: [(score, right), ...]}`` sorted by score, highest first."""
    if len(gold) != len(pred):
        raise SystemExit(f"{len(pred)} predictions for {len(gold)} gold items")
    table: dict[str, list[tuple[float, bool]]] = {}
    for g, p in zip(gold, pred, strict=True):
        for f in p.get("flags", []):
            if f["code"] in MODEL_CODES and f.get("side", "mt") == "mt":
                score = f.get("score")
                if score is not None:
                    table.setdefault(f["code"], []).append((float(score), overlaps(f, g["spans"])))
    for rows in table.values():
        rows.sort(key=lambda r: -r[0])
    return table


def choose(rows: list[tuple[float, bool]], min_precision: float, min_flags: int) -> dict:
    best = None
    stable = True
    right = 0
    curve = []
    for k, (score, ok) in enumerate(rows, 1):
        right += ok
        prec = right / k
        if k in (10, 20, 50, 100, 200, 500) or k == len(rows):
            curve.append({"flags": k, "threshold": round(score, 4), "precision": round(prec, 3)})
        if k >= min_flags:
            if prec < min_precision:
                stable = False  # every larger set includes this one: stop growing
            elif stable:
                best = {"threshold": round(score, 4), "flags": k, "precision": round(prec, 3)}
    return {"show_at": best["threshold"] if best else None, "chosen": best, "curve": curve}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pred", help="mtqc check -f jsonl output on the gold items, in order")
    ap.add_argument("--gold", default=str(DEFAULT_GOLD))
    ap.add_argument("--min-precision", type=float, default=0.6)
    ap.add_argument("--min-flags", type=int, default=10)
    ap.add_argument("--write", action="store_true", help=f"write {POLICY.name}")
    a = ap.parse_args()
    gold = [json.loads(line) for line in Path(a.gold).read_text(encoding="utf-8").splitlines()]
    pred = [json.loads(line) for line in Path(a.pred).read_text(encoding="utf-8").splitlines()]
    table = precision_table(gold, pred)
    policy = {
        "min_precision": a.min_precision,
        "gold": Path(a.gold).name,
        "codes": {
            code: choose(rows, a.min_precision, a.min_flags) for code, rows in sorted(table.items())
        },
    }
    print(json.dumps(policy, indent=2))
    if a.write:
        POLICY.write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
