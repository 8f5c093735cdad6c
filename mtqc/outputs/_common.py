"""Helpers shared by the output formats: ordering, summaries, paths, text cleaning."""

from __future__ import annotations

import contextlib
import math
import os
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from mtqc.model import Flag, Report, SegmentResult, Severity

#: Severities from most to least severe (the order people read them in).
SEVERITIES_DESC: tuple[Severity, ...] = tuple(sorted(Severity, reverse=True))

#: Human labels for the text sides a flag can point into.
SIDE_LABELS: dict[str, str] = {
    "mt": "MT",
    "src": "source",
    "ref": "reference",
    "bt": "back-translation",
}


def side_text(result: SegmentResult, side: str) -> str:
    """The text a flag on ``side`` points into (empty when the segment lacks it)."""
    seg = result.segment
    if side == "mt":
        return seg.mt
    return getattr(seg, side, None) or ""


def sorted_flags(flags: Iterable[Flag]) -> list[Flag]:
    """Flags in reading order: by position, then most severe first, then by code."""
    return sorted(flags, key=lambda f: (f.start, f.end, -int(f.severity), f.code))


def severity_counts(flags: Iterable[Flag]) -> dict[str, int]:
    """``{"critical": n, "major": n, "minor": n, "info": n}`` (all four keys, most severe first)."""
    counts = {str(s): 0 for s in SEVERITIES_DESC}
    for f in flags:
        counts[str(f.severity)] += 1
    return counts


def code_counts(report: Report) -> dict[str, int]:
    """Flag count by rule code, sorted by code."""
    counts: dict[str, int] = {}
    for f in report.flags:
        counts[f.code] = counts.get(f.code, 0) + 1
    return dict(sorted(counts.items()))


def code_names(report: Report) -> dict[str, str]:
    """Rule name by code, as stamped on the flags."""
    return {f.code: f.name for f in report.flags}


def fail_on(report: Report) -> Severity | None:
    """The ``--fail-on`` threshold recorded in ``report.inputs`` (default ``major``).

    ``"none"`` / ``"never"`` / ``"off"`` mean nothing fails.
    """
    value = str(report.inputs.get("fail_on", "major") or "major").strip().lower()
    if value in {"none", "never", "off"}:
        return None
    return Severity.parse(value)


def location(result: SegmentResult) -> str:
    """``file:line`` for a segment (falls back to the document or segment id)."""
    seg = result.segment
    where = seg.source_file or seg.doc_id or seg.id
    return f"{where}:{seg.line}" if seg.line else where


def relative_path(path: str, base: str | None = None) -> str:
    """``path`` relative to ``base`` (default: the working directory) when it lies
    under it, as a POSIX path; otherwise unchanged (POSIX separators)."""
    if not path:
        return path
    p = Path(path)
    if p.is_absolute():
        with contextlib.suppress(ValueError):  # not under base: keep it absolute
            p = p.relative_to(Path(base or os.getcwd()).resolve())
    return PurePath(p).as_posix()


def finite(value: Any) -> Any:
    """JSON-safe numbers: NaN and infinities become ``None``; numpy scalars become
    Python numbers; containers are cleaned recursively; other objects become strings."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [finite(v) for v in value]
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item):
        try:
            return finite(item())
        except (TypeError, ValueError):
            pass
    if isinstance(value, Severity):
        return str(value)
    return str(value)


def format_score(value: float | None) -> str:
    """A risk score for people: two decimals, ``-`` when unknown."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.2f}"


_TERMINAL_MAP = {"\t": " ", "\n": "⏎", "\r": "⏎"}


def terminal_safe(text: str) -> str:
    """Replace control characters one-for-one so text cannot drive the terminal (no
    escape sequences from untrusted input) and code-point columns still line up."""
    out = []
    for ch in text:
        if ch in _TERMINAL_MAP:
            out.append(_TERMINAL_MAP[ch])
        elif unicodedata.category(ch) == "Cc":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def suggestion_label(suggestion: str) -> str:
    """A suggestion for people: an empty replacement means "delete the span"."""
    return suggestion if suggestion.strip() else "(delete)"
