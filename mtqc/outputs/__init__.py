"""Output formats: a report in, a string out.

``FORMATS`` maps a format name to ``render(report, *, color=False) -> str``:

========  ==================================================================
text      flagged lines with their spans marked, then a summary (terminal)
json      the whole report (schema in :mod:`mtqc.outputs.json_`)
jsonl     one object per segment, in input order
csv       one row per flag
html      one self-contained page to review from (filters, popovers)
sarif     SARIF 2.1.0 (code scanning, IDEs)
junit     JUnit XML, one test case per segment
github    GitHub Actions annotations (workflow commands)
========  ==================================================================

Only ``text`` uses colour. :func:`write_output` writes a rendered report where ``-o``
points (``-`` is stdout); :func:`write_atomic` replaces a regular file atomically (readers
never see a half-written one) and writes through devices, pipes and symlinks
(:mod:`mtqc.outputs._write`).
"""

from __future__ import annotations

from collections.abc import Callable

from mtqc.errors import UsageError
from mtqc.model import Report
from mtqc.outputs._write import open_output, write_atomic, write_output
from mtqc.outputs.csv_ import render_csv
from mtqc.outputs.github import render_github
from mtqc.outputs.html import render_html
from mtqc.outputs.json_ import render_json, render_jsonl
from mtqc.outputs.junit import render_junit
from mtqc.outputs.sarif import render_sarif
from mtqc.outputs.text import render_text

Renderer = Callable[..., str]

FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "jsonl": render_jsonl,
    "csv": render_csv,
    "html": render_html,
    "sarif": render_sarif,
    "junit": render_junit,
    "github": render_github,
}


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """Render ``report`` in format ``fmt`` (a key of :data:`FORMATS`)."""
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise UsageError(
            f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}"
        ) from None
    return renderer(report, color=color)


__all__ = ["FORMATS", "open_output", "render", "write_atomic", "write_output"]
