"""Pure computations for ``mtqc eval``: span overlap, detection rates and correlations.

No numpy or scipy: the inputs are a few thousand segments and every figure here must be
checkable by hand.

**Character-level spans.** A span ``[start, end)`` covers the code points
``start .. end-1``; an empty span (``start == end``, an omission marker) covers the one
position ``start`` (which may be ``len(mt)``, "after the last character"), as in the WMT
QE task-2 scorer. Spans are merged per item into sets of positions, so overlapping spans
count once. Every code point counts, whitespace and punctuation included (the floors in
``benchmarks/README.md`` are computed that way: flagging every character of the zh-en MT
gives major+minor F1 0.194). Counts are summed over all items before dividing
(micro-average). Three variants:

* ``any`` (major+minor): gold = union of all gold spans, predicted = union of all
  predicted spans; ``tp`` = positions in both.
* ``major``: gold = union of the major gold spans, predicted = union of the major and
  critical predicted spans.
* ``severity``: predicted and gold positions as in ``any``; a predicted position inside a
  gold span earns 1 when a predicted severity there equals a gold severity there
  (critical counts as major) and 0.5 otherwise; ``tp`` is the sum earned.

Precision = tp / predicted positions (``None`` when nothing was predicted), recall =
tp / gold positions (``None`` when there is no gold span), F1 = 2·tp / (predicted + gold),
which equals the harmonic mean of precision and recall (``None`` when both are empty).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

Span = tuple[int, int, str]  # (start, end, "minor" | "major")


@dataclass(slots=True)
class PRF:
    """Precision / recall / F1 with the counts they come from (tp may be fractional)."""

    tp: float
    n_pred: int
    n_gold: int

    @property
    def precision(self) -> float | None:
        return self.tp / self.n_pred if self.n_pred else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.n_gold if self.n_gold else None

    @property
    def f1(self) -> float | None:
        total = self.n_pred + self.n_gold
        return 2 * self.tp / total if total else None

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.n_pred + other.n_pred, self.n_gold + other.n_gold)

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "n_pred": self.n_pred,
            "n_gold": self.n_gold,
        }


CHAR_VARIANTS = ("any", "major", "severity")


def positions(spans: Iterable[Span], length: int) -> dict[int, set[str]]:
    """Map each covered position (0..length) to the severities covering it."""
    cover: dict[int, set[str]] = {}
    for start, end, sev in spans:
        lo, hi = max(start, 0), min(end, length)
        rng = range(lo, hi) if end > start else range(start, start + 1)
        for i in rng:
            if 0 <= i <= length:
                cover.setdefault(i, set()).add(sev)
    return cover


def char_counts(gold: Iterable[Span], pred: Iterable[Span], length: int) -> dict[str, PRF]:
    """The three character-level counts (``any``, ``major``, ``severity``) of one item.

    ``length`` is the MT length in code points; predicted positions beyond it are dropped.
    Severities are ``"minor"`` or ``"major"`` (map critical to major before calling).
    """
    g = positions(gold, length)
    p = positions(pred, length)
    both = g.keys() & p.keys()
    g_major = {i for i, s in g.items() if "major" in s}
    p_major = {i for i, s in p.items() if "major" in s}
    earned = sum(1.0 if g[i] & p[i] else 0.5 for i in both)
    return {
        "any": PRF(len(both), len(p), len(g)),
        "major": PRF(len(g_major & p_major), len(p_major), len(g_major)),
        "severity": PRF(earned, len(p), len(g)),
    }


def sum_counts(per_item: Iterable[dict[str, PRF]]) -> dict[str, PRF]:
    """Micro-average: add the per-item counts of each variant."""
    total = {v: PRF(0, 0, 0) for v in CHAR_VARIANTS}
    for counts in per_item:
        for v in CHAR_VARIANTS:
            total[v] = total[v] + counts[v]
    return total


# ----------------------------------------------------------------- segment detection


@dataclass(slots=True)
class Confusion:
    """Binary segment detection: predicted positive vs gold positive."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


def confusion(predicted: Sequence[bool], gold: Sequence[bool]) -> Confusion:
    """Count true/false positives/negatives of two parallel boolean sequences."""
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must have the same length")
    c = Confusion()
    for p, g in zip(predicted, gold, strict=True):
        if p and g:
            c.tp += 1
        elif p:
            c.fp += 1
        elif g:
            c.fn += 1
        else:
            c.tn += 1
    return c


@dataclass(slots=True)
class ThresholdPoint:
    """Detection at "positive when score >= threshold"."""

    threshold: float
    confusion: Confusion

    def as_dict(self) -> dict[str, float | int | None]:
        return {"threshold": self.threshold, **self.confusion.as_dict()}


def threshold_sweep(scores: Sequence[float], gold: Sequence[bool]) -> list[ThresholdPoint]:
    """Detection at every distinct score used as threshold, highest threshold first."""
    if len(scores) != len(gold):
        raise ValueError("scores and gold must have the same length")
    n_pos = sum(1 for g in gold if g)
    n_neg = len(gold) - n_pos
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    points: list[ThresholdPoint] = []
    tp = fp = 0
    k = 0
    while k < len(order):
        t = scores[order[k]]
        while k < len(order) and scores[order[k]] == t:
            if gold[order[k]]:
                tp += 1
            else:
                fp += 1
            k += 1
        points.append(ThresholdPoint(t, Confusion(tp, fp, n_pos - tp, n_neg - fp)))
    return points


def best_f1(points: Iterable[ThresholdPoint]) -> ThresholdPoint | None:
    """The threshold with the highest F1 (the highest such threshold on ties)."""
    best: ThresholdPoint | None = None
    for p in points:
        f = p.confusion.f1
        if f is not None and (best is None or f > (best.confusion.f1 or 0.0)):
            best = p
    return best


def precision_at_recall(
    points: Iterable[ThresholdPoint], min_recall: float = 0.5
) -> ThresholdPoint | None:
    """The threshold with the highest precision among those reaching ``min_recall``.

    On equal precision the higher recall wins.
    """
    best: ThresholdPoint | None = None
    best_key = (-1.0, -1.0)
    for p in points:
        r, prec = p.confusion.recall, p.confusion.precision
        if r is None or prec is None or r < min_recall:
            continue
        if (prec, r) > best_key:
            best, best_key = p, (prec, r)
    return best


# --------------------------------------------------------------------- correlations


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r; ``None`` with fewer than 2 points or a constant variable."""
    n = len(x)
    if n != len(y):
        raise ValueError("x and y must have the same length")
    if n < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    mx = math.fsum(x) / n
    my = math.fsum(y) / n
    sxx = math.fsum((a - mx) ** 2 for a in x)
    syy = math.fsum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _tied_pairs(sorted_values: Sequence[float]) -> int:
    """Pairs of equal values in a sorted sequence: sum of t(t-1)/2 over runs of length t."""
    total = 0
    run = 1
    for i in range(1, len(sorted_values) + 1):
        if i < len(sorted_values) and sorted_values[i] == sorted_values[i - 1]:
            run += 1
        else:
            total += run * (run - 1) // 2
            run = 1
    return total


def _sort_count_inversions(values: list[float]) -> tuple[list[float], int]:
    """Merge sort; also count pairs i < j with values[i] > values[j] (strictly)."""
    if len(values) <= 1:
        return values, 0
    mid = len(values) // 2
    left, a = _sort_count_inversions(values[:mid])
    right, b = _sort_count_inversions(values[mid:])
    merged: list[float] = []
    inv = a + b
    i = j = 0
    while i < len(left) and j < len(right):
        if right[j] < left[i]:
            merged.append(right[j])
            inv += len(left) - i
            j += 1
        else:
            merged.append(left[i])
            i += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    return merged, inv


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b with ties (Knight's O(n log n) algorithm).

    tau_b = (C - D) / sqrt((n0 - n1) (n0 - n2)), with n0 = n(n-1)/2 pairs, n1 pairs tied in
    x, n2 pairs tied in y, C concordant and D discordant pairs (pairs tied in x or y are
    neither). ``None`` with fewer than 2 points or when x or y is constant.
    """
    n = len(x)
    if n != len(y):
        raise ValueError("x and y must have the same length")
    if n < 2:
        return None
    pairs = sorted(zip(x, y, strict=True))
    n0 = n * (n - 1) // 2
    n1 = _tied_pairs([p[0] for p in pairs])
    n3 = _tied_pairs(pairs)  # joint ties: sorted pairs, equal when both coordinates are
    # With x ascending and y ascending inside x ties, a strict inversion of y is exactly a
    # discordant pair (pairs tied in x are in y order, pairs tied in y are not inversions).
    ys_sorted, discordant = _sort_count_inversions([p[1] for p in pairs])
    n2 = _tied_pairs(ys_sorted)
    denom = (n0 - n1) * (n0 - n2)
    if denom <= 0:
        return None
    concordant_minus_discordant = n0 - n1 - n2 + n3 - 2 * discordant
    return max(-1.0, min(1.0, concordant_minus_discordant / math.sqrt(denom)))


@dataclass(slots=True)
class GroupedCorrelation:
    """Correlations computed inside each group, then averaged over the groups."""

    kendall_tau_b: float | None
    pearson: float | None
    n_groups: int  # groups that entered the averages
    n_skipped: int  # groups with fewer than 2 items or a constant score or gold value

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "kendall_tau_b": self.kendall_tau_b,
            "pearson": self.pearson,
            "n_groups": self.n_groups,
            "n_skipped": self.n_skipped,
        }


def grouped_correlation(
    keys: Sequence[Hashable], x: Sequence[float], y: Sequence[float]
) -> GroupedCorrelation:
    """Mean within-group Kendall tau-b and Pearson of x vs y, items grouped by ``keys``.

    A group enters the averages when it has at least 2 items and neither x nor y is
    constant in it (then both coefficients are defined); other groups are counted as
    skipped.
    """
    if not (len(keys) == len(x) == len(y)):
        raise ValueError("keys, x and y must have the same length")
    groups: dict[Hashable, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    taus: list[float] = []
    rs: list[float] = []
    skipped = 0
    for idx in groups.values():
        gx = [x[i] for i in idx]
        gy = [y[i] for i in idx]
        tau = kendall_tau_b(gx, gy)
        r = pearson(gx, gy)
        if tau is None or r is None:
            skipped += 1
            continue
        taus.append(tau)
        rs.append(r)
    return GroupedCorrelation(
        kendall_tau_b=math.fsum(taus) / len(taus) if taus else None,
        pearson=math.fsum(rs) / len(rs) if rs else None,
        n_groups=len(taus),
        n_skipped=skipped,
    )


# ------------------------------------------------------------------- span level


@dataclass(slots=True)
class Rate:
    """``hits`` of ``total``; ``value`` is ``None`` when ``total`` is 0."""

    hits: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def add(self, hit: bool) -> None:
        self.hits += bool(hit)
        self.total += 1

    def as_dict(self) -> dict[str, float | int | None]:
        return {"hits": self.hits, "total": self.total, "rate": self.value}


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Half-open spans share at least one code point (``a.start < b.end`` and
    ``a.end > b.start``). An empty span overlaps nothing."""
    return a_start < b_end and a_end > b_start


# ------------------------------------------------------------------------- ROC-AUC


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve of ``scores`` against binary ``labels``, ties counted half.

    The Mann-Whitney U formulation: AUC = P(score of a random positive > score of a random
    negative) + ½ P(equal) = (R₊ − n₊(n₊+1)/2) / (n₊ n₋), with R₊ the sum of the positives'
    ranks when all scores are ranked together and tied scores share their mean rank.
    ``None`` when there is no positive or no negative.
    """
    if len(scores) != len(labels):
        raise ValueError("scores and labels must have the same length")
    n_pos = sum(1 for y in labels if y)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum_pos = 0.0
    k = 0
    while k < len(order):
        j = k
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[k]]:
            j += 1
        mean_rank = (k + j) / 2 + 1  # ranks k+1 .. j+1 share their mean
        rank_sum_pos += mean_rank * sum(1 for i in order[k : j + 1] if labels[i])
        k = j + 1
    u = rank_sum_pos - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)
