"""Format an :class:`~mtqc.evaluation.run.EvalResult` as a readable table or as JSON."""

from __future__ import annotations

import json

from mtqc.errors import UsageError
from mtqc.evaluation.metrics import PRF, Confusion, ThresholdPoint
from mtqc.evaluation.run import EvalResult

FORMATS = ("text", "json")

_CHAR_LABELS = {
    "any": "major+minor",
    "major": "major only",
    "severity": "severity-aware",
}


def format_result(result: EvalResult, fmt: str = "text", *, per_doc: bool = False) -> str:
    """``fmt="text"``: tables for people; ``fmt="json"``: every figure, for scripts.

    ``per_doc`` adds the per-document character F1 table to the text output (the JSON
    always has it).
    """
    if fmt == "json":
        return json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return _text(result, per_doc)
    raise UsageError(f"unknown eval output format {fmt!r}: use one of {', '.join(FORMATS)}")


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _count(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _text(r: EvalResult, per_doc: bool) -> str:
    out: list[str] = []
    human = f"; {r.n_human_excluded} human translation(s) excluded" if r.n_human_excluded else ""
    extra = (
        f"; {r.n_extra_predictions} prediction(s) without a gold item ignored"
        if r.n_extra_predictions
        else ""
    )
    out.append(f"Scored {r.n_scored} MT items of {r.n_gold_items} gold items{human}{extra}.")
    if r.n_text_mismatch:
        out.append(
            f"WARNING: on {r.n_text_mismatch} item(s) a flag's text differs from the gold MT "
            f"at its offsets (e.g. {', '.join(r.text_mismatch_ids)}): the predictions were "
            "probably made on different text."
        )
    out.append("")
    out.append("Character-level spans (micro-average over all code points)")
    out.append(_row("", "precision", "recall", "F1", "matched", "flagged", "gold"))
    for key, label in _CHAR_LABELS.items():
        c = r.char[key]
        out.append(_prf_row(label, c))
    out.append("")
    out.append(f"Segments with a major error (gold has_major: {r.n_gold_major} of {r.n_scored})")
    out.append(_row("", "precision", "recall", "F1", "TP", "FP", "FN"))
    out.append(_conf_row("major/critical flag", r.segment_flags))
    if r.segment_threshold is not None:
        out.append(_point_row("score >= {t}", r.segment_threshold))
    if r.best_f1 is not None:
        out.append(_point_row("best F1: score >= {t}", r.best_f1))
    if r.precision_at_recall is not None:
        out.append(_point_row(f"P at R>={r.min_recall:g}: score >= {{t}}", r.precision_at_recall))
    out.append("")
    out.append("Risk score vs MQM score (positive = riskier segments have more errors)")
    out.append(_row("", "Kendall tau-b", "Pearson", width=14))
    out.append(_row("all MT items", _num(r.kendall_tau_b), _num(r.pearson), width=14))
    g = r.grouped
    if r.group_by == "none":
        label = "within groups (no source grouping)"
    else:
        label = f"within {g.n_groups} {'source' if r.group_by == 'src' else 'segment'} groups"
    out.append(_row(label, _num(g.kendall_tau_b), _num(g.pearson), width=14))
    if g.n_skipped:
        out.append(f"  ({g.n_skipped} group(s) skipped: fewer than 2 items or a constant value)")
    out.append(
        _row(
            "baseline: MT length",
            _num(r.length_kendall_tau_b),
            _num(r.length_pearson),
            width=14,
        )
    )
    if per_doc and r.per_doc:
        out.append("")
        out.append("Per document, character-level major+minor")
        out.append(_row("document", "precision", "recall", "F1", "matched", "flagged", "gold"))
        for doc, c in r.per_doc.items():
            out.append(_prf_row(doc or "(no document)", c))
    return "\n".join(out) + "\n"


def _row(label: str, *cells: str, width: int = 10) -> str:
    return f"  {label:<34}" + "".join(f"{c:>{width}}" for c in cells)


def _prf_row(label: str, c: PRF) -> str:
    return _row(
        label,
        _num(c.precision),
        _num(c.recall),
        _num(c.f1),
        _count(c.tp),
        str(c.n_pred),
        str(c.n_gold),
    )


def _conf_row(label: str, c: Confusion) -> str:
    return _row(
        label, _num(c.precision), _num(c.recall), _num(c.f1), str(c.tp), str(c.fp), str(c.fn)
    )


def _point_row(template: str, p: ThresholdPoint) -> str:
    return _conf_row(template.format(t=f"{p.threshold:.4g}"), p.confusion)
