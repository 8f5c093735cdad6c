"""Format an :class:`~mtqc.evaluation.run.EvalResult` as a readable table or as JSON."""

from __future__ import annotations

import json

from mtqc.errors import UsageError
from mtqc.evaluation.metrics import PRF, Confusion, Rate, ThresholdPoint
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
    mode = f" (mode: {r.mode})" if r.mode else ""
    out.append(f"Scored {r.n_scored} MT items of {r.n_gold_items} gold items{human}{extra}{mode}.")
    if r.joined_by == "order":
        out.append(
            "NOTE: no prediction has a gold id; predictions were matched to gold items by position."
        )
    if r.n_text_mismatch:
        out.append(
            f"WARNING: on {r.n_text_mismatch} item(s) a flag's text differs from the gold MT "
            f"at its offsets (e.g. {', '.join(r.text_mismatch_ids)}): the predictions were "
            "probably made on different text."
        )
    out.append("")
    out.extend(_span_section(r))
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
    if r.n_mqm_given == r.n_scored:
        out.append("Risk score vs MQM score (positive = riskier segments have more errors)")
    else:
        given = f"{r.n_mqm_given} of {r.n_scored} items" if r.n_mqm_given else "no item"
        out.append(
            "Risk score vs MQM score computed from the gold spans (Google weights; "
            f"{given} had an mqm_score)"
        )
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


def _rate(r: Rate, digits: int = 3) -> str:
    return f"{r.hits}/{r.total} ({_num(r.value, digits)})" if r.total else "0/0"


def _span_section(r: EvalResult) -> list[str]:
    out = [
        "Gold spans found (a minor-or-worse flag on the MT overlaps the span)",
        f"  all spans                         {_rate(r.spans_all)}",
        f"  major spans                       {_rate(r.spans_major)}",
    ]
    if r.spans_by_category and set(r.spans_by_category) != {"(none)"}:
        out.append("  by category:")
        width = max(32, *(len(c) + 2 for c in r.spans_by_category))
        for cat, rate in r.spans_by_category.items():
            major = r.spans_by_category_major[cat]
            tail = f"   major {major.hits}/{major.total}" if major.total else ""
            out.append(f"    {cat:<{width}}{rate.hits:>4}/{rate.total:<5}{tail}".rstrip())
    out.append("")
    out.append(
        f"Clean lines flagged (no gold span, a minor-or-worse MT flag): "
        f"{r.clean_flagged.hits} / {r.clean_flagged.total}"
    )
    out.append(
        f"Flag precision (minor-or-worse MT flags overlapping a gold span): "
        f"{_rate(r.flag_precision, 2)}"
    )
    for code, rate in r.flag_precision_by_code.items():
        out.append(f"    {code:<10}{rate.hits:>5}/{rate.total:<5} {_num(rate.value, 2):>5}")
    out.append("")
    n = r.n_scored
    out.append(
        "Line ROC-AUC of the risk score (ties count half): "
        f"any error {_num(r.auc_any)} ({r.n_gold_any} of {n} lines), "
        f"has_major {_num(r.auc_major)} ({r.n_gold_major} of {n})"
    )
    return out


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
