"""Fit the QE scorer's segment risk on the validation fold of the training data.

The ``qe`` scorer (M006) gives each segment a predicted MQM penalty (``qe_reg``), P(a major
error) (``qe_major_p``) and word probabilities (``qe_sum_p``, ``qe_max_p``, ``qe_words``).
Without the tagger, :func:`mtqc.scorers.combine.qe_risk` turns them into the segment risk.
This script measures how each of them, and fitted combinations, rank the validation fold
of ``training/qe_data.py`` (documents hashed to fold 0; the model never trained on them),
overall and within a source sentence (the systems' translations of one source):

    python -m training.qe_risk --predict            # runtime scorer on fold 0 (~6 CPU-min)
    python -m training.qe_risk --fit                # the table in training/README.md

Models compared (5-fold cross-validation over the fold's sources; standardised
features): logistic regression of
``has_major`` and ridge regression of ``log(1 + MQM)`` (Platt-scaled to a probability),
on ``[logit(qe_major_p), qe_reg, log(1 + qe_sum_p), qe_max_p, log(1 + qe_words)]``.
No fit ranked better than the unfitted mean (training/README.md), so none is shipped;
the last lines print the ridge fit on the whole fold for reference. TED, nlnews-dev and
WMT23+ are never read here.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import zlib
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("MTQC_TRAIN_CACHE", "/tmp/mtqc_qe"))
FEATURES = ["logit_qe_major_p", "qe_reg", "log_qe_sum_p", "qe_max_p", "log_qe_words"]


def features(m: dict, names: list[str] = FEATURES) -> list[float]:
    """The named features of one segment's ``qe_*`` metrics (as the runtime computes them,
    :func:`mtqc.scorers.qe.risk_features`)."""
    from mtqc.scorers.qe import risk_features

    return risk_features(m, names)


def predict(ref: bool) -> Path:
    from mtqc.model import Segment
    from mtqc.scorers.qe import QEScorer, segment_metrics
    from training.qe_data import read_items

    items = [it for it in read_items() if it["fold"] == 0]
    segs = [Segment(id=str(i), src=it["src"], mt=it["mt"]) for i, it in enumerate(items)]
    refs = [it["ref"] or None for it in items] if ref else None
    s = QEScorer(cache=False)
    t = time.time()
    outs = s.analyse(segs, refs)
    print(f"{len(segs)} items in {time.time() - t:.0f} s")
    rows = []
    for it, (_, p, _, so) in zip(items, outs, strict=True):
        m = segment_metrics(p, so, ref and bool(it["ref"]))
        rows.append({"lp": it["lp"], "src": it["src"], "mqm": it["mqm"], "major": it["major"], **m})
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"val_{'ref' if ref else 'src'}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def kendall_within(score: np.ndarray, gold: np.ndarray, groups: np.ndarray) -> float:
    """Kendall tau-b within each group of ≥ 2 items, averaged over groups (as ``mtqc eval``)."""
    from training.qe_train import kendall_b

    taus = []
    for g in np.unique(groups):
        ix = np.flatnonzero(groups == g)
        if len(ix) < 2 or len(set(gold[ix].tolist())) < 2:
            continue
        taus.append(kendall_b(score[ix], gold[ix]))
    return float(np.mean(taus)) if taus else float("nan")


def _logistic(Z, y, l2=1e-3, iters=3000, lr=0.5):
    w = np.zeros(Z.shape[1])
    b = float(np.log(y.mean() / (1 - y.mean())))
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        w -= lr * (Z.T @ (p - y) / len(y) + l2 * w)
        b -= lr * float((p - y).mean())
    return w, b


def _ridge(Z, t, l2=1e-3):
    A = np.c_[Z, np.ones(len(Z))]
    reg = l2 * len(Z) * np.eye(A.shape[1])
    reg[-1, -1] = 0.0
    coef = np.linalg.solve(A.T @ A + reg, A.T @ t)
    return coef[:-1], float(coef[-1])


def fit(X, mqm, major, kind: str):
    """``(model dict)``: standardisation + a logistic model of has_major (``kind=logistic``)
    or a ridge model of log(1+MQM) Platt-scaled to has_major (``kind=ridge``)."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = (X - mu) / sd
    if kind == "logistic":
        w, b = _logistic(Z, major)
    else:
        w, b = _ridge(Z, np.log1p(np.maximum(mqm, 0)))
        s = Z @ w + b
        a, c = _logistic(((s - s.mean()) / s.std())[:, None], major)
        w, b = w * a[0] / s.std(), float(b * a[0] / s.std() - s.mean() * a[0] / s.std() + c)
    return {
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mu],
        "scale": [round(float(v), 6) for v in sd],
        "coef": [round(float(v), 6) for v in w],
        "intercept": round(float(b), 6),
        "objective": kind,
    }


def apply(model: dict, X: np.ndarray) -> np.ndarray:
    z = ((X - np.array(model["mean"])) / np.array(model["scale"])) @ np.array(model["coef"])
    return 1 / (1 + np.exp(-(z + model["intercept"])))


def fit_report() -> None:
    from training.qe_train import kendall_b

    for mode in ("src", "ref"):
        path = CACHE / f"val_{mode}.jsonl"
        if not path.is_file():
            print(f"{path} missing: run --predict{' --ref' if mode == 'ref' else ''} first")
            continue
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        X = np.array([features(r) for r in rows])
        mqm = np.array([r["mqm"] for r in rows])
        major = np.array([float(r["major"]) for r in rows])
        groups = np.array([zlib.crc32(f"{r['lp']}|{r['src']}".encode()) for r in rows])
        ugroups = np.unique(groups)
        n_multi = sum((groups == g).sum() >= 2 for g in ugroups)
        print(f"\n{mode}: {len(rows)} items, {len(ugroups)} sources ({n_multi} with ≥ 2 MTs)")

        def show(name, s, mqm=mqm, groups=groups):
            print(
                f"  {name:34s} Kendall all {kendall_b(s, mqm):.3f}  "
                f"within {kendall_within(s, mqm, groups):.3f}"
            )

        from mtqc.scorers.combine import qe_risk

        show("qe_risk (mean, unfitted; before)", np.array([qe_risk(r) for r in rows]))
        for k, name in enumerate(FEATURES):
            show(name, X[:, k])
        # 5-fold CV over sources (a source's translations stay together)
        rng = np.random.default_rng(0)
        part = {g: int(rng.integers(5)) for g in ugroups}
        pk = np.array([part[g] for g in groups])
        for kind in ("logistic", "ridge"):
            s = np.zeros(len(rows))
            for k in range(5):
                tr, te = pk != k, pk == k
                s[te] = apply(fit(X[tr], mqm[tr], major[tr], kind), X[te])
            show(f"{kind} fit (5-fold CV)", s)
        print("  ridge on all of fold 0 (not shipped):", json.dumps(fit(X, mqm, major, "ridge")))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--predict", action="store_true")
    ap.add_argument("--ref", action="store_true", help="with --predict: read the reference")
    ap.add_argument("--fit", action="store_true")
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if a.predict:
        print(predict(a.ref))
    if a.fit:
        fit_report()


if __name__ == "__main__":
    main()
