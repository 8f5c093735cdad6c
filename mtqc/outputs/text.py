"""Terminal output: the flagged lines with their spans marked, then a summary.

For each flagged segment::

    article.txt:7  score 0.42
      The spillover action was prepared for several months.
          ^^^^^^^^^^^^^^^^
      T101 major  "spillover action"  calque of Dutch "overloopactie"  → defection operation

Without colour a marker line (``^^^``) is printed under each span (wide characters
such as emoji count as two columns); with colour the spans
are highlighted in the line itself, coloured by severity. Lines longer than
:data:`WIDTH` are shown as a window around each span. Unflagged segments are left out.
Untrusted text is cleaned so it cannot send escape sequences to the terminal.
"""

from __future__ import annotations

import unicodedata

from mtqc.model import Flag, Report, SegmentResult, Severity
from mtqc.outputs._common import (
    SEVERITIES_DESC,
    SIDE_LABELS,
    format_score,
    location,
    severity_counts,
    side_text,
    sorted_flags,
    suggestion_label,
    terminal_safe,
)

#: Lines longer than this many code points are shown as a window around each span.
WIDTH = 100
#: Code points of context kept on each side of a span in a window.
CONTEXT = 35
INDENT = "  "

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
#: Foreground colour per severity (for labels).
SEV_COLOR: dict[Severity, str] = {
    Severity.CRITICAL: "\x1b[1;31m",
    Severity.MAJOR: "\x1b[31m",
    Severity.MINOR: "\x1b[33m",
    Severity.INFO: "\x1b[36m",
}
#: Span highlight per severity: underlined, in the severity's colour.
SEV_HIGHLIGHT: dict[Severity, str] = {
    Severity.CRITICAL: "\x1b[1;4;31m",
    Severity.MAJOR: "\x1b[4;31m",
    Severity.MINOR: "\x1b[4;33m",
    Severity.INFO: "\x1b[4;36m",
}


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color and text else text


def _window(text: str, start: int, end: int) -> tuple[str, int, int]:
    """A piece of ``text`` around ``[start, end)``; returns it and the span's new offsets.

    The span starts about :data:`CONTEXT` code points in (earlier near the end of the
    text); a span longer than the window is cut at the window's end.
    """
    if len(text) <= WIDTH:
        return text, start, end
    avail = WIDTH - 2  # room for the two ellipses
    lo = max(0, min(start - CONTEXT, len(text) - avail))
    hi = min(len(text), lo + avail)
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(text) else ""
    shift = len(prefix) - lo
    return prefix + text[lo:hi] + suffix, start + shift, min(end, hi) + shift


def _highlight(text: str, flags: list[tuple[int, int, Severity]]) -> str:
    """``text`` with each span wrapped in its severity's colour (the most severe wins
    where spans overlap)."""
    sev_at: list[Severity | None] = [None] * len(text)
    for start, end, sev in flags:
        for i in range(max(0, start), min(end, len(text))):
            cur = sev_at[i]
            if cur is None or sev > cur:
                sev_at[i] = sev
    out: list[str] = []
    i = 0
    while i < len(text):
        sev = sev_at[i]
        j = i
        while j < len(text) and sev_at[j] == sev:
            j += 1
        out.append(_paint(text[i:j], SEV_HIGHLIGHT[sev], True) if sev is not None else text[i:j])
        i = j
    return "".join(out)


def cells(text: str) -> int:
    """Terminal columns ``text`` takes: wide (East Asian, emoji) characters count two,
    combining marks none. Simple, not a full wcwidth."""
    n = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def _marker(text: str, start: int, end: int) -> str:
    """Carets under ``text[start:end]`` (one caret for an empty span)."""
    return " " * cells(text[:start]) + "^" * max(1, cells(text[start:end]))


def _flag_line(flag: Flag, color: bool) -> str:
    sev = _paint(str(flag.severity), SEV_COLOR[flag.severity], color)
    parts = [f"{_paint(flag.code, BOLD, color)} {sev}"]
    if flag.text:
        parts.append(f'"{terminal_safe(flag.text)}"')
    parts.append(terminal_safe(flag.message))
    line = INDENT + "  ".join(parts)
    if flag.suggestions:
        line += "  → " + " | ".join(terminal_safe(suggestion_label(s)) for s in flag.suggestions)
    return line


def _side_block(label: str, text: str, flags: list[Flag], color: bool) -> list[str]:
    """The lines for the flags on one side of a segment."""
    lines: list[str] = []
    head = f"{label}: " if label else ""
    pad = " " * len(head)
    safe = terminal_safe(text)
    if len(safe) <= WIDTH:
        if color:
            spans = [(f.start, f.end, f.severity) for f in flags]
            lines.append(INDENT + _paint(head, DIM, True) + _highlight(safe, spans))
            lines.extend(_flag_line(f, color) for f in flags)
        else:
            lines.append(INDENT + head + safe)
            for f in flags:
                lines.append(INDENT + pad + _marker(safe, f.start, f.end))
                lines.append(_flag_line(f, color))
        return lines
    for f in flags:  # long line: one window per flag
        piece, start, end = _window(safe, f.start, f.end)
        if color:
            lines.append(
                INDENT + _paint(head, DIM, True) + _highlight(piece, [(start, end, f.severity)])
            )
        else:
            lines.append(INDENT + head + piece)
            lines.append(INDENT + pad + _marker(piece, start, end))
        lines.append(_flag_line(f, color))
    return lines


def render_segment(result: SegmentResult, *, color: bool = False) -> list[str]:
    """The lines for one flagged segment (empty for an unflagged one).

    Model hints (model flags below their calibrated precision) are counted, not shown:
    a translator reads every line here. JSON and HTML keep them.
    """
    shown = [f for f in result.flags if not f.is_model_hint]
    if not shown:
        return []
    score = f"score {format_score(result.score)}"
    lines = [f"{_paint(location(result), BOLD, color)}  {score}"]
    by_side: dict[str, list[Flag]] = {}
    for f in sorted_flags(shown):
        by_side.setdefault(f.side, []).append(f)
    for side in sorted(by_side, key=lambda s: (s != "mt", s)):
        label = "" if side == "mt" else SIDE_LABELS.get(side, side)
        lines.extend(_side_block(label, side_text(result, side), by_side[side], color))
    hints = len(result.flags) - len(shown)
    if hints:
        noun = "hint" if hints == 1 else "hints"
        lines.append(_paint(f"  (+{hints} model {noun} below the precision threshold)", DIM, color))
    return lines


def render_summary(report: Report, *, color: bool = False) -> list[str]:
    """The closing lines: counts, mean risk, mode and signature."""
    summary = report.summary()
    n_segments = summary.get("segments", len(report.results))
    n_flagged = summary.get("flagged_segments", sum(1 for r in report.results if r.flags))
    n_flags = summary.get("flags", len(report.flags))
    by_sev = summary.get("by_severity") or severity_counts(report.flags)
    sev_parts = []
    for sev in SEVERITIES_DESC:
        n = by_sev.get(str(sev), 0)
        sev_parts.append(_paint(f"{n} {sev}", SEV_COLOR[sev], color and n > 0))
    seg_word = "segment" if n_segments == 1 else "segments"
    flag_word = "flag" if n_flags == 1 else "flags"
    lines = [
        f"{n_segments} {seg_word}, {n_flagged} flagged, {n_flags} {flag_word}: "
        + ", ".join(sev_parts),
        f"mean risk {format_score(summary.get('mean_score'))}"
        f"  ·  max {format_score(summary.get('max_score'))}"
        f"  ·  mode {report.mode}",
    ]
    if report.signature:
        lines.append(_paint(f"signature {terminal_safe(report.signature)}", DIM, color))
    return lines


def render_text(report: Report, *, color: bool = False) -> str:
    """The report for a terminal: flagged segments, then the summary."""
    blocks = [render_segment(r, color=color) for r in report.results if r.flags]
    out: list[str] = []
    for block in blocks:
        if block:  # a segment with model hints only prints nothing
            out.extend(block)
            out.append("")
    out.extend(render_summary(report, color=color))
    return "\n".join(out) + "\n"
