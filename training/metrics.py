"""The benchmark's figures, computed as the issue defines them (MT items only).

* char P/R/F1: micro over all items' characters; gold = union of gold spans (major+minor,
  or major only), predicted = union of predicted spans;
* Kendall tau-b between the segment risk and ``mqm_score``: over all items, and averaged
  within groups of the same source segment ``(doc, seg)``;
* flagged-segment precision at recall >= 0.5 against ``has_major``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from training.data import Item, char_labels

_GOLD: dict[tuple[str, bool], np.ndarray] = {}


def _gold(it: Item, major: bool) -> np.ndarray:
    key = (it.id, major)
    if key not in _GOLD:
        a, m = char_labels(it)
        _GOLD[key] = np.array(m if major else a, dtype=bool)
    return _GOLD[key]


def _gold_count(it: Item, major: bool) -> int:
    return int(_gold(it, major).sum())


def char_prf(
    items: Sequence[Item], pred_spans: Sequence[Sequence[tuple[int, int]]], major: bool = False
) -> tuple[float, float, float]:
    """Micro char-level precision, recall, F1 of predicted spans against gold spans."""
    tp = fp = fn = 0
    for it, spans in zip(items, pred_spans, strict=True):
        gold = _gold(it, major)
        n_gold = _gold_count(it, major)
        if not spans:
            fn += n_gold
            continue
        pred = np.zeros(len(it.mt), dtype=bool)
        for s, e in spans:
            pred[s:e] = True
        hit = int((gold & pred).sum())
        tp += hit
        fp += int(pred.sum()) - hit
        fn += n_gold - hit
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b (ties in either variable handled), O(n^2) in chunks."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n < 2:
        return float("nan")
    conc = 0.0
    tx = ty = 0.0  # pairs not tied in x / not tied in y
    for i in range(0, n, 512):
        dx = np.sign(x[i : i + 512, None] - x[None, :])
        dy = np.sign(y[i : i + 512, None] - y[None, :])
        conc += float((dx * dy).sum())
        tx += float((dx != 0).sum())
        ty += float((dy != 0).sum())
    if tx == 0 or ty == 0:
        return float("nan")
    return conc / np.sqrt(tx * ty)


def kendall_within(items: Sequence[Item], scores: Sequence[float]) -> float:
    """Mean tau-b within groups of the same (doc, seg), over groups where it is defined."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        groups[(it.doc, it.seg)].append(i)
    taus = []
    for idx in groups.values():
        t = kendall_tau_b([scores[i] for i in idx], [items[i].mqm for i in idx])
        if not np.isnan(t):
            taus.append(t)
    return float(np.mean(taus)) if taus else float("nan")


def precision_at_recall(
    labels: Sequence[bool], scores: Sequence[float], min_recall: float = 0.5
) -> tuple[float, float, float]:
    """Best precision with recall >= ``min_recall``: (precision, recall, threshold)."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    order = np.argsort(-s, kind="stable")
    ys, ss = y[order], s[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    # only cut between distinct scores
    last = np.r_[ss[1:] != ss[:-1], True]
    prec, rec = tp / k, tp / max(1, y.sum())
    ok = last & (rec >= min_recall)
    if not ok.any():
        return 0.0, 0.0, float("inf")
    j = np.flatnonzero(ok)[np.argmax(prec[ok])]
    return float(prec[j]), float(rec[j]), float(ss[j])


def segment_pr(labels: Sequence[bool], flagged: Sequence[bool]) -> tuple[float, float]:
    """Precision and recall of flagged segments against ``labels``."""
    y = np.asarray(labels, dtype=bool)
    f = np.asarray(flagged, dtype=bool)
    tp = int((y & f).sum())
    return (tp / f.sum() if f.sum() else 0.0), (tp / y.sum() if y.sum() else 0.0)
