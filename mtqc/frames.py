"""pandas views of a report: one row per flag, or one row per segment.

pandas is imported inside the functions so that ``import mtqc`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtqc.model import Report, Severity

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Columns of :func:`flags_frame`, in order.
FLAG_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "doc",
    "line",
    "source_file",
    "code",
    "name",
    "severity",
    "category",
    "side",
    "start",
    "end",
    "text",
    "message",
    "suggestions",
    "flag_score",
    "fingerprint",
    "score",
)

#: Fixed columns of :func:`segments_frame`, in order (metric columns follow).
SEGMENT_COLUMNS: tuple[str, ...] = (
    "id",
    "doc",
    "line",
    "source_file",
    "mt",
    "score",
    "n_flags",
    "max_severity",
    *(f"n_{s}" for s in sorted(Severity, reverse=True)),
    "suppressed",
)


def flags_frame(report: Report) -> pd.DataFrame:
    """One row per flag, in report order.

    ``severity`` is the lowercase name, ``suggestions`` a list of strings, ``score`` the
    segment's risk score and ``flag_score`` the flag's own score (``None`` when absent).
    """
    import pandas as pd

    rows = []
    for r in report.results:
        seg = r.segment
        for f in r.flags:
            rows.append(
                {
                    "segment_id": seg.id,
                    "doc": seg.doc_id,
                    "line": seg.line,
                    "source_file": seg.source_file,
                    "code": f.code,
                    "name": f.name,
                    "severity": str(f.severity),
                    "category": f.category,
                    "side": f.side,
                    "start": f.start,
                    "end": f.end,
                    "text": f.text,
                    "message": f.message,
                    "suggestions": list(f.suggestions),
                    "flag_score": f.score,
                    "fingerprint": f.fingerprint,
                    "score": r.score,
                }
            )
    return pd.DataFrame(rows, columns=list(FLAG_COLUMNS))


def segments_frame(report: Report) -> pd.DataFrame:
    """One row per segment, in input order: id, doc, line, mt, score, flag counts
    (``n_flags``, ``max_severity``, ``n_critical`` … ``n_info``), then one column per
    metric (named after the metric; ``metric:NAME`` if that clashes with a fixed column).
    """
    import pandas as pd

    metric_names: list[str] = []
    for r in report.results:
        for name in r.metrics:
            if name not in metric_names:
                metric_names.append(name)
    metric_cols = {m: (f"metric:{m}" if m in SEGMENT_COLUMNS else m) for m in metric_names}
    rows = []
    for r in report.results:
        seg = r.segment
        row = {
            "id": seg.id,
            "doc": seg.doc_id,
            "line": seg.line,
            "source_file": seg.source_file,
            "mt": seg.mt,
            "score": r.score,
            "n_flags": len(r.flags),
            "max_severity": str(r.max_severity) if r.max_severity is not None else None,
            "suppressed": r.suppressed,
        }
        for sev in Severity:
            row[f"n_{sev}"] = sum(1 for f in r.flags if f.severity == sev)
        for name, col in metric_cols.items():
            row[col] = r.metrics.get(name)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*SEGMENT_COLUMNS, *metric_cols.values()])
