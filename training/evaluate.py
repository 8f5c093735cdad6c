"""Held-out figures from out-of-fold tagger predictions, and the combine calibration.

For each document d: the span thresholds and the risk calibrations are chosen on the
out-of-fold predictions of the *other* documents, then applied to d (whose predictions
come from a tagger not trained on d). Prints the results table: one row for the
tagger-only calibration and, when ``training.lm_features`` has cached the LM metrics, one
for the ``+lm`` calibration (tagger + LM surprisal).

    python -m training.evaluate --mode ref [--objective ridge] [--write-combine]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from mtqc.scorers.combine import WEIGHTS_FILE, feature_values, risk_from
from mtqc.scorers.tagger import decode_spans, segment_metrics, word_scores, word_spans
from training.data import CACHE, docs, load_items
from training.fit_combine import FEATURES, OBJECTIVE, fit
from training.lm_features import load_lm_features
from training.metrics import (
    char_prf,
    kendall_tau_b,
    kendall_within,
    precision_at_recall,
    segment_pr,
)

THRESHOLDS = np.round(np.arange(0.1, 0.9, 0.025), 3)
BETAS = (1.0, 0.75, 0.5, 0.25)


def word_probs(items, z):
    """Per item: array [n_words, 2] of (p_any, p_major), max over the word's tokens."""
    out = [np.zeros((len(word_spans(it.mt)), 2)) for it in items]
    for i, w, p in zip(z["item"], z["word"], z["p"], strict=True):
        out[i][w] = np.maximum(out[i][w], p)
    return out


def spans_at(items, wp, segv, t, col, beta):
    return [
        decode_spans(it.mt, word_spans(it.mt), word_scores(p[:, col], sv, beta), t)
        for it, p, sv in zip(items, wp, segv, strict=True)
    ]


def major_spans(any_spans, maj_spans):
    """The flags the tagger marks major: its spans that overlap a major-decoded span."""
    return [
        [(s, e) for s, e, _ in a if any(ms < e and s < me for ms, me, _ in m)]
        for a, m in zip(any_spans, maj_spans, strict=True)
    ]


def best_threshold(items, wp, segv, col, major, any_spans=None):
    """The (threshold, beta) with the best char F1 on these items (major: among the
    ``any_spans``, those overlapping a span decoded from p_major)."""

    def f1(tb):
        sp = spans_at(items, wp, segv, tb[0], col, tb[1])
        if any_spans is not None:
            return char_prf(items, major_spans(any_spans, sp), major)[2]
        return char_prf(items, [[(s, e) for s, e, _ in x] for x in sp], major)[2]

    grid = [(float(t), b) for b in BETAS for t in THRESHOLDS]
    return max(grid, key=f1)


def features(items, wp, seg, thr, beta, mode, chrf, lm=None):
    """Per item, the metrics runtime would give ``combine`` (tagger, chrF, LM)."""
    rows = []
    for i, (it, p) in enumerate(zip(items, wp, strict=True)):
        ws = word_spans(it.mt)
        sp = decode_spans(it.mt, ws, word_scores(p[:, 0], seg[i], beta), thr)
        m = segment_metrics(it.mt, ws, p[:, 0], p[:, 1], sp, seg[i], mode == "ref")
        if mode == "ref":
            m["chrf"] = float(chrf[i])
        if lm is not None:
            m.update({k: float(v[i]) for k, v in lm.items()})
        rows.append(m)
    return rows


def lm_metrics(items):
    """The cached LM metrics (``training.lm_features``), or None when not computed."""
    try:
        return load_lm_features([it.id for it in items])
    except (OSError, KeyError) as exc:
        print(f"no LM features ({exc}); run `python -m training.lm_features` for +lm rows")
        return None


def risk_row(items, risk, flagged, cal, objective):
    """Kendall all / within and flagged-segment precision for one risk column."""
    mqm = [it.mqm for it in items]
    hm = [it.has_major for it in items]
    prr = precision_at_recall(hm, risk, 0.5)
    sp, sr = segment_pr(hm, flagged)
    return {
        "calibration": cal,
        "objective": objective,
        "kendall_all": round(kendall_tau_b(risk, mqm), 3),
        "kendall_within": round(kendall_within(items, risk), 3),
        "seg_precision_at_recall_0.5": round(prr[0], 3),
        "seg_recall_there": round(prr[1], 3),
        "seg_p_r_at_train_threshold": [round(sp, 3), round(sr, 3)],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["ref", "tgt"], default="ref")
    ap.add_argument("--oof", default=None, help="OOF file (default CACHE/oof_ft_<mode><tag>.npz)")
    ap.add_argument(
        "--tag",
        default="",
        help="experiment suffix: reads CACHE/oof_ft_<mode><tag>.npz, writes heldout_/results_ "
        "files with the same suffix",
    )
    ap.add_argument(
        "--objective",
        choices=["logistic", "ridge"],
        default=None,
        help="fit every calibration with this objective (default: fit_combine.OBJECTIVE)",
    )
    ap.add_argument(
        "--write-combine",
        action="store_true",
        help="fit the calibrations on all documents' OOF outputs and save them",
    )
    args = ap.parse_args()
    items = load_items()
    z = np.load(args.oof or CACHE / f"oof_ft_{args.mode}{args.tag}.npz")
    wp = word_probs(items, z)
    seg = z["seg"]
    from sacrebleu.metrics import CHRF

    chrf_m = CHRF()
    chrf = np.array([chrf_m.sentence_score(it.mt, [it.ref]).score for it in items])
    lm = lm_metrics(items)
    base = "reference" if args.mode == "ref" else "target-only"
    cals = [base] + ([base + "+lm"] if lm is not None else [])
    objective = {c: args.objective or OBJECTIVE[c] for c in cals}
    y = np.array([it.has_major for it in items], float)
    mqm = np.array([it.mqm for it in items], float)
    sp_any, sp_maj = [None] * len(items), [None] * len(items)
    risk = {c: np.zeros(len(items)) for c in cals}
    flagged = {c: np.zeros(len(items), bool) for c in cals}
    thr_log = {}
    for d in docs(items):
        tr = [i for i, it in enumerate(items) if it.doc != d]
        te = [i for i, it in enumerate(items) if it.doc == d]
        tri, trp, trs = [items[i] for i in tr], [wp[i] for i in tr], seg[tr]
        ta, ba = best_threshold(tri, trp, trs, 0, False)
        tra = spans_at(tri, trp, trs, ta, 0, ba)
        tm, bm = best_threshold(tri, trp, trs, 1, True, tra)
        thr_log[d] = (ta, ba, tm, bm)
        tei, tep, tes = [items[i] for i in te], [wp[i] for i in te], seg[te]
        sa = spans_at(tei, tep, tes, ta, 0, ba)
        sm = spans_at(tei, tep, tes, tm, 1, bm)
        for k, (a, m) in enumerate(zip(sa, major_spans(sa, sm), strict=True)):
            sp_any[te[k]] = [(s, e) for s, e, _ in a]
            sp_maj[te[k]] = m
        feats = features(items, wp, seg, ta, ba, args.mode, chrf, lm)
        for c in cals:
            names = FEATURES[c]
            X = np.array([feature_values(f, [], names) for f in feats])
            model = fit(X[tr], y[tr], mqm[tr], names, objective[c])
            r = np.array([risk_from(x, model) for x in X])
            risk[c][te] = r[te]
            # operating point for flagged segments chosen on the training documents
            _, _, t_seg = precision_at_recall(y[tr].astype(bool), r[tr], 0.5)
            flagged[c][te] = r[te] >= t_seg
    pa = char_prf(items, sp_any)
    pm = char_prf(items, sp_maj, major=True)
    res = {
        "mode": base,
        "char_f1": round(pa[2], 3),
        "char_p": round(pa[0], 3),
        "char_r": round(pa[1], 3),
        "char_f1_major": round(pm[2], 3),
        "risk": [risk_row(items, risk[c], flagged[c], c, objective[c]) for c in cals],
        "thresholds": thr_log,
    }
    # the held-out predictions in mtqc's JSONL shape, for `mtqc eval --pred`; the risk is
    # the tagger-only calibration's (heldout_<mode>_lm.jsonl: the +lm one)
    for c in cals:
        suffix = "_lm" if c.endswith("+lm") else ""
        with open(
            CACHE / f"heldout_{args.mode}{args.tag}{suffix}.jsonl", "w", encoding="utf-8"
        ) as f:
            for it, a, mj, r in zip(items, sp_any, sp_maj, risk[c], strict=True):
                flags = [
                    {"start": s, "end": e, "severity": "major" if (s, e) in mj else "minor"}
                    for s, e in a
                ]
                f.write(json.dumps({"id": it.id, "score": float(r), "flags": flags}) + "\n")
    print(json.dumps(res, indent=1))
    (CACHE / f"results_{args.mode}{args.tag}.json").write_text(json.dumps(res, indent=1))
    if args.write_combine:
        # thresholds for the shipped model: chosen on all documents' OOF outputs
        ta, ba = best_threshold(items, wp, seg, 0, False)
        tm, bm = best_threshold(items, wp, seg, 1, True, spans_at(items, wp, seg, ta, 0, ba))
        feats = features(items, wp, seg, ta, ba, args.mode, chrf, lm)
        allw = json.loads(WEIGHTS_FILE.read_text()) if WEIGHTS_FILE.exists() else {}
        for c in cals:
            names = FEATURES[c]
            X = np.array([feature_values(f, [], names) for f in feats])
            model = fit(X, y, mqm, names, objective[c])
            model.update(span_threshold=ta, span_beta=ba, major_threshold=tm, major_beta=bm)
            allw[c] = model
        WEIGHTS_FILE.write_text(json.dumps(allw, indent=1) + "\n")
        print("wrote", WEIGHTS_FILE)


if __name__ == "__main__":
    main()
