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

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (floats, ints, None, lists, dicts)."""

        def point(p: m.ThresholdPoint | None) -> dict[str, Any] | None:
            return p.as_dict() if p is not None else None

        return {
            "counts": {
                "gold_items": self.n_gold_items,
                "scored_mt_items": self.n_scored,
                "human_items_excluded": self.n_human_excluded,
                "extra_predictions_ignored": self.n_extra_predictions,
                "gold_has_major": self.n_gold_major,
                "flag_text_mismatches": self.n_text_mismatch,
            },
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
) -> EvalResult:
    """Score predictions against gold items (human translations are excluded).

    Every gold MT item must have a prediction with the same id, else
    :class:`~mtqc.errors.InputError` lists the first missing ids (``pred_source`` names
    the predictions in that message). Predictions without a gold MT item are ignored and
    counted. ``group_by`` is ``"docseg"`` (same document and segment), ``"src"`` (same
    source text) or ``"auto"`` (``docseg`` when every item has a segment number, else
    ``src`` when every item has a source, else no groups).
    """
    if isinstance(predictions, Report):
        predictions = predictions_from_report(predictions)
    index = predictions_by_id(predictions)
    items = [g for g in gold_items if not g.is_human]
    gold_ids = {g.id for g in items}
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
        n_extra_predictions=sum(1 for pid in index if pid not in gold_ids),
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
    )


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
