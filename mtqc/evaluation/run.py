"""Join predictions to gold items and compute every figure of ``mtqc eval``."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mtqc.errors import InputError, UsageError
from mtqc.evaluation import metrics as m
from mtqc.evaluation.gold import GoldItem
from mtqc.evaluation.predictions import Prediction, predictions_by_id, predictions_from_report
from mtqc.model import Report

#: How many missing / mismatching ids an error or a report lists.
SHOW_IDS = 5


@dataclass(slots=True)
class EvalResult:
    """All the figures of one evaluation, with the counts behind them.

    ``char`` maps the variants ``any`` (major+minor), ``major`` and ``severity`` to
    character-level counts (see :mod:`mtqc.evaluation.metrics`). ``segment_flags`` is the
    detection of ``has_major`` segments by "has a major or critical flag";
    ``segment_threshold`` by "score >= threshold" when a threshold was given;
    ``best_f1`` and ``precision_at_recall`` come from a sweep over every distinct score.
    ``kendall_tau_b`` / ``pearson`` correlate the risk score with the MQM score over all
    scored items, ``grouped`` within groups of items translating the same source segment;
    ``length_*`` are the same correlations for the MT length in code points, a baseline
    any useful risk score should beat.

    Span-level figures (the definitions of ``shared/tools/nlnews_dev_score.py``): a flag
    *counts* when it is on the MT and minor or worse (info flags and flags on the
    reference, source or back-translation do not); a gold span is *found* when a counting
    flag overlaps it by at least one code point (:func:`~mtqc.evaluation.metrics.overlaps`).
    ``spans_all`` / ``spans_major`` are found spans of all / of the major gold spans,
    ``spans_by_category`` (``spans_by_category_major``) the same per gold span category.
    ``clean_flagged``: of the segments without a gold span, those with a counting flag.
    ``flag_precision``: counting flags that overlap a gold span, of all counting flags
    (``flag_precision_by_code`` per rule code). ``auc_any`` / ``auc_major`` are the
    ROC-AUC of the segment risk score against "has a gold span" / ``has_major`` (ties
    count half). ``n_mqm_given`` items had an ``mqm_score`` in the gold file; the others'
    MQM score is computed from their spans. ``mode`` is the checker's mode when known;
    ``joined_by`` is ``"id"`` or ``"order"`` (predictions without the gold ids, matched by
    position).
    """

    n_gold_items: int
    n_scored: int
    n_human_excluded: int
    n_extra_predictions: int
    n_gold_major: int
    char: dict[str, m.PRF]
    segment_flags: m.Confusion
    segment_threshold: m.ThresholdPoint | None
    best_f1: m.ThresholdPoint | None
    precision_at_recall: m.ThresholdPoint | None
    min_recall: float
    kendall_tau_b: float | None
    pearson: float | None
    grouped: m.GroupedCorrelation
    group_by: str
    length_kendall_tau_b: float | None
    length_pearson: float | None
    per_doc: dict[str, m.PRF] = field(default_factory=dict)
    n_text_mismatch: int = 0
    text_mismatch_ids: list[str] = field(default_factory=list)
    mode: str | None = None
    joined_by: str = "id"
    spans_all: m.Rate = field(default_factory=m.Rate)
    spans_major: m.Rate = field(default_factory=m.Rate)
    spans_by_category: dict[str, m.Rate] = field(default_factory=dict)
    spans_by_category_major: dict[str, m.Rate] = field(default_factory=dict)
    clean_flagged: m.Rate = field(default_factory=m.Rate)
    flag_precision: m.Rate = field(default_factory=m.Rate)
    flag_precision_by_code: dict[str, m.Rate] = field(default_factory=dict)
    auc_any: float | None = None
    auc_major: float | None = None
    n_gold_any: int = 0
    n_mqm_given: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (floats, ints, None, lists, dicts)."""

        def point(p: m.ThresholdPoint | None) -> dict[str, Any] | None:
            return p.as_dict() if p is not None else None

        return {
            "mode": self.mode,
            "joined_by": self.joined_by,
            "counts": {
                "gold_items": self.n_gold_items,
                "scored_mt_items": self.n_scored,
                "human_items_excluded": self.n_human_excluded,
                "extra_predictions_ignored": self.n_extra_predictions,
                "gold_has_major": self.n_gold_major,
                "flag_text_mismatches": self.n_text_mismatch,
                "gold_has_error": self.n_gold_any,
                "mqm_score_given": self.n_mqm_given,
            },
            "spans": {
                "all": self.spans_all.as_dict(),
                "major": self.spans_major.as_dict(),
                "by_category": {
                    cat: {
                        **rate.as_dict(),
                        "major": self.spans_by_category_major[cat].as_dict(),
                    }
                    for cat, rate in self.spans_by_category.items()
                },
            },
            "clean_segments_flagged": self.clean_flagged.as_dict(),
            "flag_precision": {
                **self.flag_precision.as_dict(),
                "by_code": {c: r.as_dict() for c, r in self.flag_precision_by_code.items()},
            },
            "roc_auc": {"any_error": self.auc_any, "has_major": self.auc_major},
            "char": {k: v.as_dict() for k, v in self.char.items()},
            "segment": {
                "major_flag": self.segment_flags.as_dict(),
                "threshold": point(self.segment_threshold),
                "best_f1": point(self.best_f1),
                "precision_at_recall": point(self.precision_at_recall),
                "min_recall": self.min_recall,
            },
            "correlation": {
                "kendall_tau_b": self.kendall_tau_b,
                "pearson": self.pearson,
                "grouped": {**self.grouped.as_dict(), "group_by": self.group_by},
                "mt_length_baseline": {
                    "kendall_tau_b": self.length_kendall_tau_b,
                    "pearson": self.length_pearson,
                },
            },
            "per_doc": {doc: prf.as_dict() for doc, prf in self.per_doc.items()},
            "text_mismatch_ids": list(self.text_mismatch_ids),
        }


def evaluate(
    gold_items: Sequence[GoldItem],
    predictions: Iterable[Prediction] | Report,
    *,
    threshold: float | None = None,
    min_recall: float = 0.5,
    group_by: str = "auto",
    pred_source: str = "predictions",
    mode: str | None = None,
) -> EvalResult:
    """Score predictions against gold items (human translations are excluded).

    Every gold MT item must have a prediction with the same id, else
    :class:`~mtqc.errors.InputError` lists the first missing ids (``pred_source`` names
    the predictions in that message). Predictions without a gold MT item are ignored and
    counted. ``group_by`` is ``"docseg"`` (same document and segment), ``"src"`` (same
    source text) or ``"auto"`` (``docseg`` when every item has a segment number, else
    ``src`` when every item has a source, else no groups).

    Predictions that share no id with the gold (an ``mtqc check`` run on a plain-text file
    of the MT lines, ids ``file:line``) are matched by position when there are exactly as
    many as gold MT items; the result says so (``joined_by``) and the flag-text check
    still catches a wrong order. ``mode`` names the checker's mode (taken from a Report).
    """
    if isinstance(predictions, Report):
        mode = mode or predictions.mode.value
        predictions = predictions_from_report(predictions)
    predictions = list(predictions)
    index = predictions_by_id(predictions)
    items = [g for g in gold_items if not g.is_human]
    gold_ids = {g.id for g in items}
    joined_by = "id"
    if items and not gold_ids & index.keys() and len(predictions) == len(items):
        joined_by = "order"
        index = {g.id: p for g, p in zip(items, predictions, strict=True)}
    missing = [g.id for g in items if g.id not in index]
    if missing:
        shown = ", ".join(missing[:SHOW_IDS]) + (", ..." if len(missing) > SHOW_IDS else "")
        raise InputError(
            pred_source,
            f"{len(missing)} of {len(items)} gold MT items have no prediction (ids: {shown})",
            hint="run mtqc on the gold segments themselves (mtqc eval GOLD without --pred), "
            "or give each input segment the gold id",
        )
    preds = [index[g.id] for g in items]

    per_item: list[dict[str, m.PRF]] = []
    per_doc: dict[str, m.PRF] = {}
    mismatched: list[str] = []
    for g, p in zip(items, preds, strict=True):
        counts = m.char_counts(list(g.spans), p.mt_spans(), len(g.mt))
        per_item.append(counts)
        per_doc[g.doc] = per_doc.get(g.doc, m.PRF(0, 0, 0)) + counts["any"]
        if any(
            f.side == "mt" and f.text is not None and g.mt[f.start : f.end] != f.text
            for f in p.flags
        ):
            mismatched.append(g.id)
    spans = _span_figures(items, preds)

    gold_pos = [g.has_major for g in items]
    flag_pos = [any(sev == "major" for _, _, sev in p.mt_spans()) for p in preds]
    scores = [p.score for p in preds]
    mqm = [g.mqm_score for g in items]
    lengths = [float(len(g.mt)) for g in items]
    sweep = m.threshold_sweep(scores, gold_pos)
    at_threshold = None
    if threshold is not None:
        at_threshold = m.ThresholdPoint(
            threshold, m.confusion([s >= threshold for s in scores], gold_pos)
        )
    keys, how = _group_keys(items, group_by)
    grouped = (
        m.grouped_correlation(keys, scores, mqm)
        if keys is not None
        else m.GroupedCorrelation(None, None, 0, 0)
    )
    return EvalResult(
        n_gold_items=len(gold_items),
        n_scored=len(items),
        n_human_excluded=len(gold_items) - len(items),
        n_extra_predictions=(
            sum(1 for pid in index if pid not in gold_ids) if joined_by == "id" else 0
        ),
        n_gold_major=sum(gold_pos),
        char=m.sum_counts(per_item),
        segment_flags=m.confusion(flag_pos, gold_pos),
        segment_threshold=at_threshold,
        best_f1=m.best_f1(sweep),
        precision_at_recall=m.precision_at_recall(sweep, min_recall),
        min_recall=min_recall,
        kendall_tau_b=m.kendall_tau_b(scores, mqm),
        pearson=m.pearson(scores, mqm),
        grouped=grouped,
        group_by=how,
        length_kendall_tau_b=m.kendall_tau_b(lengths, mqm),
        length_pearson=m.pearson(lengths, mqm),
        per_doc=dict(sorted(per_doc.items())),
        n_text_mismatch=len(mismatched),
        text_mismatch_ids=mismatched[:SHOW_IDS],
        mode=mode,
        joined_by=joined_by,
        auc_any=m.roc_auc(scores, [bool(g.spans) for g in items]),
        auc_major=m.roc_auc(scores, gold_pos),
        n_gold_any=sum(1 for g in items if g.spans),
        n_mqm_given=sum(1 for g in items if g.mqm_given),
        **spans,
    )


def _span_figures(items: Sequence[GoldItem], preds: Sequence[Prediction]) -> dict[str, Any]:
    """Span recall, clean segments flagged and flag precision (see :class:`EvalResult`)."""
    found, found_major, clean = m.Rate(), m.Rate(), m.Rate()
    precision = m.Rate()
    by_cat: dict[str, m.Rate] = {}
    by_cat_major: dict[str, m.Rate] = {}
    by_code: dict[str, m.Rate] = {}
    for g, p in zip(items, preds, strict=True):
        flags = p.mt_flags()
        cats = g.categories if len(g.categories) == len(g.spans) else [""] * len(g.spans)
        for span, cat in zip(g.spans, cats, strict=True):
            hit = any(m.overlaps(f.start, f.end, span.start, span.end) for f in flags)
            cat = cat or "(none)"
            found.add(hit)
            by_cat.setdefault(cat, m.Rate()).add(hit)
            major = by_cat_major.setdefault(cat, m.Rate())
            if span.severity == "major":
                found_major.add(hit)
                major.add(hit)
        if not g.spans:
            clean.add(bool(flags))
        for f in flags:
            good = any(m.overlaps(f.start, f.end, s.start, s.end) for s in g.spans)
            precision.add(good)
            by_code.setdefault(f.code or "(no code)", m.Rate()).add(good)
    order = sorted(by_cat, key=lambda c: (-by_cat[c].total, c))
    return {
        "spans_all": found,
        "spans_major": found_major,
        "spans_by_category": {c: by_cat[c] for c in order},
        "spans_by_category_major": {c: by_cat_major[c] for c in order},
        "clean_flagged": clean,
        "flag_precision": precision,
        "flag_precision_by_code": dict(sorted(by_code.items())),
    }


def _group_keys(items: Sequence[GoldItem], group_by: str) -> tuple[list[Hashable] | None, str]:
    if group_by == "auto":
        if items and all(g.seg is not None for g in items):
            group_by = "docseg"
        elif items and all(g.src for g in items):
            group_by = "src"
        else:
            return None, "none"
    if group_by == "docseg":
        return [(g.doc, g.seg) for g in items], group_by
    if group_by == "src":
        return [g.src if g.src else ("id", g.id) for g in items], group_by
    raise UsageError(f"unknown grouping {group_by!r}: use auto, docseg or src")
