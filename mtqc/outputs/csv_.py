"""CSV output: one row per flag (spreadsheets, QA dashboards).

Columns: ``segment_id, doc, line, source_file, code, name, severity, category, side,
start, end, text, message, suggestions, flag_score, fingerprint, score`` — ``score`` is
the segment's risk score, ``suggestions`` are joined with ``" | "``, offsets are code
points. UTF-8, comma-separated, RFC 4180 quoting.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab, carriage return or line feed) are prefixed with ``'`` so that opening the
file cannot execute text from the input: ``-2+3+cmd|' /C calc'!A0`` starts with a digit
after its ``-`` and is a formula all the same. Only a cell that is a plain negative number
(``-2``, ``-0.5``) is left as it is.
"""

from __future__ import annotations

import re

from mtqc.model import Report

SUGGESTION_SEP = " | "
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TEXT_COLUMNS = ("segment_id", "doc", "source_file", "text", "message", "suggestions")


def defuse(cell: object) -> object:
    """Prefix a string that a spreadsheet would read as a formula with ``'``."""
    if (
        isinstance(cell, str)
        and cell.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(cell)
    ):
        return "'" + cell
    return cell


def render_csv(report: Report, *, color: bool = False) -> str:
    """One row per flag, with a header row."""
    from mtqc.frames import flags_frame

    df = flags_frame(report)
    df["suggestions"] = [SUGGESTION_SEP.join(s) for s in df["suggestions"]]
    for col in _TEXT_COLUMNS:
        df[col] = [defuse(v) for v in df[col]]
    return df.to_csv(index=False, lineterminator="\n")
