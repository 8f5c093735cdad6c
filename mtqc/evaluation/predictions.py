"""Predictions to score: mtqc's per-segment JSONL output, or a Report in memory.

A prediction line is one JSON object per segment::

    {"id": "...", "line": 3, "score": 0.42,
     "flags": [{"start": 4, "end": 9, "severity": "major", "code": "T001", "side": "mt",
                "text": "...", ...}]}

Only flags on the MT count (``side`` ``"mt"`` or absent); ``info`` flags are ignored and
``critical`` counts as major — that is done by :meth:`Prediction.mt_spans`. Objects that
carry a ``"type"`` other than ``"segment"`` (a run header or summary record) are skipped.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mtqc.errors import InputError
from mtqc.evaluation.gold import iter_json_objects
from mtqc.model import Report, Severity


class PredFlag(NamedTuple):
    """A predicted span: half-open code-point offsets, severity, side, text and rule code."""

    start: int
    end: int
    severity: Severity
    side: str = "mt"
    text: str | None = None
    code: str = ""


@dataclass(slots=True)
class Prediction:
    """The checker's output for one segment."""

    id: str
    score: float
    flags: list[PredFlag] = field(default_factory=list)
    line: int = 0

    def mt_flags(self) -> list[PredFlag]:
        """The flags that count, as they are: on the MT (``side`` ``"mt"``), minor or worse."""
        return [f for f in self.flags if f.side == "mt" and f.severity >= Severity.MINOR]

    def mt_spans(self) -> list[tuple[int, int, str]]:
        """The flags that count: on the MT, minor or worse; ``(start, end, minor|major)``."""
        out = []
        for f in self.flags:
            if f.side != "mt" or f.severity < Severity.MINOR:
                continue
            out.append((f.start, f.end, "minor" if f.severity == Severity.MINOR else "major"))
        return out


def load_predictions(path: str | os.PathLike[str]) -> list[Prediction]:
    """Read mtqc's JSONL output (one object per segment) as predictions."""
    path = os.fspath(path)
    preds: list[Prediction] = []
    seen: dict[str, int] = {}
    for lineno, obj in iter_json_objects(path):
        if obj.get("type", "segment") != "segment":
            continue
        pred = _prediction(obj, path, lineno)
        if pred.id in seen:
            raise InputError(
                path,
                f"duplicate segment id {pred.id!r} (first on line {seen[pred.id]})",
                line=lineno,
                hint="ids join predictions to gold items and must be unique",
            )
        seen[pred.id] = lineno
        preds.append(pred)
    return preds


def _prediction(obj: dict[str, Any], path: str, lineno: int) -> Prediction:
    pid = obj.get("id")
    if not isinstance(pid, str | int) or isinstance(pid, bool) or pid == "":
        raise InputError(
            path, "missing 'id'", line=lineno, hint="use mtqc's JSONL output (--format jsonl)"
        )
    score = obj.get("score")
    if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
        raise InputError(path, f"'score' must be a finite number, not {score!r}", line=lineno)
    raw_flags = obj.get("flags", [])
    if not isinstance(raw_flags, list):
        raise InputError(path, "'flags' must be a list", line=lineno)
    flags = []
    for fl in raw_flags:
        if not isinstance(fl, dict):
            raise InputError(path, "each flag must be a JSON object", line=lineno)
        start, end = fl.get("start"), fl.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
            raise InputError(
                path, f"flag span {start!r}:{end!r} is not a valid offset pair", line=lineno
            )
        try:
            sev = Severity.parse(fl.get("severity", ""))
        except ValueError as e:
            raise InputError(path, str(e), line=lineno) from None
        side = fl.get("side") or "mt"
        text = fl.get("text")
        code = fl.get("code")
        flags.append(
            PredFlag(
                start,
                end,
                sev,
                str(side),
                text if isinstance(text, str) else None,
                str(code) if code is not None else "",
            )
        )
    line = obj.get("line", 0)
    return Prediction(
        id=str(pid), score=float(score), flags=flags, line=line if isinstance(line, int) else 0
    )


def predictions_from_report(report: Report) -> list[Prediction]:
    """The same predictions, taken from a Report in memory (no JSONL round trip)."""
    return [
        Prediction(
            id=r.segment.id,
            score=float(r.score),
            line=r.segment.line,
            flags=[PredFlag(f.start, f.end, f.severity, f.side, f.text, f.code) for f in r.flags],
        )
        for r in report.results
    ]


def predictions_by_id(preds: Iterable[Prediction]) -> dict[str, Prediction]:
    """Index predictions by id (the last one wins; the loader rejects duplicates)."""
    return {p.id: p for p in preds}
